//! The meetings as everyone sees them: `/meetings` (the next ones, then past ones), a
//! meeting's page with its agenda in the venue's zone (the reader's own beside it), the places
//! left per type and how to register, its calendar file, and for members the attendee list
//! (only those who agreed to appear on it).

use askama::Template;
use axum::{Router, extract::Path, response::Response, routing::get};

use super::{AgendaItem, Meeting, RegType, Registration, places::Counts};
use crate::{
    error::{AppError, AppResult},
    policy,
    time::{Zone, own_span, span},
    web::{self, Layout, Member, Viewer},
};

pub fn router() -> Router<crate::state::AppState> {
    Router::new()
        .route("/meetings", get(list))
        .route("/meetings/{slug}", get(show))
        .route("/meetings/{slug}/calendar.ics", get(calendar))
        .route("/meetings/{slug}/attendees", get(attendees))
}

#[derive(Template)]
#[template(path = "meetings/list.html")]
struct ListPage {
    layout: Layout,
    upcoming: Vec<Meeting>,
    past: Vec<Meeting>,
}

async fn list(ctx: Viewer) -> AppResult<Response> {
    let staff = ctx.person.as_ref().is_some_and(policy::can_manage_meetings);
    let all: Vec<Meeting> = sqlx::query_as(concat!(
        "SELECT ",
        crate::meeting_columns!(),
        " FROM meetings m WHERE m.status <> 'draft' OR $1 = 1 ORDER BY m.starts_at DESC, m.id DESC LIMIT 200"
    ))
    .bind(i64::from(staff))
    .fetch_all(&ctx.state.pool)
    .await?;
    let now = ctx.state.clock.now();
    let (mut upcoming, past): (Vec<_>, Vec<_>) = all.into_iter().partition(|m| {
        m.ends_at > now && m.status != super::MeetingStatus::Past
    });
    upcoming.reverse();
    let mut layout = ctx.layout().await;
    layout.meta.title = "Annual meeting".to_owned();
    layout.meta.description =
        "The network's annual meeting: mayors and advisors of the member cities, together for two or three days in a host city.".to_owned();
    Ok(web::render(&ListPage {
        layout,
        upcoming,
        past,
    }))
}

/// A type as the page shows it.
pub struct TypeLine {
    pub t: RegType,
    /// "12 places left", "Full: new registrations join the waitlist", "Places available".
    pub left: String,
}

/// An agenda item as one reader sees it.
pub struct ItemLine {
    pub item: AgendaItem,
    pub when: String,
    /// In the reader's zone, when it differs from the venue's.
    pub yours: Option<String>,
}

#[derive(Template)]
#[template(path = "meetings/show.html")]
struct ShowPage {
    layout: Layout,
    meeting: Meeting,
    when: String,
    /// The venue's zone as people say it: "Mountain time".
    zone_spoken: String,
    yours: Option<String>,
    types: Vec<TypeLine>,
    agenda: Vec<ItemLine>,
    /// Why registration is not open, or `None`.
    closed: Option<String>,
    /// The reader may register now.
    may_register: bool,
    /// The reader is a mayor (registers the city's advisors too).
    mayor: bool,
    member: bool,
    signed_in: bool,
    own: Option<Registration>,
    staff: bool,
}

pub fn type_lines(meeting: &Meeting, types: Vec<RegType>, counts: &Counts) -> Vec<TypeLine> {
    types
        .into_iter()
        .map(|t| {
            let left = match counts.left(meeting, &t) {
                Some(0) => "Full: new registrations join the waitlist".to_owned(),
                Some(1) => "1 place left".to_owned(),
                Some(n) => format!("{n} places left"),
                None => "Places available".to_owned(),
            };
            TypeLine { t, left }
        })
        .collect()
}

pub fn agenda_lines(meeting: &Meeting, agenda: Vec<AgendaItem>, reader: &Zone) -> Vec<ItemLine> {
    let venue = meeting.zone();
    agenda
        .into_iter()
        .map(|item| ItemLine {
            when: span(&venue, item.starts_at, item.ends_at),
            yours: own_span(&venue, reader, item.starts_at, item.ends_at),
            item,
        })
        .collect()
}

