//! The outbox table: insert, claim (held while its worker beats), mark sent or failed, list, retry.

use sqlx::{AnyConnection, AnyPool};

use super::{Attachment, PartRole};
use crate::{db::Backend, state::AppState};

/// A claim is taken over by another worker when the worker that holds it has shown no sign of
/// life (`beat`) for this long: its process died, or it lost the database. A live worker beats
/// every few seconds while it holds claims (`worker::HEARTBEAT`), well within this.
pub const CLAIM_TIMEOUT: i64 = 30;

/// How many rows a worker claims at once: few, so that a crash strands few emails.
pub const CLAIM_BATCH: i64 = 5;

/// The longest wait between two attempts at one email, as mail servers retry: an outage of
/// days is tried at least hourly, so that the queue drains soon after it ends.
pub const BACKOFF_CAP: i64 = 3600;

/// An email to write to the outbox.
pub struct NewEmail<'a> {
    pub kind: &'a str,
    pub to: &'a str,
    /// The Reply-To address; empty: none (replies go to the sender, the portal).
    pub reply_to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    /// The parts beside the text and HTML, in their order.
    pub parts: &'a [Attachment],
}

/// Writes the email and its parts on `conn` (the transaction of the change that causes it).
pub async fn insert(
    conn: &mut AnyConnection,
    state: &AppState,
    email: NewEmail<'_>,
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
    let id = sqlx::query_scalar(
        "INSERT INTO outbox (kind, to_addr, subject, text_body, html_body, message_id, created_at, status, attempts, next_attempt_at, reply_to) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $7, $8) RETURNING id",
    )
    .bind(email.kind)
    .bind(email.to)
    .bind(email.subject)
    .bind(email.text)
    .bind(email.html)
    .bind(message_id)
    .bind(now)
    .bind(email.reply_to)
    .fetch_one(&mut *conn)
    .await?;
    insert_parts(conn, id, email.parts).await?;
    Ok(id)
}

/// The role of a part as stored: `file`, `alternative` or `inline` (with its Content-ID).
fn role_text(role: &PartRole) -> (&'static str, &str) {
    match role {
        PartRole::File => ("file", ""),
        PartRole::Alternative => ("alternative", ""),
        PartRole::Inline { content_id } => ("inline", content_id),
    }
}

