//! Random tokens for links (setup, invitations, resets): only their SHA-256 is stored.

pub use crate::secret::{digest, generate};

/// The kinds of one-time links whose token is spent by the POST of their page.
#[derive(Debug, Clone, Copy)]
pub enum OneTime {
    Setup,
    PasswordReset,
    EmailChange,
}

/// Spends a link's token: true when it was unused and unexpired, and is now used. Call it in
/// the transaction of what the link does, so that both happen or neither.
pub async fn spend(
    conn: &mut sqlx::AnyConnection,
    kind: OneTime,
    token: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let sql = match kind {
        OneTime::Setup => {
            "UPDATE setup_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
        }
        OneTime::PasswordReset => {
            "UPDATE password_resets SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
        }
        OneTime::EmailChange => {
            "UPDATE email_changes SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
        }
    };
    let done = sqlx::query(sql)
        .bind(digest(token))
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
