//! Random secrets for links and addresses (setup, invitations, resets, calendar feeds): only
//! their SHA-256 is stored, so a copy of the database opens nothing. And the server's signing
//! keys: values the portal hands out and must recognize later (the join form's time stamp, a
//! device's cookie) carry an HMAC-SHA-256 made with a key kept in the settings table.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use sqlx::AnyPool;

/// A new random secret, 128 bits as 32 hex digits: unguessable, and short enough that a link
/// holding it stays on one line of a quoted-printable email body (under 76 characters).
pub fn generate() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    hex::encode(bytes)
}

/// What is stored for a secret.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The signing key named `name`: a random secret made on first use and kept in the settings
/// table, so that every instance on one database signs and checks alike.
pub async fn key(pool: &AnyPool, name: &str) -> sqlx::Result<Vec<u8>> {
    let stored = || async {
        sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = $1")
            .bind(name)
            .fetch_optional(pool)
            .await
    };
    if let Some(s) = stored().await? {
        return Ok(s.into_bytes());
    }
    let fresh = generate();
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(name)
        .bind(&fresh)
        .execute(pool)
        .await?;
    // Another instance may have made it first: use whichever is stored.
    Ok(stored().await?.unwrap_or(fresh).into_bytes())
}

fn mac(key: &[u8], purpose: &str, payload: &str) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts a key of any length");
    mac.update(purpose.as_bytes());
    mac.update(b":");
    mac.update(payload.as_bytes());
    mac
}

/// `payload.signature`: the payload (which must not need escaping where it goes) signed for
/// one purpose, so that a value signed for one use is worth nothing for another.
pub fn sign(key: &[u8], purpose: &str, payload: &str) -> String {
    let signature = hex::encode(mac(key, purpose, payload).finalize().into_bytes());
    format!("{payload}.{signature}")
}

/// The payload of a value [`sign`]ed with this key for this purpose; `None` for anything
/// forged, altered or malformed (compared in constant time).
pub fn verify<'a>(key: &[u8], purpose: &str, signed: &'a str) -> Option<&'a str> {
    let (payload, signature) = signed.rsplit_once('.')?;
    let signature = hex::decode(signature).ok()?;
    mac(key, purpose, payload).verify_slice(&signature).ok()?;
    Some(payload)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_signed_value_checks_only_with_its_key_and_purpose() {
        let s = super::sign(b"key", "device", "12.abc");
        assert_eq!(super::verify(b"key", "device", &s), Some("12.abc"));
        assert_eq!(super::verify(b"other", "device", &s), None);
        assert_eq!(super::verify(b"key", "join", &s), None);
        assert_eq!(
            super::verify(b"key", "device", &s.replacen("12", "13", 1)),
            None
        );
        assert_eq!(super::verify(b"key", "device", "12.abc"), None);
        assert_eq!(super::verify(b"key", "device", ""), None);
    }

    #[test]
    fn a_secret_is_32_hex_digits_and_its_digest_64() {
        let s = super::generate();
        assert_eq!(s.len(), 32);
        assert!(s.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(s, super::generate());
        assert_eq!(super::digest(&s).len(), 64);
        assert_eq!(
            super::digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
