//! The staff's view of the outbox: pending, sent and failed mail, and retrying a failure.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query},
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;

use super::outbox::{self, Entry};
use crate::{
    error::{AppError, AppResult},
    policy,
    state::AppState,
    web::{self, Layout, Staff},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/outbox", get(list))
        .route("/staff/outbox/{id}/retry", post(retry))
}

#[derive(Template)]
#[template(path = "notify/outbox.html")]
struct OutboxPage {
    layout: Layout,
    status: String,
    tabs: Vec<(&'static str, &'static str, i64)>,
    entries: Vec<Entry>,
}

impl OutboxPage {
    /// An instant in the reader's zone.
    fn when(&self, t: &i64) -> String {
        self.layout.time(t)
    }
    fn when_opt(&self, t: &Option<i64>) -> String {
        t.map(|t| self.layout.time(&t)).unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct StatusQuery {
    status: Option<String>,
}

async fn list(Staff(ctx, person): Staff, Query(q): Query<StatusQuery>) -> AppResult<Response> {
    web::permit(policy::can_see_outbox(&person))?;
    let status = match q.status.as_deref() {
        None | Some("") => "pending".to_owned(),
        Some(s @ ("pending" | "sending" | "sent" | "failed")) => s.to_owned(),
        Some(_) => {
            return Err(AppError::BadRequest(
                "There is no such list of emails.".to_owned(),
            ));
        }
    };
    let counts = outbox::counts(&ctx.state.pool).await?;
    let count = |s: &str| counts.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
    let tabs = vec![
        ("pending", "Waiting", count("pending") + count("sending")),
        ("sent", "Sent", count("sent")),
        ("failed", "Failed", count("failed")),
    ];
    let mut entries = outbox::list(&ctx.state.pool, &status, 200).await?;
    if status == "pending" {
        entries.extend(outbox::list(&ctx.state.pool, "sending", 200).await?);
    }
    Ok(web::render(&OutboxPage {
        layout: ctx.layout().await,
        status,
        tabs,
        entries,
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
