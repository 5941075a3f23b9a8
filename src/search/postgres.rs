//! The one search on PostgreSQL: `websearch_to_tsquery` over the documents' `tsvector` (GIN),
//! the kinds and the access check in the same query, `ts_headline` snippets for the page.
//! Best match ranks the most recent [`super::sqlite::CANDIDATES`] matches, as on SQLite.

use super::{Found, Order, Query};
use crate::{policy::SearchScope, state::AppState};

pub(super) async fn find(
    state: &AppState,
    s: &SearchScope,
    q: &str,
    kinds: &[&str],
    query: &Query<'_>,
    limit: i64,
) -> sqlx::Result<Vec<Found>> {
    let q = q.replace('\0', " ");
    if q.trim().is_empty() {
        return Ok(Vec::new());
    }
    let sql = match query.order {
        Order::Best => concat!(
            "WITH q AS (SELECT websearch_to_tsquery('english', $1) AS query), \
             r AS (SELECT d.id, ts_rank(d.vector, q.query)::float8 AS key FROM search_docs d, q \
               WHERE d.vector @@ q.query AND d.visible_from <= $2 \
               AND ($12 = '' OR (',' || $12 || ',') LIKE ('%,' || d.kind || ',%')) AND ",
            crate::search_admits!("$3", "$4", "$5", "$6", "$7"),
            " ORDER BY d.id DESC LIMIT $13) SELECT d.id, d.kind, d.title, d.url, d.context, d.at, r.key, \
               ts_headline('english', d.body, q.query, 'StartSel=' || chr(1) || ', StopSel=' || chr(2) || ', MaxWords=30, MinWords=12, ShortWord=2') AS snippet, \
               CAST(1 AS BIGINT) AS ok \
             FROM r JOIN search_docs d ON d.id = r.id, q \
             WHERE $8 = 0 OR r.key < $9 OR (r.key = $9 AND r.id > $10) \
             ORDER BY r.key DESC, r.id LIMIT $11"
        ),
        Order::Newest => concat!(
            "WITH q AS (SELECT websearch_to_tsquery('english', $1) AS query), \
             r AS (SELECT d.id, d.at FROM search_docs d, q \
               WHERE d.vector @@ q.query AND d.visible_from <= $2 \
               AND ($12 = '' OR (',' || $12 || ',') LIKE ('%,' || d.kind || ',%')) AND ",
            crate::search_admits!("$3", "$4", "$5", "$6", "$7"),
            " AND ($8 = 0 OR d.at < $9 OR (d.at = $9 AND d.id < $10)) \
               ORDER BY d.at DESC, d.id DESC LIMIT $11) \
             SELECT d.id, d.kind, d.title, d.url, d.context, d.at, d.at::float8 AS key, \
               ts_headline('english', d.body, q.query, 'StartSel=' || chr(1) || ', StopSel=' || chr(2) || ', MaxWords=30, MinWords=12, ShortWord=2') AS snippet, \
               CAST(1 AS BIGINT) AS ok \
             FROM r JOIN search_docs d ON d.id = r.id, q ORDER BY d.at DESC, d.id DESC"
        ),
    };
    super::bind_page(
        sqlx::query_as(sql).bind(q),
        state.clock.now(),
        s,
        query.after,
        limit,
    )
    .bind(kinds.join(","))
    .bind(super::sqlite::CANDIDATES)
    .fetch_all(&state.pool)
    .await
}
