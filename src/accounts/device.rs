//! Device cookies (OWASP's "device cookies" against lock-out): a browser that logged in to an
//! account carries a cookie naming that person and a random device id, signed with a server
//! key. Log-ins from it are limited by that device's own failures, so guesses from elsewhere,
//! which meet the account's ceiling for unknown devices, never lock the owner out of a browser
//! they used before. A forged cookie, or one of another account, is an unknown device.

use axum::http::{HeaderMap, HeaderValue, header};
use tower_sessions::cookie::{Cookie, SameSite};

use crate::state::AppState;

/// The cookie's name. It is sent only to `/login`: no other page needs it, and public pages
/// stay cacheable for a browser that carries nothing else.
pub const COOKIE: &str = "portal_device";

/// What the signature is for: a device cookie's signature is worth nothing elsewhere.
const PURPOSE: &str = "device";
/// The signing key's name in the settings table.
const KEY: &str = "device.secret";
/// How long a browser keeps the cookie after its last log-in.
const KEEP_DAYS: i64 = 365;

/// A device that logged in to the account of `person_id` before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub person_id: i64,
    /// Random, 32 hex digits: the device's failures are counted under it.
    pub id: String,
}

/// The device this request's cookie names, if its signature is the server's.
pub fn from_headers(key: &[u8], headers: &HeaderMap) -> Option<Device> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == COOKIE)
        .find_map(|(_, value)| parse(key, value))
}

fn parse(key: &[u8], value: &str) -> Option<Device> {
    let payload = crate::secret::verify(key, PURPOSE, value)?;
    let (person_id, id) = payload.split_once('.')?;
    Some(Device {
        person_id: person_id.parse().ok()?,
        id: id.to_owned(),
    })
}

/// The signing key of device cookies.
pub async fn key(state: &AppState) -> sqlx::Result<Vec<u8>> {
    crate::secret::key(&state.pool, KEY).await
}

/// The `Set-Cookie` after a right log-in of `person_id`: the same device id when the browser
/// already was this person's device (its failures stay its own), a new one otherwise.
pub fn set_cookie(
    state: &AppState,
    key: &[u8],
    person_id: i64,
    known: Option<&Device>,
) -> HeaderValue {
    let id = match known {
        Some(d) if d.person_id == person_id => d.id.clone(),
        _ => crate::secret::generate(),
    };
    let value = crate::secret::sign(key, PURPOSE, &format!("{person_id}.{id}"));
    let cookie = Cookie::build((COOKIE, value))
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.secure_cookies())
        .max_age(::time::Duration::days(KEEP_DAYS))
        .build();
    HeaderValue::from_str(&cookie.to_string()).expect("a cookie of hex digits and dots")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_names_its_person_only_with_the_servers_signature() {
        let signed = crate::secret::sign(b"key", PURPOSE, "7.00ff");
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("portal_session=x; {COOKIE}={signed}")).unwrap(),
        );
        assert_eq!(
            from_headers(b"key", &headers),
            Some(Device {
                person_id: 7,
                id: "00ff".to_owned()
            })
        );
        assert_eq!(from_headers(b"another key", &headers), None);
        let forged = signed.replacen('7', "8", 1);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{COOKIE}={forged}")).unwrap(),
        );
        assert_eq!(from_headers(b"key", &headers), None);
    }
}
