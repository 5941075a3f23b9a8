//! Cohorts on the shared pages: the member home's panel (the person's cohorts), what leads
//! the member home (the next sessions, threads with new posts as links to the first unread
//! post, requests waiting for a facilitator), and the area's search, all registered in
//! `crate::areas`.

use crate::{
    areas::Home,
    error::AppResult,
    policy,
    state::AppState,
    viewer::Person,
    web::shared::{Fut, Panel, PanelItem},
};

/// One of the person's cohorts as the member home shows it.
pub struct Mine {
    pub name: String,
    pub href: String,
    /// "Archived".
    pub notes: Vec<String>,
}

/// The person's cohorts, active ones first. What is new in them (sessions, posts, requests)
/// leads the member home instead ([`next_sessions`], [`new_threads`], [`requests`]).
pub async fn summary(state: &AppState, person: &Person) -> AppResult<Vec<Mine>> {
    let scope = policy::cohort_scope(Some(person));
    let rows = sqlx::query_as::<_, super::Cohort>(concat!(
        "SELECT ",
        crate::cohort_columns!("c"),
        " FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id \
         WHERE m.person_id = $1 AND ",
        crate::cohort_entered!("m", "$2", "$3"),
        " ORDER BY CASE c.status WHEN 'active' THEN 0 ELSE 1 END, c.name, c.id"
    ))
    .bind(scope.person)
    .bind(scope.open)
    .bind(scope.all)
    .fetch_all(&state.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|cohort| Mine {
            notes: if cohort.is_archived() {
                vec!["Archived".to_owned()]
            } else {
                Vec::new()
            },
            href: cohort.href(),
            name: cohort.name,
        })
        .collect())
}

/// What the cohorts panel says when it has nothing of the person's to show.
pub const ABOUT: &str = "Small groups of mayors and advisors working on one theme for a season: discussion, resources and sessions.";

/// The cohorts panel of the member home: the person's cohorts.
pub fn panel<'a>(home: &'a Home<'a>) -> Fut<'a, AppResult<Panel>> {
    Box::pin(async move {
        let mine = summary(home.state, home.person).await?;
        let lines = if mine.is_empty() {
            vec![format!("{ABOUT} You are in none yet.")]
        } else {
            Vec::new()
        };
        Ok(Panel {
            title: "Cohorts & networks",
            id: "cohorts",
            lines,
            items: mine
                .into_iter()
                .map(|c| PanelItem {
                    href: c.href,
                    label: c.name,
                    notes: c.notes,
                })
                .collect(),
            link: Some(("/cohorts".to_owned(), "All cohorts".to_owned())),
        })
    })
}

/// Sessions shown on the member home.
const NEXT_SESSIONS: i64 = 3;

/// Threads with new posts shown on the member home.
const NEW_THREADS: i64 = 5;

/// The next sessions across the person's cohorts, each a link to it in its cohort's list,
/// its time in the reader's zone.
pub fn next_sessions<'a>(home: &'a Home<'a>) -> Fut<'a, AppResult<Option<Panel>>> {
    Box::pin(async move {
        let scope = policy::cohort_scope(Some(home.person));
        let rows: Vec<(i64, String, i64, i64, String, String)> = sqlx::query_as(concat!(
            "SELECT s.id, s.title, s.starts_at, s.ends_at, c.slug, c.name \
             FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id \
             JOIN cohort_sessions s ON s.cohort_id = c.id \
             WHERE m.person_id = $1 AND ",
            crate::cohort_entered!("m", "$2", "$3"),
            " AND s.cancelled = 0 AND s.ends_at > $4 ORDER BY s.starts_at, s.id LIMIT $5"
        ))
        .bind(scope.person)
        .bind(scope.open)
        .bind(scope.all)
        .bind(home.state.clock.now())
        .bind(NEXT_SESSIONS)
        .fetch_all(&home.state.pool)
        .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let zone = &home.layout.zone;
        Ok(Some(Panel {
            title: "Your next sessions",
            id: "sessions",
            lines: Vec::new(),
            items: rows
                .into_iter()
                .map(|(id, title, starts, ends, slug, cohort)| PanelItem {
                    href: format!("/cohorts/{slug}/sessions#session-{id}"),
                    label: title,
                    notes: vec![crate::time::span(zone, starts, ends), cohort],
                })
                .collect(),
            link: None,
        }))
    })
}

