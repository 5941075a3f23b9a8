//! Planning, editing and cancelling a cohort's sessions, by its facilitators and staff: the
//! form with the start entered in a chosen zone, and the guarded changes that count each real
//! change once in the session's `sequence`.

use askama::Template;
use axum::{extract::Path, response::Response};
use serde::Deserialize;

use super::{Listed, Session, find, find_now, notices::tell, zone_of};
use crate::{
    cohorts::{Access, Cohort, emails::SessionChange},
    error::AppResult,
    text::WebUrl,
    time::Zone,
    web::{
        self, FormErrors, Layout,
        door::Steering,
        form::{self, Field, Fields, Form},
    },
};

#[derive(Debug, Default, Deserialize)]
pub struct SessionForm {
    #[serde(default)]
    pub title: String,
    /// A `datetime-local` value, in the chosen zone.
    #[serde(default)]
    pub starts: String,
    /// Minutes.
    #[serde(default)]
    pub duration: String,
    /// Empty: the zone of the person planning.
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub call_url: String,
    #[serde(default)]
    pub notes: String,
}

static FIELDS: Fields = Fields(&[
    Field {
        name: "title",
        label: "the session's title",
        max_len: 200,
        required: true,
        lines: false,
    },
    Field {
        name: "starts",
        label: "the date and time it starts",
        max_len: 32,
        required: true,
        lines: false,
    },
    Field {
        name: "duration",
        label: "its length in minutes",
        max_len: 8,
        required: true,
        lines: false,
    },
    Field {
        name: "call_url",
        label: "the video-call link",
        max_len: 2000,
        required: false,
        lines: false,
    },
    Field {
        name: "notes",
        label: "the notes",
        max_len: 20_000,
        required: false,
        lines: true,
    },
]);

/// The longest session, in minutes: a long working day.
const MAX_MINUTES: i64 = 720;

/// A checked form.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Input {
    title: String,
    starts_at: i64,
    ends_at: i64,
    time_zone: String,
    call_url: String,
    notes: String,
    notes_html: String,
}

/// Reads the form: the start entered in the chosen zone (a time that zone's clocks skip is
/// refused with its message), the end from the length.
async fn read(form: &SessionForm, planner_zone: &Zone) -> Result<Input, FormErrors> {
    let mut check = FIELDS.check();
    let title = check.text("title", &form.title);
    let zone = if form.time_zone.trim().is_empty() {
        Ok(planner_zone.clone())
    } else {
        Zone::parse(&form.time_zone)
    };
    let starts = check.text("starts", &form.starts);
    let starts_at = match &zone {
        Ok(zone) if !check.has("starts") => match zone.parse_local(&starts) {
            // To the minute, as the field shows it.
            Ok(t) => Some(t - t.rem_euclid(60)),
            Err(message) => {
                check.add("starts", message);
                None
            }
        },
        _ => None,
    };
    let duration = check.text("duration", &form.duration);
    let minutes = if check.has("duration") {
        None
    } else {
        check.number(
            "duration",
            &duration,
            5..=MAX_MINUTES,
            &format!("Enter the length in minutes: a whole number from 5 to {MAX_MINUTES}."),
        )
    };
    if let Err(message) = &zone {
        check.add("time_zone", message.clone());
    }
    let call_url = check.text("call_url", &form.call_url);
    // Kept as a browser reads it: the link in the page, the email and the calendar is the
    // address a browser goes to.
    let call_url = match WebUrl::parse(&call_url) {
        Ok(parsed) => parsed.as_str().to_owned(),
        Err(_) => {
            if !call_url.is_empty() && !check.has("call_url") {
                check.add(
                    "call_url",
                    "Enter the video-call link as a web address starting with https:// (or http://), \
                     for example https://meet.example.org/water-cohort.",
                );
            }
            call_url
        }
    };
    let notes = check.markdown("notes", &form.notes).await;
    check.finish()?;
    let (Ok(zone), Some(starts_at), Some(minutes)) = (zone, starts_at, minutes) else {
        unreachable!("every field was read without a message");
    };
    Ok(Input {
        title,
        starts_at,
        ends_at: starts_at + minutes * 60,
        time_zone: zone.name().to_owned(),
        call_url,
        notes: notes.source,
        notes_html: notes.html,
    })
}

