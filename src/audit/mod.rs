//! The audit log: who did what to whom, for every staff or mayor action on people, cities
//! and invitations. Written in the transaction of the action itself.

use askama::Template;
use axum::{Router, extract::Query, response::Response, routing::get};
use serde::Deserialize;
use sqlx::AnyConnection;

use crate::{
    error::{AppError, AppResult},
    policy,
    state::AppState,
    web::{self, Layout, Staff, paging},
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
    /// The addresses of the newer and older pages, when there are.
    newer: Option<String>,
    older: Option<String>,
}

#[derive(Deserialize)]
struct PageQuery {
    after: Option<String>,
    before: Option<String>,
}

const PAGE: i64 = 100;

macro_rules! audit_select {
    ($rest:literal) => {
        concat!(
            "SELECT a.id, a.at, actor.name AS actor, a.action, p.name AS person, \
                    CASE WHEN c.id IS NULL THEN NULL ELSE c.name || ', ' || c.state END AS city, a.detail \
             FROM audit_log a LEFT JOIN people actor ON actor.id = a.actor_id LEFT JOIN people p ON p.id = a.person_id \
             LEFT JOIN cities c ON c.id = a.city_id ",
            $rest
        )
    };
}

/// The log, newest first, a page at a time from a cursor over (at, id).
async fn list(Staff(ctx, person): Staff, Query(q): Query<PageQuery>) -> AppResult<Response> {
    web::permit(policy::can_see_audit_log(&person))?;
    let request = paging::Request::from_query(
        q.after.as_deref(),
        q.before.as_deref(),
        paging::Order::Descending,
        PAGE,
    )?;
    let sql = if request.reads_ascending() {
        audit_select!("WHERE (a.at, a.id) > ($1, $2) ORDER BY a.at ASC, a.id ASC LIMIT $3")
    } else {
        audit_select!("WHERE (a.at, a.id) < ($1, $2) ORDER BY a.at DESC, a.id DESC LIMIT $3")
    };
    let bound = request.bound();
    let rows = sqlx::query_as::<_, Entry>(sql)
        .bind(bound.key)
        .bind(bound.id)
        .bind(request.limit())
        .fetch_all(&ctx.state.pool)
        .await?;
    let page = paging::Page::from_rows(&request, rows, |e| paging::Cursor::new(e.at, e.id));
    if page.items.is_empty() && !request.is_first() {
        return Err(AppError::NotFound);
    }
    Ok(web::render(&AuditPage {
        layout: ctx.layout().await,
        newer: page.previous_href("/staff/audit"),
        older: page.next_href("/staff/audit"),
        entries: page.items,
    }))
}
