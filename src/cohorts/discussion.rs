//! A cohort's discussion: threads (each opened by its first post) and replies, in Markdown
//! rendered sanitized; "New" marks from each person's last reading of a thread; editing
//! one's own post for 30 minutes; facilitators and staff hide and restore posts (hiding the
//! opening post hides the thread). New threads and replies are emailed, through the outbox,
//! to the followers who may enter the cohort (replies: to those who took part in the thread).
//! Every handler enters through `super::enter*`, the one door.

use crate::web::door::{self, Inside, Level, Steering, Writing};
use askama::Template;
use axum::{
    Router,
    extract::{Path, Query},
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;
use sqlx::{AnyConnection, AnyPool};

use super::{Access, Cohort, emails, space};
use crate::{
    audit,
    error::{AppError, AppResult},
    notify, policy,
    text::markdown,
    viewer::Person,
    web::{
        self, FormErrors, Layout,
        form::{self, Field, Fields, Form},
        paging,
    },
};

pub fn router() -> Router<crate::state::AppState> {
    Router::new()
        .route("/cohorts/{slug}/discussion", get(list).post(create))
        .route(
            "/cohorts/{slug}/discussion/{thread_id}",
            get(show).post(reply),
        )
        .route(
            "/cohorts/{slug}/discussion/{thread_id}/posts/{post_id}/edit",
            get(edit_form).post(update),
        )
        .route(
            "/cohorts/{slug}/discussion/{thread_id}/posts/{post_id}/hide",
            post(hide),
        )
        .route(
            "/cohorts/{slug}/discussion/{thread_id}/posts/{post_id}/restore",
            post(restore),
        )
}

/// Threads on a page of the discussion.
const PAGE: i64 = 20;

/// Threads on the cohort's overview.
const LATEST: i64 = 5;

#[derive(Debug, Default, Deserialize)]
pub struct PostForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
}

/// A thread's title and a post's body (a reply has no title).
static FIELDS: Fields = Fields(&[
    Field {
        name: "title",
        label: "a title",
        max_len: 200,
        required: true,
        lines: false,
    },
    Field {
        name: "body",
        label: "your message",
        max_len: 20_000,
        required: true,
        lines: true,
    },
]);

/// The form as it goes back into a page with its messages.
fn kept(form: &PostForm) -> PostForm {
    PostForm {
        title: FIELDS.keep("title", &form.title),
        body: FIELDS.keep("body", &form.body),
    }
}

/// The time before which a person's never-read threads are not new to them: when they
/// joined (staff who are not in the cohort: everything is new until read).
fn joined_at(access: &Access) -> i64 {
    access.membership.as_ref().map_or(0, |m| m.joined_at)
}

/// A thread as the lists show it to one person.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ThreadRow {
    pub id: i64,
    pub title: String,
    pub author_name: String,
    pub hidden_at: Option<i64>,
    pub last_post_at: i64,
    /// Posts the person sees (the opening one included).
    pub posts: i64,
    /// Posts by others since the person last read the thread.
    pub new_posts: i64,
}

impl ThreadRow {
    pub fn replies(&self) -> i64 {
        (self.posts - 1).max(0)
    }
    pub fn replies_label(&self) -> String {
        match self.replies() {
            1 => "1 reply".to_owned(),
            n => format!("{n} replies"),
        }
    }
    pub fn is_new(&self) -> bool {
        self.new_posts > 0
    }
    pub fn is_hidden(&self) -> bool {
        self.hidden_at.is_some()
    }
    fn cursor(&self) -> paging::Cursor {
        paging::Cursor::new(self.last_post_at, self.id)
    }
}

/// The SELECT of [`ThreadRow`]: $1 cohort, $2 person, $3 1 when hidden things are shown
/// (facilitators and staff), $4 the time before which unread posts are not new; the rest
/// (page bound and limit) follows.
macro_rules! thread_rows {
    ($rest:literal) => {
        concat!(
            "SELECT t.id, t.title, p.name AS author_name, t.hidden_at, t.last_post_at, \
             (SELECT COUNT(*) FROM cohort_posts x WHERE x.thread_id = t.id \
               AND (x.hidden_at IS NULL OR $3 = 1)) AS posts, \
             (SELECT COUNT(*) FROM cohort_posts x WHERE x.thread_id = t.id \
               AND x.hidden_at IS NULL AND x.author_id <> $2 \
               AND x.created_at > COALESCE((SELECT r.read_at FROM cohort_reads r \
                 WHERE r.thread_id = t.id AND r.person_id = $2), $4)) AS new_posts \
             FROM cohort_threads t JOIN people p ON p.id = t.author_id \
             WHERE t.cohort_id = $1 AND (t.hidden_at IS NULL OR $3 = 1) ",
            $rest
        )
    };
}

