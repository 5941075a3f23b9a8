//! Passwords: the rules (after NIST SP 800-63B), and argon2id hashing off the async threads.

use std::sync::{Arc, LazyLock};

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

use crate::{
    error::{AppError, AppResult},
    state::AppState,
};

pub const MIN_LENGTH: usize = 12;
/// Long enough for any passphrase, short enough that hashing it costs nothing extra.
pub const MAX_LENGTH: usize = 1000;

static COMMON: LazyLock<std::collections::HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// Checks a new password: length, and not a common or guessable one. No composition rules.
pub fn check_new(password: &str, email: &str, name: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(format!(
            "Use at least {MIN_LENGTH} characters; a few words together make a good password."
        ));
    }
    if length > MAX_LENGTH {
        return Err(format!("Use at most {MAX_LENGTH} characters."));
    }
    let lower = password.to_lowercase();
    if COMMON.contains(lower.as_str()) || is_pattern(&lower) {
        return Err("This password is too common and easy to guess. Choose another.".to_owned());
    }
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    let name = name.trim().to_lowercase();
    if lower == email
        || (local.len() >= 4 && lower.contains(local))
        || (!name.is_empty() && lower.replace(' ', "") == name.replace(' ', ""))
    {
        return Err("Your password must not be your email address or your name.".to_owned());
    }
    Ok(())
}

/// A short unit repeated ("abcabcabcabc") or a plain run of consecutive characters.
fn is_pattern(p: &str) -> bool {
    let chars: Vec<char> = p.chars().collect();
    let repeated = (1..=4).any(|unit| {
        chars.len().is_multiple_of(unit) && chars.chunks(unit).all(|c| c == &chars[..unit])
    });
    let run = chars.windows(2).all(|w| w[1] as i64 - w[0] as i64 == 1)
        || chars.windows(2).all(|w| w[0] as i64 - w[1] as i64 == 1);
    repeated || run
}

/// A hash with the same parameters, verified for unknown emails so that the time taken does
/// not reveal whether an account exists.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"no account has this password, it only costs time")
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Runs `work` on the blocking pool once `gate` (the state's `hashing`, sized to the cores
/// up to [`crate::state::HASHES_AT_ONCE`]) gives a permit. The permit goes with the
/// work and is released when the work ends, not when the request that asked goes away: a
/// client that disconnects mid-hash does not free a place while its hash still runs, so no
/// stream of abandoned log-ins can run more hashes at once than the gate allows.
async fn bounded<T: Send + 'static>(
    gate: &Arc<Semaphore>,
    work: impl FnOnce() -> T + Send + 'static,
) -> AppResult<T> {
    let permit = gate
        .clone()
        .acquire_owned()
        .await
        .map_err(AppError::internal)?;
    tokio::task::spawn_blocking(move || {
        let done = work();
        drop(permit);
        done
    })
    .await
    .map_err(AppError::internal)
}

/// Hashes a password with argon2id on the blocking pool.
pub async fn hash(state: &AppState, password: &str) -> AppResult<String> {
    let password = password.to_owned();
    bounded(&state.hashing, move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(AppError::internal)
    })
    .await?
}

/// Verifies a password against a stored hash, or against the dummy hash when there is none.
pub async fn verify(state: &AppState, password: &str, stored: Option<String>) -> AppResult<bool> {
    let password = password.to_owned();
    bounded(&state.hashing, move || {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok();
        known && ok
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::{
        sync::atomic::{AtomicUsize, Ordering},
        time::Duration,
    };

    use super::*;

    #[tokio::test]
    async fn requests_that_go_away_mid_hash_do_not_let_more_hashes_run_at_once() {
        let gate = Arc::new(Semaphore::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let work = || {
            let (running, peak) = (running.clone(), peak.clone());
            move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(60));
                running.fetch_sub(1, Ordering::SeqCst);
            }
        };
        // Log-ins whose clients disconnect while their hash runs, in waves.
        for _ in 0..5 {
            let tasks: Vec<_> = (0..10)
                .map(|_| {
                    let gate = gate.clone();
                    let work = work();
                    tokio::spawn(async move { bounded(&gate, work).await })
                })
                .collect();
            tokio::time::sleep(Duration::from_millis(10)).await;
            for task in tasks {
                task.abort();
            }
        }
        // And a burst that waits for its answers: each is computed, in turn.
        let waited: Vec<_> = (0..10)
            .map(|_| {
                let gate = gate.clone();
                let work = work();
                tokio::spawn(async move { bounded(&gate, work).await })
            })
            .collect();
        for task in waited {
            task.await.unwrap().unwrap();
        }
        while running.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn short_passwords_are_refused_whatever_their_characters() {
        assert!(check_new("Xy7!kq2#", "a@b.gov", "A").is_err());
    }

    #[test]
    fn common_and_patterned_passwords_are_refused() {
        for p in [
            "password1234",
            "Password1234",
            "aaaaaaaaaaaa",
            "abcabcabcabc",
            "123456789012",
            "abcdefghijklmnop",
            "cityhall1234",
        ] {
            assert!(
                check_new(p, "jamie@city.gov", "Jamie").is_err(),
                "{p} was accepted"
            );
        }
    }

    #[test]
    fn a_password_made_of_the_email_is_refused() {
        assert!(
            check_new(
                "jamie.harkins2026",
                "jamie.harkins@city.gov",
                "Jamie Harkins"
            )
            .is_err()
        );
    }

    #[test]
    fn a_passphrase_without_symbols_is_accepted() {
        assert!(check_new("river otter mayor lantern", "jamie@city.gov", "Jamie").is_ok());
    }
}
