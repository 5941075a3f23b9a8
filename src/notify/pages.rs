//! The staff's view of the outbox: pending, sent and failed mail, and sending failed mail
//! again, one email or all of them (of a kind) at once.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query},
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;

use super::outbox::{self, Entry, OutboxStatus};
use crate::{
    error::{AppError, AppResult},
    policy,
    state::AppState,
    web::{self, Layout, Staff, form::Form},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/outbox", get(list))
        .route("/staff/outbox/{id}/retry", post(retry))
        .route("/staff/outbox/failed/retry", post(retry_failed))
}

#[derive(Template)]
#[template(path = "notify/outbox.html")]
struct OutboxPage {
    layout: Layout,
    /// The list shown: waiting (with those being sent), sent or failed.
    status: OutboxStatus,
    tabs: Vec<(OutboxStatus, &'static str, i64)>,
    entries: Vec<Entry>,
    /// On the failed list: the kind shown ("" for all), and the failed emails' kinds with
    /// how many of each.
    kind: String,
    kinds: Vec<(String, i64)>,
    /// How many failed emails the "send again" button puts back in the queue.
    to_retry: i64,
    /// Seconds an email is retried before it is given up.
    give_up: i64,
}

impl OutboxPage {
    /// An instant in the reader's zone.
    fn when(&self, t: &i64) -> String {
        self.layout.time(t)
    }
    fn when_opt(&self, t: &Option<i64>) -> String {
        t.map(|t| self.layout.time(&t)).unwrap_or_default()
    }
    /// When a failing email will be given up, if it is failing.
    fn gives_up(&self, e: &Entry) -> Option<String> {
        e.failing_since
            .map(|t| self.layout.time(&(t + self.give_up)))
    }
    /// How long a failing email is retried, in words.
    fn give_up_words(&self) -> String {
        match self.give_up / 3600 {
            1 => "an hour".to_owned(),
            h if h % 24 == 0 && h > 24 => format!("{} days", h / 24),
            h => format!("{h} hours"),
        }
    }
    fn all_failed(&self) -> i64 {
        self.kinds.iter().map(|(_, n)| n).sum()
    }
}

#[derive(Deserialize)]
struct StatusQuery {
    status: Option<String>,
    kind: Option<String>,
}

#[derive(Deserialize)]
struct RetryFailedForm {
    #[serde(default)]
    kind: String,
}

async fn list(Staff(ctx, person): Staff, Query(q): Query<StatusQuery>) -> AppResult<Response> {
    web::permit(policy::can_see_outbox(&person))?;
    // The emails being sent are listed with those waiting.
    let status = match q.status.as_deref() {
        None | Some("") => OutboxStatus::Pending,
        Some(s) => match OutboxStatus::parse(s) {
            Some(OutboxStatus::Sending) => OutboxStatus::Pending,
            Some(status) => status,
            None => {
                return Err(AppError::BadRequest(
                    "There is no such list of emails.".to_owned(),
                ));
            }
        },
    };
    let counts = outbox::counts(&ctx.state.pool).await?;
    let count = |s| counts.iter().find(|(k, _)| *k == s).map_or(0, |(_, n)| *n);
    let tabs = vec![
        (
            OutboxStatus::Pending,
            "Waiting",
            count(OutboxStatus::Pending) + count(OutboxStatus::Sending),
        ),
        (OutboxStatus::Sent, "Sent", count(OutboxStatus::Sent)),
        (OutboxStatus::Failed, "Failed", count(OutboxStatus::Failed)),
    ];
    let (kind, kinds) = if status == OutboxStatus::Failed {
        (
            q.kind.unwrap_or_default(),
            outbox::failed_kinds(&ctx.state.pool).await?,
        )
    } else {
        (String::new(), Vec::new())
    };
    let mut entries = outbox::list(&ctx.state.pool, status, &kind, 200).await?;
    if status == OutboxStatus::Pending {
        entries.extend(outbox::list(&ctx.state.pool, OutboxStatus::Sending, "", 200).await?);
    }
    outbox::with_part_names(&ctx.state.pool, &mut entries).await?;
    let to_retry = kinds
        .iter()
        .filter(|(k, _)| kind.is_empty() || *k == kind)
        .map(|(_, n)| n)
        .sum();
    Ok(web::render(&OutboxPage {
        layout: ctx.layout().await,
        status,
        tabs,
        entries,
        kind,
        kinds,
        to_retry,
        give_up: ctx.state.config.mail_give_up_hours * 3600,
    }))
}

async fn retry(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_see_outbox(&person))?;
    if outbox::retry(&ctx.state.pool, id, ctx.state.clock.now()).await? {
        ctx.flash("The email is queued again and will be sent in a moment.")
            .await?;
    } else {
        ctx.flash("That email is not failed (any more), so there was nothing to retry.")
            .await?;
    }
    Ok(web::see_other("/staff/outbox?status=failed"))
}

/// Sends every failed email again (of the kind the list shows, if one), in one guarded update.
async fn retry_failed(
    Staff(ctx, person): Staff,
    Form(form): Form<RetryFailedForm>,
) -> AppResult<Response> {
    web::permit(policy::can_see_outbox(&person))?;
    let kind = form.kind.trim();
    let n = outbox::retry_failed(&ctx.state.pool, kind, ctx.state.clock.now()).await?;
    ctx.flash(match n {
        0 => "There were no failed emails to send again (any more).".to_owned(),
        1 => "1 email is queued again and will be sent in a moment.".to_owned(),
        n => format!("{n} emails are queued again and will be sent in a moment."),
    })
    .await?;
    Ok(web::see_other("/staff/outbox?status=failed"))
}
