//! The audit log: who did what to whom, for every staff or mayor action on people, cities
//! and invitations. Written in the transaction of the action itself.

use askama::Template;
use axum::{Router, extract::Query, response::Response, routing::get};
use serde::Deserialize;
use sqlx::AnyConnection;

use crate::{
    error::AppResult,
    policy,
    state::AppState,
    web::{self, Layout, Staff, fmt_time},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/staff/audit", get(list))
}

/// What an entry is about, besides its actor.
#[derive(Default)]
pub struct Subject<'a> {
    pub person_id: Option<i64>,
    pub city_id: Option<i64>,
    pub detail: &'a str,
}

pub async fn record(
    conn: &mut AnyConnection,
    now: i64,
    actor_id: i64,
    action: &str,
    subject: Subject<'_>,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO audit_log (at, actor_id, action, person_id, city_id, detail) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(now)
        .bind(actor_id)
        .bind(action)
        .bind(subject.person_id)
        .bind(subject.city_id)
        .bind(subject.detail)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Entry {
    id: i64,
    at: i64,
    actor: Option<String>,
    action: String,
    person: Option<String>,
    city: Option<String>,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    layout: Layout,
    entries: Vec<Entry>,
    /// The id below which the next page starts, when there is one.
    older: Option<i64>,
}

impl AuditPage {
    fn when(&self, t: &i64) -> String {
        fmt_time(*t)
    }
}

#[derive(Deserialize)]
struct Before {
    before: Option<i64>,
}

const PAGE: i64 = 100;

async fn list(Staff(ctx, person): Staff, Query(q): Query<Before>) -> AppResult<Response> {
    web::permit(policy::can_see_audit_log(&person))?;
    let entries = sqlx::query_as::<_, Entry>(
        "SELECT a.id, a.at, actor.name AS actor, a.action, p.name AS person, \
                CASE WHEN c.id IS NULL THEN NULL ELSE c.name || ', ' || c.state END AS city, a.detail \
         FROM audit_log a LEFT JOIN people actor ON actor.id = a.actor_id LEFT JOIN people p ON p.id = a.person_id \
         LEFT JOIN cities c ON c.id = a.city_id WHERE a.id < $1 ORDER BY a.id DESC LIMIT $2",
    )
    .bind(q.before.unwrap_or(i64::MAX))
    .bind(PAGE)
    .fetch_all(&ctx.state.pool)
    .await?;
    let older = if entries.len() as i64 == PAGE {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(web::render(&AuditPage {
        layout: ctx.layout().await,
        entries,
        older,
    }))
}
