//! A post taken back: unpublished to the drafts, or deleted after a confirmation.

use askama::Template;
use axum::{extract::Path, response::Response};
use sqlx::AnyConnection;

use super::stored;
use crate::{
    error::AppResult,
    news::search,
    policy,
    web::{self, Layout, Staff},
};

async fn set_status_draft(conn: &mut AnyConnection, id: i64, now: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE posts SET status = 'draft', publish_at = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE post_topics SET status = 'draft', publish_at = NULL WHERE post_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    search::remove(conn, id).await?;
    Ok(done.rows_affected())
}

/// The question before a published or scheduled post goes back to the drafts.
pub(super) async fn unpublish_form(
    Staff(ctx, person): Staff,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let post = stored(&ctx, id).await?;
    Ok(web::confirm::Confirm {
        layout: ctx.layout().await,
        title: format!("Unpublish: {}", post.title),
        heading: format!("Take “{}” offline?", post.title),
        explanation: "The post goes back to the drafts: readers no longer see it, and a scheduled time is dropped. Its text is kept. Changes not saved in the editor are not kept.".to_owned(),
        action: format!("/staff/news/{id}/unpublish"),
        button: "Unpublish".to_owned(),
        back: format!("/staff/news/{id}/edit"),
        back_label: "Keep it as it is".to_owned(),
        crumb: None,
        detail: None,
        note: None,
    }
    .render())
}

pub(super) async fn unpublish(
    Staff(ctx, person): Staff,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let post = stored(&ctx, id).await?;
    let mut tx = ctx.state.begin_write().await?;
    set_status_draft(&mut tx, id, ctx.state.clock.now()).await?;
    tx.commit().await?;
    ctx.flash(format!(
        "“{}” is unpublished and back among the drafts.",
        post.title
    ))
    .await?;
    Ok(web::see_other(&format!("/staff/news/{id}/edit")))
}

#[derive(Template)]
#[template(path = "news/staff_delete.html")]
struct DeletePage {
    layout: Layout,
    id: i64,
    title: String,
}

pub(super) async fn delete_form(
    Staff(ctx, person): Staff,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let post = stored(&ctx, id).await?;
    Ok(web::render(&DeletePage {
        layout: ctx.layout().await,
        id,
        title: post.title,
    }))
}

pub(super) async fn delete(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let post = stored(&ctx, id).await?;
    let mut tx = ctx.state.begin_write().await?;
    search::remove(&mut tx, id).await?;
    sqlx::query("DELETE FROM post_topics WHERE post_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM post_redirects WHERE post_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM posts WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    ctx.flash(format!("“{}” is deleted.", post.title)).await?;
    Ok(web::see_other("/staff/news"))
}
