//! Refusal of cross-site state-changing requests, by `Sec-Fetch-Site` and by `Origin`.
//!
//! It keeps the rules of tower-http's `CsrfLayer` (safe methods pass; `Sec-Fetch-Site:
//! cross-site` or `same-site` is refused; an `Origin` must name this host; a request with
//! neither header is not a browser's and passes) and adds two: the `Origin` must also have the
//! portal's scheme (from the base URL), and an `Origin` that is not the portal's is refused even
//! when `Sec-Fetch-Site` says `same-origin`, since each header is only as good as the other.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::state::AppState;

/// Lets the request through, or answers 403 (rendered as the "Not allowed" page).
pub async fn refuse_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let scheme = if state.config.secure_cookies() {
        "https"
    } else {
        "http"
    };
    // HTTP/2 carries the host in the URI's authority, HTTP/1.1 in the Host header.
    let host = request
        .uri()
        .authority()
        .map(|a| a.as_str().as_bytes().to_vec())
        .or_else(|| {
            request
                .headers()
                .get(header::HOST)
                .map(|v| v.as_bytes().to_vec())
        });
    if is_allowed(request.method(), request.headers(), host.as_deref(), scheme) {
        next.run(request).await
    } else {
        tracing::info!(
            method = %request.method(),
            path = %request.uri().path(),
            origin = ?request.headers().get(header::ORIGIN),
            sec_fetch_site = ?request.headers().get("sec-fetch-site"),
            "cross-site request refused"
        );
        StatusCode::FORBIDDEN.into_response()
    }
}

/// The decision, apart from the middleware for unit tests: `scheme` is the portal's own.
pub fn is_allowed(method: &Method, headers: &HeaderMap, host: Option<&[u8]>, scheme: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    let origin = headers
        .get(header::ORIGIN)
        .map(|v| v.as_bytes())
        .filter(|b| !b.is_empty());
    if let Some(origin) = origin {
        let own = host.is_some_and(|host| {
            origin.len() == scheme.len() + 3 + host.len()
                && origin.starts_with(scheme.as_bytes())
                && origin[scheme.len()..].starts_with(b"://")
                && origin[scheme.len() + 3..].eq_ignore_ascii_case(host)
        });
        if !own {
            return false;
        }
    }
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        None | Some(b"" | b"same-origin" | b"none") => true,
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(method: &Method, h: &HeaderMap, scheme: &str) -> bool {
        is_allowed(method, h, h.get("host").map(|v| v.as_bytes()), scheme)
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn safe_methods_always_pass() {
        let h = headers(&[("sec-fetch-site", "cross-site")]);
        assert!(allowed(&Method::GET, &h, "http"));
    }

    #[test]
    fn the_origin_must_match_scheme_and_host() {
        let post = Method::POST;
        let own = headers(&[
            ("host", "portal.example"),
            ("origin", "http://portal.example"),
        ]);
        assert!(allowed(&post, &own, "http"));
        assert!(!allowed(&post, &own, "https"));
        let other = headers(&[
            ("host", "portal.example"),
            ("origin", "http://evil.example"),
        ]);
        assert!(!allowed(&post, &other, "http"));
        let null = headers(&[("host", "portal.example"), ("origin", "null")]);
        assert!(!allowed(&post, &null, "http"));
        let longer = headers(&[
            ("host", "portal.example"),
            ("origin", "http://portal.example.evil"),
        ]);
        assert!(!allowed(&post, &longer, "http"));
    }

    #[test]
    fn fetch_metadata_is_trusted_only_with_a_matching_origin() {
        let post = Method::POST;
        assert!(allowed(
            &post,
            &headers(&[("sec-fetch-site", "same-origin")]),
            "http"
        ));
        assert!(!allowed(
            &post,
            &headers(&[("sec-fetch-site", "same-site")]),
            "http"
        ));
        assert!(!allowed(
            &post,
            &headers(&[
                ("sec-fetch-site", "same-origin"),
                ("host", "portal.example"),
                ("origin", "https://evil.example"),
            ]),
            "https"
        ));
        assert!(allowed(&post, &headers(&[]), "http"));
    }
}
