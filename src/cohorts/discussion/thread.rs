//! A thread: its posts as the reader may see them, with "New" marks since their last reading
//! (recorded beside the page), and replying, which emails those who took part in it. A
//! thread is read in numbered pages, oldest first; opened without a page, it shows the page
//! holding the reader's first unread post.

use askama::Template;
use axum::{
    extract::{Path, Query},
    response::Response,
};
use serde::Deserialize;
use sqlx::{AnyConnection, AnyPool};

use super::{FIELDS, PostForm, Thread, joined_at, kept, mark_read, thread_of};
use crate::{
    cohorts::{Access, Cohort, emails, mail_recipients, space},
    error::{AppError, AppResult},
    notify, policy,
    state::AppState,
    text::markdown::{self, Rendered},
    viewer::Person,
    web::{
        self, FormErrors, Layout,
        door::{self, Inside, Level, Writing},
        form::{self, Fields, Form},
        paging,
    },
};

#[derive(Debug, Clone, sqlx::FromRow)]
struct PostRow {
    id: i64,
    author_id: i64,
    author_name: String,
    city_name: Option<String>,
    city_state: Option<String>,
    body: String,
    body_html: Option<String>,
    created_at: i64,
    edited_at: Option<i64>,
    hidden_at: Option<i64>,
}

/// A post as the thread page shows it.
pub struct PostView {
    pub id: i64,
    pub author_name: String,
    pub city: String,
    pub html: String,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub hidden: bool,
    pub new: bool,
    /// Its author may still edit it (and the page offers to).
    pub editable: bool,
    pub opening: bool,
}

/// Posts on a page of a thread (the opening post is the first of the first page).
const PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "cohorts/thread.html")]
struct ThreadPage {
    layout: Layout,
    nav: space::SpaceNav,
    cohort: Cohort,
    thread: Thread,
    posts: Vec<PostView>,
    pages: paging::PageLinks,
    /// The address of the reader's first unread post ("…?page=2#post-71"), when there is one.
    first_unread: Option<String>,
    /// The address of the reply form, on the last page.
    reply_href: String,
    can_write: bool,
    can_facilitate: bool,
    form: PostForm,
    errors: FormErrors,
    fields: &'static Fields,
}

impl ThreadPage {
    fn post_href(&self, post_id: &i64, action: &str) -> String {
        format!(
            "/cohorts/{}/discussion/{}/posts/{post_id}/{action}",
            self.cohort.slug, self.thread.id
        )
    }
    /// The number of the page's first post in the thread (the list's `start`).
    fn start(&self) -> i64 {
        (self.pages.number - 1) * PAGE + 1
    }
    /// The reply form is on the last page only; the other pages link to it.
    fn is_last(&self) -> bool {
        self.pages.number == self.pages.count
    }
}

/// Where a reader stands in a thread: what they may see, since when posts are new to them,
/// how many posts they see and the first they have not read.
struct Reading {
    see_hidden: bool,
    since: i64,
    total: i64,
    /// The first unread post's id and its place (from 0) among the posts the reader sees.
    first_unread: Option<(i64, i64)>,
}

/// A post's place in a thread's order, as the reader sees the thread.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
struct At {
    id: i64,
    created_at: i64,
}

impl Reading {
    async fn of(
        pool: &AnyPool,
        access: &Access,
        person: &Person,
        thread_id: i64,
    ) -> sqlx::Result<Reading> {
        let see_hidden = policy::can_see_hidden_cohort_posts(person, access.standing);
        let previous: Option<i64> = sqlx::query_scalar(
            "SELECT read_at FROM cohort_reads WHERE thread_id = $1 AND person_id = $2",
        )
        .bind(thread_id)
        .bind(person.id)
        .fetch_optional(pool)
        .await?;
        let since = previous.unwrap_or_else(|| joined_at(access));
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM cohort_posts WHERE thread_id = $1 AND (hidden_at IS NULL OR $2 = 1)",
        )
        .bind(thread_id)
        .bind(i64::from(see_hidden))
        .fetch_one(pool)
        .await?;
        let unread = sqlx::query_as::<_, At>(
            "SELECT id, created_at FROM cohort_posts WHERE thread_id = $1 AND hidden_at IS NULL \
             AND author_id <> $2 AND created_at > $3 ORDER BY created_at, id LIMIT 1",
        )
        .bind(thread_id)
        .bind(person.id)
        .bind(since)
        .fetch_optional(pool)
        .await?;
        let first_unread = match unread {
            Some(at) => Some((at.id, place(pool, thread_id, see_hidden, at).await?)),
            None => None,
        };
        Ok(Reading {
            see_hidden,
            since,
            total,
            first_unread,
        })
    }
}

