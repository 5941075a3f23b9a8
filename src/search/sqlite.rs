//! The one search on SQLite: FTS5 over titles and bodies, with the reader's access tokens and
//! the kinds asked in the same match, so that ranking weighs only what the reader may open;
//! then the SQL access check on the page of results, and snippets for it.

use super::{Found, Order, Query};
use crate::{policy::SearchScope, state::AppState};

/// The reader's tokens (`search::tags`): what they may find besides their own words. `None`
/// for staff, who find every document.
async fn reader_tags(state: &AppState, s: &SearchScope) -> sqlx::Result<Option<String>> {
    if s.all == 1 {
        return Ok(None);
    }
    let mut tags = vec!["zpublic".to_owned()];
    if s.members == 1 {
        tags.push("zmembers".to_owned());
    }
    if s.city != 0 {
        tags.push(format!("zcity{}", s.city));
    }
    if s.cohorts == 1 {
        let cohorts: Vec<i64> =
            sqlx::query_scalar("SELECT cohort_id FROM cohort_members WHERE person_id = $1")
                .bind(s.person)
                .fetch_all(&state.pool)
                .await?;
        tags.extend(cohorts.into_iter().map(|c| format!("zcohort{c}")));
    }
    Ok(Some(tags.join(" OR ")))
}

/// The FTS5 expression: the typed words (each quoted) in titles and bodies, and the reader's
/// and the kinds' tokens in `tags`.
fn expression(words: &str, reader: Option<&str>, kinds: &[&str]) -> String {
    let mut m = format!("{{title body}} : ({words})");
    if let Some(tags) = reader {
        m.push_str(&format!(" AND tags : ({tags})"));
    }
    if !kinds.is_empty() {
        let kinds: Vec<String> = kinds.iter().map(|k| format!("zkind{k}")).collect();
        m.push_str(&format!(" AND tags : ({})", kinds.join(" OR ")));
    }
    m
}

/// How many of the most recent matches the best-match order ranks.
pub const CANDIDATES: i64 = 200;

/// Best match first, in one statement: the reader's most recent [`CANDIDATES`] matches, found
/// by the index with the reader's and the kinds' tokens (no ranking, so no cost per match
/// beyond them); then ranked by bm25 over the typed words alone (titles weigh five times the
/// body) within the candidates' range of rows, which the index seeks to. A word in tens of thousands of
/// documents costs about what one in a few hundred does. Then the SQL access check on the
/// page's rows. (Newest first reaches every match.)
async fn best(
    state: &AppState,
    s: &SearchScope,
    (words, matched): (&str, &str),
    query: &Query<'_>,
    limit: i64,
) -> sqlx::Result<Vec<Found>> {
    let statement = sqlx::query_as(concat!(
        "WITH c AS MATERIALIZED (SELECT rowid AS id FROM search_fts WHERE search_fts MATCH $12 \
           ORDER BY rowid DESC LIMIT $13) \
         SELECT d.id, d.kind, d.title, d.url, d.context, d.at, h.key, '' AS snippet, \
           CASE WHEN d.visible_from <= $2 AND ",
        crate::search_admits!("$3", "$4", "$5", "$6", "$7"),
        " THEN 1 ELSE 0 END AS ok \
         FROM (SELECT id, key FROM (SELECT rowid AS id, bm25(search_fts, 5.0, 1.0, 0.0) AS key \
                 FROM search_fts WHERE search_fts MATCH $1 AND rowid >= (SELECT MIN(id) FROM c) \
                 AND +rowid IN (SELECT id FROM c)) \
               WHERE $8 = 0 OR key > $9 OR (key = $9 AND id > $10) \
               ORDER BY key, id LIMIT $11) h \
         CROSS JOIN search_docs d ON d.id = h.id ORDER BY h.key, d.id"
    ))
    .bind(format!("{{title body}} : ({words})"));
    super::bind_page(statement, state.clock.now(), s, query.after, limit)
        .bind(matched)
        .bind(CANDIDATES)
        .fetch_all(&state.pool)
        .await
}

pub(super) async fn find(
    state: &AppState,
    s: &SearchScope,
    q: &str,
    kinds: &[&str],
    query: &Query<'_>,
    limit: i64,
) -> sqlx::Result<Vec<Found>> {
    let words = super::fts5_query(q);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let matched = expression(&words, reader_tags(state, s).await?.as_deref(), kinds);
    let mut found: Vec<Found> = match query.order {
        Order::Best => best(state, s, (&words, &matched), query, limit).await?,
        // Walks the documents by date (an index), each checked against the matches, and
        // reads only the page's rows.
        Order::Newest => {
            let statement = sqlx::query_as(concat!(
                "SELECT d.id, d.kind, d.title, d.url, d.context, d.at, CAST(d.at AS REAL) AS key, '' AS snippet, \
                   CASE WHEN d.visible_from <= $2 AND ",
                crate::search_admits!("$3", "$4", "$5", "$6", "$7"),
                " THEN 1 ELSE 0 END AS ok \
                 FROM (SELECT n.id FROM search_docs n INDEXED BY search_docs_at \
                   WHERE n.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH $1) \
                   AND ($8 = 0 OR n.at < $9 OR (n.at = $9 AND n.id < $10)) \
                   ORDER BY n.at DESC, n.id DESC LIMIT $11) h \
                 CROSS JOIN search_docs d ON d.id = h.id ORDER BY d.at DESC, d.id DESC"
            ))
            .bind(&matched);
            super::bind_page(statement, state.clock.now(), s, query.after, limit)
                .fetch_all(&state.pool)
                .await?
        }
    };
    let ids: Vec<String> = found
        .iter()
        .filter(|f| f.ok == 1)
        .map(|f| f.id.to_string())
        .collect();
    if ids.is_empty() {
        return Ok(found);
    }
    // Within the page's range of rows, which the index seeks to; the list only filters.
    let (lo, hi) = found.iter().fold((i64::MAX, i64::MIN), |(lo, hi), f| {
        (lo.min(f.id), hi.max(f.id))
    });
    let snippets: Vec<(i64, String)> = sqlx::query_as(
        "SELECT rowid, snippet(search_fts, 1, char(1), char(2), '…', 24) FROM search_fts \
         WHERE search_fts MATCH $1 AND rowid BETWEEN $3 AND $4 \
         AND +rowid IN (SELECT value FROM json_each($2))",
    )
    .bind(format!("{{title body}} : ({words})"))
    .bind(format!("[{}]", ids.join(",")))
    .bind(lo)
    .bind(hi)
    .fetch_all(&state.pool)
    .await?;
    for f in &mut found {
        if let Some((_, s)) = snippets.iter().find(|(id, _)| *id == f.id) {
            f.snippet = s.clone();
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::expression;

    #[test]
    fn the_words_search_titles_and_bodies_and_the_tokens_only_tags() {
        assert_eq!(
            expression(
                "\"water\"",
                Some("zpublic OR zcohort3"),
                &["thread", "resource"]
            ),
            "{title body} : (\"water\") AND tags : (zpublic OR zcohort3) \
             AND tags : (zkindthread OR zkindresource)"
        );
        assert_eq!(
            expression("\"water\"", None, &[]),
            "{title body} : (\"water\")"
        );
    }
}