async fn show(ctx: Viewer, Path(slug): Path<String>) -> AppResult<Response> {
    let person = ctx.person.clone();
    let meeting = super::visible(&ctx.state, person.as_ref(), &slug).await?;
    let mut conn = ctx.state.pool.acquire().await?;
    let counts = super::places::counts(&mut conn, meeting.id).await?;
    let types = type_lines(&meeting, super::types(&mut conn, meeting.id).await?, &counts);
    let agenda = super::agenda(&mut conn, meeting.id).await?;
    let own = match &person {
        Some(p) => super::own_registration(&mut conn, meeting.id, p.id).await?,
        None => None,
    };
    drop(conn);
    let now = ctx.state.clock.now();
    let mut layout = ctx.layout().await;
    layout.meta.title = meeting.title.clone();
    let reader = layout.zone.clone();
    let venue = meeting.zone();
    let page = ShowPage {
        when: span(&venue, meeting.starts_at, meeting.ends_at),
        zone_spoken: venue.spoken(meeting.starts_at),
        yours: own_span(&venue, &reader, meeting.starts_at, meeting.ends_at),
        agenda: agenda_lines(&meeting, agenda, &reader),
        types,
        closed: meeting.closed_because(now),
        may_register: person
            .as_ref()
            .is_some_and(|p| policy::can_register_now(p, meeting.standing(now))),
        mayor: person.as_ref().is_some_and(|p| {
            p.role == policy::Role::Mayor && policy::can_register_for_meetings(p)
        }),
        member: person.as_ref().is_some_and(policy::can_see_attendees),
        signed_in: person.is_some(),
        staff: person.as_ref().is_some_and(policy::can_manage_meetings),
        own,
        meeting,
        layout,
    };
    Ok(web::render(&page))
}

async fn calendar(ctx: Viewer, Path(file): Path<String>) -> AppResult<Response> {
    let meeting = super::visible(&ctx.state, ctx.person.as_ref(), &file).await?;
    let agenda = super::agenda(&mut *ctx.state.pool.acquire().await?, meeting.id).await?;
    let body = super::calendar::public(&ctx.state, &meeting, &agenda);
    Ok(crate::text::ics::response(
        body,
        Some(format!("{}.ics", meeting.slug)),
    ))
}

/// One person on the attendee list.
#[derive(sqlx::FromRow)]
pub struct Attendee {
    pub name: String,
    pub title: String,
    pub city: String,
    pub type_name: String,
}

#[derive(Template)]
#[template(path = "meetings/attendees.html")]
struct AttendeesPage {
    layout: Layout,
    meeting: Meeting,
    attendees: Vec<Attendee>,
}

async fn attendees(Member(ctx, person): Member, Path(slug): Path<String>) -> AppResult<Response> {
    if !policy::can_see_attendees(&person) {
        return Err(AppError::NotFound);
    }
    let meeting = super::visible(&ctx.state, Some(&person), &slug).await?;
    let attendees: Vec<Attendee> = sqlx::query_as(concat!(
        "SELECT r.name, COALESCE(p.title, '') AS title, \
         COALESCE(c.name || ', ' || c.state, r.organization) AS city, t.name AS type_name \
         FROM meeting_registrations r JOIN meeting_types t ON t.id = r.type_id \
         LEFT JOIN people p ON p.id = r.person_id LEFT JOIN cities c ON c.id = r.city_id \
         WHERE r.meeting_id = $1 AND ",
        crate::listed_attendee!("r"),
        " ORDER BY r.name, r.id"
    ))
    .bind(meeting.id)
    .fetch_all(&ctx.state.pool)
    .await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Who is coming: {}", meeting.title);
    Ok(web::render(&AttendeesPage {
        layout,
        meeting,
        attendees,
    }))
}