/// How many posts the reader sees before `at` in the thread: its place from 0.
async fn place(pool: &AnyPool, thread_id: i64, see_hidden: bool, at: At) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM cohort_posts WHERE thread_id = $1 AND (hidden_at IS NULL OR $2 = 1) \
         AND (created_at, id) < ($3, $4)",
    )
    .bind(thread_id)
    .bind(i64::from(see_hidden))
    .bind(at.created_at)
    .bind(at.id)
    .fetch_one(pool)
    .await
}

/// The address of a post of a thread, on the page that holds it for this reader:
/// "/cohorts/x/discussion/7?page=3#post-140". Where the edit, hiding and replying lead back.
pub(super) async fn post_address(
    pool: &AnyPool,
    access: &Access,
    person: &Person,
    thread_id: i64,
    post_id: i64,
) -> sqlx::Result<String> {
    let see_hidden = policy::can_see_hidden_cohort_posts(person, access.standing);
    let at = sqlx::query_as::<_, At>(
        "SELECT id, created_at FROM cohort_posts WHERE id = $1 AND thread_id = $2",
    )
    .bind(post_id)
    .bind(thread_id)
    .fetch_optional(pool)
    .await?;
    let number = match at {
        Some(at) => {
            paging::Numbered::holding(place(pool, thread_id, see_hidden, at).await?, PAGE).number
        }
        None => 1,
    };
    let base = format!("/cohorts/{}/discussion/{thread_id}", access.cohort.slug);
    Ok(format!(
        "{}#post-{post_id}",
        paging::numbered_href(&base, number)
    ))
}

/// Which page of the thread to show: the one asked for; else the one holding the reader's
/// first unread post; else the first. With a form coming back, the last (where the form is).
fn page_to_show(
    asked: Option<paging::Numbered>,
    reading: &Reading,
    form_back: bool,
) -> AppResult<paging::Numbered> {
    let page = match (asked, reading.first_unread) {
        _ if form_back => paging::Numbered::last(reading.total, PAGE),
        (Some(asked), _) => asked,
        (None, Some((_, place))) => paging::Numbered::holding(place, PAGE),
        (None, None) => paging::Numbered::first(PAGE),
    };
    page.check(reading.total)
}

/// A page of the thread; with `read`, the person's reading of the thread is recorded after
/// the page is made (so its "New" marks are those since the previous reading), up to the
/// last post the page shows.
#[expect(clippy::too_many_arguments)]
async fn thread_page(
    ctx: &web::Ctx,
    person: &Person,
    access: &Access,
    thread_id: i64,
    asked: Option<paging::Numbered>,
    form: PostForm,
    errors: FormErrors,
    read: bool,
) -> AppResult<Response> {
    let thread = {
        let mut conn = ctx.state.pool.acquire().await?;
        thread_of(&mut conn, access, person, thread_id).await?
    };
    let pool = &ctx.state.pool;
    let reading = Reading::of(pool, access, person, thread.id).await?;
    let at = page_to_show(asked, &reading, !errors.is_empty())?;
    let now = ctx.state.clock.now();
    let posts = posts(pool, access, person, thread.id, &reading, at, now).await?;
    let base = format!("/cohorts/{}/discussion/{}", access.cohort.slug, thread.id);
    let pages = at.links(&base, reading.total);
    let read_to = if at.number == pages.count {
        Some(now)
    } else {
        posts.last().map(|p| p.created_at)
    };
    let nav = space::nav(&ctx.state, person, access, "discussion").await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("{}: {}", thread.title, access.cohort.name);
    let failed = !errors.is_empty();
    let page = ThreadPage {
        layout,
        nav,
        cohort: access.cohort.clone(),
        first_unread: reading.first_unread.map(|(id, place)| {
            let n = paging::Numbered::holding(place, PAGE).number;
            format!("{}#post-{id}", paging::numbered_href(&base, n))
        }),
        reply_href: format!(
            "{}#reply-heading",
            paging::numbered_href(&base, pages.count)
        ),
        thread,
        posts,
        pages,
        can_write: access.can_write(person),
        can_facilitate: reading.see_hidden,
        form,
        errors,
        fields: &FIELDS,
    };
    let response = if failed {
        form::again(&page)
    } else {
        web::render(&page)
    };
    if let (true, Some(to)) = (read, read_to) {
        record_reading(ctx, page.thread.id, person.id, to).await;
    }
    Ok(response)
}

