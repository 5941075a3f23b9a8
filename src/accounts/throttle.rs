//! Log-in throttling, counted in the database so that every instance agrees.

use sqlx::AnyPool;

/// Failures are counted over this many seconds.
pub const WINDOW: i64 = 15 * 60;
/// Failed log-ins allowed per account within the window.
pub const PER_ACCOUNT: i64 = 5;
/// Failed log-ins allowed per client address within the window (a city hall may share one).
pub const PER_ADDRESS: i64 = 20;

/// `Ok` when a log-in may be tried, or the seconds to wait.
pub async fn check(
    pool: &AnyPool,
    email_norm: &str,
    ip: &str,
    now: i64,
) -> sqlx::Result<Result<(), i64>> {
    // The LIMIT-th most recent failure in the window: once it leaves the window, so does the lock.
    let by_account: Option<i64> = sqlx::query_scalar(
        "SELECT at FROM login_failures WHERE email_norm = $1 AND at > $2 ORDER BY at DESC LIMIT 1 OFFSET $3",
    )
    .bind(email_norm)
    .bind(now - WINDOW)
    .bind(PER_ACCOUNT - 1)
    .fetch_optional(pool)
    .await?;
    let by_address: Option<i64> = sqlx::query_scalar(
        "SELECT at FROM login_failures WHERE client_ip = $1 AND at > $2 ORDER BY at DESC LIMIT 1 OFFSET $3",
    )
    .bind(ip)
    .bind(now - WINDOW)
    .bind(PER_ADDRESS - 1)
    .fetch_optional(pool)
    .await?;
    Ok(match by_account.into_iter().chain(by_address).max() {
        Some(at) => Err((at + WINDOW - now).max(1)),
        None => Ok(()),
    })
}

pub async fn record_failure(
    pool: &AnyPool,
    email_norm: &str,
    ip: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO login_failures (email_norm, client_ip, at) VALUES ($1, $2, $3)")
        .bind(email_norm)
        .bind(ip)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(())
}

/// A successful log-in forgives the account's failures.
pub async fn clear_account(pool: &AnyPool, email_norm: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE email_norm = $1")
        .bind(email_norm)
        .execute(pool)
        .await?;
    Ok(())
}

/// Drops failures older than the window.
pub async fn delete_old(pool: &AnyPool, now: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(now - WINDOW)
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
