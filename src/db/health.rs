//! The database's health as `/healthz` reports it: does it answer, does it take writes, and is
//! there room on the data folder's disk.

use std::time::Duration;

use sqlx::{AnyPool, Connection};

use super::{Backend, cause};

/// How long each step of the check may wait: for a connection, or for another writer's lock.
const WAIT: Duration = Duration::from_secs(2);

/// What is wrong, in a sentence for a person reading `/healthz`.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("The database cannot be reached: {0}")]
    Unreachable(String),
    #[error("The database refuses writes: {0}")]
    RefusesWrites(String),
    #[error(
        "Storage is nearly full: {free_mb} MB free for {dir}, under the {min_mb} MB set by --min-free-mb."
    )]
    StorageLow {
        free_mb: u64,
        min_mb: u64,
        dir: String,
    },
}

/// Whether the file system of the data folder (the SQLite database's, the mail folder's)
/// has `min_mb` megabytes free for the portal, so that a disk filling up shows here before it
/// fails a member's form. A folder that does not exist (PostgreSQL with mail over SMTP) or
/// cannot be looked at is not a problem of the portal's.
pub fn check_free_space(dir: &std::path::Path, min_mb: u64) -> Result<(), Problem> {
    if min_mb == 0 {
        return Ok(());
    }
    let Ok(free) = free_bytes(dir) else {
        return Ok(());
    };
    let free_mb = free / (1024 * 1024);
    if free_mb < min_mb {
        return Err(Problem::StorageLow {
            free_mb,
            min_mb,
            dir: dir.display().to_string(),
        });
    }
    Ok(())
}

/// Bytes free for an unprivileged writer on the file system holding `dir` (statvfs).
pub fn free_bytes(dir: &std::path::Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes())?;
    // SAFETY: statvfs only writes into the struct it is given, a zeroed plain C struct, and
    // reads the NUL-terminated path, which outlives the call.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(path.as_ptr(), &mut stat) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// Answers within a few seconds whether the database can be reached and written to. The
/// write is real (a row of `health_probe` updated) and rolled back, so that a read-only
/// database, a full disk or a write lock held by someone else shows here and not first in a
/// member's form.
pub async fn check(pool: &AnyPool, backend: Backend, url: &str) -> Result<(), Problem> {
    let mut conn = match tokio::time::timeout(WAIT, pool.acquire()).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            return Err(Problem::Unreachable(
                unreachable_cause(backend, url, e).await,
            ));
        }
        Err(_) => {
            return Err(Problem::Unreachable(
                unreachable_cause(backend, url, sqlx::Error::PoolTimedOut).await,
            ));
        }
    };
    let wait_ms = WAIT.as_millis();
    let probe = async {
        // The pool's own wait, put back after the probe.
        let mut busy_timeout = 0;
        if backend == Backend::Sqlite {
            busy_timeout = sqlx::query_scalar::<_, i64>("PRAGMA busy_timeout")
                .fetch_one(&mut *conn)
                .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "PRAGMA busy_timeout = {wait_ms}"
            )))
            .execute(&mut *conn)
            .await?;
        }
        let written = async {
            let mut tx = conn.begin().await?;
            if backend == Backend::Postgres {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SET LOCAL lock_timeout = {wait_ms}"
                )))
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("UPDATE health_probe SET checked_at = $1 WHERE id = 1")
                .bind(
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs() as i64),
                )
                .execute(&mut *tx)
                .await?;
            tx.rollback().await
        }
        .await;
        if backend == Backend::Sqlite {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "PRAGMA busy_timeout = {busy_timeout}"
            )))
            .execute(&mut *conn)
            .await?;
        }
        written
    };
    let outcome = tokio::time::timeout(WAIT * 2, probe).await;
    match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            // Whatever state the connection is in, it does not go back to the pool.
            conn.close_on_drop();
            Err(Problem::RefusesWrites(cause(&e)))
        }
        Err(_) => {
            conn.close_on_drop();
            Err(Problem::RefusesWrites(format!(
                "a write did not finish within {} s",
                (WAIT * 2).as_secs()
            )))
        }
    }
}

/// The pool says only that it timed out; on PostgreSQL one direct connection tells why.
async fn unreachable_cause(backend: Backend, url: &str, pool_error: sqlx::Error) -> String {
    if backend == Backend::Postgres && matches!(pool_error, sqlx::Error::PoolTimedOut) {
        match tokio::time::timeout(WAIT, sqlx::AnyConnection::connect(url)).await {
            Ok(Err(e)) => return cause(&e),
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
                return "every connection is busy".to_owned();
            }
            Err(_) => return format!("no answer within {} s", WAIT.as_secs()),
        }
    }
    cause(&pool_error)
}
