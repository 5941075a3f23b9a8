//! Random tokens for links (setup, invitations, resets): only their SHA-256 is stored.

use sha2::{Digest, Sha256};

/// A new random token, 128 bits as 32 hex digits: unguessable, and short enough that a link
/// holding it stays on one line of a quoted-printable email body (under 76 characters).
pub fn generate() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    hex::encode(bytes)
}

/// What is stored for a token.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

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
