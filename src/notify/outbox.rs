//! The outbox table: insert, claim, mark sent or failed, list, retry.

use sqlx::{AnyConnection, AnyPool};

use crate::{db::Backend, state::AppState};

/// A claim older than this is taken to be left by a crashed worker and is taken again. A worker
/// renews its claim (`heartbeat`) while an email takes long to send, so a live claim never
/// gets this old.
pub const CLAIM_TIMEOUT: i64 = 2 * 60;

/// How many rows a worker claims at once: few, so that a crash strands few emails.
pub const CLAIM_BATCH: i64 = 5;

pub async fn insert(
    conn: &mut AnyConnection,
    state: &AppState,
    kind: &str,
    to: &str,
    subject: &str,
    text: &str,
    html: &str,
) -> sqlx::Result<i64> {
    let now = state.clock.now();
    let host = state.config.mail_from();
    let host = host
        .rsplit('@')
        .next()
        .unwrap_or("localhost")
        .trim_end_matches('>');
    let message_id = format!(
        "<{}.{}@{}>",
        now,
        &crate::accounts::tokens::generate()[..24],
        host
    );
    sqlx::query_scalar(
        "INSERT INTO outbox (kind, to_addr, subject, text_body, html_body, message_id, created_at, status, attempts, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $7) RETURNING id",
    )
    .bind(kind)
    .bind(to)
    .bind(subject)
    .bind(text)
    .bind(html)
    .bind(message_id)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// A row claimed for sending.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub message_id: String,
    pub created_at: i64,
    pub attempts: i64,
}

/// Claims up to `limit` due rows for this worker. On PostgreSQL, `FOR UPDATE SKIP LOCKED`
/// keeps two workers from claiming the same row; SQLite serializes writers anyway.
pub async fn claim(
    pool: &AnyPool,
    backend: Backend,
    worker: &str,
    now: i64,
    limit: i64,
) -> sqlx::Result<Vec<Claimed>> {
    let sql = match backend {
        Backend::Postgres => {
            "UPDATE outbox SET status = 'sending', claimed_at = $1, claimed_by = $2 WHERE id IN ( \
               SELECT id FROM outbox WHERE (status = 'pending' AND next_attempt_at <= $1) \
                 OR (status = 'sending' AND claimed_at < $3) ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING id, to_addr, subject, text_body, html_body, message_id, created_at, attempts"
        }
        Backend::Sqlite => {
            "UPDATE outbox SET status = 'sending', claimed_at = $1, claimed_by = $2 WHERE id IN ( \
               SELECT id FROM outbox WHERE (status = 'pending' AND next_attempt_at <= $1) \
                 OR (status = 'sending' AND claimed_at < $3) ORDER BY id LIMIT $4) \
             RETURNING id, to_addr, subject, text_body, html_body, message_id, created_at, attempts"
        }
    };
    sqlx::query_as::<_, Claimed>(sql)
        .bind(now)
        .bind(worker)
        .bind(now - CLAIM_TIMEOUT)
        .bind(limit)
        .fetch_all(pool)
        .await
}

/// Renews the claims this worker holds, while it is still working on them.
pub async fn heartbeat(pool: &AnyPool, worker: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox SET claimed_at = $1 WHERE claimed_by = $2 AND status = 'sending'")
        .bind(now)
        .bind(worker)
        .execute(pool)
        .await?;
    Ok(())
}

/// Gives back every row this worker claimed and has not sent, to be sent by the next worker
/// at once (their attempts and schedule unchanged); returns how many.
pub async fn release(pool: &AnyPool, worker: &str) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'pending', claimed_at = NULL, claimed_by = NULL \
         WHERE claimed_by = $1 AND status = 'sending'",
    )
    .bind(worker)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

pub async fn mark_sent(pool: &AnyPool, id: i64, worker: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, last_error = NULL \
         WHERE id = $2 AND claimed_by = $3",
    )
    .bind(now)
    .bind(id)
    .bind(worker)
    .execute(pool)
    .await?;
    Ok(())
}

/// Seconds to wait after the given number of failed attempts: 1, 2, 4 … minutes, at most 6 hours.
pub fn backoff(attempts: i64) -> i64 {
    (60i64 << (attempts - 1).clamp(0, 20)).min(6 * 3600)
}

/// Records a failed attempt: back to pending after a backoff, or failed for good when the
/// attempts are spent or the refusal is permanent (an SMTP 5xx: trying again cannot help).
pub async fn mark_attempt_failed(
    pool: &AnyPool,
    row: &Claimed,
    worker: &str,
    now: i64,
    max_attempts: i64,
    error: &str,
    permanent: bool,
) -> sqlx::Result<()> {
    let attempts = row.attempts + 1;
    let (status, next) = if permanent || attempts >= max_attempts {
        ("failed", now)
    } else {
        ("pending", now + backoff(attempts))
    };
    sqlx::query(
        "UPDATE outbox SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4, claimed_at = NULL, claimed_by = NULL \
         WHERE id = $5 AND claimed_by = $6",
    )
    .bind(status)
    .bind(attempts)
    .bind(next)
    .bind(error.chars().take(2000).collect::<String>())
    .bind(row.id)
    .bind(worker)
    .execute(pool)
    .await?;
    Ok(())
}

/// A row as the staff's outbox page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub id: i64,
    pub kind: String,
    pub to_addr: String,
    pub subject: String,
    pub status: String,
    pub attempts: i64,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
}

pub async fn list(pool: &AnyPool, status: &str, limit: i64) -> sqlx::Result<Vec<Entry>> {
    sqlx::query_as::<_, Entry>(
        "SELECT id, kind, to_addr, subject, status, attempts, created_at, next_attempt_at, sent_at, last_error \
         FROM outbox WHERE status = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(status)
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub async fn counts(pool: &AnyPool) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        .fetch_all(pool)
        .await
}

/// Puts a failed email back in the queue, to be sent at once with a fresh count of attempts.
pub async fn retry(pool: &AnyPool, id: i64, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1 WHERE id = $2 AND status = 'failed'",
    )
    .bind(now)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
