//! Technical assistance: a member city asks the staff for help (`ask`), both sides follow the
//! request in its conversation (`request`: replies, files, statuses, whether it helped), and
//! staff run the queue (`staff`). A request belongs to its city: its mayor and advisors read
//! and answer it, everyone else gets the 404 of a request that does not exist. Internal notes
//! are the staff's alone: they sit beside the replies with `internal = 1`, and every query a
//! city person's page, email, list, count, export or the search index reads goes through
//! [`public_replies!`] or asks `internal = 0` itself. Emails go through the outbox (`emails`).

pub mod ask;
pub mod emails;
pub mod home;
pub mod request;
pub mod staff;

use axum::{Router, extract::Multipart};
use sqlx::AnyConnection;

use crate::{
    error::AppResult,
    files::{self, StoredFile},
    policy::{self, Level, Mover, Refusal, RequestStanding, RequestStatus},
    search::{self, Access, Doc},
    state::AppState,
    text::markdown,
    viewer::Person,
    web::door::Room,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(ask::router())
        .merge(request::router())
        .merge(staff::router())
}

crate::stored_as_text!(RequestStatus { New = "new", Triaged = "triaged", InProgress = "in_progress", Waiting = "waiting", Resolved = "resolved", Closed = "closed" });

/// How soon the city needs help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Low,
    Normal,
    High,
}
crate::stored_as_text!(Urgency { Low = "low", Normal = "normal", High = "high" });

impl Urgency {
    pub const ALL: [Urgency; 3] = [Urgency::High, Urgency::Normal, Urgency::Low];
    pub fn label(self) -> &'static str {
        match self {
            Urgency::Low => "Low: when there is time",
            Urgency::Normal => "Normal",
            Urgency::High => "High: a decision depends on it soon",
        }
    }
    pub fn short(self) -> &'static str {
        match self {
            Urgency::Low => "Low",
            Urgency::Normal => "Normal",
            Urgency::High => "High",
        }
    }
}

/// Whether the answer helped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Helped {
    Yes,
    Partly,
    No,
}
crate::stored_as_text!(Helped { Yes = "yes", Partly = "partly", No = "no" });

impl Helped {
    pub const ALL: [Helped; 3] = [Helped::Yes, Helped::Partly, Helped::No];
    pub fn label(self) -> &'static str {
        match self {
            Helped::Yes => "Yes",
            Helped::Partly => "Partly",
            Helped::No => "No",
        }
    }
}

/// A request as pages show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Request {
    pub id: i64,
    pub city_id: i64,
    pub city_name: String,
    pub city_state: String,
    pub opened_by: i64,
    pub opened_by_name: String,
    pub topic_id: i64,
    pub topic: String,
    pub title: String,
    pub description: String,
    pub description_html: String,
    pub urgency: Urgency,
    pub needed_by: String,
    pub status: RequestStatus,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub follows: Option<i64>,
    pub created_at: i64,
    pub response_due: i64,
    pub responded_at: Option<i64>,
    pub last_activity_at: i64,
    pub resolved_at: Option<i64>,
}

/// The columns of [`Request`], from `assistance_requests r` with its city, opener, topic and
/// owner.
#[macro_export]
macro_rules! request_select {
    ($rest:literal) => {
        concat!(
            "SELECT r.id, r.city_id, c.name AS city_name, c.state AS city_state, r.opened_by, \
             o.name AS opened_by_name, r.topic_id, t.name AS topic, r.title, r.description, \
             r.description_html, r.urgency, r.needed_by, r.status, r.owner_id, w.name AS owner_name, \
             r.follows, r.created_at, r.response_due, r.responded_at, r.last_activity_at, r.resolved_at \
             FROM assistance_requests r JOIN cities c ON c.id = r.city_id \
             JOIN people o ON o.id = r.opened_by JOIN assistance_topics t ON t.id = r.topic_id \
             LEFT JOIN people w ON w.id = r.owner_id ",
            $rest
        )
    };
}

