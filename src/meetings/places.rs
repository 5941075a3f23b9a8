//! Places at a meeting, exact under concurrency: a registration takes a place when the
//! meeting and its type both have room, else it waits in order; a place given back goes, in
//! the same transaction, to the first waiting person whose type now has room. Every change
//! of places runs in a write transaction holding the meeting's lock ([`lock`]), so that
//! counting and inserting are one step: 50 registrations at once for 10 places leave 10
//! registered and 40 waiting on both databases.

use std::collections::HashMap;

use sqlx::AnyConnection;

use super::{Meeting, RegStatus, RegType, Registration};
use crate::{db::Backend, state::AppState};

/// Holds the meeting's places until the transaction ends (PostgreSQL: an advisory lock all
/// instances share; SQLite: its write transaction already runs alone).
pub async fn lock(conn: &mut AnyConnection, backend: Backend, meeting_id: i64) -> sqlx::Result<()> {
    crate::db::lock_key(conn, backend, &format!("meeting-places:{meeting_id}")).await
}

/// How many are registered and waiting, in all and per type.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub registered: i64,
    pub waiting: i64,
    /// type id -> (registered, waiting)
    pub by_type: HashMap<i64, (i64, i64)>,
}

impl Counts {
    pub fn of_type(&self, type_id: i64) -> (i64, i64) {
        self.by_type.get(&type_id).copied().unwrap_or((0, 0))
    }

    /// Whether one more person of this type fits.
    pub fn has_room(&self, meeting: &Meeting, t: &RegType) -> bool {
        let (in_type, _) = self.of_type(t.id);
        meeting.capacity.is_none_or(|c| self.registered < c)
            && t.capacity.is_none_or(|c| in_type < c)
    }

    /// Places left for this type: the smaller of the meeting's and the type's; `None` when
    /// neither has a limit.
    pub fn left(&self, meeting: &Meeting, t: &RegType) -> Option<i64> {
        let (in_type, _) = self.of_type(t.id);
        let overall = meeting.capacity.map(|c| (c - self.registered).max(0));
        let own = t.capacity.map(|c| (c - in_type).max(0));
        match (overall, own) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

pub async fn counts(conn: &mut AnyConnection, meeting_id: i64) -> sqlx::Result<Counts> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT type_id, status, COUNT(*) FROM meeting_registrations \
         WHERE meeting_id = $1 AND status <> 'cancelled' GROUP BY type_id, status",
    )
    .bind(meeting_id)
    .fetch_all(conn)
    .await?;
    let mut counts = Counts::default();
    for (type_id, status, n) in rows {
        let entry = counts.by_type.entry(type_id).or_default();
        if status == RegStatus::Registered.as_str() {
            counts.registered += n;
            entry.0 += n;
        } else {
            counts.waiting += n;
            entry.1 += n;
        }
    }
    Ok(counts)
}

/// Where a new registration of this type goes, counted under the meeting's lock: a place, or
/// the waitlist.
pub async fn place_for(
    conn: &mut AnyConnection,
    state: &AppState,
    meeting: &Meeting,
    t: &RegType,
) -> sqlx::Result<RegStatus> {
    lock(conn, state.backend, meeting.id).await?;
    let counts = counts(conn, meeting.id).await?;
    Ok(if counts.has_room(meeting, t) {
        RegStatus::Registered
    } else {
        RegStatus::Waiting
    })
}

/// Gives free places to the waiting, first come first served among those whose type has
/// room, until none fits: returns those promoted (each to be told). Call under [`lock`], in
/// the transaction that freed the places.
pub async fn promote(
    conn: &mut AnyConnection,
    state: &AppState,
    meeting: &Meeting,
) -> sqlx::Result<Vec<Registration>> {
    let types = super::types(conn, meeting.id).await?;
    let mut promoted = Vec::new();
    loop {
        let counts = counts(conn, meeting.id).await?;
        let waiting: Vec<Registration> = sqlx::query_as(concat!(
            "SELECT ",
            crate::registration_columns!(),
            " FROM meeting_registrations r WHERE r.meeting_id = $1 AND r.status = 'waiting' \
             ORDER BY r.waiting_since, r.id"
        ))
        .bind(meeting.id)
        .fetch_all(&mut *conn)
        .await?;
        let next = waiting.into_iter().find(|r| {
            types
                .iter()
                .find(|t| t.id == r.type_id)
                .is_some_and(|t| counts.has_room(meeting, t))
        });
        let Some(mut r) = next else { break };
        let now = state.clock.now();
        let done = sqlx::query(
            "UPDATE meeting_registrations SET status = 'registered', waiting_since = NULL, \
             sequence = sequence + 1, updated_at = $2 WHERE id = $1 AND status = 'waiting'",
        )
        .bind(r.id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() != 1 {
            break;
        }
        r.status = RegStatus::Registered;
        r.waiting_since = None;
        r.sequence += 1;
        promoted.push(r);
    }
    Ok(promoted)
}

/// The registration's number on the waitlist of its type (1 for the first), or `None` when it
/// is not waiting.
pub async fn waitlist_number(conn: &mut AnyConnection, r: &Registration) -> sqlx::Result<Option<i64>> {
    let Some(since) = r.waiting_since.filter(|_| r.status == RegStatus::Waiting) else {
        return Ok(None);
    };
    let ahead: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM meeting_registrations WHERE meeting_id = $1 AND status = 'waiting' \
         AND (waiting_since < $2 OR (waiting_since = $2 AND id < $3))",
    )
    .bind(r.meeting_id)
    .bind(since)
    .bind(r.id)
    .fetch_one(conn)
    .await?;
    Ok(Some(ahead + 1))
}
