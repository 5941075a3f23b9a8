//! iCalendar (RFC 5545) files of cohort sessions, written by hand: one VCALENDAR with a
//! VEVENT per session, times in UTC (so that no VTIMEZONE is needed and every calendar shows
//! the right hour), a UID that never changes and a SEQUENCE that grows with each change, so
//! that Outlook, Google and Apple Calendar update an event in place (and strike it when it is
//! cancelled). Lines end in CRLF and are folded at 75 octets.

use axum::{
    http::header,
    response::{IntoResponse, Response},
};
use jiff::Timestamp;

/// One event of a calendar.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub uid: String,
    pub sequence: i64,
    /// When this version of the event was written (DTSTAMP, LAST-MODIFIED).
    pub stamp: i64,
    pub created: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub summary: String,
    pub description: String,
    /// The video-call link (URL and LOCATION), when there is one.
    pub call_url: Option<String>,
    /// Where the event is described when there is no call link (URL).
    pub page_url: String,
    pub cancelled: bool,
    /// Where it happens, when it is a place (a meeting's venue); the call link otherwise.
    pub location: Option<String>,
    /// Who sends the invitation (name, email), for an entry sent by email (`METHOD:REQUEST`).
    pub organizer: Option<(String, String)>,
    /// Whom it is for (name, email), for an entry sent by email.
    pub attendee: Option<(String, String)>,
}

/// What a calendar file asks of the program that opens it (RFC 5546).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A calendar to subscribe to or import.
    Publish,
    /// An invitation sent by email: the program adds it, or updates the entry with the same
    /// UID and a lower SEQUENCE.
    Request,
    /// A cancellation of the entry with the same UID.
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// A calendar: `prodid_owner` names who makes it (PRODID), `name` is the name calendars
/// show (X-WR-CALNAME); `refresh` adds the hints that tell a subscriber how often to look
/// again (for a feed).
pub fn calendar(prodid_owner: &str, name: &str, events: &[Event], refresh: bool) -> String {
    calendar_with(prodid_owner, name, Method::Publish, events, refresh)
}

/// A calendar with the given method ([`calendar`] publishes).
pub fn calendar_with(
    prodid_owner: &str,
    name: &str,
    method: Method,
    events: &[Event],
    refresh: bool,
) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(
        &mut out,
        &format!(
            "PRODID:-//{}//Portal//EN",
            text(prodid_owner).replace("//", "/")
        ),
    );
    line(&mut out, "VERSION:2.0");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, &format!("METHOD:{}", method.as_str()));
    line(&mut out, &format!("X-WR-CALNAME:{}", text(name)));
    if refresh {
        line(&mut out, "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
        line(&mut out, "X-PUBLISHED-TTL:PT1H");
    }
    for e in events {
        event(&mut out, e);
    }
    line(&mut out, "END:VCALENDAR");
    out
}

fn event(out: &mut String, e: &Event) {
    line(out, "BEGIN:VEVENT");
    line(out, &format!("UID:{}", text(&e.uid)));
    line(out, &format!("SEQUENCE:{}", e.sequence));
    line(out, &format!("DTSTAMP:{}", utc(e.stamp)));
    line(out, &format!("CREATED:{}", utc(e.created)));
    line(out, &format!("LAST-MODIFIED:{}", utc(e.stamp)));
    line(out, &format!("DTSTART:{}", utc(e.starts_at)));
    line(out, &format!("DTEND:{}", utc(e.ends_at)));
    line(out, &format!("SUMMARY:{}", text(&e.summary)));
    if !e.description.is_empty() {
        line(out, &format!("DESCRIPTION:{}", text(&e.description)));
    }
    match &e.call_url {
        Some(url) => {
            line(out, &format!("URL:{}", uri(url)));
            line(out, &format!("LOCATION:{}", text(url)));
        }
        None => {
            line(out, &format!("URL:{}", uri(&e.page_url)));
            if let Some(place) = &e.location {
                line(out, &format!("LOCATION:{}", text(place)));
            }
        }
    }
    if let Some((name, email)) = &e.organizer {
        line(out, &format!("ORGANIZER;CN={}:mailto:{}", param(name), uri(email)));
    }
    if let Some((name, email)) = &e.attendee {
        line(
            out,
            &format!(
                "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:mailto:{}",
                param(name),
                uri(email)
            ),
        );
    }
    line(
        out,
        if e.cancelled {
            "STATUS:CANCELLED"
        } else {
            "STATUS:CONFIRMED"
        },
    );
    line(out, "TRANSP:OPAQUE");
    line(out, "END:VEVENT");
}

