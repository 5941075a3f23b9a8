//! Sessions stored in the application's own database, so they survive a restart and every
//! instance sees the same ones. (tower-sessions-sqlx-store does not build with tower-sessions
//! 0.15; this store is small and works on both backends.)

use async_trait::async_trait;
use sqlx::AnyPool;
use time::OffsetDateTime;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store::{Error, Result},
};

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use tower_sessions::Session;

use super::SESSION_PERSON;
use crate::{
    error::{AppError, Trouble, log_trouble, store_error},
    state::AppState,
};

/// The session key holding when the person logged in (Unix seconds), for the absolute lifetime.
pub const SESSION_AUTH_AT: &str = "auth_at";
/// The session key holding when the session's idle expiry was last pushed back.
const SESSION_SEEN_AT: &str = "seen_at";
/// The idle expiry is pushed back at most this often: one write per person every few
/// minutes, not one per page.
pub const TOUCH_EVERY: i64 = 5 * 60;

/// Logs a person in on this browser: a new session id (an id planted before is worth nothing
/// after), the person, and the time, from which the absolute lifetime counts. A browser
/// without a stored session gets a new id anyway when the session is created: only a stored
/// one is deleted, so that a first log-in writes one row.
pub async fn log_in(
    session: &Session,
    person_id: i64,
    now: i64,
) -> std::result::Result<(), AppError> {
    // Loaded first (the id is known only then), as `Ctx` has done already.
    session
        .get::<i64>(SESSION_PERSON)
        .await
        .map_err(AppError::session)?;
    if session.id().is_some() {
        session.cycle_id().await.map_err(AppError::session)?;
    }
    session
        .insert(SESSION_PERSON, person_id)
        .await
        .map_err(AppError::session)?;
    session
        .insert(SESSION_AUTH_AT, now)
        .await
        .map_err(AppError::session)?;
    session
        .insert(SESSION_SEEN_AT, now)
        .await
        .map_err(AppError::session)?;
    Ok(())
}

/// Middleware inside the session layer: ends a logged-in session past its absolute lifetime,
/// and pushes its idle expiry back (which saves it and renews the cookie) at most every
/// [`TOUCH_EVERY`] seconds.
///
/// A session that cannot be read because of the database's trouble is marked on the request
/// (the [`Trouble`] as an extension), so that `Ctx` answers 503 at once instead of reading it
/// again, and never takes the person for logged out.
pub async fn keep_alive(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let person = session.get::<i64>(SESSION_PERSON).await;
    if let Err(e) = &person
        && let Some(trouble) = crate::error::session_trouble(e)
    {
        request.extensions_mut().insert(trouble);
    }
    if let Ok(Some(_)) = person {
        let now = state.clock.now();
        let max_age = state.config.session_max_days * 24 * 60 * 60;
        match session.get::<i64>(SESSION_AUTH_AT).await {
            Ok(Some(at)) if now - at >= max_age => {
                if let Err(e) = session.flush().await {
                    tracing::warn!(error = %e, "could not end a session past its lifetime");
                }
                return next.run(request).await;
            }
            // A session from before lifetimes were kept: its lifetime starts now.
            Ok(None) => {
                let _ = session.insert(SESSION_AUTH_AT, now).await;
            }
            _ => {}
        }
        let seen = session.get::<i64>(SESSION_SEEN_AT).await.ok().flatten();
        if seen.is_none_or(|at| now - at >= TOUCH_EVERY || at > now) {
            let _ = session.insert(SESSION_SEEN_AT, now).await;
        }
    }
    next.run(request).await
}

#[derive(Debug, Clone)]
pub struct DbStore {
    pool: AnyPool,
}

impl DbStore {
    pub fn new(pool: AnyPool) -> Self {
        DbStore { pool }
    }

    /// Removes sessions whose idle time ran out.
    pub async fn delete_expired(&self) -> sqlx::Result<u64> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

fn person_of(record: &Record) -> Option<i64> {
    record.data.get(SESSION_PERSON).and_then(|v| v.as_i64())
}

#[async_trait]
impl SessionStore for DbStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        // Always a new id: after `flush` the record still carries the ended session's id, and
        // creating under it again would let a request in flight for the ended session write
        // itself back into the row. A new id on the (astronomically unlikely) collision too,
        // never an overwrite.
        for _ in 0..4 {
            record.id = Id::default();
            let done = sqlx::query(
                "INSERT INTO sessions (id, data, expires_at, person_id) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(record.id.to_string())
            .bind(&data)
            .bind(record.expiry_date.unix_timestamp())
            .bind(person_of(record))
            .execute(&self.pool)
            .await;
            let done = match done {
                Ok(done) => done,
                // A visitor's session holds only a message for the next page: that message is
                // lost, not the page that left it (a form's result already stored). A
                // log-in's session fails the log-in, which is given back to be sent again.
                Err(e) => match Trouble::of(&e) {
                    Some(trouble) if person_of(record).is_none() => {
                        log_trouble(trouble, "a visitor's session was not stored", &e);
                        return Ok(());
                    }
                    _ => return Err(store_error(e)),
                },
            };
            if done.rows_affected() == 1 {
                return Ok(());
            }
        }
        Err(Error::Backend(
            "could not find a free session id".to_owned(),
        ))
    }

    /// Update only: a session that log-out, a password change or deactivation ended stays
    /// ended, even when a request that loaded it before is still in flight and saves it after.
    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        let saved = sqlx::query(
            "UPDATE sessions SET data = $2, expires_at = $3, person_id = $4 WHERE id = $1",
        )
        .bind(record.id.to_string())
        .bind(&data)
        .bind(record.expiry_date.unix_timestamp())
        .bind(person_of(record))
        .execute(&self.pool)
        .await;
        match saved {
            Ok(_) => Ok(()),
            // What a stored session's save changes is its idle expiry or a message for the
            // next page: losing that is better than failing a page whose work is done (the
            // session layer would answer a blank 500 after a reply was stored, and the reply
            // would be sent twice).
            Err(e) => match Trouble::of(&e) {
                Some(trouble) => {
                    log_trouble(trouble, "a session's change was not saved", &e);
                    Ok(())
                }
                None => Err(store_error(e)),
            },
        }
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2",
        )
        .bind(id.to_string())
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?,
            expiry_date: OffsetDateTime::from_unix_timestamp(expires_at)
                .map_err(|e| Error::Decode(e.to_string()))?,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

/// Ends every session of a person (deactivation, password reset), except perhaps the current one.
pub async fn end_all_for_person(
    conn: &mut sqlx::AnyConnection,
    person_id: i64,
    except: Option<&Id>,
) -> sqlx::Result<u64> {
    let keep = except.map(|id| id.to_string()).unwrap_or_default();
    let done = sqlx::query("DELETE FROM sessions WHERE person_id = $1 AND id <> $2")
        .bind(person_id)
        .bind(keep)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
