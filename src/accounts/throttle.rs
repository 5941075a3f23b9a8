//! Log-in throttling, counted in the database so that every instance agrees.
//!
//! An attempt is *reserved* before the password is verified: the limits are counted and the
//! attempt recorded (as pending) in one write transaction, serialized per account and per
//! address, so that a hundred guesses sent at once verify no more passwords than the limit
//! allows. A verified attempt is then forgiven; a failed one becomes the failure it was. An
//! attempt that would be over a limit only because of attempts still being verified waits
//! for them instead of being refused, so that ten right log-ins sent at once all go through.
//!
//! Which limits apply depends on the device (see [`super::device`]):
//! - a *known device* (one that logged in to this account before and shows its signed
//!   cookie) is limited by its own failures only, so that the owner keeps logging in from
//!   their browser whatever is tried elsewhere;
//! - an *unknown device* meets three limits, counted over unknown devices' failures: per
//!   account *and* address (a few, so that one person mistyping is soon told to wait), per
//!   account across all addresses (a higher ceiling, against guessing spread over many
//!   addresses, which holds every unknown device but no known one), and per address across
//!   all accounts (against one machine trying many accounts; a city hall behind one address
//!   still has room).

use std::time::{Duration, Instant};

use sqlx::{AnyConnection, AnyPool};

use crate::state::AppState;

/// One limit: at most `max` failed attempts within `window` seconds.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: i64,
    pub window: i64,
}

/// Failed log-ins allowed per account from one address (unknown devices).
pub const PER_ACCOUNT_AND_ADDRESS: Limit = Limit {
    max: 5,
    window: 15 * 60,
};
/// Failed log-ins allowed per account from all unknown devices together.
pub const PER_ACCOUNT: Limit = Limit {
    max: 50,
    window: 60 * 60,
};
/// Failed log-ins allowed per client address, whatever the account (unknown devices).
pub const PER_ADDRESS: Limit = Limit {
    max: 20,
    window: 15 * 60,
};
/// Failed log-ins allowed from one known device.
pub const PER_DEVICE: Limit = Limit {
    max: 5,
    window: 15 * 60,
};
/// Rows older than this are of no use to any limit.
const LONGEST_WINDOW: i64 = 60 * 60;
/// An attempt still pending after this long (its process died mid-way) is a failure.
const PENDING_FOR: i64 = 60;
/// How long an attempt waits, at most, for attempts being verified, and how often it looks.
const WAIT_FOR_PENDING: Duration = Duration::from_secs(20);
const LOOK_EVERY: Duration = Duration::from_millis(25);

/// An attempt that may go ahead; forgive it when the password was right, fail it otherwise.
#[derive(Debug)]
#[must_use = "a reserved attempt counts as a failure unless it is forgiven"]
pub struct Attempt {
    id: i64,
}

/// What one limit counts: its failures (and attempts pending) in its window.
struct Scope<'a> {
    limit: Limit,
    /// `$1` (and `$2`) the keys, then the window's start, then the offset `max - 1`.
    nth: &'static str,
    /// `$1` (and `$2`) the keys, then the instant before which a pending attempt is stale.
    pending: &'static str,
    keys: Vec<&'a str>,
}

fn scopes<'a>(email_norm: &'a str, ip: &'a str, device: Option<&'a str>) -> Vec<Scope<'a>> {
    match device {
        Some(device) => vec![Scope {
            limit: PER_DEVICE,
            nth: "SELECT at FROM login_failures WHERE device = $1 AND at > $2 \
                  ORDER BY at DESC LIMIT 1 OFFSET $3",
            pending: "SELECT COUNT(*) FROM login_failures WHERE device = $1 AND pending = 1 \
                      AND at > $2",
            keys: vec![device],
        }],
        None => vec![
            Scope {
                limit: PER_ACCOUNT_AND_ADDRESS,
                nth: "SELECT at FROM login_failures WHERE email_norm = $1 AND client_ip = $2 \
                      AND device IS NULL AND at > $3 ORDER BY at DESC LIMIT 1 OFFSET $4",
                pending: "SELECT COUNT(*) FROM login_failures WHERE email_norm = $1 \
                          AND client_ip = $2 AND device IS NULL AND pending = 1 AND at > $3",
                keys: vec![email_norm, ip],
            },
            Scope {
                limit: PER_ACCOUNT,
                nth: "SELECT at FROM login_failures WHERE email_norm = $1 AND device IS NULL \
                      AND at > $2 ORDER BY at DESC LIMIT 1 OFFSET $3",
                pending: "SELECT COUNT(*) FROM login_failures WHERE email_norm = $1 \
                          AND device IS NULL AND pending = 1 AND at > $2",
                keys: vec![email_norm],
            },
            Scope {
                limit: PER_ADDRESS,
                nth: "SELECT at FROM login_failures WHERE client_ip = $1 AND device IS NULL \
                      AND at > $2 ORDER BY at DESC LIMIT 1 OFFSET $3",
                pending: "SELECT COUNT(*) FROM login_failures WHERE client_ip = $1 \
                          AND device IS NULL AND pending = 1 AND at > $2",
                keys: vec![ip],
            },
        ],
    }
}

