//! The meeting's emails, through the outbox in the transaction of the change: a registration
//! (or its place on the waitlist), a promotion from the waitlist, a change of time or place,
//! a cancellation (of a registration, or of the meeting). Each names the meeting, links to the
//! person's registration, and carries the calendar entry that mail programs update in place
//! (one UID per registration, its SEQUENCE growing with each change).

use sqlx::AnyConnection;

use super::{Meeting, RegStatus, Registration};
use crate::{
    email_templates,
    error::AppResult,
    notify::{self, Attachment, Email},
    state::AppState,
};

/// What happened, for the person registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Happened {
    Registered,
    Waiting,
    Promoted,
    Changed,
    /// The person's registration was cancelled.
    Withdrawn,
    /// The meeting is cancelled.
    MeetingCancelled,
}

/// To a registrant: what happened to their registration or to the meeting.
pub struct Notice {
    pub org_name: String,
    pub name: String,
    pub meeting_title: String,
    pub happened: Happened,
    /// "You are number 3 on the waitlist."
    pub place: String,
    /// The meeting's dates in the venue's zone, and where.
    pub when: String,
    pub venue: String,
    pub type_name: String,
    pub link: String,
    /// The check-in QR code is among the parts (shown in the HTML by its content id).
    pub checkin_code: bool,
    pub parts: Vec<Attachment>,
}
email_templates!(
    Notice,
    "email/meeting_notice.txt",
    "email/meeting_notice.html"
);

impl Notice {
    pub fn heading(&self) -> String {
        match self.happened {
            Happened::Registered => format!("You are registered for {}.", self.meeting_title),
            Happened::Waiting => {
                format!("{} is full: you are on the waitlist.", self.meeting_title)
            }
            Happened::Promoted => format!(
                "A place opened: you are now registered for {}.",
                self.meeting_title
            ),
            Happened::Changed => format!("{} has changed.", self.meeting_title),
            Happened::Withdrawn => {
                format!("Your registration for {} is cancelled.", self.meeting_title)
            }
            Happened::MeetingCancelled => format!("{} is cancelled.", self.meeting_title),
        }
    }
    pub fn has_calendar(&self) -> bool {
        self.parts
            .iter()
            .any(|p| p.content_type.starts_with("text/calendar"))
    }
    pub fn checkin_cid(&self) -> &'static str {
        super::checkin::CONTENT_ID
    }
}

impl Email for Notice {
    const KIND: &'static str = "meeting-notice";
    fn subject(&self) -> String {
        match self.happened {
            Happened::Registered => format!("Registered: {}", self.meeting_title),
            Happened::Waiting => format!("On the waitlist: {}", self.meeting_title),
            Happened::Promoted => format!("You have a place: {}", self.meeting_title),
            Happened::Changed => format!("Changed: {}", self.meeting_title),
            Happened::Withdrawn => {
                format!("Cancelled: your registration for {}", self.meeting_title)
            }
            Happened::MeetingCancelled => format!("Cancelled: {}", self.meeting_title),
        }
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
    fn attachments(&self) -> Vec<Attachment> {
        self.parts.clone()
    }
}

/// The type's name of a registration.
async fn type_name(conn: &mut AnyConnection, type_id: i64) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT name FROM meeting_types WHERE id = $1")
        .bind(type_id)
        .fetch_one(conn)
        .await
}

/// Tells the registrant of `r` what happened, in the transaction on `conn`.
pub async fn tell(
    conn: &mut AnyConnection,
    state: &AppState,
    meeting: &Meeting,
    r: &Registration,
    happened: Happened,
) -> AppResult<()> {
    let place = match super::places::waitlist_number(conn, r).await? {
        Some(n) if happened == Happened::Waiting => format!(
            "You are number {n} on the waitlist. If a place opens, you get it in that order and we tell you by email."
        ),
        _ => String::new(),
    };
    let zone = meeting.zone();
    let org_name = crate::web::identity::org_name_on(conn, state).await?;
    let mut parts = super::calendar::parts(state, &org_name, meeting, r, happened);
    let code = match happened {
        Happened::Registered | Happened::Promoted | Happened::Changed => {
            super::checkin::email_part(state, meeting, r)
        }
        _ => None,
    };
    let checkin_code = code.is_some();
    parts.extend(code);
    let notice = Notice {
        org_name,
        name: r.name.clone(),
        meeting_title: meeting.title.clone(),
        happened,
        place,
        when: format!(
            "{} ({})",
            crate::time::span(&zone, meeting.starts_at, meeting.ends_at),
            zone.spoken(meeting.starts_at)
        ),
        venue: [meeting.venue.as_str(), meeting.venue_address.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        type_name: type_name(conn, r.type_id).await?,
        link: format!(
            "{}/meetings/{}/registrations/{}",
            state.config.base(),
            meeting.slug,
            r.id
        ),
        checkin_code,
        parts,
    };
    notify::enqueue(conn, state, &r.email, &notice).await?;
    Ok(())
}

/// Tells each promoted registrant.
pub async fn promoted(
    conn: &mut AnyConnection,
    state: &AppState,
    meeting: &Meeting,
    promoted: &[Registration],
) -> AppResult<()> {
    for r in promoted {
        tell(conn, state, meeting, r, Happened::Promoted).await?;
    }
    Ok(())
}

/// Everyone registered or waiting.
async fn everyone(conn: &mut AnyConnection, meeting_id: i64) -> sqlx::Result<Vec<Registration>> {
    sqlx::query_as(concat!(
        "SELECT ",
        crate::registration_columns!(),
        " FROM meeting_registrations r WHERE r.meeting_id = $1 AND r.status <> 'cancelled' ORDER BY r.id"
    ))
    .bind(meeting_id)
    .fetch_all(conn)
    .await
}

/// Tells every registrant that the time or place changed: how many were told.
pub async fn meeting_changed(
    conn: &mut AnyConnection,
    state: &AppState,
    meeting: &Meeting,
) -> AppResult<usize> {
    let all = everyone(conn, meeting.id).await?;
    for r in &all {
        tell(conn, state, meeting, r, Happened::Changed).await?;
    }
    Ok(all.len())
}

/// Tells every registrant that the meeting is cancelled: how many were told. Their
/// registrations stay as they were (a record of who had come), the calendar entries are
/// cancelled.
pub async fn meeting_cancelled(
    conn: &mut AnyConnection,
    state: &AppState,
    meeting: &Meeting,
) -> AppResult<usize> {
    let all = everyone(conn, meeting.id).await?;
    for r in &all {
        tell(conn, state, meeting, r, Happened::MeetingCancelled).await?;
    }
    Ok(all.len())
}

/// What a registration's status says in the notice sent when it is made.
pub fn on_registering(status: RegStatus) -> Happened {
    match status {
        RegStatus::Waiting => Happened::Waiting,
        _ => Happened::Registered,
    }
}
