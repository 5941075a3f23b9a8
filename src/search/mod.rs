//! The portal's one search index. Every area writes a [`Doc`] for each thing a person may
//! find, with who may find it ([`Access`]), in the transaction of the change that makes or
//! alters the thing ([`put`]), and takes it out when the thing goes or may no longer be found
//! ([`remove`]). Staff find every document; everyone else only what an [`Access`] row admits.
//! Never index what a reader must not see through any door (an internal note, a hidden post,
//! a draft): the index holds only text that its access rows may show.

use sqlx::AnyConnection;

/// What kind of thing a document is (its table): "news", "page", "thread" (with its
/// replies), "resource", "meeting", "publication", "request".
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
    /// Found only from this instant (a post scheduled for later); 0: at once.
    pub visible_from: i64,
    /// Who may find it; empty means staff only.
    pub access: Vec<Access>,
}

/// Text in Unicode's composed form (NFC), as the index holds and is asked.
fn nfc(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfc().collect()
}

/// The document's tokens in the index's `tags` column: its kind and who may find it. A reader
/// asks for theirs ([`reader_tags`]) with the words; no typed word reaches this column.
pub fn tags(kind: &str, access: &[Access]) -> String {
    let mut out = format!("zkind{kind}");
    for a in access {
        out.push(' ');
        out.push_str(&access_tag(*a));
    }
    out
}

fn access_tag(a: Access) -> String {
    match a {
        Access::Public => "zpublic".to_owned(),
        Access::Members => "zmembers".to_owned(),
        Access::Cohort(id) => format!("zcohort{id}"),
        Access::City(id) => format!("zcity{id}"),
    }
}

/// Writes (or rewrites) a document and who may find it, on the change's own connection.
pub async fn put(conn: &mut AnyConnection, doc: &Doc) -> sqlx::Result<()> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO search_docs (kind, ref_id, title, body, url, context, at, visible_from, tags) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (kind, ref_id) DO UPDATE SET title = excluded.title, body = excluded.body, \
         url = excluded.url, context = excluded.context, at = excluded.at, \
         visible_from = excluded.visible_from, tags = excluded.tags \
         RETURNING id",
    )
    .bind(doc.kind)
    .bind(doc.ref_id)
    .bind(nfc(&doc.title))
    .bind(nfc(&doc.body))
    .bind(&doc.url)
    .bind(&doc.context)
    .bind(doc.at)
    .bind(doc.visible_from)
    .bind(tags(doc.kind, &doc.access))
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
    /// Plain text with [`MARK_START`] / [`MARK_END`] around the matches.
    pub snippet: String,
    /// Its place in the order asked (the rank, or the date), for the next page's cursor.
    pub key: f64,
    /// Whether the SQL access check admits it (rows that fail are never shown).
    ok: i64,
}

impl Found {
    /// The kind in words: "Request", "Thread"…
    pub fn kind_label(&self) -> &'static str {
        label(&self.kind)
    }

    /// The snippet as safe HTML, `<mark>` around the matches.
    pub fn snippet_html(&self) -> String {
        marked_html(&self.snippet)
    }

    /// The snippet as plain text, without the marks.
    pub fn snippet_text(&self) -> String {
        self.snippet.replace([MARK_START, MARK_END], "")
    }
}

/// Every kind of document, in the order the search page offers them. (A thread's document
/// holds its replies.)
pub const KINDS: [Kind; 7] = [
    "news",
    "publication",
    "thread",
    "resource",
    "meeting",
    "request",
    "page",
];

/// The words of a kind.
pub fn label(kind: &str) -> &'static str {
    match kind {
        "news" => "News",
        "page" => "Page",
        "thread" => "Discussion",
        "resource" => "Resource",
        "meeting" => "Meeting",
        "publication" => "Publication",
        "request" => "Assistance request",
        _ => "Other",
    }
}

/// The order of results: best match first (the default), or newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    Best,
    Newest,
}

/// Where the next page of results starts: after the result with this key (rank or date) and
/// id. Written in a link as `key~id`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub key: f64,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}~{}", self.key, self.id)
    }

    /// A cursor from a link; `None` for anything that is not one (the first page is shown).
    pub fn parse(text: &str) -> Option<Cursor> {
        let (key, id) = text.split_once('~')?;
        let key: f64 = key.parse().ok().filter(|k: &f64| k.is_finite())?;
        Some(Cursor {
            key,
            id: id.parse().ok()?,
        })
    }
}

/// What a search asks: the words as typed, the kinds (none: every kind), the order, where the
/// page starts, how many.
#[derive(Debug, Clone, Default)]
pub struct Query<'a> {
    pub q: &'a str,
    pub kinds: &'a [&'a str],
    pub order: Order,
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// A page of results and where the next one starts (`None`: this is the last).
#[derive(Debug, Default)]
pub struct Results {
    pub found: Vec<Found>,
    pub next: Option<Cursor>,
}

/// The documents matching `query` that `reader` may open, in the order asked, a page at a
/// time; on SQLite by FTS5's bm25 (each word quoted: no query syntax reaches FTS5), on
/// PostgreSQL by `ts_rank` over `websearch_to_tsquery` (which accepts anything typed). The
/// access check is in the query itself (`search_admits!`), so what the reader may not open
/// is neither returned nor counted.
pub async fn find(
    state: &crate::state::AppState,
    reader: Option<&crate::viewer::Person>,
    query: &Query<'_>,
) -> sqlx::Result<Results> {
    let scope = crate::policy::search_scope(reader);
    // Composed as the documents are, so that "A\u{301}gua" finds "Água" on both databases;
    // accents count ("agua" is another word) and case does not.
    let q: String = nfc(&query.q.chars().take(500).collect::<String>());
    let kinds: Vec<&str> = query
        .kinds
        .iter()
        .copied()
        .filter(|k| KINDS.contains(k))
        .collect();
    // One more than the page, to know whether another follows.
    let limit = query.limit.clamp(1, 100);
    let mut rows = match state.backend {
        crate::db::Backend::Sqlite => {
            sqlite::find(state, &scope, &q, &kinds, query, limit + 1).await?
        }
        crate::db::Backend::Postgres => {
            postgres::find(state, &scope, &q, &kinds, query, limit + 1).await?
        }
    };
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|f| Cursor {
            key: f.key,
            id: f.id,
        })
    } else {
        None
    };
    rows.retain(|f| f.ok == 1);
    Ok(Results { found: rows, next })
}