/// Writes the parts of email `id`, numbered in their order.
async fn insert_parts(conn: &mut AnyConnection, id: i64, parts: &[Attachment]) -> sqlx::Result<()> {
    for (position, part) in parts.iter().enumerate() {
        let (role, content_id) = role_text(&part.role);
        sqlx::query(
            "INSERT INTO outbox_parts (outbox_id, position, role, content_id, filename, content_type, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(position as i64)
        .bind(role)
        .bind(content_id)
        .bind(&part.filename)
        .bind(&part.content_type)
        .bind(part.body.clone())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The parts of email `id` as stored, in their order. A role the table does not know (it
/// cannot hold one) reads as a file.
pub async fn parts(pool: &AnyPool, id: i64) -> sqlx::Result<Vec<Attachment>> {
    let rows: Vec<(String, String, String, String, Vec<u8>)> = sqlx::query_as(
        "SELECT role, content_id, filename, content_type, body FROM outbox_parts \
         WHERE outbox_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(role, content_id, filename, content_type, body)| Attachment {
                filename,
                content_type,
                body,
                role: match role.as_str() {
                    "alternative" => PartRole::Alternative,
                    "inline" => PartRole::Inline { content_id },
                    _ => PartRole::File,
                },
            },
        )
        .collect())
}

/// The newest email about `about` to `to` that no worker has taken yet, and how many earlier
/// ones it already stands for.
pub async fn waiting_about(
    conn: &mut AnyConnection,
    to: &str,
    about: &str,
) -> sqlx::Result<Option<(i64, i64)>> {
    sqlx::query_as(
        "SELECT id, merged FROM outbox WHERE to_addr = $1 AND about = $2 AND status = 'pending' \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(to)
    .bind(about)
    .fetch_optional(conn)
    .await
}

/// Puts a newer email in the place of waiting row `id`: true when the row was still waiting
/// (a worker may have taken it meanwhile; then the newer email goes on its own).
pub async fn merge(
    conn: &mut AnyConnection,
    id: i64,
    subject: &str,
    text: &str,
    html: &str,
    parts: &[Attachment],
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET subject = $1, text_body = $2, html_body = $3, merged = merged + 1 \
         WHERE id = $4 AND status = 'pending'",
    )
    .bind(subject)
    .bind(text)
    .bind(html)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    // The newer email's parts replace the earlier's: they describe the thing as it is now.
    sqlx::query("DELETE FROM outbox_parts WHERE outbox_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    insert_parts(conn, id, parts).await?;
    Ok(true)
}

/// Records what email `id` is about, for [`waiting_about`].
pub async fn set_about(conn: &mut AnyConnection, id: i64, about: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox SET about = $1 WHERE id = $2")
        .bind(about)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A row claimed for sending.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub to_addr: String,
    /// Empty: no Reply-To.
    pub reply_to: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub message_id: String,
    pub created_at: i64,
    pub attempts: i64,
    pub failing_since: Option<i64>,
}

/// Records that `worker` is alive at `now`; its claims stay its own for `CLAIM_TIMEOUT` more.
pub async fn beat(pool: &AnyPool, worker: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO mail_workers (id, started_at, heartbeat_at) VALUES ($1, $2, $2) \
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
    )
    .bind(worker)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Removes a worker that stopped cleanly (after giving back its claims).
pub async fn retire(pool: &AnyPool, worker: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM mail_workers WHERE id = $1")
        .bind(worker)
        .execute(pool)
        .await?;
    Ok(())
}

/// Forgets workers not heard of for a day (processes that crashed; each start has a new id).
pub async fn forget_dead_workers(pool: &AnyPool, now: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM mail_workers WHERE heartbeat_at < $1")
        .bind(now - 24 * 3600)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// The columns of a `Claimed`, after an `UPDATE … WHERE id IN (…)`.
macro_rules! returning_claimed {
    () => {
        "RETURNING id, to_addr, reply_to, subject, text_body, html_body, message_id, created_at, attempts, failing_since"
    };
}

/// Claims up to `limit` rows for `worker`, which is recorded alive first: rows due now, rows
/// claimed by a worker whose heartbeat is older than `CLAIM_TIMEOUT`, and rows this worker
/// claimed before and left unfinished (a worker claims only when it holds nothing, and its
/// heartbeat would otherwise keep such rows from everyone). On PostgreSQL,
/// `FOR UPDATE SKIP LOCKED` keeps two workers from claiming the same row; SQLite serializes
/// writers anyway.
pub async fn claim(
    pool: &AnyPool,
    backend: Backend,
    worker: &str,
    now: i64,
    limit: i64,
) -> sqlx::Result<Vec<Claimed>> {
    beat(pool, worker, now).await?;
    let sql = match backend {
        Backend::Postgres => concat!(
            "UPDATE outbox SET status = 'sending', claimed_at = $1, claimed_by = $2 WHERE id IN ( \
               SELECT id FROM outbox WHERE (status = 'pending' AND next_attempt_at <= $1) \
                 OR (status = 'sending' AND (claimed_by = $2 OR NOT EXISTS (SELECT 1 FROM mail_workers w \
                       WHERE w.id = outbox.claimed_by AND w.heartbeat_at >= $3))) \
               ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) ",
            returning_claimed!()
        ),
        Backend::Sqlite => concat!(
            "UPDATE outbox SET status = 'sending', claimed_at = $1, claimed_by = $2 WHERE id IN ( \
               SELECT id FROM outbox WHERE (status = 'pending' AND next_attempt_at <= $1) \
                 OR (status = 'sending' AND (claimed_by = $2 OR NOT EXISTS (SELECT 1 FROM mail_workers w \
                       WHERE w.id = outbox.claimed_by AND w.heartbeat_at >= $3))) \
               ORDER BY id LIMIT $4) ",
            returning_claimed!()
        ),
    };
    sqlx::query_as::<_, Claimed>(sql)
        .bind(now)
        .bind(worker)
        .bind(now - CLAIM_TIMEOUT)
        .bind(limit)
        .fetch_all(pool)
        .await
}

/// Claims the one waiting email (pending, its next attempt later) that is due soonest, to try
/// now: a probe of whether the mail server is back.
pub async fn claim_next_waiting(
    pool: &AnyPool,
    backend: Backend,
    worker: &str,
    now: i64,
) -> sqlx::Result<Option<Claimed>> {
    beat(pool, worker, now).await?;
    let sql = match backend {
        Backend::Postgres => concat!(
            "UPDATE outbox SET status = 'sending', claimed_at = $1, claimed_by = $2 WHERE id IN ( \
               SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at > $1 \
               ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) ",
            returning_claimed!()
        ),
        Backend::Sqlite => concat!(
            "UPDATE outbox SET status = 'sending', claimed_at = $1, claimed_by = $2 WHERE id IN ( \
               SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at > $1 \
               ORDER BY next_attempt_at, id LIMIT 1) ",
            returning_claimed!()
        ),
    };
    sqlx::query_as::<_, Claimed>(sql)
        .bind(now)
        .bind(worker)
        .fetch_optional(pool)
        .await
}

/// Makes every waiting email due now (the mail server is back); returns how many.
pub async fn catch_up(pool: &AnyPool, now: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1 WHERE status = 'pending' AND next_attempt_at > $1",
    )
    .bind(now)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
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

/// Records that the mail server accepted the email: its own commit, right after the server's
/// answer, so that a crash afterwards cannot send it again. Not guarded by the claim: once the
/// server has it, it is sent, whoever holds the row now.
pub async fn mark_sent(pool: &AnyPool, id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, last_error = NULL, \
         failing_since = NULL, claimed_at = NULL, claimed_by = NULL WHERE id = $2 AND status <> 'sent'",
    )
    .bind(now)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Seconds to wait after the given number of failed attempts: 1, 2, 4 … minutes, at most an
/// hour (`BACKOFF_CAP`).
pub fn backoff(attempts: i64) -> i64 {
    (60i64 << (attempts - 1).clamp(0, 20)).min(BACKOFF_CAP)
}

/// What became of an email after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Back in the queue, to be tried at this instant.
    RetryAt(i64),
    /// Failed for good: the refusal was permanent, or the email has failed for `give_up` seconds.
    Failed,
}

/// Where a failed attempt leaves the email: retried with a backoff while it has failed for
/// less than `give_up` seconds (the last try falls on that deadline), failed at once when the
/// refusal is permanent.
pub fn after_failure(row: &Claimed, now: i64, give_up: i64, permanent: bool) -> AfterFailure {
    let deadline = row.failing_since.unwrap_or(now) + give_up;
    if permanent || now >= deadline {
        AfterFailure::Failed
    } else {
        AfterFailure::RetryAt((now + backoff(row.attempts + 1)).min(deadline))
    }
}

/// Records a failed attempt: back to pending after a backoff, or failed for good when it has
/// failed for `give_up` seconds or the refusal is permanent (an SMTP 5xx: trying again cannot
/// help).
pub async fn mark_attempt_failed(
    pool: &AnyPool,
    row: &Claimed,
    worker: &str,
    now: i64,
    give_up: i64,
    error: &str,
    permanent: bool,
) -> sqlx::Result<AfterFailure> {
    let after = after_failure(row, now, give_up, permanent);
    let (status, next) = match after {
        AfterFailure::RetryAt(at) => (OutboxStatus::Pending, at),
        AfterFailure::Failed => (OutboxStatus::Failed, now),
    };
    sqlx::query(
        "UPDATE outbox SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4, \
         failing_since = $5, claimed_at = NULL, claimed_by = NULL WHERE id = $6 AND claimed_by = $7",
    )
    .bind(status)
    .bind(row.attempts + 1)
    .bind(next)
    .bind(error.chars().take(2000).collect::<String>())
    .bind(row.failing_since.unwrap_or(now))
    .bind(row.id)
    .bind(worker)
    .execute(pool)
    .await?;
    Ok(after)
}

/// Where an email stands: waiting in the queue, claimed by a worker that is sending it, sent,
/// or given up. Read and written only as this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    Pending,
    Sending,
    Sent,
    Failed,
}

crate::stored_as_text!(OutboxStatus { Pending = "pending", Sending = "sending", Sent = "sent", Failed = "failed" });

/// A row as the staff's outbox page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub id: i64,
    pub kind: String,
    pub to_addr: String,
    pub subject: String,
    pub status: OutboxStatus,
    pub attempts: i64,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
    pub failing_since: Option<i64>,
    /// The file names of its parts beside the text and HTML ([`with_part_names`]).
    #[sqlx(skip)]
    pub attachments: Vec<String>,
}

/// Fills in the file names of the entries' parts, in one query over their range of ids.
pub async fn with_part_names(pool: &AnyPool, entries: &mut [Entry]) -> sqlx::Result<()> {
    let (Some(low), Some(high)) = (
        entries.iter().map(|e| e.id).min(),
        entries.iter().map(|e| e.id).max(),
    ) else {
        return Ok(());
    };
    let names: Vec<(i64, String)> = sqlx::query_as(
        "SELECT outbox_id, filename FROM outbox_parts WHERE outbox_id BETWEEN $1 AND $2 \
         ORDER BY outbox_id, position",
    )
    .bind(low)
    .bind(high)
    .fetch_all(pool)
    .await?;
    for entry in entries {
        entry.attachments = names
            .iter()
            .filter(|(id, _)| *id == entry.id)
            .map(|(_, name)| name.clone())
            .collect();
    }
    Ok(())
}

/// The latest `limit` emails of a status, of one kind when `kind` is not empty.
pub async fn list(
    pool: &AnyPool,
    status: OutboxStatus,
    kind: &str,
    limit: i64,
) -> sqlx::Result<Vec<Entry>> {
    sqlx::query_as::<_, Entry>(
        "SELECT id, kind, to_addr, subject, status, attempts, created_at, next_attempt_at, sent_at, last_error, failing_since \
         FROM outbox WHERE status = $1 AND ($2 = '' OR kind = $2) ORDER BY id DESC LIMIT $3",
    )
    .bind(status)
    .bind(kind)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// How many emails stand in each status.
pub async fn counts(pool: &AnyPool) -> sqlx::Result<Vec<(OutboxStatus, i64)>> {
    sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        .fetch_all(pool)
        .await
}

/// The kinds of the failed emails, each with how many, by kind.
pub async fn failed_kinds(pool: &AnyPool) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT kind, COUNT(*) FROM outbox WHERE status = 'failed' GROUP BY kind ORDER BY kind",
    )
    .fetch_all(pool)
    .await
}