/// An instant as an iCalendar UTC date-time: "20270114T150000Z".
pub fn utc(t: i64) -> String {
    Timestamp::from_second(t)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// A TEXT value: backslash, semicolon and comma escaped, line breaks as `\n`, and the other
/// control characters (which a content line may not hold) left out.
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A URI value: not escaped as text, but nothing that could end the line or the value.
/// A parameter value (`CN=`): quoted, without the characters a quoted value cannot hold.
fn param(value: &str) -> String {
    let inner: String = value
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .collect();
    format!("\"{inner}\"")
}

fn uri(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace() && *c != '"')
        .collect()
}

/// Appends a content line, folded so that no line is longer than 75 octets (a continuation
/// begins with a space, which counts), never inside a character, each ending in CRLF.
fn line(out: &mut String, content: &str) {
    const MAX: usize = 75;
    let mut room = MAX;
    let mut used = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if used + len > room {
            out.push_str("\r\n ");
            room = MAX - 1;
            used = 0;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
}

/// A calendar file's answer: private, never stored by a cache.
pub fn response(body: String, file_name: Option<String>) -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        body,
    )
        .into_response();
    if let Some(name) = file_name {
        response.headers_mut().insert(
            header::CONTENT_DISPOSITION,
            crate::files::Disposition::Attachment.header(&name),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(description: &str) -> Event {
        Event {
            uid: "cohort-session-abc@example.org".to_owned(),
            sequence: 2,
            stamp: 1_795_788_840,
            created: 1_795_788_840,
            // 2027-01-14 15:00 UTC: 9:00 AM in Chicago.
            starts_at: 1_799_938_800,
            ends_at: 1_799_942_400,
            summary: "Rates, tiers; and you, too\\".to_owned(),
            description: description.to_owned(),
            call_url: Some("https://meet.example.org/water?x=1,2".to_owned()),
            page_url: "https://portal.example.org/cohorts/water/sessions".to_owned(),
            cancelled: false,
            location: None,
            organizer: None,
            attendee: None,
        }
    }

    #[test]
    fn times_are_written_in_utc() {
        assert_eq!(utc(1_799_938_800), "20270114T150000Z");
        assert_eq!(utc(0), "19700101T000000Z");
    }

    #[test]
    fn text_escapes_what_the_format_reserves() {
        assert_eq!(text("a\\b;c,d\ne\r\nf\rg"), "a\\\\b\\;c\\,d\\ne\\nf\\ng");
        assert_eq!(text("bell\u{7}\ttab"), "bell tab");
    }

    #[test]
    fn lines_end_in_crlf_and_fold_at_75_octets_without_splitting_a_character() {
        let long = "é".repeat(100) + &"x".repeat(200);
        let ics = calendar("Mayors' Network", "Water", &[sample(&long)], true);
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        for l in ics.split("\r\n") {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
            assert!(!l.contains('\n') && !l.contains('\r'));
        }
        // Unfolded, the description is whole.
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("DESCRIPTION:{long}\r\n")));
        assert!(unfolded.contains("SUMMARY:Rates\\, tiers\\; and you\\, too\\\\\r\n"));
        assert!(unfolded.contains("URL:https://meet.example.org/water?x=1,2\r\n"));
        assert!(unfolded.contains("LOCATION:https://meet.example.org/water?x=1\\,2\r\n"));
        assert!(unfolded.contains("DTSTART:20270114T150000Z\r\nDTEND:20270114T160000Z\r\n"));
        assert!(unfolded.contains("STATUS:CONFIRMED"));
        assert!(unfolded.contains("REFRESH-INTERVAL;VALUE=DURATION:PT1H"));
    }

    #[test]
    fn a_cancelled_event_says_so_and_one_without_a_call_links_its_page() {
        let mut e = sample("");
        e.cancelled = true;
        e.call_url = None;
        let ics = calendar("Org", "Water", &[e], false);
        assert!(ics.contains("STATUS:CANCELLED\r\n"));
        assert!(ics.contains("URL:https://portal.example.org/cohorts/water/sessions\r\n"));
        assert!(!ics.contains("LOCATION"));
        assert!(!ics.contains("DESCRIPTION"));
        assert!(!ics.contains("REFRESH-INTERVAL"));
    }
}
