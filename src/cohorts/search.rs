//! The cohorts' part of the portal's one search index: a document per visible thread (its
//! title, and the text of its visible posts, the replies included) and per resource (title,
//! note, file name), each for the cohort's members ([`Access::Cohort`]), written in the
//! transaction of every change to them. A hidden thread or post leaves the index with its
//! hiding. `/search` finds them as the one access check (`policy::search_scope`) admits: the
//! reader's own cohorts while their city is active, every cohort for staff.

use sqlx::AnyConnection;

use crate::{
    search::{self, Access, Doc},
    text::markdown,
};

/// Writes (or removes, when it is gone or hidden) the document of thread `id`.
pub async fn index_thread(conn: &mut AnyConnection, id: i64) -> sqlx::Result<()> {
    let thread: Option<(i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT t.cohort_id, t.title, c.slug, c.name, t.last_post_at FROM cohort_threads t \
         JOIN cohorts c ON c.id = t.cohort_id WHERE t.id = $1 AND t.hidden_at IS NULL",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((cohort_id, title, slug, cohort_name, at)) = thread else {
        return search::remove(conn, "thread", id).await;
    };
    let posts: Vec<String> = sqlx::query_scalar(
        "SELECT body FROM cohort_posts WHERE thread_id = $1 AND hidden_at IS NULL ORDER BY created_at, id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let body = posts
        .iter()
        .map(|p| markdown::Rendered::now(p).text)
        .collect::<Vec<_>>()
        .join("\n\n");
    search::put(
        conn,
        &Doc {
            kind: "thread",
            ref_id: id,
            title,
            body,
            url: format!("/cohorts/{slug}/discussion/{id}"),
            context: cohort_name,
            at,
            visible_from: 0,
            access: vec![Access::Cohort(cohort_id)],
        },
    )
    .await
}

/// A resource as its document needs it: cohort, title, note, file name, the cohort's slug and
/// name, its time.
type ResourceRow = (i64, String, String, Option<String>, String, String, i64);

/// Writes (or removes, when it is gone) the document of resource `id`.
pub async fn index_resource(conn: &mut AnyConnection, id: i64) -> sqlx::Result<()> {
    let resource: Option<ResourceRow> = sqlx::query_as(
        "SELECT r.cohort_id, r.title, r.note, f.name, c.slug, c.name, r.created_at \
             FROM cohort_resources r JOIN cohorts c ON c.id = r.cohort_id \
             LEFT JOIN files f ON f.id = r.file_id WHERE r.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((cohort_id, title, note, file, slug, cohort_name, at)) = resource else {
        return search::remove(conn, "resource", id).await;
    };
    let mut body = markdown::Rendered::now(&note).text;
    if let Some(file) = file {
        body.push_str("\n\n");
        body.push_str(&file);
    }
    search::put(
        conn,
        &Doc {
            kind: "resource",
            ref_id: id,
            title,
            body,
            url: format!("/cohorts/{slug}/resources"),
            context: cohort_name,
            at,
            visible_from: 0,
            access: vec![Access::Cohort(cohort_id)],
        },
    )
    .await
}

/// Rewrites every document of a cohort (after its name or address changed).
pub async fn index_cohort(conn: &mut AnyConnection, cohort_id: i64) -> sqlx::Result<u64> {
    let threads: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM cohort_threads WHERE cohort_id = $1")
            .bind(cohort_id)
            .fetch_all(&mut *conn)
            .await?;
    let resources: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM cohort_resources WHERE cohort_id = $1")
            .bind(cohort_id)
            .fetch_all(&mut *conn)
            .await?;
    for id in &threads {
        index_thread(conn, *id).await?;
    }
    for id in &resources {
        index_resource(conn, *id).await?;
    }
    Ok((threads.len() + resources.len()) as u64)
}

/// Every cohort's documents (for `portal reindex`).
pub async fn reindex(conn: &mut AnyConnection) -> sqlx::Result<u64> {
    let cohorts: Vec<i64> = sqlx::query_scalar("SELECT id FROM cohorts ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    let mut n = 0;
    for id in cohorts {
        n += index_cohort(conn, id).await?;
    }
    Ok(n)
}
