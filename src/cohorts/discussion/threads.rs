//! The list of a cohort's threads, paged by newest activity, with each one's replies and
//! "New" count for the reader; the overview's latest threads and the member home's unread
//! count; and starting a thread, which emails the cohort's followers.

use askama::Template;
use axum::{
    extract::{Path, Query},
    response::Response,
};
use sqlx::AnyPool;

use super::{FIELDS, PostForm, joined_at, kept, mark_read};
use crate::{
    cohorts::{Access, Cohort, emails, mail_recipients, space},
    error::{AppError, AppResult},
    notify, policy,
    text::markdown,
    viewer::Person,
    web::{
        self, FormErrors, Layout,
        door::{self, Inside, Level, Writing},
        form::{self, Fields, Form},
        paging,
    },
};

/// Threads on a page of the discussion.
const PAGE: i64 = 20;

/// Threads on the cohort's overview.
const LATEST: i64 = 5;

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
    /// The first of them.
    pub first_new: Option<i64>,
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
    /// The thread's address; with new posts, at the first of them (the thread opens on the
    /// page that holds it).
    pub fn href(&self, slug: &str) -> String {
        match self.first_new {
            Some(post) => format!("/cohorts/{slug}/discussion/{}#post-{post}", self.id),
            None => format!("/cohorts/{slug}/discussion/{}", self.id),
        }
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
                 WHERE r.thread_id = t.id AND r.person_id = $2), $4)) AS new_posts, \
             (SELECT x.id FROM cohort_posts x WHERE x.thread_id = t.id \
               AND x.hidden_at IS NULL AND x.author_id <> $2 \
               AND x.created_at > COALESCE((SELECT r.read_at FROM cohort_reads r \
                 WHERE r.thread_id = t.id AND r.person_id = $2), $4) \
               ORDER BY x.created_at, x.id LIMIT 1) AS first_new \
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

pub(super) async fn list(
    Inside(ctx, person, access): Inside<Access>,
    Query(q): Query<paging::PageQuery>,
) -> AppResult<Response> {
    let request = q.request(paging::Order::Descending, PAGE)?;
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

/// Starts a thread: its title and opening post, and an email to every follower who may
/// enter the cohort.
pub(super) async fn create(
    Writing(ctx, person, access): Writing<Access>,
    Path(slug): Path<String>,
    Form(form): Form<PostForm>,
) -> AppResult<Response> {
    let mut check = FIELDS.check();
    let title = check.text("title", &form.title);
    let body = check.markdown("body", &form.body).await;
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
        "INSERT INTO cohort_posts (thread_id, author_id, body, body_html, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(thread_id)
    .bind(person.id)
    .bind(&body.source)
    .bind(&body.html)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    mark_read(&mut tx, thread_id, person.id, now).await?;
    crate::cohorts::search::index_thread(&mut tx, thread_id).await?;
    let link = format!(
        "{}/cohorts/{}/discussion/{thread_id}",
        ctx.state.config.base(),
        cohort.slug
    );
    let org_name = crate::web::identity::org_name_on(&mut tx, &ctx.state).await?;
    for to in mail_recipients(&mut tx, cohort, person.id).await? {
        let email = emails::NewThread {
            org_name: org_name.clone(),
            name: to.name.clone(),
            author_name: person.name.clone(),
            author_city: person.city_label(),
            cohort_name: cohort.name.clone(),
            title: title.clone(),
            body: markdown::plain(&body.source),
            body_html: body.html.clone(),
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