/// A page of the thread's posts as the person may see them (hidden ones only for
/// facilitators and staff), each marked new when it came after the person's last reading (or
/// their joining).
async fn posts(
    pool: &AnyPool,
    access: &Access,
    person: &Person,
    thread_id: i64,
    reading: &Reading,
    at: paging::Numbered,
    now: i64,
) -> sqlx::Result<Vec<PostView>> {
    let rows = sqlx::query_as::<_, PostRow>(
        "SELECT x.id, x.author_id, p.name AS author_name, c.name AS city_name, c.state AS city_state, \
         x.body, x.body_html, x.created_at, x.edited_at, x.hidden_at \
         FROM cohort_posts x JOIN people p ON p.id = x.author_id LEFT JOIN cities c ON c.id = p.city_id \
         WHERE x.thread_id = $1 AND (x.hidden_at IS NULL OR $2 = 1) ORDER BY x.created_at, x.id \
         LIMIT $3 OFFSET $4",
    )
    .bind(thread_id)
    .bind(i64::from(reading.see_hidden))
    .bind(at.size)
    .bind(at.offset())
    .fetch_all(pool)
    .await?;
    let opening_id: Option<i64> =
        sqlx::query_scalar("SELECT MIN(id) FROM cohort_posts WHERE thread_id = $1")
            .bind(thread_id)
            .fetch_one(pool)
            .await?;
    let since = reading.since;
    Ok(rows
        .into_iter()
        .map(|r| PostView {
            id: r.id,
            html: markdown::stored_or_render(r.body_html, &r.body),
            city: match (&r.city_name, &r.city_state) {
                (Some(n), Some(s)) => format!("{n}, {s}"),
                _ => "Staff".to_owned(),
            },
            new: r.author_id != person.id && r.created_at > since && r.hidden_at.is_none(),
            editable: policy::can_edit_cohort_post(
                person,
                access.standing,
                r.author_id,
                r.hidden_at.is_some(),
                r.created_at,
                now,
            ),
            opening: Some(r.id) == opening_id,
            hidden: r.hidden_at.is_some(),
            author_name: r.author_name,
            created_at: r.created_at,
            edited_at: r.edited_at,
        })
        .collect())
}

/// The reading, for the "New" marks of the next visit: beside the page, so that a database
/// that takes no writes (locked, full) still lets the thread be read.
async fn record_reading(ctx: &web::Ctx, thread_id: i64, person_id: i64, now: i64) {
    ctx.state
        .write_aside("the reading of a thread", move |state| async move {
            let mut tx = state.begin_write().await?;
            mark_read(&mut tx, thread_id, person_id, now).await?;
            tx.commit().await
        })
        .await;
}

#[derive(Debug, Default, Deserialize)]
pub struct ThreadQuery {
    page: Option<String>,
}

/// A post's own address, for emails and links that outlive the pages: the page that holds
/// it for the reader, through the same door as the thread.
pub(super) async fn post_at(
    Inside(ctx, person, access): Inside<Access>,
    Path((_, thread_id, post_id)): Path<(String, i64, i64)>,
) -> AppResult<Response> {
    let (thread, post, _) = super::post_of(&ctx, &access, &person, thread_id, post_id).await?;
    let address = post_address(&ctx.state.pool, &access, &person, thread.id, post.id).await?;
    Ok(web::see_other(&address))
}

