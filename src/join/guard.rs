//! The join form's spam guard: a honeypot field, a time stamp signed with HMAC-SHA-256 that
//! must be between a few seconds and two hours old, and a limit of applications per address
//! per hour, reserved atomically with the application itself.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use sqlx::AnyConnection;

use crate::{db::Backend, error::AppResult, state::AppState};

/// A form sent sooner than this after it was shown is taken for a robot's.
pub const MIN_SECONDS: i64 = 3;
/// A form shown longer ago than this is out of date (its stamp could otherwise be replayed
/// by a robot for ever).
pub const MAX_AGE_SECONDS: i64 = 2 * 3600;
/// Applications accepted from one address per hour.
pub const PER_ADDRESS_PER_HOUR: i64 = 3;

const SECRET_KEY: &str = "join.secret";

/// The key of the stamps ([`crate::secret::key`]).
pub async fn key(state: &AppState) -> AppResult<Vec<u8>> {
    Ok(crate::secret::key(&state.pool, SECRET_KEY).await?)
}

fn mac(key: &[u8], t: i64) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts a key of any length");
    mac.update(b"join-form-started:");
    mac.update(t.to_string().as_bytes());
    mac
}

/// The stamp of a form shown at `t`: the time and its HMAC.
pub fn stamp(key: &[u8], t: i64) -> String {
    format!("{t}.{}", hex::encode(mac(key, t).finalize().into_bytes()))
}

/// When a genuine stamp was made; `None` for anything forged or malformed.
pub fn stamped_at(key: &[u8], s: &str) -> Option<i64> {
    let (t, signature) = s.split_once('.')?;
    let t: i64 = t.parse().ok()?;
    let signature = hex::decode(signature).ok()?;
    mac(key, t).verify_slice(&signature).ok()?;
    Some(t)
}

/// What is wrong with a form's stamp, in words for the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StampProblem {
    /// Forged, missing, or older than two hours: the form is shown again with a new stamp.
    OutOfDate,
    /// Sent sooner than a person can fill it: the form keeps its stamp.
    TooQuick,
}

impl StampProblem {
    pub fn message(self) -> &'static str {
        match self {
            StampProblem::OutOfDate => {
                "The form was out of date. Check what you entered and send it again."
            }
            StampProblem::TooQuick => {
                "That was quicker than a person can fill the form. Check what you entered and send it again."
            }
        }
    }
}

/// Checks a stamp at `now`: the time it was made, or what is wrong with it.
pub fn check(key: &[u8], s: &str, now: i64) -> Result<i64, StampProblem> {
    match stamped_at(key, s) {
        Some(t) if now - t > MAX_AGE_SECONDS || t > now => Err(StampProblem::OutOfDate),
        Some(t) if now - t < MIN_SECONDS => Err(StampProblem::TooQuick),
        Some(t) => Ok(t),
        None => Err(StampProblem::OutOfDate),
    }
}

/// The stamp to show the form again with: the one it was sent with while that is still
/// valid (correcting a field does not restart the clock), else a new one.
pub fn stamp_for_retry(key: &[u8], sent: &str, now: i64) -> String {
    match stamped_at(key, sent) {
        Some(t) if now - t <= MAX_AGE_SECONDS && t <= now => sent.to_owned(),
        _ => stamp(key, now),
    }
}

/// Holds, until the transaction ends, the right to add an application from `ip`: on
/// PostgreSQL an advisory lock per address (every instance shares it); on SQLite the write
/// transaction that the conditional insert begins already serializes writers.
pub async fn lock_address(conn: &mut AnyConnection, backend: Backend, ip: &str) -> AppResult<()> {
    crate::db::lock_key(conn, backend, &format!("join-address:{ip}")).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_checks_only_with_its_key_and_time() {
        let s = stamp(b"key", 1000);
        assert_eq!(stamped_at(b"key", &s), Some(1000));
        assert_eq!(stamped_at(b"other", &s), None);
        let moved = s.replacen("1000", "1001", 1);
        assert_eq!(stamped_at(b"key", &moved), None);
        let truncated = &s[..s.len() - 2];
        assert_eq!(stamped_at(b"key", truncated), None);
        assert_eq!(stamped_at(b"key", "1000.deadbeef"), None);
    }

    #[test]
    fn a_stamp_is_good_from_three_seconds_to_two_hours() {
        let s = stamp(b"key", 1000);
        assert_eq!(check(b"key", &s, 1001), Err(StampProblem::TooQuick));
        assert_eq!(check(b"key", &s, 1003), Ok(1000));
        assert_eq!(check(b"key", &s, 1000 + 7200), Ok(1000));
        assert_eq!(check(b"key", &s, 1000 + 7201), Err(StampProblem::OutOfDate));
        assert_eq!(check(b"key", &s, 999), Err(StampProblem::OutOfDate));
        assert_eq!(stamp_for_retry(b"key", &s, 1001), s);
        assert_ne!(stamp_for_retry(b"key", &s, 1000 + 7201), s);
    }
}
