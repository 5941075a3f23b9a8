//! A thread: its posts as the reader may see them, with "New" marks since their last reading
//! (recorded beside the page), and replying, which emails those who took part in it.

use askama::Template;
use axum::{extract::Path, response::Response};
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

#[derive(Template)]
#[template(path = "cohorts/thread.html")]
struct ThreadPage {
    layout: Layout,
    nav: space::SpaceNav,
    cohort: Cohort,
    thread: Thread,
    posts: Vec<PostView>,
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
}

/// The thread page; with `read`, the person's reading of the thread is recorded after the
/// page is made (so its "New" marks are those since the previous reading).
async fn thread_page(
    ctx: &web::Ctx,
    person: &Person,
    access: &Access,
    thread_id: i64,
    form: PostForm,
    errors: FormErrors,
    read: bool,
) -> AppResult<Response> {
    let thread = {
        let mut conn = ctx.state.pool.acquire().await?;
        thread_of(&mut conn, access, person, thread_id).await?
    };
    let now = ctx.state.clock.now();
    let posts = posts(&ctx.state.pool, access, person, thread.id, now).await?;
    let nav = space::nav(&ctx.state, person, access, "discussion").await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("{}: {}", thread.title, access.cohort.name);
    let failed = !errors.is_empty();
    let page = ThreadPage {
        layout,
        nav,
        cohort: access.cohort.clone(),
        thread,
        posts,
        can_write: access.can_write(person),
        can_facilitate: policy::can_see_hidden_cohort_posts(person, access.standing),
        form,
        errors,
        fields: &FIELDS,
    };
    let response = if failed {
        form::again(&page)
    } else {
        web::render(&page)
    };
    if read {
        record_reading(ctx, page.thread.id, person.id, now).await;
    }
    Ok(response)
}

/// The thread's posts as the person may see them (hidden ones only for facilitators and
/// staff), each marked new when it came after the person's last reading (or their joining).
async fn posts(
    pool: &AnyPool,
    access: &Access,
    person: &Person,
    thread_id: i64,
    now: i64,
) -> sqlx::Result<Vec<PostView>> {
    let rows = sqlx::query_as::<_, PostRow>(
        "SELECT x.id, x.author_id, p.name AS author_name, c.name AS city_name, c.state AS city_state, \
         x.body, x.body_html, x.created_at, x.edited_at, x.hidden_at \
         FROM cohort_posts x JOIN people p ON p.id = x.author_id LEFT JOIN cities c ON c.id = p.city_id \
         WHERE x.thread_id = $1 AND (x.hidden_at IS NULL OR $2 = 1) ORDER BY x.created_at, x.id",
    )
    .bind(thread_id)
    .bind(i64::from(policy::can_see_hidden_cohort_posts(
        person,
        access.standing,
    )))
    .fetch_all(pool)
    .await?;
    let opening_id: Option<i64> =
        sqlx::query_scalar("SELECT MIN(id) FROM cohort_posts WHERE thread_id = $1")
            .bind(thread_id)
            .fetch_one(pool)
            .await?;
    let previous: Option<i64> = sqlx::query_scalar(
        "SELECT read_at FROM cohort_reads WHERE thread_id = $1 AND person_id = $2",
    )
    .bind(thread_id)
    .bind(person.id)
    .fetch_optional(pool)
    .await?;
    let since = previous.unwrap_or_else(|| joined_at(access));
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

pub(super) async fn show(
    Inside(ctx, person, access): Inside<Access>,
    Path((_, thread_id)): Path<(String, i64)>,
) -> AppResult<Response> {
    thread_page(
        &ctx,
        &person,
        &access,
        thread_id,
        PostForm::default(),
        FormErrors::default(),
        true,
    )
    .await
}

/// Replies in a thread, and emails those who took part in it and follow the cohort.
pub(super) async fn reply(
    Writing(ctx, person, access): Writing<Access>,
    Path((slug, thread_id)): Path<(String, i64)>,
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
    Ok(web::see_other(&format!(
        "/cohorts/{slug}/discussion/{}#post-{post_id}",
        thread.id
    )))
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
        "{}/cohorts/{}/discussion/{}#post-{post_id}",
        state.config.base(),
        cohort.slug,
        thread.id
    );
    for to in mail_recipients(&mut *conn, cohort, author.id).await? {
        if !took_part.contains(&to.id) {
            continue;
        }
        let email = emails::Reply {
            org_name: state.config.org_name.clone(),
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
