//! The emails that tell a cohort's followers about a new, changed or cancelled session.

use sqlx::AnyConnection;

use super::Session;
use crate::time::{own_span, span};
use crate::{
    cohorts::{
        Cohort,
        emails::{SessionChange, SessionNotice},
    },
    error::AppResult,
    notify,
    state::AppState,
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
    for recipient in crate::cohorts::mail_recipients(&mut *conn, cohort, except).await? {
        let zone = recipient.zone(&default);
        let email = SessionNotice {
            org_name: state.config.org_name.clone(),
            name: recipient.name.clone(),
            cohort_name: cohort.name.clone(),
            change,
            title: session.title.clone(),
            when: span(&zone, session.starts_at, session.ends_at),
            own_when: own_span(&zone, &own, session.starts_at, session.ends_at).unwrap_or_default(),
            call_url: session.call_url.clone(),
            link: link.clone(),
        };
        notify::enqueue(&mut *conn, state, &recipient.email, &email).await?;
    }
    Ok(())
}