impl Scope<'_> {
    /// Seconds until this limit lets an attempt through, if it is reached now.
    async fn wait(&self, conn: &mut AnyConnection, now: i64) -> sqlx::Result<Option<i64>> {
        let mut q = sqlx::query_scalar::<_, i64>(self.nth);
        for key in &self.keys {
            q = q.bind(*key);
        }
        let nth = q
            .bind(now - self.limit.window)
            .bind(self.limit.max - 1)
            .fetch_optional(conn)
            .await?;
        Ok(nth.map(|at| (at + self.limit.window - now).max(1)))
    }

    /// Whether attempts of this scope are being verified now.
    async fn pending(&self, conn: &mut AnyConnection, now: i64) -> sqlx::Result<bool> {
        let mut q = sqlx::query_scalar::<_, i64>(self.pending);
        for key in &self.keys {
            q = q.bind(*key);
        }
        Ok(q.bind(now - PENDING_FOR).fetch_one(conn).await? > 0)
    }
}

/// Reserves one log-in attempt from `device` (a known device's id, or `None`), or answers how
/// many seconds to wait.
pub async fn reserve(
    state: &AppState,
    email_norm: &str,
    ip: &str,
    device: Option<&str>,
) -> sqlx::Result<Result<Attempt, i64>> {
    let scopes = scopes(email_norm, ip, device);
    let deadline = Instant::now() + WAIT_FOR_PENDING;
    loop {
        let now = state.clock.now();
        let mut tx = state.begin_write().await?;
        // A lock per key, always the account's before the address's so that two attempts
        // never wait on each other.
        for key in [
            format!("login-account:{email_norm}"),
            format!("login-address:{ip}"),
        ] {
            crate::db::lock_key(&mut tx, state.backend, &key).await?;
        }
        // For each limit, the max-th most recent failure in its window: once it leaves the
        // window, so does the lock.
        let mut over = Vec::new();
        for scope in &scopes {
            if let Some(wait) = scope.wait(&mut tx, now).await? {
                over.push((scope, wait));
            }
        }
        if over.is_empty() {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO login_failures (email_norm, client_ip, device, pending, at) \
                 VALUES ($1, $2, $3, 1, $4) RETURNING id",
            )
            .bind(email_norm)
            .bind(ip)
            .bind(device)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(Ok(Attempt { id }));
        }
        let mut undecided = false;
        for (scope, _) in &over {
            undecided |= scope.pending(&mut tx, now).await?;
        }
        tx.rollback().await?;
        let wait = over.iter().map(|(_, w)| *w).max().unwrap_or(1);
        if !undecided || Instant::now() >= deadline {
            return Ok(Err(wait));
        }
        // Over only if the attempts being verified fail: wait until they are decided,
        // looking with reads (no write turn), then count again.
        loop {
            tokio::time::sleep(LOOK_EVERY).await;
            let mut conn = state.pool.acquire().await?;
            let mut still = false;
            for (scope, _) in &over {
                still |= scope.pending(&mut conn, state.clock.now()).await?;
            }
            if !still || Instant::now() >= deadline {
                break;
            }
        }
    }
}

impl Attempt {
    /// The password was right: this attempt is not a failure, and neither are the earlier
    /// ones of this account from this address and device (attempts still being verified
    /// keep their own fate).
    pub async fn forgive(self, pool: &AnyPool) -> sqlx::Result<()> {
        // One statement: one write, whatever the failures before.
        sqlx::query(
            "DELETE FROM login_failures WHERE id = $1 OR (pending = 0 AND EXISTS ( \
               SELECT 1 FROM login_failures a WHERE a.id = $1 \
                 AND a.email_norm = login_failures.email_norm \
                 AND a.client_ip = login_failures.client_ip \
                 AND COALESCE(a.device, '') = COALESCE(login_failures.device, '')))",
        )
        .bind(self.id)
        .execute(pool)
        .await?;
        Ok(())
    }

    /// The password was wrong: the reserved attempt is a failure, no longer pending (were
    /// this write lost, it would count as a failure all the same once stale).
    pub async fn fail(self, pool: &AnyPool) -> sqlx::Result<()> {
        sqlx::query("UPDATE login_failures SET pending = 0 WHERE id = $1")
            .bind(self.id)
            .execute(pool)
            .await?;
        Ok(())
    }
}

/// A password reset forgives the account's failures from every address: whoever reset it
/// owns the mailbox.
pub async fn clear_account(pool: &AnyPool, email_norm: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE email_norm = $1")
        .bind(email_norm)
        .execute(pool)
        .await?;
    Ok(())
}

/// Drops failures older than the longest window.
pub async fn delete_old(pool: &AnyPool, now: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(now - LONGEST_WINDOW)
        .execute(pool)
        .await?;
    Ok(())
}

/// "3 minutes", "1 minute": how long to wait, in words.
pub fn wait_in_words(seconds: i64) -> String {
    let minutes = (seconds + 59) / 60;
    if minutes == 1 {
        "1 minute".to_owned()
    } else {
        format!("{minutes} minutes")
    }
}