/// A page of the cohort's threads, newest activity first, as this person sees them.
async fn threads(
    pool: &AnyPool,
    access: &Access,
    person: &Person,
    request: &paging::Request,
) -> sqlx::Result<paging::Page<ThreadRow>> {
    let sql = if request.reads_ascending() {
        thread_rows!(
            "AND (t.last_post_at, t.id) > ($5, $6) ORDER BY t.last_post_at ASC, t.id ASC LIMIT $7"
        )
    } else {
        thread_rows!(
            "AND (t.last_post_at, t.id) < ($5, $6) ORDER BY t.last_post_at DESC, t.id DESC LIMIT $7"
        )
    };
    let bound = request.bound();
    let rows = sqlx::query_as::<_, ThreadRow>(sql)
        .bind(access.cohort.id)
        .bind(person.id)
        .bind(i64::from(policy::can_see_hidden_cohort_posts(
            person,
            access.standing,
        )))
        .bind(joined_at(access))
        .bind(bound.key)
        .bind(bound.id)
        .bind(request.limit())
        .fetch_all(pool)
        .await?;
    Ok(paging::Page::from_rows(request, rows, ThreadRow::cursor))
}

/// The overview's "Latest threads": the five with the newest activity.
pub async fn latest(
    pool: &AnyPool,
    access: &Access,
    person: &Person,
) -> sqlx::Result<Vec<ThreadRow>> {
    let first = paging::Request::first(paging::Order::Descending, LATEST);
    Ok(threads(pool, access, person, &first).await?.items)
}

/// How many of a cohort's visible threads have posts by others that the person has not read
/// (never-read threads count from `joined_at`): the member home's "new" count. A thread whose
/// latest post is no later than the person's read (or joining) has nothing new, so only the
/// others are looked into: the home page stays fast in a cohort with thousands of threads.
pub async fn unread_threads(
    pool: &AnyPool,
    cohort_id: i64,
    person_id: i64,
    joined_at: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM cohort_threads t \
         LEFT JOIN cohort_reads r0 ON r0.thread_id = t.id AND r0.person_id = $2 \
         WHERE t.cohort_id = $1 AND t.hidden_at IS NULL \
         AND t.last_post_at > COALESCE(r0.read_at, $3) \
         AND EXISTS (SELECT 1 FROM cohort_posts x WHERE x.thread_id = t.id \
           AND x.hidden_at IS NULL AND x.author_id <> $2 \
           AND x.created_at > COALESCE((SELECT r.read_at FROM cohort_reads r \
             WHERE r.thread_id = t.id AND r.person_id = $2), $3))",
    )
    .bind(cohort_id)
    .bind(person_id)
    .bind(joined_at)
    .fetch_one(pool)
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    after: Option<String>,
    before: Option<String>,
}

#[derive(Template)]
#[template(path = "cohorts/discussion.html")]
struct DiscussionPage {
    layout: Layout,
    nav: space::SpaceNav,
    cohort: Cohort,
    threads: Vec<ThreadRow>,
    newer: Option<String>,
    older: Option<String>,
    can_write: bool,
    form: PostForm,
    errors: FormErrors,
    fields: &'static Fields,
}

async fn discussion_page(
    ctx: &web::Ctx,
    person: &Person,
    access: &Access,
    request: paging::Request,
    form: PostForm,
    errors: FormErrors,
) -> AppResult<Response> {
    let nav = space::nav(&ctx.state, person, access, "discussion").await?;
    let page = threads(&ctx.state.pool, access, person, &request).await?;
    if page.items.is_empty() && !request.is_first() {
        return Err(AppError::NotFound);
    }
    let base = format!("/cohorts/{}/discussion", access.cohort.slug);
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Discussion: {}", access.cohort.name);
    let failed = !errors.is_empty();
    let page = DiscussionPage {
        layout,
        nav,
        newer: page.previous_href(&base),
        older: page.next_href(&base),
        threads: page.items,
        cohort: access.cohort.clone(),
        can_write: access.can_write(person),
        form,
        errors,
        fields: &FIELDS,
    };
    Ok(if failed {
        form::again(&page)
    } else {
        web::render(&page)
    })
}