/// A search statement whose result is [`Found`] rows.
type FoundQuery<'q> = sqlx::query::QueryAs<'q, sqlx::Any, Found, sqlx::any::AnyArguments>;

/// Binds what every search statement shares after its match (`$1`): `$2` now, `$3`..`$7` the
/// reader's scope (as `search_admits!` reads it), `$8`..`$10` the cursor (whether, key, id)
/// and `$11` how many rows.
fn bind_page<'q>(
    q: FoundQuery<'q>,
    now: i64,
    s: &crate::policy::SearchScope,
    after: Option<Cursor>,
    limit: i64,
) -> FoundQuery<'q> {
    q.bind(now)
        .bind(s.all)
        .bind(s.members)
        .bind(s.city)
        .bind(s.cohorts)
        .bind(s.person)
        .bind(i64::from(after.is_some()))
        .bind(after.map_or(0.0, |c| c.key))
        .bind(after.map_or(0, |c| c.id))
        .bind(limit)
}

pub mod page;
mod postgres;
pub(crate) mod sqlite;

/// Rebuilds the index from what the database holds, every area's documents in one write. The
/// count of documents the index holds after.
pub async fn reindex(state: &crate::state::AppState) -> sqlx::Result<u64> {
    let mut tx = state.begin_write().await?;
    // On PostgreSQL, writers wait for the rebuild (SQLite's write lock does so already), so
    // that no document written meanwhile is lost between the copies and the delete.
    if state.backend == crate::db::Backend::Postgres {
        sqlx::query("LOCK TABLE search_docs IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM search_docs")
        .execute(&mut *tx)
        .await?;
    crate::news::search::reindex(&mut tx).await?;
    crate::pages::reindex(&mut tx).await?;
    crate::meetings::search::reindex(&mut tx).await?;
    crate::assistance::reindex(&mut tx).await?;
    crate::cohorts::search::reindex(&mut tx).await?;
    crate::publications::reindex(&mut tx).await?;
    in_date_order(&mut tx).await?;
    // SQLite's full-text index, after a delete and a write of every document, holds their
    // deletions as entries of their own until merged: built again from the documents, it
    // holds each once (`water` over 17,000 documents: 493 req/s before, 583 after, one run each).
    if state.backend == crate::db::Backend::Sqlite {
        sqlx::query("INSERT INTO search_fts (search_fts) VALUES ('rebuild')")
            .execute(&mut *tx)
            .await?;
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM search_docs")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(n.max(0) as u64)
}

/// Writes the documents again oldest first, so that their numbers follow their dates as
/// normal writes leave them (best match ranks a reader's most recent matches by number; a
/// rebuild writes area by area). Done in the database, from copies of the two tables.
async fn in_date_order(conn: &mut AnyConnection) -> sqlx::Result<()> {
    for sql in [
        "CREATE TEMPORARY TABLE search_docs_old AS SELECT * FROM search_docs",
        "CREATE TEMPORARY TABLE search_access_old AS SELECT * FROM search_access",
        "DELETE FROM search_docs",
        "INSERT INTO search_docs (kind, ref_id, title, body, url, context, at, visible_from, tags) \
         SELECT kind, ref_id, title, body, url, context, at, visible_from, tags \
         FROM search_docs_old ORDER BY at, id",
        "INSERT INTO search_access (doc_id, scope, scope_id) \
         SELECT d.id, a.scope, a.scope_id FROM search_access_old a \
         JOIN search_docs_old o ON o.id = a.doc_id \
         JOIN search_docs d ON d.kind = o.kind AND d.ref_id = o.ref_id",
        "DROP TABLE search_access_old",
        "DROP TABLE search_docs_old",
    ] {
        sqlx::query(sql).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Marks around matches in snippets, replaced by `<mark>` after the text is escaped.
pub const MARK_START: char = '\u{1}';
pub const MARK_END: char = '\u{2}';

/// A snippet with [`MARK_START`] / [`MARK_END`] around its matches as safe HTML: escaped, with
/// `<mark>` around the matches.
pub fn marked_html(snippet: &str) -> String {
    {
        let mut out = String::with_capacity(snippet.len() + 16);
        for c in snippet.chars() {
            match c {
                MARK_START => out.push_str("<mark>"),
                MARK_END => out.push_str("</mark>"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c => out.push(c),
            }
        }
        out
    }
}

/// The words of a query, as FTS5 sees safe: each word quoted, at most 16 words.
pub fn fts5_query(q: &str) -> String {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{}\"", w.chars().take(60).collect::<String>()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::fts5_query;

    #[test]
    fn any_typed_query_becomes_quoted_words() {
        assert_eq!(fts5_query("\"annual meeting"), "\"annual\" \"meeting\"");
        assert_eq!(
            fts5_query("water AND NOT (x OR y*)"),
            "\"water\" \"AND\" \"NOT\" \"x\" \"OR\" \"y\""
        );
        assert_eq!(fts5_query("*** ---"), "");
    }
}