pub(super) async fn show(
    Inside(ctx, person, access): Inside<Access>,
    Path((_, thread_id)): Path<(String, i64)>,
    Query(q): Query<ThreadQuery>,
) -> AppResult<Response> {
    let asked = paging::Numbered::from_query(q.page.as_deref(), PAGE)?;
    thread_page(
        &ctx,
        &person,
        &access,
        thread_id,
        asked,
        PostForm::default(),
        FormErrors::default(),
        true,
    )
    .await
}

/// Replies in a thread, and emails those who took part in it and follow the cohort.
pub(super) async fn reply(
    Writing(ctx, person, access): Writing<Access>,
    Path((_, thread_id)): Path<(String, i64)>,
    Form(form): Form<PostForm>,
) -> AppResult<Response> {
    let thread = {
        let mut conn = ctx.state.pool.acquire().await?;
        thread_of(&mut conn, &access, &person, thread_id).await?
    };
    if thread.hidden_at.is_some() {
        return Err(AppError::NoAccess(
            "This thread is hidden: restore its opening post before replying.".to_owned(),
        ));
    }
    let mut check = FIELDS.check();
    let body = check.markdown("body", &form.body).await;
    if let Err(errors) = check.finish() {
        return thread_page(
            &ctx,
            &person,
            &access,
            thread.id,
            None,
            kept(&form),
            errors,
            false,
        )
        .await;
    }
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    // The door again, in the write: removed, deactivated or lapsed meanwhile, nothing lands.
    door::again(&mut tx, &person, &access, Level::Write).await?;
    policy::posting::reserve(&mut tx, &ctx.state, person.id).await?;
    let post_id: i64 = sqlx::query_scalar(
        "INSERT INTO cohort_posts (thread_id, author_id, body, body_html, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(thread.id)
    .bind(person.id)
    .bind(&body.source)
    .bind(&body.html)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE cohort_threads SET last_post_at = $1 WHERE id = $2 AND last_post_at < $1")
        .bind(now)
        .bind(thread.id)
        .execute(&mut *tx)
        .await?;
    mark_read(&mut tx, thread.id, person.id, now).await?;
    crate::cohorts::search::index_thread(&mut tx, thread.id).await?;
    tell_took_part(
        &mut tx,
        &ctx.state,
        &access.cohort,
        &person,
        &thread,
        post_id,
        &body,
    )
    .await?;
    tx.commit().await?;
    ctx.flash("Your reply is posted.").await?;
    let address = post_address(&ctx.state.pool, &access, &person, thread.id, post_id).await?;
    Ok(web::see_other(&address))
}

/// Emails a reply to those who took part in the thread and follow the cohort (but its author).
async fn tell_took_part(
    conn: &mut AnyConnection,
    state: &AppState,
    cohort: &Cohort,
    author: &Person,
    thread: &Thread,
    post_id: i64,
    body: &Rendered,
) -> AppResult<()> {
    let took_part: Vec<i64> =
        sqlx::query_scalar("SELECT DISTINCT author_id FROM cohort_posts WHERE thread_id = $1")
            .bind(thread.id)
            .fetch_all(&mut *conn)
            .await?;
    let link = format!(
        "{}/cohorts/{}/discussion/{}/posts/{post_id}",
        state.config.base(),
        cohort.slug,
        thread.id
    );
    let org_name = crate::web::identity::org_name_on(&mut *conn, state).await?;
    for to in mail_recipients(&mut *conn, cohort, author.id).await? {
        if !took_part.contains(&to.id) {
            continue;
        }
        let email = emails::Reply {
            org_name: org_name.clone(),
            name: to.name.clone(),
            author_name: author.name.clone(),
            author_city: author.city_label(),
            cohort_name: cohort.name.clone(),
            title: thread.title.clone(),
            body: markdown::plain(&body.source),
            body_html: body.html.clone(),
            link: link.clone(),
            cohort_link: format!("{}{}", state.config.base(), cohort.href()),
        };
        notify::enqueue_coalesced(
            &mut *conn,
            state,
            &to.email,
            &format!("cohort-thread:{}", thread.id),
            &email,
        )
        .await?;
    }
    Ok(())
}