async fn list(
    Inside(ctx, person, access): Inside<Access>,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    let request = paging::Request::from_query(
        q.after.as_deref(),
        q.before.as_deref(),
        paging::Order::Descending,
        PAGE,
    )?;
    discussion_page(
        &ctx,
        &person,
        &access,
        request,
        PostForm::default(),
        FormErrors::default(),
    )
    .await
}

/// Records that the person has read the thread up to `now` (never moves back).
async fn mark_read(
    conn: &mut AnyConnection,
    thread_id: i64,
    person_id: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO cohort_reads (thread_id, person_id, read_at) VALUES ($1, $2, $3) \
         ON CONFLICT (thread_id, person_id) DO UPDATE SET read_at = excluded.read_at \
         WHERE cohort_reads.read_at < excluded.read_at",
    )
    .bind(thread_id)
    .bind(person_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Starts a thread: its title and opening post, and an email to every follower who may
/// enter the cohort.
async fn create(
    Writing(ctx, person, access): Writing<Access>,
    Path(slug): Path<String>,
    Form(form): Form<PostForm>,
) -> AppResult<Response> {
    let mut check = FIELDS.check();
    let title = check.text("title", &form.title);
    let body = check.text("body", &form.body);
    if let Err(errors) = check.finish() {
        let first = paging::Request::first(paging::Order::Descending, PAGE);
        return discussion_page(&ctx, &person, &access, first, kept(&form), errors).await;
    }
    let cohort = &access.cohort;
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    // The door again, in the write: removed, deactivated or lapsed meanwhile, nothing lands.
    door::again(&mut tx, &person, &access, Level::Write).await?;
    policy::posting::reserve(&mut tx, &ctx.state, person.id).await?;
    let thread_id: i64 = sqlx::query_scalar(
        "INSERT INTO cohort_threads (cohort_id, author_id, title, created_at, last_post_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(cohort.id)
    .bind(person.id)
    .bind(&title)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO cohort_posts (thread_id, author_id, body, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(thread_id)
    .bind(person.id)
    .bind(&body)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    mark_read(&mut tx, thread_id, person.id, now).await?;
    let link = format!(
        "{}/cohorts/{}/discussion/{thread_id}",
        ctx.state.config.base(),
        cohort.slug
    );
    for to in super::mail_recipients(&mut tx, cohort, person.id).await? {
        let email = emails::NewThread {
            org_name: ctx.state.config.org_name.clone(),
            name: to.name.clone(),
            author_name: person.name.clone(),
            author_city: person.city_label(),
            cohort_name: cohort.name.clone(),
            title: title.clone(),
            body: body.clone(),
            link: link.clone(),
            cohort_link: format!("{}{}", ctx.state.config.base(), cohort.href()),
        };
        notify::enqueue(&mut tx, &ctx.state, &to.email, &email).await?;
    }
    tx.commit().await?;
    ctx.flash("Your thread is posted.").await?;
    Ok(web::see_other(&format!(
        "/cohorts/{slug}/discussion/{thread_id}"
    )))
}

/// A thread's own row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Thread {
    pub id: i64,
    pub title: String,
    pub hidden_at: Option<i64>,
}

/// The thread of this cohort with this id as the person may see it (a hidden one only for
/// facilitators and staff), or the 404 of a missing one.
async fn thread_of(
    conn: &mut AnyConnection,
    access: &Access,
    person: &Person,
    thread_id: i64,
) -> AppResult<Thread> {
    let thread = sqlx::query_as::<_, Thread>(
        "SELECT id, title, hidden_at FROM cohort_threads WHERE id = $1 AND cohort_id = $2",
    )
    .bind(thread_id)
    .bind(access.cohort.id)
    .fetch_optional(conn)
    .await?;
    match thread {
        Some(t)
            if t.hidden_at.is_none()
                || policy::can_see_hidden_cohort_posts(person, access.standing) =>
        {
            Ok(t)
        }
        _ => Err(AppError::NotFound),
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct PostRow {
    id: i64,
    author_id: i64,
    author_name: String,
    city_name: Option<String>,
    city_state: Option<String>,
    body: String,
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
    let pool = &ctx.state.pool;
    let thread = {
        let mut conn = pool.acquire().await?;
        thread_of(&mut conn, access, person, thread_id).await?
    };
    let facilitate = policy::can_see_hidden_cohort_posts(person, access.standing);
    let can_write = access.can_write(person);
    let rows = sqlx::query_as::<_, PostRow>(
        "SELECT x.id, x.author_id, p.name AS author_name, c.name AS city_name, c.state AS city_state, \
         x.body, x.created_at, x.edited_at, x.hidden_at \
         FROM cohort_posts x JOIN people p ON p.id = x.author_id LEFT JOIN cities c ON c.id = p.city_id \
         WHERE x.thread_id = $1 AND (x.hidden_at IS NULL OR $2 = 1) ORDER BY x.created_at, x.id",
    )
    .bind(thread.id)
    .bind(i64::from(facilitate))
    .fetch_all(pool)
    .await?;
    let opening_id: Option<i64> =
        sqlx::query_scalar("SELECT MIN(id) FROM cohort_posts WHERE thread_id = $1")
            .bind(thread.id)
            .fetch_one(pool)
            .await?;
    let previous: Option<i64> = sqlx::query_scalar(
        "SELECT read_at FROM cohort_reads WHERE thread_id = $1 AND person_id = $2",
    )
    .bind(thread.id)
    .bind(person.id)
    .fetch_optional(pool)
    .await?;
    let since = previous.unwrap_or_else(|| joined_at(access));
    let now = ctx.state.clock.now();
    let posts = rows
        .into_iter()
        .map(|r| PostView {
            id: r.id,
            html: markdown::render(&r.body).0,
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
        .collect();
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
        can_write,
        can_facilitate: facilitate,
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
        // The reading, for the "New" marks of the next visit: beside the page, so that a
        // database that takes no writes (locked, full) still lets the thread be read.
        let (thread_id, person_id) = (page.thread.id, person.id);
        ctx.state
            .write_aside("the reading of a thread", move |state| async move {
                let mut tx = state.begin_write().await?;
                mark_read(&mut tx, thread_id, person_id, now).await?;
                tx.commit().await
            })
            .await;
    }
    Ok(response)
}

async fn show(
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
async fn reply(
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
    let body = check.text("body", &form.body);
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
    let cohort = &access.cohort;
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    // The door again, in the write: removed, deactivated or lapsed meanwhile, nothing lands.
    door::again(&mut tx, &person, &access, Level::Write).await?;
    policy::posting::reserve(&mut tx, &ctx.state, person.id).await?;
    let post_id: i64 = sqlx::query_scalar(
        "INSERT INTO cohort_posts (thread_id, author_id, body, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(thread.id)
    .bind(person.id)
    .bind(&body)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE cohort_threads SET last_post_at = $1 WHERE id = $2 AND last_post_at < $1")
        .bind(now)
        .bind(thread.id)
        .execute(&mut *tx)
        .await?;
    mark_read(&mut tx, thread.id, person.id, now).await?;
    let took_part: Vec<i64> =
        sqlx::query_scalar("SELECT DISTINCT author_id FROM cohort_posts WHERE thread_id = $1")
            .bind(thread.id)
            .fetch_all(&mut *tx)
            .await?;
    let link = format!(
        "{}/cohorts/{}/discussion/{}#post-{post_id}",
        ctx.state.config.base(),
        cohort.slug,
        thread.id
    );
    for to in super::mail_recipients(&mut tx, cohort, person.id).await? {
        if !took_part.contains(&to.id) {
            continue;
        }
        let email = emails::Reply {
            org_name: ctx.state.config.org_name.clone(),
            name: to.name.clone(),
            author_name: person.name.clone(),
            author_city: person.city_label(),
            cohort_name: cohort.name.clone(),
            title: thread.title.clone(),
            body: body.clone(),
            link: link.clone(),
            cohort_link: format!("{}{}", ctx.state.config.base(), cohort.href()),
        };
        notify::enqueue_coalesced(
            &mut tx,
            &ctx.state,
            &to.email,
            &format!("cohort-thread:{}", thread.id),
            &email,
        )
        .await?;
    }
    tx.commit().await?;
    ctx.flash("Your reply is posted.").await?;
    Ok(web::see_other(&format!(
        "/cohorts/{slug}/discussion/{}#post-{post_id}",
        thread.id
    )))
}

/// One post of a thread, as the edit and moderation handlers need it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct PostRef {
    id: i64,
    author_id: i64,
    body: String,
    created_at: i64,
    hidden_at: Option<i64>,
}

/// The post `post_id` of the thread as the person may see it, with the thread and whether it
/// is the opening post; the 404 of a missing post otherwise.
async fn post_of(
    ctx: &web::Ctx,
    access: &Access,
    person: &Person,
    thread_id: i64,
    post_id: i64,
) -> AppResult<(Thread, PostRef, bool)> {
    let mut conn = ctx.state.pool.acquire().await?;
    let thread = thread_of(&mut conn, access, person, thread_id).await?;
    let post = sqlx::query_as::<_, PostRef>(
        "SELECT id, author_id, body, created_at, hidden_at FROM cohort_posts \
         WHERE id = $1 AND thread_id = $2",
    )
    .bind(post_id)
    .bind(thread.id)
    .fetch_optional(&mut *conn)
    .await?;
    let post = match post {
        Some(p)
            if p.hidden_at.is_none()
                || policy::can_see_hidden_cohort_posts(person, access.standing) =>
        {
            p
        }
        _ => return Err(AppError::NotFound),
    };
    let opening: Option<i64> =
        sqlx::query_scalar("SELECT MIN(id) FROM cohort_posts WHERE thread_id = $1")
            .bind(thread.id)
            .fetch_one(&mut *conn)
            .await?;
    let opening = opening == Some(post.id);
    Ok((thread, post, opening))
}

/// Whether the person may edit the post now: 403 with the reason otherwise.
fn may_edit(person: &Person, access: &Access, post: &PostRef, now: i64) -> AppResult<()> {
    match policy::cohort_edit_refusal(
        person,
        access.standing,
        post.author_id,
        post.hidden_at.is_some(),
        post.created_at,
        now,
    ) {
        Some(why) => Err(AppError::NoAccess(why.to_owned())),
        None => Ok(()),
    }
}

#[derive(Template)]
#[template(path = "cohorts/discussion_edit.html")]
struct EditPage {
    layout: Layout,
    nav: space::SpaceNav,
    cohort: Cohort,
    thread: Thread,
    post_id: i64,
    opening: bool,
    /// Until when the post may be edited.
    until: i64,
    form: PostForm,
    errors: FormErrors,
    fields: &'static Fields,
}

#[expect(clippy::too_many_arguments, reason = "one page's parts")]
async fn edit_page(
    ctx: &web::Ctx,
    person: &Person,
    access: &Access,
    thread: Thread,
    post: &PostRef,
    opening: bool,
    form: PostForm,
    errors: FormErrors,
) -> AppResult<Response> {
    let nav = space::nav(&ctx.state, person, access, "discussion").await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Edit your post: {}", thread.title);
    let failed = !errors.is_empty();
    let page = EditPage {
        layout,
        nav,
        cohort: access.cohort.clone(),
        thread,
        post_id: post.id,
        opening,
        until: post.created_at + policy::COHORT_EDIT_WINDOW,
        form,
        errors,
        fields: &FIELDS,
    };
    Ok(if failed {
        form::again(&page)
    } else {
        web::render(&page)
    })
}

async fn edit_form(
    Writing(ctx, person, access): Writing<Access>,
    Path((_, thread_id, post_id)): Path<(String, i64, i64)>,
) -> AppResult<Response> {
    let (thread, post, opening) = post_of(&ctx, &access, &person, thread_id, post_id).await?;
    may_edit(&person, &access, &post, ctx.state.clock.now())?;
    let form = PostForm {
        title: if opening {
            thread.title.clone()
        } else {
            String::new()
        },
        body: post.body.clone(),
    };
    edit_page(
        &ctx,
        &person,
        &access,
        thread,
        &post,
        opening,
        form,
        FormErrors::default(),
    )
    .await
}

/// The author edits their post within [`policy::COHORT_EDIT_WINDOW`] (the opening post's thread title too).
async fn update(
    Writing(ctx, person, access): Writing<Access>,
    Path((slug, thread_id, post_id)): Path<(String, i64, i64)>,
    Form(form): Form<PostForm>,
) -> AppResult<Response> {
    let (thread, post, opening) = post_of(&ctx, &access, &person, thread_id, post_id).await?;
    let now = ctx.state.clock.now();
    may_edit(&person, &access, &post, now)?;
    let mut check = FIELDS.check();
    let title = if opening {
        check.text("title", &form.title)
    } else {
        String::new()
    };
    let body = check.text("body", &form.body);
    if let Err(errors) = check.finish() {
        let kept = kept(&form);
        return edit_page(&ctx, &person, &access, thread, &post, opening, kept, errors).await;
    }
    let mut tx = ctx.state.begin_write().await?;
    // The door again, in the write: removed, deactivated or lapsed meanwhile, nothing lands.
    door::again(&mut tx, &person, &access, Level::Write).await?;
    // The window is checked again in the write: the clock may have passed it meanwhile.
    let done = sqlx::query(
        "UPDATE cohort_posts SET body = $1, edited_at = $2 \
         WHERE id = $3 AND author_id = $4 AND hidden_at IS NULL AND created_at > $5",
    )
    .bind(&body)
    .bind(now)
    .bind(post.id)
    .bind(person.id)
    .bind(now - policy::COHORT_EDIT_WINDOW)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        tx.rollback().await?;
        // The clock passed the window (or a facilitator hid it) since the check above.
        let why = policy::cohort_edit_refusal(
            &person,
            access.standing,
            post.author_id,
            post.hidden_at.is_some(),
            post.created_at,
            now.max(post.created_at + policy::COHORT_EDIT_WINDOW),
        )
        .unwrap_or("This post can no longer be edited.");
        return Err(AppError::NoAccess(why.to_owned()));
    }
    if opening {
        sqlx::query("UPDATE cohort_threads SET title = $1 WHERE id = $2")
            .bind(&title)
            .bind(thread.id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    ctx.flash("Your post is updated.").await?;
    Ok(web::see_other(&format!(
        "/cohorts/{slug}/discussion/{}#post-{}",
        thread.id, post.id
    )))
}

async fn hide(
    Steering(ctx, person, access): Steering<Access>,
    Path((slug, thread_id, post_id)): Path<(String, i64, i64)>,
) -> AppResult<Response> {
    moderate(ctx, person, access, slug, thread_id, post_id, true).await
}

async fn restore(
    Steering(ctx, person, access): Steering<Access>,
    Path((slug, thread_id, post_id)): Path<(String, i64, i64)>,
) -> AppResult<Response> {
    moderate(ctx, person, access, slug, thread_id, post_id, false).await
}

/// Hides a post from the cohort's members, or shows it again; the opening post takes its
/// thread with it. Guarded: a second click changes nothing and logs nothing.
async fn moderate(
    ctx: web::Ctx,
    person: Person,
    access: Access,
    slug: String,
    thread_id: i64,
    post_id: i64,
    hiding: bool,
) -> AppResult<Response> {
    let (thread, post, opening) = post_of(&ctx, &access, &person, thread_id, post_id).await?;
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let done = if hiding {
        sqlx::query(
            "UPDATE cohort_posts SET hidden_at = $1, hidden_by = $2 \
             WHERE id = $3 AND hidden_at IS NULL",
        )
        .bind(now)
        .bind(person.id)
        .bind(post.id)
        .execute(&mut *tx)
        .await?
    } else {
        sqlx::query(
            "UPDATE cohort_posts SET hidden_at = NULL, hidden_by = NULL \
             WHERE id = $1 AND hidden_at IS NOT NULL",
        )
        .bind(post.id)
        .execute(&mut *tx)
        .await?
    };
    if done.rows_affected() == 1 {
        if opening {
            sqlx::query("UPDATE cohort_threads SET hidden_at = $1 WHERE id = $2")
                .bind(hiding.then_some(now))
                .bind(thread.id)
                .execute(&mut *tx)
                .await?;
        }
        audit::record(
            &mut tx,
            now,
            person.id,
            if hiding {
                "cohort.post_hidden"
            } else {
                "cohort.post_restored"
            },
            audit::Subject {
                person_id: Some(post.author_id),
                city_id: None,
                detail: &format!(
                    "{}: {} (post {})",
                    access.cohort.name, thread.title, post.id
                ),
            },
        )
        .await?;
    }
    tx.commit().await?;
    ctx.flash(match (hiding, opening) {
        (true, true) => "The thread is hidden: members no longer see it.",
        (true, false) => "The post is hidden: members no longer see it.",
        (false, true) => "The thread is restored: members see it again.",
        (false, false) => "The post is restored: members see it again.",
    })
    .await?;
    Ok(web::see_other(&format!(
        "/cohorts/{slug}/discussion/{}#post-{}",
        thread.id, post.id
    )))
}