#[derive(sqlx::FromRow)]
struct NewThread {
    id: i64,
    title: String,
    slug: String,
    cohort_name: String,
    /// The first post by someone else that the person has not read.
    first_new: Option<i64>,
    new_posts: i64,
}

/// The posts of thread `t` by others than `$1` that the person has not read (never-read
/// threads count from their joining, `m.joined_at`), with `r` their reading of it.
macro_rules! unread_posts {
    () => {
        "FROM cohort_posts x WHERE x.thread_id = t.id AND x.hidden_at IS NULL \
         AND x.author_id <> $1 AND x.created_at > COALESCE(r.read_at, m.joined_at)"
    };
}

/// Threads of the person's cohorts with posts by others they have not read, newest activity
/// first, each a link to its first unread post. Only threads whose latest post is newer than
/// the person's reading (or joining) are looked into.
pub fn new_threads<'a>(home: &'a Home<'a>) -> Fut<'a, AppResult<Option<Panel>>> {
    Box::pin(async move {
        let scope = policy::cohort_scope(Some(home.person));
        let rows = sqlx::query_as::<_, NewThread>(concat!(
            "SELECT q.id, q.title, q.slug, q.cohort_name, q.first_new, q.new_posts FROM (\
             SELECT t.id, t.title, c.slug, c.name AS cohort_name, t.last_post_at, \
             (SELECT x.id ",
            unread_posts!(),
            " ORDER BY x.created_at, x.id LIMIT 1) AS first_new, \
             (SELECT COUNT(*) ",
            unread_posts!(),
            ") AS new_posts \
             FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id \
             JOIN cohort_threads t ON t.cohort_id = c.id \
             LEFT JOIN cohort_reads r ON r.thread_id = t.id AND r.person_id = $1 \
             WHERE m.person_id = $1 AND ",
            crate::cohort_entered!("m", "$2", "$3"),
            " AND t.hidden_at IS NULL AND t.last_post_at > COALESCE(r.read_at, m.joined_at)\
             ) q WHERE q.first_new IS NOT NULL ORDER BY q.last_post_at DESC, q.id DESC LIMIT $4"
        ))
        .bind(scope.person)
        .bind(scope.open)
        .bind(scope.all)
        .bind(NEW_THREADS)
        .fetch_all(&home.state.pool)
        .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(Panel {
            title: "New in your discussions",
            id: "threads",
            lines: Vec::new(),
            items: rows
                .into_iter()
                .map(|t| PanelItem {
                    href: format!(
                        "/cohorts/{}/discussion/{}#post-{}",
                        t.slug,
                        t.id,
                        t.first_new.unwrap_or_default()
                    ),
                    label: t.title,
                    notes: vec![format!(
                        "{} · {} new {}",
                        t.cohort_name,
                        t.new_posts,
                        if t.new_posts == 1 { "post" } else { "posts" }
                    )],
                })
                .collect(),
            link: None,
        }))
    })
}

/// Requests to join waiting for the person, who facilitates the active cohorts they are
/// for, each a link to decide.
pub fn requests<'a>(home: &'a Home<'a>) -> Fut<'a, AppResult<Option<Panel>>> {
    Box::pin(async move {
        let scope = policy::cohort_scope(Some(home.person));
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(concat!(
            "SELECT c.slug, c.name, COUNT(r.id), MIN(r.created_at) \
             FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id \
             JOIN cohort_requests r ON r.cohort_id = c.id AND r.status = 'pending' \
             WHERE m.person_id = $1 AND m.role = 'facilitator' AND c.status = 'active' AND ",
            crate::cohort_entered!("m", "$2", "$3"),
            " GROUP BY c.id, c.slug, c.name ORDER BY c.name, c.id"
        ))
        .bind(scope.person)
        .bind(scope.open)
        .bind(scope.all)
        .fetch_all(&home.state.pool)
        .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(Panel {
            title: "Requests waiting for your answer",
            id: "requests",
            lines: Vec::new(),
            items: rows
                .into_iter()
                .map(|(slug, name, waiting, oldest)| PanelItem {
                    href: format!("/cohorts/{slug}/requests"),
                    label: format!(
                        "{waiting} {} to join {name} waiting for your answer",
                        if waiting == 1 { "request" } else { "requests" },
                    ),
                    notes: vec![format!("The oldest since {}", home.layout.date(&oldest))],
                })
                .collect(),
            link: None,
        }))
    })
}
