//! Log-in throttling, counted in the database so that every instance agrees.
//!
//! An attempt is *reserved* before the password is verified: the limits are counted and the
//! attempt recorded in one write transaction, serialized per account and per address, so that
//! a hundred guesses sent at once verify no more passwords than the limit allows. A verified
//! attempt is then forgiven; a failed one stays as the failure it was.
//!
//! Three limits, each with its own window:
//! - per account *and* address: a few failures, so that one person mistyping is soon told to
//!   wait, while nobody elsewhere can lock the account out;
//! - per account across all addresses: a higher ceiling, against guessing spread over many
//!   addresses;
//! - per address across all accounts: against one machine trying many accounts (a city hall
//!   behind one address still has room).

use sqlx::AnyPool;

use crate::state::AppState;

/// One limit: at most `max` failed attempts within `window` seconds.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: i64,
    pub window: i64,
}

/// Failed log-ins allowed per account from one address.
pub const PER_ACCOUNT_AND_ADDRESS: Limit = Limit {
    max: 5,
    window: 15 * 60,
};
/// Failed log-ins allowed per account from all addresses together.
pub const PER_ACCOUNT: Limit = Limit {
    max: 50,
    window: 60 * 60,
};
/// Failed log-ins allowed per client address, whatever the account.
pub const PER_ADDRESS: Limit = Limit {
    max: 20,
    window: 15 * 60,
};
/// Rows older than this are of no use to any limit.
const LONGEST_WINDOW: i64 = 60 * 60;

/// An attempt that may go ahead; forgive it when the password was right.
#[derive(Debug)]
#[must_use = "a reserved attempt counts as a failure unless it is forgiven"]
pub struct Attempt {
    id: i64,
}

/// Reserves one log-in attempt, or answers how many seconds to wait.
pub async fn reserve(
    state: &AppState,
    email_norm: &str,
    ip: &str,
    now: i64,
) -> sqlx::Result<Result<Attempt, i64>> {
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
    let by_account_and_address: Option<i64> = sqlx::query_scalar(
        "SELECT at FROM login_failures WHERE email_norm = $1 AND client_ip = $2 AND at > $3 \
         ORDER BY at DESC LIMIT 1 OFFSET $4",
    )
    .bind(email_norm)
    .bind(ip)
    .bind(now - PER_ACCOUNT_AND_ADDRESS.window)
    .bind(PER_ACCOUNT_AND_ADDRESS.max - 1)
    .fetch_optional(&mut *tx)
    .await?;
    let by_account: Option<i64> = sqlx::query_scalar(
        "SELECT at FROM login_failures WHERE email_norm = $1 AND at > $2 \
         ORDER BY at DESC LIMIT 1 OFFSET $3",
    )
    .bind(email_norm)
    .bind(now - PER_ACCOUNT.window)
    .bind(PER_ACCOUNT.max - 1)
    .fetch_optional(&mut *tx)
    .await?;
    let by_address: Option<i64> = sqlx::query_scalar(
        "SELECT at FROM login_failures WHERE client_ip = $1 AND at > $2 \
         ORDER BY at DESC LIMIT 1 OFFSET $3",
    )
    .bind(ip)
    .bind(now - PER_ADDRESS.window)
    .bind(PER_ADDRESS.max - 1)
    .fetch_optional(&mut *tx)
    .await?;
    let wait = [
        by_account_and_address.map(|at| at + PER_ACCOUNT_AND_ADDRESS.window - now),
        by_account.map(|at| at + PER_ACCOUNT.window - now),
        by_address.map(|at| at + PER_ADDRESS.window - now),
    ]
    .into_iter()
    .flatten()
    .max()
    .map(|s| s.max(1));
    if let Some(seconds) = wait {
        tx.rollback().await?;
        return Ok(Err(seconds));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO login_failures (email_norm, client_ip, at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(email_norm)
    .bind(ip)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(Attempt { id }))
}

impl Attempt {
    /// The password was right: this attempt is not a failure, and neither are the earlier
    /// ones of this account from this address.
    pub async fn forgive(self, pool: &AnyPool) -> sqlx::Result<()> {
        // One statement: one write, whatever the failures before.
        sqlx::query(
            "DELETE FROM login_failures WHERE (email_norm, client_ip) = \
             (SELECT email_norm, client_ip FROM login_failures WHERE id = $1)",
        )
        .bind(self.id)
        .execute(pool)
        .await?;
        Ok(())
    }

    /// The password was wrong: the reserved attempt stays counted.
    pub fn fail(self) {}
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
