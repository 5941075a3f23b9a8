//! The emails that tell a cohort's followers about a new, changed or cancelled session.

use sqlx::AnyConnection;

use super::{Session, feed};
use crate::time::{own_span, span};
use crate::{
    cohorts::{
        Cohort,
        emails::{SessionChange, SessionNotice},
    },
    error::AppResult,
    notify::{self, Attachment, PartRole},
    state::AppState,
    text::ics::{self, Method, Organizer},
};

/// Emails the cohort's followers who may enter it (but the person who made the change) about
/// a session, each with its time in their own zone. Nobody is told about a session that is
/// already over.
pub(super) async fn tell(
    conn: &mut AnyConnection,
    state: &AppState,
    cohort: &Cohort,
    session: &Session,
    except: i64,
    change: SessionChange,
    now: i64,
) -> AppResult<()> {
    if session.ends_at <= now {
        return Ok(());
    }
    let default = state.config.time_zone.clone();
    let own = session.zone();
    let link = format!("{}/cohorts/{}/sessions", state.config.base(), cohort.slug);
    let org_name = crate::web::identity::org_name_on(&mut *conn, state).await?;
    let calendar = calendar_file(state, &org_name, cohort, session, change);
    for recipient in crate::cohorts::mail_recipients(&mut *conn, cohort, except).await? {
        let zone = recipient.zone(&default);
        let email = SessionNotice {
            org_name: org_name.clone(),
            name: recipient.name.clone(),
            cohort_name: cohort.name.clone(),
            change,
            title: session.title.clone(),
            when: span(&zone, session.starts_at, session.ends_at),
            own_when: own_span(&zone, &own, session.starts_at, session.ends_at).unwrap_or_default(),
            call_url: session.call_url.clone(),
            link: link.clone(),
            calendar: calendar.clone(),
        };
        notify::enqueue(&mut *conn, state, &recipient.email, &email).await?;
    }
    Ok(())
}

/// The session's calendar file, named after it: published (a calendar adds the entry, or
/// updates it by its UID and SEQUENCE), or for a cancelled session a cancellation from the
/// portal (METHOD:CANCEL, STATUS:CANCELLED), which strikes the entry.
fn calendar_file(
    state: &AppState,
    org_name: &str,
    cohort: &Cohort,
    session: &Session,
    change: SessionChange,
) -> Attachment {
    let mut event = feed::event(state, cohort, session);
    let method = if change == SessionChange::Cancelled {
        // iTIP's CANCEL names who cancels: the portal, as the email's sender.
        event.organizer = state
            .config
            .mail_from()
            .parse::<lettre::message::Mailbox>()
            .ok()
            .map(|from| Organizer {
                name: org_name.to_owned(),
                email: from.email.to_string(),
            });
        Method::Cancel
    } else {
        Method::Publish
    };
    let body = ics::calendar_as(method, org_name, &cohort.name, &[event], false);
    let stem = crate::text::slug::slugify(&session.title);
    Attachment {
        filename: if stem.is_empty() {
            "session.ics".to_owned()
        } else {
            format!("{stem}.ics")
        },
        content_type: method.content_type(),
        body: body.into_bytes(),
        role: PartRole::File,
    }
}
