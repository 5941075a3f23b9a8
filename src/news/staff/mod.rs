//! Staff publishing: drafts, scheduled and published posts; create, edit, preview, publish
//! now or at a chosen time, unpublish, delete with confirmation; topics.
//!
//! Here: the routes and the stored post the parts read. The desk's list is in `list`, the
//! editor's form in `editor` and what its buttons save in `save`, previews in `preview`,
//! unpublishing and deleting in `lifecycle`, topics in `topics`.

use axum::{
    Router,
    routing::{get, post},
};

use super::write::PostState;
use crate::{
    error::{AppError, AppResult},
    state::AppState,
    web::Ctx,
};

mod editor;
mod lifecycle;
mod list;
mod preview;
mod save;
mod topics;

pub use editor::FIELDS;
pub use list::waiting_counts;
pub use topics::TOPIC_FIELDS;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/news", get(list::list).post(editor::create))
        .route("/staff/news/new", get(editor::new_form))
        .route("/staff/news/{id}", post(editor::update))
        .route("/staff/news/{id}/edit", get(editor::edit_form))
        .route("/staff/news/{id}/preview", get(preview::preview))
        .route(
            "/staff/news/{id}/unpublish",
            get(lifecycle::unpublish_form).post(lifecycle::unpublish),
        )
        .route(
            "/staff/news/{id}/delete",
            get(lifecycle::delete_form).post(lifecycle::delete),
        )
        .route("/staff/preview", post(preview::preview_fragment))
        .route(
            "/staff/topics",
            get(topics::topics).post(topics::create_topic),
        )
        .route("/staff/topics/{id}", post(topics::rename_topic))
        .route("/staff/topics/{id}/delete", post(topics::delete_topic))
}

#[derive(sqlx::FromRow)]
struct Stored {
    slug: String,
    title: String,
    excerpt: String,
    body_md: String,
    status: PostState,
    publish_at: Option<i64>,
    members_only: crate::db::Flag,
    guest_byline: String,
    cover_image_id: Option<i64>,
    cover_alt: String,
}

async fn stored(ctx: &Ctx, id: i64) -> AppResult<Stored> {
    sqlx::query_as::<_, Stored>(
        "SELECT slug, title, excerpt, body_md, status, publish_at, members_only, guest_byline, cover_image_id, cover_alt FROM posts WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&ctx.state.pool)
    .await?
    .ok_or(AppError::NotFound)
}