impl Request {
    pub fn href(&self) -> String {
        format!("/assistance/{}", self.id)
    }
    pub fn city_label(&self) -> String {
        format!("{}, {}", self.city_name, self.city_state)
    }
    /// The staff's first answer is late at `now`.
    pub fn overdue(&self, now: i64) -> bool {
        self.responded_at.is_none() && self.status.is_open() && now > self.response_due
    }
    pub fn owner_label(&self) -> String {
        self.owner_name
            .clone()
            .unwrap_or_else(|| "Not assigned yet".to_owned())
    }
}

/// A request as one person may use it; only the door ([`Room`]) makes one.
#[derive(Debug, Clone)]
pub struct Case {
    pub request: Request,
    pub standing: RequestStanding,
    key: String,
}

impl Room for Case {
    const KEY: &'static str = "id";

    async fn find(
        conn: &mut AnyConnection,
        person: &Person,
        key: &str,
    ) -> sqlx::Result<Option<Self>> {
        let Some(id) = key.parse::<i64>().ok().filter(|id| *id > 0) else {
            return Ok(None);
        };
        let found = sqlx::query_as::<_, Request>(request_select!("WHERE r.id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?;
        Ok(found.map(|request| Case {
            standing: RequestStanding {
                own_city: person.city_id == Some(request.city_id),
            },
            key: key.to_owned(),
            request,
        }))
    }

    fn judge(&self, person: &Person, level: Level) -> Result<(), Refusal> {
        policy::request_door(person, self.standing, level)
    }

    fn key(&self) -> &str {
        &self.key
    }
}

impl crate::db::Status for RequestStatus {
    /// Whose turn it is follows the status; resolving stamps the time the 14 days count from,
    /// reopening clears it.
    const TRANSITION: &'static str = "UPDATE assistance_requests SET status = $1, last_activity_at = $4, moved_by = $5, \
         waiting_on = CASE WHEN $1 = 'waiting' THEN 'city' WHEN $1 IN ('resolved', 'closed') THEN 'nobody' ELSE 'staff' END, \
         resolved_at = CASE WHEN $1 = 'resolved' THEN $4 WHEN $1 = 'in_progress' THEN NULL ELSE resolved_at END, \
         closed_at = CASE WHEN $1 = 'closed' THEN $4 ELSE closed_at END \
         WHERE id = $2 AND status = $3";
}

/// Records what happened to a request, in words its city may read.
pub async fn record(
    conn: &mut AnyConnection,
    request_id: i64,
    actor: Option<i64>,
    what: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO assistance_history (request_id, actor_id, what, at) VALUES ($1, $2, $3, $4)",
    )
    .bind(request_id)
    .bind(actor)
    .bind(what)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a request from `from` to `to` if the rules allow it for `by` and it is still at
/// `from` (a guarded update: of two moves at once, one happens), and records it. `Ok(false)`
/// when the rules do not allow it or it had moved meanwhile.
pub async fn transition(
    conn: &mut AnyConnection,
    request_id: i64,
    (from, to): (RequestStatus, RequestStatus),
    by: Mover,
    actor: Option<&Person>,
    now: i64,
) -> AppResult<bool> {
    if !policy::may_move(from, to, by) {
        return Ok(false);
    }
    let moved = crate::db::transition(conn, request_id, from, to, now, actor.map(|p| p.id)).await?;
    if moved {
        let who = actor.map_or_else(|| "The portal".to_owned(), |p| p.name.clone());
        let what = format!("{who} changed the status to {}.", to.label().to_lowercase());
        record(conn, request_id, actor.map(|p| p.id), &what, now).await?;
    }
    Ok(moved)
}

/// SQL: the public replies of request `$1` (never an internal note), oldest first.
#[macro_export]
macro_rules! public_replies {
    () => {
        "SELECT x.id, x.author_id, p.name AS author_name, p.role AS author_role, x.internal, x.body, \
         x.body_html, x.created_at FROM assistance_replies x JOIN people p ON p.id = x.author_id \
         WHERE x.request_id = $1 AND x.internal = 0 ORDER BY x.created_at, x.id"
    };
}

/// Writes the request's document in the search index: its title, description and public
/// replies, for its city's people (and staff). Never an internal note.
pub async fn index(conn: &mut AnyConnection, request_id: i64) -> sqlx::Result<()> {
    let Some(r) = sqlx::query_as::<_, Request>(request_select!("WHERE r.id = $1"))
        .bind(request_id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return search::remove(conn, "request", request_id).await;
    };
    let replies: Vec<String> = sqlx::query_scalar(
        "SELECT body FROM assistance_replies WHERE request_id = $1 AND internal = 0 ORDER BY created_at, id",
    )
    .bind(request_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut body = markdown::Rendered::now(&r.description).text;
    for reply in replies {
        body.push_str("\n\n");
        body.push_str(&markdown::Rendered::now(&reply).text);
    }
    search::put(
        conn,
        &Doc {
            kind: "request",
            ref_id: r.id,
            title: r.title.clone(),
            body,
            url: r.href(),
            context: r.city_label(),
            at: r.last_activity_at,
            visible_from: 0,
            access: vec![Access::City(r.city_id)],
        },
    )
    .await
}

/// Rebuilds every request's document (for `portal reindex`).
pub async fn reindex(conn: &mut AnyConnection) -> sqlx::Result<u64> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM assistance_requests ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    for id in &ids {
        index(conn, *id).await?;
    }
    Ok(ids.len() as u64)
}

/// Closes the requests resolved more than [`policy::CLOSES_AFTER_DAYS`] ago that their city
/// did not reopen, each once, with its history line. Run by the portal's housekeeping.
pub async fn close_resolved(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now();
    let cutoff = now - policy::CLOSES_AFTER_DAYS * 86_400;
    let due: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM assistance_requests WHERE status = 'resolved' AND resolved_at <= $1",
    )
    .bind(cutoff)
    .fetch_all(&state.pool)
    .await?;
    let mut closed = 0;
    for id in due {
        let mut tx = state.begin_write().await?;
        let moved = transition(
            &mut tx,
            id,
            (RequestStatus::Resolved, RequestStatus::Closed),
            Mover::Portal,
            None,
            now,
        )
        .await?;
        if moved {
            index(&mut tx, id).await?;
            closed += 1;
        }
        tx.commit().await?;
    }
    Ok(closed)
}

/// Largest attachment, in bytes.
pub const MAX_BYTES: u64 = 25 * 1024 * 1024;

/// The body the forms with an attachment accept: the file and the text around it (a
/// description of 20,000 characters, in any script).
pub const BODY_LIMIT: usize = MAX_BYTES as usize + 512 * 1024;

/// What a request, a reply or a note takes as an attachment: documents and pictures.
pub const RULES: files::Rules = files::Rules {
    max_bytes: MAX_BYTES,
    types: files::DOCUMENT_TYPES,
};

/// A form with an attachment, as read (the file store's upload form).
pub type Sent = files::UploadForm;

/// Reads a request's, a reply's or a note's form, its attachment under [`RULES`].
pub async fn read_sent(state: &AppState, multipart: Multipart) -> AppResult<Sent> {
    files::read_form(state, multipart, &RULES).await
}

/// Claims an uploaded file for a request (its own when `reply` is `None`, else a reply's or
/// a note's, whose `internal` it shares). `Ok(false)` when the file was swept meanwhile.
pub async fn attach(
    conn: &mut AnyConnection,
    request_id: i64,
    reply: Option<(i64, bool)>,
    file: &StoredFile,
    by: i64,
    now: i64,
) -> AppResult<bool> {
    if !files::attach(conn, file.id).await? {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO assistance_files (request_id, reply_id, internal, file_id, added_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(request_id)
    .bind(reply.map(|r| r.0))
    .bind(reply.is_some_and(|r| r.1) as i64)
    .bind(file.id)
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(true)
}

/// A topic people choose from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Topic {
    pub id: i64,
    pub name: String,
    pub retired: crate::db::Flag,
}

/// The topics, those in use first, by name.
pub async fn topics(conn: &mut AnyConnection) -> sqlx::Result<Vec<Topic>> {
    sqlx::query_as::<_, Topic>(
        "SELECT id, name, retired FROM assistance_topics ORDER BY retired, name",
    )
    .fetch_all(conn)
    .await
}
