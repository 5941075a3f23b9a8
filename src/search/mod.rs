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

/// Text in Unicode's composed form (NFC), as the index holds and is asked.
fn nfc(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfc().collect()
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
    .bind(nfc(&doc.title))
    .bind(nfc(&doc.body))
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

/// One thing found, as the search page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Found {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub url: String,
    pub context: String,
    pub at: i64,
    /// Plain text with [`crate::news::search::MARK_START`] / `MARK_END` around the matches.
    pub snippet: String,
}

impl Found {
    /// The kind in words: "Request", "Thread"…
    pub fn kind_label(&self) -> &'static str {
        label(&self.kind)
    }

    /// The snippet as safe HTML, `<mark>` around the matches.
    pub fn snippet_html(&self) -> String {
        crate::news::search::marked_html(&self.snippet)
    }
}

/// The words of a kind.
pub fn label(kind: &str) -> &'static str {
    match kind {
        "news" => "News",
        "page" => "Page",
        "thread" => "Thread",
        "reply" => "Reply",
        "resource" => "Resource",
        "meeting" => "Meeting",
        "publication" => "Publication",
        "request" => "Assistance request",
        _ => "Other",
    }
}

pub use crate::news::search::{MARK_END, MARK_START};

/// What a search asks: the words as typed, the kinds (`"thread,resource"`) or every kind
/// (`""`), how many.
pub struct Query<'a> {
    pub q: &'a str,
    pub kind: &'a str,
    pub limit: i64,
}

/// The documents matching `query` that `reader` may open, best first; on SQLite by FTS5's
/// bm25 (each word quoted: no query syntax reaches FTS5), on PostgreSQL by `ts_rank` over
/// `websearch_to_tsquery` (which accepts anything typed). The access check is in the query
/// itself, so what the reader may not open is neither returned nor counted.
pub async fn find(
    state: &crate::state::AppState,
    reader: Option<&crate::viewer::Person>,
    query: &Query<'_>,
) -> sqlx::Result<Vec<Found>> {
    let scope = crate::policy::search_scope(reader);
    // Composed as the documents are, so that "A\u{301}gua" finds "Água" on both databases;
    // accents count ("agua" is another word) and case does not.
    let q: String = nfc(&query.q.chars().take(500).collect::<String>());
    match state.backend {
        crate::db::Backend::Sqlite => find_sqlite(state, &scope, &q, query).await,
        crate::db::Backend::Postgres => find_postgres(state, &scope, &q, query).await,
    }
}

async fn find_sqlite(
    state: &crate::state::AppState,
    s: &crate::policy::SearchScope,
    q: &str,
    query: &Query<'_>,
) -> sqlx::Result<Vec<Found>> {
    let matched = crate::news::search::fts5_query(q);
    if matched.is_empty() {
        return Ok(Vec::new());
    }
    // Ranked from the full-text index first, filtered by who may open each, then snippets
    // for the page of results only.
    let mut found: Vec<Found> = sqlx::query_as(concat!(
        "WITH hits AS MATERIALIZED (SELECT rowid AS id, bm25(search_fts, 5.0, 1.0) AS score \
           FROM search_fts WHERE search_fts MATCH $1) \
         SELECT d.id, d.kind, d.title, d.url, d.context, d.at, '' AS snippet \
         FROM hits CROSS JOIN search_docs d ON d.id = hits.id \
         WHERE d.visible_from <= $2 AND ($3 = '' OR (',' || $3 || ',') LIKE ('%,' || d.kind || ',%')) AND ",
        crate::search_admits!("$4", "$5", "$6", "$7", "$8"),
        " ORDER BY hits.score, d.at DESC, d.id LIMIT $9"
    ))
    .bind(&matched)
    .bind(state.clock.now())
    .bind(query.kind)
    .bind(s.all)
    .bind(s.members)
    .bind(s.city)
    .bind(s.cohorts)
    .bind(s.person)
    .bind(query.limit)
    .fetch_all(&state.pool)
    .await?;
    if found.is_empty() {
        return Ok(found);
    }
    let ids = format!(
        "[{}]",
        found
            .iter()
            .map(|f| f.id.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let snippets: Vec<(i64, String)> = sqlx::query_as(
        "SELECT rowid, snippet(search_fts, 1, char(1), char(2), '…', 24) FROM search_fts \
         WHERE search_fts MATCH $1 AND rowid IN (SELECT value FROM json_each($2))",
    )
    .bind(&matched)
    .bind(ids)
    .fetch_all(&state.pool)
    .await?;
    for f in &mut found {
        if let Some((_, s)) = snippets.iter().find(|(id, _)| *id == f.id) {
            f.snippet = s.clone();
        }
    }
    Ok(found)
}

async fn find_postgres(
    state: &crate::state::AppState,
    s: &crate::policy::SearchScope,
    q: &str,
    query: &Query<'_>,
) -> sqlx::Result<Vec<Found>> {
    let q = q.replace('\0', " ");
    if q.trim().is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(concat!(
        "SELECT d.id, d.kind, d.title, d.url, d.context, d.at, \
           ts_headline('english', d.body, query, 'StartSel=' || chr(1) || ', StopSel=' || chr(2) || ', MaxWords=30, MinWords=12, ShortWord=2') AS snippet \
         FROM search_docs d, websearch_to_tsquery('english', $1) query \
         WHERE d.vector @@ query AND d.visible_from <= $2 AND ($3 = '' OR (',' || $3 || ',') LIKE ('%,' || d.kind || ',%')) AND ",
        crate::search_admits!("$4", "$5", "$6", "$7", "$8"),
        " ORDER BY ts_rank(d.vector, query) DESC, d.at DESC, d.id LIMIT $9"
    ))
    .bind(q)
    .bind(state.clock.now())
    .bind(query.kind)
    .bind(s.all)
    .bind(s.members)
    .bind(s.city)
    .bind(s.cohorts)
    .bind(s.person)
    .bind(query.limit)
    .fetch_all(&state.pool)
    .await
}

/// Rebuilds the index from what the database holds, every area's documents in one write. The
/// count of documents the index holds after.
pub async fn reindex(state: &crate::state::AppState) -> sqlx::Result<u64> {
    let mut tx = state.begin_write().await?;
    sqlx::query(
        "DELETE FROM search_docs WHERE kind IN ('request', 'thread', 'resource', 'publication')",
    )
    .execute(&mut *tx)
    .await?;
    crate::assistance::reindex(&mut tx).await?;
    crate::cohorts::search::reindex(&mut tx).await?;
    crate::publications::reindex(&mut tx).await?;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM search_docs")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(n.max(0) as u64)
}
