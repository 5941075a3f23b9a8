//! A cohort's space, for its members and staff: the heading and tabs every page of it shows
//! (here), the overview (what the cohort is, the person's membership, following, calendar:
//! `overview`), its members (listed ones; facilitators add people: `members`; staff manage
//! them all and export them: `staff`), and join requests for facilitators (`requests`).
//! Every handler names its door (`Inside`, `Steering`, `Leading`), so none runs unchecked.

use axum::{
    Router,
    routing::{get, post},
};

use super::Access;
use crate::{error::AppResult, viewer::Person};

mod members;
mod overview;
mod requests;
mod staff;

pub fn router() -> Router<crate::state::AppState> {
    Router::new()
        .route("/cohorts/{slug}", get(overview::show))
        .route(
            "/cohorts/{slug}/members",
            get(members::members).post(members::add_member),
        )
        .route("/cohorts/{slug}/members.csv", get(staff::members_csv))
        .route(
            "/cohorts/{slug}/members/{person_id}/remove",
            get(staff::remove_form).post(staff::remove),
        )
        .route(
            "/cohorts/{slug}/members/{person_id}/role",
            post(staff::set_role),
        )
        .route(
            "/cohorts/{slug}/members/{person_id}/listing",
            post(staff::set_listing),
        )
        .route("/cohorts/{slug}/requests", get(requests::requests))
        .route(
            "/cohorts/{slug}/requests/{id}/approve",
            post(requests::approve),
        )
        .route(
            "/cohorts/{slug}/requests/{id}/decline",
            get(requests::decline_form).post(requests::decline),
        )
}

/// The heading and navigation every page of a space shows (`cohorts/space_nav.html`).
pub struct SpaceNav {
    pub slug: String,
    pub name: String,
    /// Which tab: "overview", "discussion", "resources", "sessions", "members", "requests".
    pub current: &'static str,
    pub facilitator: bool,
    pub archived: bool,
    /// Join requests waiting, shown to facilitators.
    pub pending: i64,
}

impl SpaceNav {
    pub fn tabs(&self) -> Vec<(&'static str, String, &'static str)> {
        let base = format!("/cohorts/{}", self.slug);
        let mut tabs = vec![
            ("overview", base.clone(), "Overview"),
            ("discussion", format!("{base}/discussion"), "Discussion"),
            ("resources", format!("{base}/resources"), "Resources"),
            ("sessions", format!("{base}/sessions"), "Sessions"),
            ("members", format!("{base}/members"), "Members"),
        ];
        if self.facilitator {
            tabs.push(("requests", format!("{base}/requests"), "Requests"));
        }
        tabs
    }
    /// The count a tab shows: requests waiting, on the requests tab.
    pub fn badge(&self, tab: &str) -> i64 {
        if tab == "requests" { self.pending } else { 0 }
    }
    pub fn aria(&self, tab: &str) -> &'static str {
        if tab == self.current { "page" } else { "false" }
    }
}

/// The navigation of a space for this person, on the tab `current`.
pub async fn nav(
    state: &crate::state::AppState,
    person: &Person,
    access: &Access,
    current: &'static str,
) -> AppResult<SpaceNav> {
    let facilitator = access.can_facilitate(person);
    let pending = if facilitator {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM cohort_requests WHERE cohort_id = $1 AND status = 'pending'",
        )
        .bind(access.cohort.id)
        .fetch_one(&state.pool)
        .await?
    } else {
        0
    };
    Ok(SpaceNav {
        slug: access.cohort.slug.clone(),
        name: access.cohort.name.clone(),
        current,
        facilitator,
        archived: access.cohort.is_archived(),
        pending,
    })
}
