//! The portal's one search index. Every area writes a [`Doc`] for each thing a person may
//! find, with who may find it ([`Access`]), in the transaction of the change that makes or
//! alters the thing ([`put`]), and takes it out when the thing goes or may no longer be found
//! ([`remove`]). Staff find every document; everyone else only what an [`Access`] row admits.
//! Never index what a reader must not see through any door (an internal note, a hidden post,
//! a draft): the index holds only text that its access rows may show.

use sqlx::AnyConnection;

/// What kind of thing a document is (its table): "news", "page", "thread", "reply",
/// "resource", "meeting", "publication", "request".
pub type Kind = &'static str;

/// Who may find a document, besides staff (who find all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Everyone, logged in or not.
    Public,
    /// The people of active member cities.
    Members,
    /// The members of this cohort (as `policy` lets them enter it).
    Cohort(i64),
    /// The people of this city, while it is active.
    City(i64),
}

impl Access {
    fn parts(self) -> (&'static str, i64) {
        match self {
            Access::Public => ("public", 0),
            Access::Members => ("members", 0),
            Access::Cohort(id) => ("cohort", id),
            Access::City(id) => ("city", id),
        }
    }
}

/// One searchable thing.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub kind: Kind,
    /// Its id in its own table.
    pub ref_id: i64,
    pub title: String,
    /// Its text as plain text (Markdown made plain), what the search matches and quotes.
    pub body: String,
    /// Where it is read.
    pub url: String,
    /// Where it sits, shown beside the result: the cohort's name, the city's…
    pub context: String,
    /// Its date (Unix seconds, UTC), shown and used to order.
    pub at: i64,
    /// Who may find it; empty means staff only.
    pub access: Vec<Access>,
}

/// Writes (or rewrites) a document and who may find it, on the change's own connection.
pub async fn put(conn: &mut AnyConnection, doc: &Doc) -> sqlx::Result<()> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO search_docs (kind, ref_id, title, body, url, context, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (kind, ref_id) DO UPDATE SET title = excluded.title, body = excluded.body, \
         url = excluded.url, context = excluded.context, at = excluded.at \
         RETURNING id",
    )
    .bind(doc.kind)
    .bind(doc.ref_id)
    .bind(&doc.title)
    .bind(&doc.body)
    .bind(&doc.url)
    .bind(&doc.context)
    .bind(doc.at)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM search_access WHERE doc_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for access in &doc.access {
        let (scope, scope_id) = access.parts();
        sqlx::query(
            "INSERT INTO search_access (doc_id, scope, scope_id) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(scope)
        .bind(scope_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Takes a document out of the index (a thing deleted, hidden, unpublished); nothing when
/// it was not there.
pub async fn remove(conn: &mut AnyConnection, kind: Kind, ref_id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM search_docs WHERE kind = $1 AND ref_id = $2")
        .bind(kind)
        .bind(ref_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
