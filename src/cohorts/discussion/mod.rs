//! A cohort's discussion: threads (each opened by its first post) and replies, in Markdown
//! rendered sanitized; "New" marks from each person's last reading of a thread; editing
//! one's own post for 30 minutes; facilitators and staff hide and restore posts (hiding the
//! opening post hides the thread). New threads and replies are emailed, through the outbox,
//! to the followers who may enter the cohort (replies: to those who took part in the thread).
//! Every handler names its door (`Inside`, `Writing`, `Steering`), so none runs unchecked.
//!
//! This module holds what its parts share: the post form, the thread and post as the person
//! may see them, and the record of a reading. The list of threads and new ones are in
//! `threads`, a thread and its replies (in numbered pages) in `thread`, an author's edit in `edit`, hiding and
//! restoring in `moderation`.

use axum::{
    Router,
    routing::{get, post},
};
use serde::Deserialize;
use sqlx::AnyConnection;

use super::Access;
use crate::{
    error::{AppError, AppResult},
    policy,
    viewer::Person,
    web::{
        self,
        form::{Field, Fields},
    },
};

mod edit;
mod moderation;
mod thread;
mod threads;

pub use threads::{ThreadRow, latest, unread_threads};

pub fn router() -> Router<crate::state::AppState> {
    Router::new()
        .route(
            "/cohorts/{slug}/discussion",
            get(threads::list).post(threads::create),
        )
        .route(
            "/cohorts/{slug}/discussion/{thread_id}",
            get(thread::show).post(thread::reply),
        )
        .route(
            "/cohorts/{slug}/discussion/{thread_id}/posts/{post_id}",
            get(thread::post_at),
        )
        .route(
            "/cohorts/{slug}/discussion/{thread_id}/posts/{post_id}/edit",
            get(edit::edit_form).post(edit::update),
        )
        .route(
            "/cohorts/{slug}/discussion/{thread_id}/posts/{post_id}/hide",
            post(moderation::hide),
        )
        .route(
            "/cohorts/{slug}/discussion/{thread_id}/posts/{post_id}/restore",
            post(moderation::restore),
        )
}

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
