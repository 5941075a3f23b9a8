//! News in the portal's one search: a published post is a document ("news") for everyone, or
//! for members when it is members-only, found from its publication time; a draft is not in
//! the index. Written in the transaction of every change to the post.

use sqlx::AnyConnection;

use super::write::{PostInput, PostState};
use crate::search::{self, Access, Doc};

/// Writes the post's document, or takes it out when the post is not published.
pub async fn index(
    conn: &mut AnyConnection,
    id: i64,
    post: &PostInput<'_>,
    text: &str,
) -> sqlx::Result<()> {
    if post.state != PostState::Published {
        return remove(conn, id).await;
    }
    let at = post.publish_at.unwrap_or(0);
    search::put(
        conn,
        &doc(id, post.slug, post.title, text, at, post.members_only),
    )
    .await
}

/// A published post's document: found from its publication time, by everyone or members.
fn doc(id: i64, slug: &str, title: &str, body: &str, at: i64, members_only: bool) -> Doc {
    Doc {
        kind: "news",
        ref_id: id,
        title: title.to_owned(),
        body: body.to_owned(),
        url: format!("/news/{slug}"),
        context: String::new(),
        at,
        visible_from: at,
        access: vec![if members_only {
            Access::Members
        } else {
            Access::Public
        }],
    }
}

/// Takes the post out of the index (unpublished, deleted).
pub async fn remove(conn: &mut AnyConnection, id: i64) -> sqlx::Result<()> {
    search::remove(conn, "news", id).await
}

/// Every published post's document (for `portal reindex`).
pub async fn reindex(conn: &mut AnyConnection) -> sqlx::Result<()> {
    let posts: Vec<(i64, String, String, String, i64, crate::db::Flag)> = sqlx::query_as(
        "SELECT id, slug, title, body_text, COALESCE(publish_at, created_at), members_only \
         FROM posts WHERE status = 'published'",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (id, slug, title, body, at, members_only) in posts {
        search::put(conn, &doc(id, &slug, &title, &body, at, members_only.get())).await?;
    }
    Ok(())
}
