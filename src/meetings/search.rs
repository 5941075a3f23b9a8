//! Meetings in the portal's one search: an announced meeting (any status but draft, as
//! `policy::can_see_meeting` shows it to everyone) is a public document with its host city,
//! venue and description; a draft is not in the index. Written with every save.

use sqlx::AnyConnection;

use crate::search::{self, Access, Doc};

pub async fn index(conn: &mut AnyConnection, id: i64) -> sqlx::Result<()> {
    let meeting: Option<(String, String, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT slug, title, host_city, venue, description, status, starts_at \
             FROM meetings WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((slug, title, host, venue, description, status, starts)) = meeting else {
        return search::remove(conn, "meeting", id).await;
    };
    if status == "draft" {
        return search::remove(conn, "meeting", id).await;
    }
    let body = format!(
        "{host}\n{venue}\n{}",
        crate::text::markdown::plain(&description)
    );
    search::put(
        conn,
        &Doc {
            kind: "meeting",
            ref_id: id,
            title,
            body,
            url: format!("/meetings/{slug}"),
            context: host,
            at: starts,
            visible_from: 0,
            access: vec![Access::Public],
        },
    )
    .await
}

/// Every meeting's document (for `portal reindex`).
pub async fn reindex(conn: &mut AnyConnection) -> sqlx::Result<()> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM meetings")
        .fetch_all(&mut *conn)
        .await?;
    for id in ids {
        index(conn, id).await?;
    }
    Ok(())
}
