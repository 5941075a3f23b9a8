//! A cohort's sessions: the list (upcoming first, then past ones, each paged on its own) with each time in the
//! reader's zone and the session's own zone beside it, the call link and notes for the people
//! who enter the space, and the next three for the overview and the member home. Planning,
//! editing and cancelling are in `form`, the emails to followers in `notices`, each session's
//! calendar file and each member's secret feed of the cohort's sessions
//! (`/cohorts/calendar/{token}.ics`) in `feed`.
//!
//! A session's `uid` is set once; `sequence` grows by one with every change and only then (a
//! guarded `sequence = sequence + 1` that compares with the stored row), so that calendars
//! update the event in place.

use askama::Template;
use axum::{Router, extract::Query, response::Response, routing::get};
use serde::Deserialize;
use sqlx::{AnyConnection, AnyPool};

use super::{
    Access, Cohort,
    space::{self, SpaceNav},
};
use crate::{
    error::{AppError, AppResult},
    state::AppState,
    text::markdown,
    time::{Zone, own_span, span},
    viewer::Person,
    web::{self, Layout, door::Inside, paging},
};

/// Cohort addresses the routes of this module take: `/cohorts/calendar/{file}` (the feeds)
/// would hide the pages of a cohort at `/cohorts/calendar` (axum's router does not fall back
/// from a fixed segment to a parameter), so no cohort may have it.
pub const RESERVED_SLUGS: &[&str] = &["calendar"];

/// A session as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id: i64,
    pub cohort_id: i64,
    pub uid: String,
    pub title: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub time_zone: String,
    pub call_url: String,
    pub notes: String,
    pub notes_html: Option<String>,
    pub sequence: i64,
    pub cancelled: crate::db::Flag,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The columns of [`Session`]; defined before the submodules so that they can use it.
macro_rules! session_columns {
    () => {
        "id, cohort_id, uid, title, starts_at, ends_at, time_zone, call_url, notes, notes_html, sequence, \
         cancelled, created_at, updated_at"
    };
}

/// The SELECT of a page of sessions: $1 cohort, $2 now, ($3, $4) the bound, $5 the limit;
/// which sessions, which side of the bound and which way.
macro_rules! session_page {
    ($which:literal, $side:literal, $way:literal) => {
        concat!(
            "SELECT ",
            session_columns!(),
            " FROM cohort_sessions WHERE cohort_id = $1 AND ",
            $which,
            " AND (starts_at, id) ",
            $side,
            " ($3, $4) ORDER BY starts_at ",
            $way,
            ", id ",
            $way,
            " LIMIT $5"
        )
    };
}

impl Session {
    fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }
    fn zone(&self) -> Zone {
        Zone::of_stored(Some(&self.time_zone))
    }
}

mod feed;
mod form;
mod notices;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cohorts/{slug}/sessions", get(list).post(form::create))
        .route("/cohorts/{slug}/sessions/new", get(form::new_form))
        .route(
            "/cohorts/{slug}/sessions/{session_id}",
            axum::routing::post(form::update),
        )
        .route(
            "/cohorts/{slug}/sessions/{session_id}/edit",
            get(form::edit_form),
        )
        .route(
            "/cohorts/{slug}/sessions/{session_id}/cancel",
            get(form::cancel_form).post(form::cancel),
        )
        .route(
            "/cohorts/{slug}/sessions/{session_id}/calendar.ics",
            get(feed::calendar_file),
        )
        .route("/cohorts/calendar/{file}", get(feed::feed))
        .route("/cohorts/calendar/all/{file}", get(feed::all_feed))
}

/// Every session of a cohort, in order of time.
async fn of_cohort(pool: &AnyPool, cohort_id: i64) -> sqlx::Result<Vec<Session>> {
    sqlx::query_as::<_, Session>(concat!(
        "SELECT ",
        session_columns!(),
        " FROM cohort_sessions WHERE cohort_id = $1 ORDER BY starts_at, id"
    ))
    .bind(cohort_id)
    .fetch_all(pool)
    .await
}

/// A session of this cohort, or the 404 of one that does not exist.
async fn find(conn: &mut AnyConnection, cohort_id: i64, id: i64) -> AppResult<Session> {
    sqlx::query_as::<_, Session>(concat!(
        "SELECT ",
        session_columns!(),
        " FROM cohort_sessions WHERE id = $1 AND cohort_id = $2"
    ))
    .bind(id)
    .bind(cohort_id)
    .fetch_optional(conn)
    .await?
    .ok_or(AppError::NotFound)
}

