//! Search over published news, by SQLite FTS5 or PostgreSQL full-text search behind one
//! function. Later features add their content here with the same access check.

use sqlx::{AnyConnection, AnyPool};

use crate::{db::Backend, policy::PostScope, state::AppState};

/// Keeps a post's search entry in step with its title and plain-text body.
pub async fn index(
    conn: &mut AnyConnection,
    backend: Backend,
    post_id: i64,
    title: &str,
    body: &str,
) -> sqlx::Result<()> {
    match backend {
        Backend::Sqlite => {
            sqlx::query("DELETE FROM post_search WHERE rowid = $1")
                .bind(post_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("INSERT INTO post_search (rowid, title, body) VALUES ($1, $2, $3)")
                .bind(post_id)
                .bind(title)
                .bind(body)
                .execute(&mut *conn)
                .await?;
        }
        Backend::Postgres => {
            sqlx::query(
                "INSERT INTO post_search (post_id, vector) VALUES ($1, \
                   setweight(to_tsvector('english', $2), 'A') || setweight(to_tsvector('english', $3), 'B')) \
                 ON CONFLICT (post_id) DO UPDATE SET vector = excluded.vector",
            )
            .bind(post_id)
            .bind(title)
            .bind(body)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

pub async fn remove(conn: &mut AnyConnection, backend: Backend, post_id: i64) -> sqlx::Result<()> {
    let sql = match backend {
        Backend::Sqlite => "DELETE FROM post_search WHERE rowid = $1",
        Backend::Postgres => "DELETE FROM post_search WHERE post_id = $1",
    };
    sqlx::query(sql).bind(post_id).execute(conn).await?;
    Ok(())
}

/// Marks around matches in snippets, replaced by `<mark>` after the text is escaped.
pub const MARK_START: char = '\u{1}';
pub const MARK_END: char = '\u{2}';

/// A search result.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Hit {
    pub slug: String,
    pub title: String,
    pub publish_at: Option<i64>,
    /// Plain text with MARK_START/MARK_END around the matches.
    pub snippet: String,
}

impl Hit {
    /// The snippet as safe HTML: escaped, with `<mark>` around matches.
    pub fn snippet_html(&self) -> String {
        marked_html(&self.snippet)
    }
}

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

/// Published news matching `q`, best first. Members-only posts are searched only for those
/// the policy lets read them (the reader's `scope`), so their bodies never leak into a public
/// snippet.
pub async fn search(
    state: &AppState,
    q: &str,
    scope: PostScope,
    limit: i64,
) -> sqlx::Result<Vec<Hit>> {
    let q: String = q.chars().take(500).collect();
    match state.backend {
        Backend::Sqlite => search_sqlite(&state.pool, &q, scope, limit).await,
        Backend::Postgres => search_postgres(&state.pool, &q, scope, limit).await,
    }
}

/// The search on SQLite: FTS5 ranked by bm25, snippets made for the page of results only.
async fn search_sqlite(
    pool: &AnyPool,
    q: &str,
    scope: PostScope,
    limit: i64,
) -> sqlx::Result<Vec<Hit>> {
    let query = fts5_query(q);
    if query.is_empty() {
        return Ok(Vec::new());
    }
    // Ranked from the full-text index first (CROSS JOIN fixes that order; a planner that
    // starts from posts would run the match once per post), then snippets are made
    // for the page of results only.
    let ranked: Vec<(i64, String, String, Option<i64>)> = sqlx::query_as(concat!(
        "WITH hits AS MATERIALIZED (SELECT rowid AS id, bm25(post_search, 5.0, 1.0) AS score FROM post_search WHERE post_search MATCH $1) \
         SELECT p.id, p.slug, p.title, p.publish_at FROM hits CROSS JOIN posts p ON p.id = hits.id WHERE ",
        crate::post_listed!("p", "$2"),
        " AND ",
        crate::post_readable!("p", "$3"),
        " ORDER BY hits.score, p.publish_at DESC LIMIT $4"
    ))
    .bind(&query)
    .bind(scope.now)
    .bind(scope.members)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    if ranked.is_empty() {
        return Ok(Vec::new());
    }
    let ids = format!(
        "[{}]",
        ranked
            .iter()
            .map(|r| r.0.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let snippets: Vec<(i64, String)> = sqlx::query_as(
        "SELECT rowid, snippet(post_search, 1, char(1), char(2), '…', 24) FROM post_search \
         WHERE post_search MATCH $1 AND rowid IN (SELECT value FROM json_each($2))",
    )
    .bind(&query)
    .bind(ids)
    .fetch_all(pool)
    .await?;
    Ok(ranked
        .into_iter()
        .map(|(id, slug, title, publish_at)| Hit {
            slug,
            title,
            publish_at,
            snippet: snippets
                .iter()
                .find(|s| s.0 == id)
                .map(|s| s.1.clone())
                .unwrap_or_default(),
        })
        .collect())
}

/// The search on PostgreSQL: a `tsvector` index, with `ts_headline` snippets.
async fn search_postgres(
    pool: &AnyPool,
    q: &str,
    scope: PostScope,
    limit: i64,
) -> sqlx::Result<Vec<Hit>> {
    // websearch_to_tsquery accepts anything a person types (quotes, OR, -word) without error.
    let q = q.replace('\0', " ");
    if q.trim().is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as::<_, Hit>(concat!(
        "SELECT p.slug, p.title, p.publish_at, \
           ts_headline('english', p.body_text, query, 'StartSel=' || chr(1) || ', StopSel=' || chr(2) || ', MaxWords=30, MinWords=12, ShortWord=2') AS snippet \
         FROM post_search s JOIN posts p ON p.id = s.post_id, websearch_to_tsquery('english', $1) query \
         WHERE s.vector @@ query AND ",
        crate::post_listed!("p", "$2"),
        " AND ",
        crate::post_readable!("p", "$3"),
        " ORDER BY ts_rank(s.vector, query) DESC, p.publish_at DESC LIMIT $4"
    ))
    .bind(q)
    .bind(scope.now)
    .bind(scope.members)
    .bind(limit)
    .fetch_all(pool)
    .await
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
