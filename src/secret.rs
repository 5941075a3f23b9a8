//! Random secrets for links and addresses (setup, invitations, resets, calendar feeds): only
//! their SHA-256 is stored, so a copy of the database opens nothing.

use sha2::{Digest, Sha256};

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

#[cfg(test)]
mod tests {
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