/// A session of this cohort read outside a transaction, or the 404 of one that does not exist.
async fn find_now(pool: &AnyPool, cohort_id: i64, id: i64) -> AppResult<Session> {
    find(&mut *pool.acquire().await?, cohort_id, id).await
}

/// The zone a person reads and enters times in (their own, their city's, or the portal's).
fn zone_of(state: &AppState, person: &Person) -> Zone {
    person.zone(&state.config.time_zone)
}

/// A session as the list shows it to one reader.
pub struct Listed {
    pub id: i64,
    pub title: String,
    /// In the reader's zone.
    pub when: String,
    /// In the session's own zone, when the reader's differs.
    pub own_when: Option<String>,
    /// The start in UTC, for `<time datetime>`.
    pub datetime: String,
    pub call_url: String,
    /// The notes, rendered and sanitized.
    pub notes_html: String,
    pub cancelled: bool,
}

impl Listed {
    fn of(s: &Session, reader: &Zone) -> Listed {
        Listed {
            id: s.id,
            title: s.title.clone(),
            when: span(reader, s.starts_at, s.ends_at),
            own_when: own_span(reader, &s.zone(), s.starts_at, s.ends_at),
            datetime: crate::time::rfc3339(s.starts_at),
            call_url: s.call_url.clone(),
            notes_html: if s.notes.trim().is_empty() {
                String::new()
            } else {
                markdown::stored_or_render(s.notes_html.clone(), &s.notes)
            },
            cancelled: s.is_cancelled(),
        }
    }
}

/// Sessions on a page of each list.
const PAGE: i64 = 20;

#[derive(Template)]
#[template(path = "cohorts/sessions.html")]
struct ListPage {
    layout: Layout,
    nav: SpaceNav,
    cohort: Cohort,
    upcoming: Vec<Listed>,
    past: Vec<Listed>,
    /// The pagers: [earlier, later] upcoming sessions; [more recent, older] past ones.
    upcoming_links: [Option<String>; 2],
    past_links: [Option<String>; 2],
    /// Facilitators and staff, while the cohort is not archived.
    can_plan: bool,
}

/// The page of each list of sessions: upcoming ones by `?after=`/`?before=`, past ones by
/// `?past_after=`/`?past_before=`, so that each list pages on its own.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    after: Option<String>,
    before: Option<String>,
    past_after: Option<String>,
    past_before: Option<String>,
}

impl ListQuery {
    /// This query's part for one list, to keep it while the other list pages.
    fn part(name: &str, after: &Option<String>, before: &Option<String>) -> String {
        match (after, before) {
            (Some(a), _) => format!("?{name}after={a}"),
            (None, Some(b)) => format!("?{name}before={b}"),
            (None, None) => String::new(),
        }
    }
}

/// A page of a cohort's upcoming sessions (ending after `now`, soonest first) or past ones
/// (most recent first), as `request` orders them.
async fn sessions_page(
    pool: &AnyPool,
    cohort_id: i64,
    now: i64,
    request: &paging::Request,
) -> sqlx::Result<paging::Page<Session>> {
    let upcoming = request.order == paging::Order::Ascending;
    let sql = match (upcoming, request.reads_ascending()) {
        (true, true) => session_page!("ends_at > $2", ">", "ASC"),
        (true, false) => session_page!("ends_at > $2", "<", "DESC"),
        (false, true) => session_page!("ends_at <= $2", ">", "ASC"),
        (false, false) => session_page!("ends_at <= $2", "<", "DESC"),
    };
    let bound = request.bound();
    let rows = sqlx::query_as::<_, Session>(sql)
        .bind(cohort_id)
        .bind(now)
        .bind(bound.key)
        .bind(bound.id)
        .bind(request.limit())
        .fetch_all(pool)
        .await?;
    Ok(paging::Page::from_rows(request, rows, |s| {
        paging::Cursor::new(s.starts_at, s.id)
    }))
}