#[derive(Template)]
#[template(path = "cohorts/sessions_form.html")]
struct FormPage {
    layout: Layout,
    cohort: Cohort,
    heading: String,
    action: String,
    button: &'static str,
    /// The label of the empty zone choice: the planner's own zone.
    zone_default: String,
    form: SessionForm,
    errors: FormErrors,
    fields: &'static Fields,
}

async fn form_page(
    ctx: &web::Ctx,
    access: &Access,
    session: Option<&Session>,
    form: SessionForm,
    errors: FormErrors,
) -> AppResult<Response> {
    let mut layout = ctx.layout().await;
    let cohort = &access.cohort;
    let (heading, action, button) = match session {
        Some(s) => (
            format!("Edit the session “{}”", s.title),
            format!("/cohorts/{}/sessions/{}", cohort.slug, s.id),
            "Save the session",
        ),
        None => (
            format!("Plan a session of {}", cohort.name),
            format!("/cohorts/{}/sessions", cohort.slug),
            "Plan the session",
        ),
    };
    layout.meta.title = heading.clone();
    let failed = !errors.is_empty();
    let form = SessionForm {
        title: FIELDS.keep("title", &form.title),
        starts: FIELDS.keep("starts", &form.starts),
        duration: FIELDS.keep("duration", &form.duration),
        call_url: FIELDS.keep("call_url", &form.call_url),
        notes: FIELDS.keep("notes", &form.notes),
        time_zone: form.time_zone.chars().take(64).collect(),
    };
    let page = FormPage {
        zone_default: format!("Your time zone ({})", layout.zone.name()),
        layout,
        cohort: cohort.clone(),
        heading,
        action,
        button,
        form,
        errors,
        fields: &FIELDS,
    };
    Ok(if failed {
        form::again(&page)
    } else {
        web::render(&page)
    })
}

pub(super) async fn new_form(
    Steering(ctx, person, access): Steering<Access>,
) -> AppResult<Response> {
    let form = SessionForm {
        duration: "60".to_owned(),
        time_zone: zone_of(&ctx.state, &person).name().to_owned(),
        ..SessionForm::default()
    };
    form_page(&ctx, &access, None, form, FormErrors::default()).await
}

/// The UID of a new session: random, at the portal's host ("cohort-session-…@example.org").
fn new_uid(base: &str) -> String {
    let host = WebUrl::parse(base).map_or_else(|_| "portal".to_owned(), |url| url.host_name());
    format!(
        "cohort-session-{}@{}",
        crate::accounts::tokens::generate(),
        host
    )
}

pub(super) async fn create(
    Steering(ctx, person, access): Steering<Access>,
    Path(slug): Path<String>,
    Form(form): Form<SessionForm>,
) -> AppResult<Response> {
    let input = match read(&form, &zone_of(&ctx.state, &person)).await {
        Ok(input) => input,
        Err(errors) => return form_page(&ctx, &access, None, form, errors).await,
    };
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cohort_sessions (cohort_id, uid, title, starts_at, ends_at, time_zone, \
         call_url, notes, notes_html, sequence, cancelled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 0, $10, $10) RETURNING id",
    )
    .bind(access.cohort.id)
    .bind(new_uid(ctx.state.config.base()))
    .bind(&input.title)
    .bind(input.starts_at)
    .bind(input.ends_at)
    .bind(&input.time_zone)
    .bind(&input.call_url)
    .bind(&input.notes)
    .bind(&input.notes_html)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let session = find(&mut tx, access.cohort.id, id).await?;
    tell(
        &mut tx,
        &ctx.state,
        &access.cohort,
        &session,
        person.id,
        SessionChange::New,
        now,
    )
    .await?;
    tx.commit().await?;
    ctx.flash(format!("The session “{}” is planned.", session.title))
        .await?;
    Ok(web::see_other(&format!("/cohorts/{slug}/sessions")))
}

