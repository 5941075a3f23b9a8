//! The cohorts' part of the portal's one search (`/search`): threads (their titles and
//! visible posts) and resources (titles and notes), only of the cohorts the reader may
//! enter, as `policy::can_enter_cohort` says: staff every cohort, the people of an active
//! member city their own cohorts, nobody else any. Hidden threads and posts are never
//! searched. A plain `LIKE` on both databases: cohorts hold little text, and what a person
//! typed is escaped so that `%` and `_` are only characters.
//!
//! Case is ignored the same way on both databases: the query and the text are folded in Rust
//! ([`text::fold`]), the text into a `search_text` copy beside it that this search fills
//! where it is missing (new rows; a trigger empties it when the text changes). SQL's
//! `lower()` folds only ASCII on SQLite, so "ÁGUA" would find "água" on one database only.

use sqlx::AnyPool;

use crate::{
    policy,
    state::AppState,
    text::{self, markdown},
    viewer::Person,
};

/// Results shown at most.
pub const LIMIT: usize = 20;

/// Words of a query that count; the rest are ignored.
const WORDS: usize = 5;

pub use crate::web::shared::Hit;

/// `%word%` for `LIKE … ESCAPE '\'`, folded as the text is: the word's `\`, `%` and `_`
/// escaped.
fn pattern(word: &str) -> String {
    let mut out = String::from("%");
    for c in text::fold(word).chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The patterns of a query's first [`WORDS`] words; a missing word matches anything.
fn patterns(q: &str) -> Option<[String; WORDS]> {
    let words: Vec<&str> = q.split_whitespace().take(WORDS).collect();
    if words.is_empty() {
        return None;
    }
    Some(std::array::from_fn(|i| {
        words
            .get(i)
            .map(|w| pattern(&w.chars().take(100).collect::<String>()))
            .unwrap_or_else(|| "%".to_owned())
    }))
}

/// The first words of a Markdown text, as plain text.
fn snippet(body: &str) -> String {
    markdown::snippet(body, 200)
}

/// Fills the folded copies that are missing: rows written since the last search, and every
/// row once after the migration that added them. Each copy is written only if the text is
/// still the one folded (an edit meanwhile empties the copy again, for the next search).
async fn fill_folded(state: &AppState) -> sqlx::Result<()> {
    let pool = &state.pool;
    let threads: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, title FROM cohort_threads WHERE search_text IS NULL")
            .fetch_all(pool)
            .await?;
    let posts: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, body FROM cohort_posts WHERE search_text IS NULL")
            .fetch_all(pool)
            .await?;
    let resources: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, title, note FROM cohort_resources WHERE search_text IS NULL")
            .fetch_all(pool)
            .await?;
    if threads.is_empty() && posts.is_empty() && resources.is_empty() {
        return Ok(());
    }
    let mut tx = state.begin_write().await?;
    for (id, title) in &threads {
        sqlx::query("UPDATE cohort_threads SET search_text = $1 WHERE id = $2 AND title = $3")
            .bind(text::fold(title))
            .bind(id)
            .bind(title)
            .execute(&mut *tx)
            .await?;
    }
    for (id, body) in &posts {
        sqlx::query("UPDATE cohort_posts SET search_text = $1 WHERE id = $2 AND body = $3")
            .bind(text::fold(body))
            .bind(id)
            .bind(body)
            .execute(&mut *tx)
            .await?;
    }
    for (id, title, note) in &resources {
        // A line break between them: a word of a query never spans the two.
        sqlx::query(
            "UPDATE cohort_resources SET search_text = $1 WHERE id = $2 AND title = $3 AND note = $4",
        )
        .bind(text::fold(&format!("{title}\n{note}")))
        .bind(id)
        .bind(title)
        .bind(note)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// A thread matches when each word is in its title or in one of its visible posts.
macro_rules! thread_word {
    ($n:literal) => {
        concat!(
            " AND (t.search_text LIKE $",
            $n,
            " ESCAPE '\\' OR EXISTS (SELECT 1 FROM cohort_posts w WHERE w.thread_id = t.id \
             AND w.hidden_at IS NULL AND w.search_text LIKE $",
            $n,
            " ESCAPE '\\'))"
        )
    };
}

/// A resource matches when each word is in its title or its note (both in its folded copy).
macro_rules! resource_word {
    ($n:literal) => {
        concat!(" AND r.search_text LIKE $", $n, " ESCAPE '\\'")
    };
}

/// Threads and resources matching `q` in the cohorts `reader` may enter, newest first.
pub async fn search(state: &AppState, reader: Option<&Person>, q: &str) -> sqlx::Result<Vec<Hit>> {
    // The policy's cohort scope, as the door and every list apply it: open to the member
    // areas, then every cohort (staff) or the reader's own.
    let scope = policy::cohort_scope(reader);
    if scope.open == 0 {
        return Ok(Vec::new());
    }
    let (all, person_id) = (scope.all, scope.person);
    let Some(words) = patterns(q) else {
        return Ok(Vec::new());
    };
    fill_folded(state).await?;
    let mut hits = threads(&state.pool, all, person_id, &words).await?;
    hits.extend(resources(&state.pool, all, person_id, &words).await?);
    hits.sort_by_key(|h| std::cmp::Reverse(h.at));
    hits.truncate(LIMIT);
    Ok(hits)
}

/// A row of a hit: id, title, the cohort's slug and name, its time, the text of its snippet.
type HitRow = (i64, String, String, String, i64, String);

/// The newest threads (visible ones, in the reader's cohorts or all for staff) whose title or
/// opening post holds every word.
async fn threads(
    pool: &AnyPool,
    all: i64,
    person_id: i64,
    words: &[String],
) -> sqlx::Result<Vec<Hit>> {
    let threads: Vec<HitRow> = {
        let query = sqlx::query_as(concat!(
            "SELECT t.id, t.title, c.slug, c.name, t.last_post_at, \
               COALESCE((SELECT o.body FROM cohort_posts o WHERE o.thread_id = t.id AND o.hidden_at IS NULL \
                 ORDER BY o.created_at, o.id LIMIT 1), '') \
             FROM cohort_threads t JOIN cohorts c ON c.id = t.cohort_id \
             WHERE t.hidden_at IS NULL \
               AND ($1 = 1 OR EXISTS (SELECT 1 FROM cohort_members m WHERE m.cohort_id = c.id AND m.person_id = $2))",
            thread_word!("3"),
            thread_word!("4"),
            thread_word!("5"),
            thread_word!("6"),
            thread_word!("7"),
            " ORDER BY t.last_post_at DESC, t.id DESC LIMIT $8"
        ))
        .bind(all)
        .bind(person_id);
        words
            .iter()
            .fold(query, |q, w| q.bind(w.clone()))
            .bind(LIMIT as i64)
            .fetch_all(pool)
            .await?
    };
    Ok(threads
        .into_iter()
        .map(|(id, title, slug, cohort_name, at, body)| Hit {
            kind: "Thread",
            title,
            context: cohort_name,
            href: format!("/cohorts/{slug}/discussion/{id}"),
            snippet: snippet(&body),
            at,
        })
        .collect())
}

/// The newest resources (in the reader's cohorts or all for staff) whose title or note
/// holds every word.
async fn resources(
    pool: &AnyPool,
    all: i64,
    person_id: i64,
    words: &[String],
) -> sqlx::Result<Vec<Hit>> {
    let resources: Vec<HitRow> = {
        let query = sqlx::query_as(concat!(
            "SELECT r.id, r.title, c.slug, c.name, r.created_at, r.note \
             FROM cohort_resources r JOIN cohorts c ON c.id = r.cohort_id \
             WHERE ($1 = 1 OR EXISTS (SELECT 1 FROM cohort_members m WHERE m.cohort_id = c.id AND m.person_id = $2))",
            resource_word!("3"),
            resource_word!("4"),
            resource_word!("5"),
            resource_word!("6"),
            resource_word!("7"),
            " ORDER BY r.created_at DESC, r.id DESC LIMIT $8"
        ))
        .bind(all)
        .bind(person_id);
        words
            .iter()
            .fold(query, |q, w| q.bind(w.clone()))
            .bind(LIMIT as i64)
            .fetch_all(pool)
            .await?
    };
    Ok(resources
        .into_iter()
        .map(|(_, title, slug, cohort_name, at, note)| Hit {
            kind: "Resource",
            title,
            context: cohort_name,
            href: format!("/cohorts/{slug}/resources"),
            snippet: snippet(&note),
            at,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_person_types_is_only_characters_to_like() {
        assert_eq!(pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(pattern("Water"), "%water%");
        assert_eq!(pattern("ÁGUA"), "%água%");
        assert_eq!(pattern("Ñandú"), "%ñandú%");
        let p = patterns("  water   rates ").unwrap();
        assert_eq!(p[0], "%water%");
        assert_eq!(p[1], "%rates%");
        assert_eq!(p[4], "%");
        assert!(patterns("   ").is_none());
    }

    #[test]
    fn snippets_are_plain_and_short() {
        assert_eq!(snippet("**Rates** rose."), "Rates rose.");
        let long = "word ".repeat(100);
        assert!(snippet(&long).chars().count() <= 201);
        assert!(snippet(&long).ends_with('…'));
    }
}
