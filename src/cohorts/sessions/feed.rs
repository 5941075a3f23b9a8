//! Sessions as calendars: one session's file for the people who enter the space, and each
//! member's secret feed of the cohort's sessions, both written by [`crate::text::ics`].

use axum::{
    extract::Path,
    response::Response,
};

use super::{Session, find_now, of_cohort};
use crate::{
    cohorts::{Access, AllFeeds, Cohort, Feed, entered_by},
    error::AppResult,
    state::AppState,
    text::ics,
    web::door::{ByToken, Inside},
};

/// A session as a calendar event.
fn event(state: &AppState, cohort: &Cohort, s: &Session) -> ics::Event {
    let page_url = format!("{}/cohorts/{}/sessions", state.config.base(), cohort.slug);
    let mut description = s.notes.trim().to_owned();
    if !s.call_url.is_empty() {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&format!("Video call: {}", s.call_url));
    }
    if !description.is_empty() {
        description.push_str("\n\n");
    }
    description.push_str(&format!("{}: {page_url}", cohort.name));
    ics::Event {
        uid: s.uid.clone(),
        sequence: s.sequence,
        stamp: s.updated_at,
        created: s.created_at,
        starts_at: s.starts_at,
        ends_at: s.ends_at,
        summary: format!("{} ({})", s.title, cohort.name),
        description,
        call_url: (!s.call_url.is_empty()).then(|| s.call_url.clone()),
        page_url,
        cancelled: s.is_cancelled(),
        ..ics::Event::default()
    }
}

/// One session's calendar file, for the people who enter the space.
pub(super) async fn calendar_file(
    Inside(ctx, _, access): Inside<Access>,
    Path((_, session_id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let session = find_now(&ctx.state.pool, access.cohort.id, session_id).await?;
    let body = ics::calendar(
        &ctx.state.config.org_name,
        &access.cohort.name,
        &[event(&ctx.state, &access.cohort, &session)],
        false,
    );
    Ok(ics::response(
        body,
        Some(format!("{}-session-{}.ics", access.cohort.slug, session.id)),
    ))
}

/// A member's feed of the cohort's sessions, at a secret address and without a log-in (a
/// calendar asks for it): the same 404 as for an unknown address unless the person may enter
/// the cohort now (active, of an active city or staff, still in it), and for a renewed one.
pub(super) async fn feed(ByToken(state, _, feed): ByToken<Feed>) -> AppResult<Response> {
    let cohort = feed.cohort;
    let events: Vec<ics::Event> = of_cohort(&state.pool, cohort.id)
        .await?
        .iter()
        .map(|s| event(&state, &cohort, s))
        .collect();
    Ok(ics::response(
        ics::calendar(&state.config.org_name, &cohort.name, &events, true),
        None,
    ))
}

/// A person's one feed of all their cohorts' sessions, at a secret address: the cohorts the
/// person may enter when the calendar asks, none other; a renewed address is a 404.
pub(super) async fn all_feed(ByToken(state, person, _): ByToken<AllFeeds>) -> AppResult<Response> {
    let mut conn = state.pool.acquire().await?;
    let cohorts = entered_by(&mut conn, &person).await?;
    drop(conn);
    let mut events = Vec::new();
    for cohort in &cohorts {
        for s in of_cohort(&state.pool, cohort.id).await? {
            events.push(event(&state, cohort, &s));
        }
    }
    let name = format!("Cohorts of {}", person.name);
    Ok(ics::response(
        ics::calendar(&state.config.org_name, &name, &events, true),
        None,
    ))
}