async fn list(
    Inside(ctx, person, access): Inside<Access>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let soon = paging::Request::from_query(
        q.after.as_deref(),
        q.before.as_deref(),
        paging::Order::Ascending,
        PAGE,
    )?;
    let recent = paging::Request::from_query(
        q.past_after.as_deref(),
        q.past_before.as_deref(),
        paging::Order::Descending,
        PAGE,
    )?;
    let nav = space::nav(&ctx.state, &person, &access, "sessions").await?;
    let now = ctx.state.clock.now();
    let (pool, id) = (&ctx.state.pool, access.cohort.id);
    let upcoming = sessions_page(pool, id, now, &soon).await?;
    let past = sessions_page(pool, id, now, &recent).await?;
    if (upcoming.items.is_empty() && !soon.is_first())
        || (past.items.is_empty() && !recent.is_first())
    {
        return Err(AppError::NotFound);
    }
    let path = format!("/cohorts/{}/sessions", access.cohort.slug);
    let keep_past = ListQuery::part("past_", &q.past_after, &q.past_before);
    let keep_upcoming = ListQuery::part("", &q.after, &q.before);
    let upcoming_links = upcoming
        .hrefs_named(&format!("{path}{keep_past}"), "before", "after")
        .map(|h| h.map(|h| format!("{h}#upcoming-heading")));
    let past_links = past
        .hrefs_named(
            &format!("{path}{keep_upcoming}"),
            "past_before",
            "past_after",
        )
        .map(|h| h.map(|h| format!("{h}#past-heading")));
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Sessions: {}", access.cohort.name);
    let listed = |items: Vec<Session>| items.iter().map(|s| Listed::of(s, &layout.zone)).collect();
    Ok(web::render(&ListPage {
        can_plan: can_plan(&person, &access),
        upcoming: listed(upcoming.items),
        past: listed(past.items),
        upcoming_links,
        past_links,
        layout,
        nav,
        cohort: access.cohort,
    }))
}

fn can_plan(person: &Person, access: &Access) -> bool {
    crate::policy::can_plan_cohort_sessions(person, access.standing)
}

/// A session coming, as the overview lists it.
pub struct Upcoming {
    pub id: i64,
    pub title: String,
    /// In the reader's zone.
    pub when: String,
}

/// The next three sessions of a cohort (not cancelled, not over), for its overview.
pub async fn next_three(
    pool: &AnyPool,
    reader: &Zone,
    cohort_id: i64,
    now: i64,
) -> sqlx::Result<Vec<Upcoming>> {
    let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT id, title, starts_at, ends_at FROM cohort_sessions \
         WHERE cohort_id = $1 AND cancelled = 0 AND ends_at > $2 ORDER BY starts_at, id LIMIT 3",
    )
    .bind(cohort_id)
    .bind(now)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, title, starts, ends)| Upcoming {
            id,
            title,
            when: span(reader, starts, ends),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> Zone {
        Zone::parse(name).unwrap()
    }

    #[test]
    fn a_span_shows_the_end_date_only_on_another_day() {
        let chicago = zone("America/Chicago");
        let t = chicago.parse_local("2027-01-14T09:00").unwrap();
        assert_eq!(
            span(&chicago, t, t + 3600),
            "14 January 2027, 9:00 AM CST – 10:00 AM CST"
        );
        assert_eq!(
            span(&chicago, t, t + 16 * 3600),
            "14 January 2027, 9:00 AM CST – 15 January 2027, 1:00 AM CST"
        );
    }

    #[test]
    fn the_sessions_own_zone_is_shown_beside_only_when_it_differs() {
        let chicago = zone("America/Chicago");
        let new_york = zone("America/New_York");
        let t = chicago.parse_local("2027-01-14T09:00").unwrap();
        assert_eq!(own_span(&chicago, &chicago, t, t + 3600), None);
        assert_eq!(
            own_span(&new_york, &chicago, t, t + 3600).as_deref(),
            Some("9:00 AM CST – 10:00 AM CST in America/Chicago")
        );
        // Late in Chicago is the next day in Tokyo: the date is said.
        let late = chicago.parse_local("2027-01-14T20:00").unwrap();
        assert_eq!(
            own_span(&chicago, &zone("Asia/Tokyo"), late, late + 3600).as_deref(),
            Some("15 January 2027, 11:00 AM JST – 12:00 PM JST in Asia/Tokyo")
        );
    }
}
