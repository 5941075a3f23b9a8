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
