//! The cohorts' part of the portal's one search (`/search`): threads (their titles and
//! visible posts) and resources (titles and notes), only of the cohorts the reader may
//! enter, as `policy::can_enter_cohort` says: staff every cohort, the people of an active
//! member city their own cohorts, nobody else any. Hidden threads and posts are never
//! searched. A plain `LIKE` on both databases: cohorts hold little text, and what a person
//! typed is escaped so that `%` and `_` are only characters.

use sqlx::AnyPool;

use crate::{policy, viewer::Person};

/// Results shown at most.
pub const LIMIT: usize = 20;

/// Words of a query that count; the rest are ignored.
const WORDS: usize = 5;

pub use crate::web::shared::Hit;

/// `%word%` for `LIKE … ESCAPE '\'`, lower-cased: the word's `\`, `%` and `_` escaped.
fn pattern(word: &str) -> String {
    let mut out = String::from("%");
    for c in word.to_lowercase().chars() {
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
fn snippet(markdown: &str) -> String {
    let (_, plain) = crate::news::markdown::render(markdown);
    let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    if plain.chars().count() <= 200 {
        return plain;
    }
    let cut: String = plain.chars().take(200).collect();
    match cut.rfind(' ') {
        Some(at) => format!("{}…", &cut[..at]),
        None => format!("{cut}…"),
    }
}

/// A thread matches when each word is in its title or in one of its visible posts.
macro_rules! thread_word {
    ($n:literal) => {
        concat!(
            " AND (lower(t.title) LIKE $",
            $n,
            " ESCAPE '\\' OR EXISTS (SELECT 1 FROM cohort_posts w WHERE w.thread_id = t.id \
             AND w.hidden_at IS NULL AND lower(w.body) LIKE $",
            $n,
            " ESCAPE '\\'))"
        )
    };
}

/// A resource matches when each word is in its title or its note.
macro_rules! resource_word {
    ($n:literal) => {
        concat!(
            " AND (lower(r.title) LIKE $",
            $n,
            " ESCAPE '\\' OR lower(r.note) LIKE $",
            $n,
            " ESCAPE '\\')"
        )
    };
}

/// Threads and resources matching `q` in the cohorts `reader` may enter, newest first.
pub async fn search(pool: &AnyPool, reader: Option<&Person>, q: &str) -> sqlx::Result<Vec<Hit>> {
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
    let threads: Vec<(i64, String, String, String, i64, String)> = {
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
    let resources: Vec<(i64, String, String, String, i64, String)> = {
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
    let mut hits: Vec<Hit> = threads
        .into_iter()
        .map(|(id, title, slug, cohort_name, at, body)| Hit {
            kind: "Thread",
            title,
            context: cohort_name,
            href: format!("/cohorts/{slug}/discussion/{id}"),
            snippet: snippet(&body),
            at,
        })
        .chain(
            resources
                .into_iter()
                .map(|(_, title, slug, cohort_name, at, note)| Hit {
                    kind: "Resource",
                    title,
                    context: cohort_name,
                    href: format!("/cohorts/{slug}/resources"),
                    snippet: snippet(&note),
                    at,
                }),
        )
        .collect();
    hits.sort_by_key(|h| std::cmp::Reverse(h.at));
    hits.truncate(LIMIT);
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_person_types_is_only_characters_to_like() {
        assert_eq!(pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(pattern("Water"), "%water%");
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