pub(super) async fn edit_form(
    Steering(ctx, _, access): Steering<Access>,
    Path((slug, session_id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let session = find_now(&ctx.state.pool, access.cohort.id, session_id).await?;
    if session.is_cancelled() {
        return already_cancelled(&ctx, &slug, &session).await;
    }
    let zone = session.zone();
    let form = SessionForm {
        title: session.title.clone(),
        starts: zone.field_value(session.starts_at),
        duration: ((session.ends_at - session.starts_at) / 60).to_string(),
        time_zone: zone.name().to_owned(),
        call_url: session.call_url.clone(),
        notes: session.notes.clone(),
    };
    form_page(&ctx, &access, Some(&session), form, FormErrors::default()).await
}

/// A cancelled session stays as it was: the person is told so, on the list.
async fn already_cancelled(ctx: &web::Ctx, slug: &str, session: &Session) -> AppResult<Response> {
    ctx.flash(format!(
        "The session “{}” is cancelled: it can no longer be changed.",
        session.title
    ))
    .await?;
    Ok(web::see_other(&format!("/cohorts/{slug}/sessions")))
}

pub(super) async fn update(
    Steering(ctx, person, access): Steering<Access>,
    Path((slug, session_id)): Path<(String, i64)>,
    Form(form): Form<SessionForm>,
) -> AppResult<Response> {
    let session = find_now(&ctx.state.pool, access.cohort.id, session_id).await?;
    let input = match read(&form, &zone_of(&ctx.state, &person)).await {
        Ok(input) => input,
        Err(errors) => return form_page(&ctx, &access, Some(&session), form, errors).await,
    };
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    // Counted only when something changes: the statement compares with the row as it stands
    // when it runs, and the row stays locked to this transaction until it ends, so that
    // parallel edits each count once when they change it and not at all when they save what
    // is there already.
    let changed: Option<Session> = sqlx::query_as(concat!(
        "UPDATE cohort_sessions SET title = $1, starts_at = $2, ends_at = $3, time_zone = $4, \
         call_url = $5, notes = $6, notes_html = $10, sequence = sequence + 1, updated_at = $7 \
         WHERE id = $8 AND cohort_id = $9 AND cancelled = 0 \
         AND (title <> $1 OR starts_at <> $2 OR ends_at <> $3 OR time_zone <> $4 \
         OR call_url <> $5 OR notes <> $6) RETURNING ",
        session_columns!()
    ))
    .bind(&input.title)
    .bind(input.starts_at)
    .bind(input.ends_at)
    .bind(&input.time_zone)
    .bind(&input.call_url)
    .bind(&input.notes)
    .bind(now)
    .bind(session.id)
    .bind(access.cohort.id)
    .bind(&input.notes_html)
    .fetch_optional(&mut *tx)
    .await?;
    match changed {
        Some(changed) => {
            tell(
                &mut tx,
                &ctx.state,
                &access.cohort,
                &changed,
                person.id,
                SessionChange::Changed,
                now,
            )
            .await?;
        }
        // Unchanged, or cancelled meanwhile: the row as it stands says which.
        None if find(&mut tx, access.cohort.id, session.id)
            .await?
            .is_cancelled() =>
        {
            tx.rollback().await?;
            return already_cancelled(&ctx, &slug, &session).await;
        }
        None => {}
    }
    tx.commit().await?;
    ctx.flash(format!("The session “{}” is saved.", input.title))
        .await?;
    Ok(web::see_other(&format!("/cohorts/{slug}/sessions")))
}

/// Cancelling a session: the confirmation first.
pub(super) async fn cancel_form(
    Steering(ctx, _, access): Steering<Access>,
    Path((slug, session_id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let session = find_now(&ctx.state.pool, access.cohort.id, session_id).await?;
    if session.is_cancelled() {
        return already_cancelled(&ctx, &slug, &session).await;
    }
    let layout = ctx.layout().await;
    let session = Listed::of(&session, &layout.zone);
    let list = format!("{}/sessions", access.cohort.href());
    let when = match &session.own_when {
        Some(own) => format!("{} ({own})", session.when),
        None => session.when.clone(),
    };
    Ok(web::confirm::Confirm {
        layout,
        title: format!("Cancel the session “{}”", session.title),
        heading: format!("Cancel the session “{}”?", session.title),
        explanation: "The session stays in the list, marked as cancelled. Everyone who follows the cohort gets an email, and calendars that subscribed to the cohort's sessions strike it. A cancelled session cannot be changed again.".to_owned(),
        action: format!("{list}/{}/cancel", session.id),
        button: "Cancel the session".to_owned(),
        back: list.clone(),
        back_label: "Keep the session".to_owned(),
        crumb: Some((list, format!("Sessions of {}", access.cohort.name))),
        detail: Some(web::confirm::Detail {
            text: when,
            datetime: Some(session.datetime.clone()),
        }),
        note: None,
    }
    .render())
}

/// Cancels a session once: the first request counts the change and sends the emails.
pub(super) async fn cancel(
    Steering(ctx, person, access): Steering<Access>,
    Path((slug, session_id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let session = find_now(&ctx.state.pool, access.cohort.id, session_id).await?;
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let done = sqlx::query(
        "UPDATE cohort_sessions SET cancelled = 1, sequence = sequence + 1, updated_at = $1 \
         WHERE id = $2 AND cohort_id = $3 AND cancelled = 0",
    )
    .bind(now)
    .bind(session.id)
    .bind(access.cohort.id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        tx.rollback().await?;
        ctx.flash(format!(
            "The session “{}” was already cancelled.",
            session.title
        ))
        .await?;
        return Ok(web::see_other(&format!("/cohorts/{slug}/sessions")));
    }
    let cancelled = find(&mut tx, access.cohort.id, session.id).await?;
    tell(
        &mut tx,
        &ctx.state,
        &access.cohort,
        &cancelled,
        person.id,
        SessionChange::Cancelled,
        now,
    )
    .await?;
    tx.commit().await?;
    ctx.flash(format!(
        "The session “{}” is cancelled. Its followers get an email, and subscribed calendars strike it.",
        session.title
    ))
    .await?;
    Ok(web::see_other(&format!("/cohorts/{slug}/sessions")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> Zone {
        Zone::parse(name).unwrap()
    }

    #[test]
    fn a_uid_is_random_at_the_portals_host() {
        let a = new_uid("https://portal.example.org/");
        let b = new_uid("https://portal.example.org");
        assert!(a.starts_with("cohort-session-") && a.ends_with("@portal.example.org"));
        assert_ne!(a, b);
        assert!(new_uid("http://127.0.0.1:3000").ends_with("@127.0.0.1"));
        assert!(new_uid("http://[::1]:3000/x").ends_with("@::1"));
    }

    fn form(starts: &str, zone: &str) -> SessionForm {
        SessionForm {
            title: "Rates".to_owned(),
            starts: starts.to_owned(),
            duration: "90".to_owned(),
            time_zone: zone.to_owned(),
            ..SessionForm::default()
        }
    }

    #[tokio::test]
    async fn a_start_is_read_in_the_chosen_zone_or_the_planners() {
        let planner = zone("America/New_York");
        let input = read(&form("2027-01-14T09:00", "America/Chicago"), &planner)
            .await
            .unwrap();
        assert_eq!(input.starts_at, 1_799_938_800);
        assert_eq!(input.ends_at - input.starts_at, 90 * 60);
        assert_eq!(input.time_zone, "America/Chicago");
        let input = read(&form("2027-01-14T10:00:59", ""), &planner)
            .await
            .unwrap();
        assert_eq!(input.starts_at, 1_799_938_800);
        assert_eq!(input.time_zone, "America/New_York");
    }

    #[tokio::test]
    async fn a_skipped_hour_an_unknown_zone_and_a_bad_length_are_refused() {
        let planner = zone("America/Chicago");
        let errors = read(&form("2027-03-14T02:30", "America/Chicago"), &planner)
            .await
            .unwrap_err();
        assert!(
            errors
                .get("starts")
                .unwrap()
                .contains("does not exist in America/Chicago")
        );
        let errors = read(&form("2027-03-14T02:30", "Mars/Base"), &planner)
            .await
            .unwrap_err();
        assert!(errors.get("time_zone").is_some());
        assert!(errors.get("starts").is_none());
        let mut f = form("2027-01-14T09:00", "");
        f.duration = "0".to_owned();
        f.call_url = "javascript:alert(1)".to_owned();
        let errors = read(&f, &planner).await.unwrap_err();
        assert!(errors.get("duration").is_some());
        assert!(errors.get("call_url").is_some());
    }
}