/// Puts a failed email back in the queue, to be sent at once with a fresh count of attempts
/// and a fresh time before it is given up.
pub async fn retry(pool: &AnyPool, id: i64, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'pending', attempts = 0, failing_since = NULL, next_attempt_at = $1 \
         WHERE id = $2 AND status = 'failed'",
    )
    .bind(now)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts every failed email (of one kind when `kind` is not empty) back in the queue as
/// `retry` does, in one guarded update: a second request at the same time finds none.
/// Returns how many.
pub async fn retry_failed(pool: &AnyPool, kind: &str, now: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'pending', attempts = 0, failing_since = NULL, next_attempt_at = $1 \
         WHERE status = 'failed' AND ($2 = '' OR kind = $2)",
    )
    .bind(now)
    .bind(kind)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(attempts: i64, failing_since: Option<i64>) -> Claimed {
        Claimed {
            id: 1,
            to_addr: String::new(),
            reply_to: String::new(),
            subject: String::new(),
            text_body: String::new(),
            html_body: String::new(),
            message_id: String::new(),
            created_at: 0,
            attempts,
            failing_since,
        }
    }

    const DAYS_3: i64 = 72 * 3600;

    #[test]
    fn the_backoff_doubles_from_a_minute_and_stops_at_an_hour() {
        let waits: Vec<i64> = (1..=9).map(backoff).collect();
        assert_eq!(waits, vec![60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(backoff(1000), BACKOFF_CAP);
    }

    #[test]
    fn a_first_failure_is_retried_in_a_minute() {
        assert_eq!(
            after_failure(&row(0, None), 1000, DAYS_3, false),
            AfterFailure::RetryAt(1060)
        );
    }

    #[test]
    fn an_email_failing_for_days_is_tried_hourly_until_the_deadline_then_failed() {
        let start = 1_000_000;
        assert_eq!(
            after_failure(&row(40, Some(start)), start + 48 * 3600, DAYS_3, false),
            AfterFailure::RetryAt(start + 49 * 3600)
        );
        assert_eq!(
            after_failure(&row(60, Some(start)), start + DAYS_3 - 600, DAYS_3, false),
            AfterFailure::RetryAt(start + DAYS_3),
            "the last try falls on the deadline"
        );
        assert_eq!(
            after_failure(&row(61, Some(start)), start + DAYS_3, DAYS_3, false),
            AfterFailure::Failed
        );
    }

    #[test]
    fn a_permanent_refusal_fails_at_once_and_zero_hours_never_retries() {
        assert_eq!(
            after_failure(&row(0, None), 5, DAYS_3, true),
            AfterFailure::Failed
        );
        assert_eq!(
            after_failure(&row(0, None), 5, 0, false),
            AfterFailure::Failed
        );
    }
}
