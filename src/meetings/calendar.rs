//! The meeting in calendars, through the core calendar writer: each registrant's entry sent
//! by email (`METHOD:REQUEST`, one UID per registration, SEQUENCE the sum of the meeting's
//! changes and the registration's, so that it only grows; `METHOD:CANCEL` when it ends), and
//! the meeting's public calendar file with its agenda.

use super::{AgendaItem, Meeting, RegStatus, Registration, emails::Happened};
use crate::{
    notify::{Attachment, PartRole},
    state::AppState,
    text::ics::{self, Event, Method, Organizer},
};

/// The address in "Name <address>".
fn address_of(mailbox: &str) -> String {
    match (mailbox.rfind('<'), mailbox.rfind('>')) {
        (Some(a), Some(b)) if a < b => mailbox[a + 1..b].trim().to_owned(),
        _ => mailbox.trim().to_owned(),
    }
}

pub fn host(state: &AppState) -> String {
    address_of(&state.config.mail_from())
        .rsplit('@')
        .next()
        .unwrap_or("localhost")
        .to_owned()
}

/// The venue as a calendar's LOCATION: "Lafayette Event Center, 1000 S Public Rd, …".
fn location(meeting: &Meeting) -> String {
    [meeting.venue.as_str(), meeting.venue_address.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A registrant's entry for the meeting.
pub fn entry(
    state: &AppState,
    org_name: &str,
    meeting: &Meeting,
    r: &Registration,
    cancelled: bool,
) -> Event {
    let page_url = format!(
        "{}/meetings/{}/registrations/{}",
        state.config.base(),
        meeting.slug,
        r.id
    );
    Event {
        uid: r.uid.clone(),
        sequence: meeting.sequence + r.sequence,
        stamp: state.clock.now(),
        created: r.created_at,
        starts_at: meeting.starts_at,
        ends_at: meeting.ends_at,
        summary: meeting.title.clone(),
        description: format!("Your registration: {page_url}"),
        call_url: None,
        page_url,
        cancelled,
        location: Some(location(meeting)).filter(|l| !l.is_empty()),
        organizer: Some(Organizer {
            name: org_name.to_owned(),
            email: address_of(&state.config.mail_from()),
        }),
        attendee: Some(Organizer {
            name: r.name.clone(),
            email: r.email.clone(),
        }),
    }
}

/// The calendar parts of a notice: the entry as an alternative part that mail programs offer
/// to add or update, and the same as an `.ics` file; none while the person only waits.
pub fn parts(
    state: &AppState,
    org_name: &str,
    meeting: &Meeting,
    r: &Registration,
    happened: Happened,
) -> Vec<Attachment> {
    let method = match happened {
        Happened::Withdrawn | Happened::MeetingCancelled => Method::Cancel,
        Happened::Registered | Happened::Promoted | Happened::Changed
            if r.status == RegStatus::Registered =>
        {
            Method::Request
        }
        _ => return Vec::new(),
    };
    let event = entry(state, org_name, meeting, r, method == Method::Cancel);
    let body = ics::calendar_as(method, org_name, &meeting.title, &[event], false).into_bytes();
    let content_type = method.content_type();
    vec![
        Attachment {
            filename: "invite.ics".to_owned(),
            content_type: content_type.clone(),
            body: body.clone(),
            role: PartRole::Alternative,
        },
        Attachment {
            filename: format!("{}.ics", meeting.slug),
            content_type,
            body,
            role: PartRole::File,
        },
    ]
}

/// The meeting and its agenda, for anyone who may see its page.
pub fn public(
    state: &AppState,
    org_name: &str,
    meeting: &Meeting,
    agenda: &[AgendaItem],
) -> String {
    let host = host(state);
    let page_url = format!("{}{}", state.config.base(), meeting.href());
    let cancelled = meeting.status == super::MeetingStatus::Cancelled;
    let mut events = vec![Event {
        uid: format!("meeting-{}@{host}", meeting.id),
        sequence: meeting.sequence,
        stamp: meeting.updated_at,
        created: meeting.created_at,
        starts_at: meeting.starts_at,
        ends_at: meeting.ends_at,
        summary: meeting.title.clone(),
        description: format!("{}: {page_url}", meeting.title),
        page_url: page_url.clone(),
        cancelled,
        location: Some(location(meeting)).filter(|l| !l.is_empty()),
        ..Event::default()
    }];
    for item in agenda {
        let mut description = [item.speakers.as_str(), item.note.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&format!("{}: {page_url}", meeting.title));
        let place = [item.room.as_str(), meeting.venue.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        events.push(Event {
            uid: format!("meeting-{}-item-{}@{host}", meeting.id, item.id),
            sequence: meeting.sequence,
            stamp: meeting.updated_at,
            created: meeting.created_at,
            starts_at: item.starts_at,
            ends_at: item.ends_at,
            summary: format!("{} ({})", item.title, meeting.title),
            description,
            page_url: page_url.clone(),
            cancelled,
            location: Some(place).filter(|l| !l.is_empty()),
            ..Event::default()
        });
    }
    ics::calendar(org_name, &meeting.title, &events, false)
}
