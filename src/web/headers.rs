//! Security and caching headers on every response, the ceiling on the length of addresses,
//! and addresses no page can have (a NUL byte).

use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::state::AppState;

/// No inline script or style anywhere: the policy allows only the portal's own files.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

/// Longest path and query accepted; longer ones get the 414 page. (The HTTP server itself
/// answers a bare 414 beyond 64 KB, before the application sees the request.)
pub const MAX_URI_BYTES: usize = 16 * 1024;

/// How long an anonymous public page may be kept by browsers and shared caches.
pub const PUBLIC_MAX_AGE: u32 = 60;

/// Outermost: every response the application gives, pages, files and early errors alike
/// (413, 414, 403, 404, 405), gets the same headers.
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed: [(HeaderName, &'static str); 5] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
    ];
    for (name, value) in fixed {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    if let Some(max_age) = state.config.hsts_max_age()
        && let Ok(value) = HeaderValue::from_str(&format!("max-age={max_age}"))
    {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, value);
    }
    // Pages may show private things: unless a handler or `public_when_anonymous` said
    // otherwise, nothing is stored; and nothing that sets a cookie is ever shared.
    let sets_cookie = headers.contains_key(header::SET_COOKIE);
    if !headers.contains_key(header::CACHE_CONTROL) || sets_cookie {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        // The same address answers differently to a logged-in person: a cache must key on
        // the cookie.
        headers.append(header::VARY, HeaderValue::from_static("cookie"));
    }
    response
}

/// For the pages anyone may read (home, news, articles, directory): cacheable for a minute
/// when the request carries no cookie at all and the answer sets none, so that it cannot
/// depend on who is logged in. Any other answer stays `no-store`.
pub async fn public_when_anonymous(request: Request, next: Next) -> Response {
    let anonymous = !request.headers().contains_key(header::COOKIE);
    let mut response = next.run(request).await;
    if anonymous
        && response.status() == StatusCode::OK
        && !response.headers().contains_key(header::SET_COOKIE)
        && !response.headers().contains_key(header::CACHE_CONTROL)
        && let Ok(value) = HeaderValue::from_str(&format!("public, max-age={PUBLIC_MAX_AGE}"))
    {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

/// Refuses an over-long address with the 414 page (rendered by the error-page layer).
pub async fn refuse_long_uris(request: Request, next: Next) -> Response {
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |pq| pq.as_str().len());
    if length > MAX_URI_BYTES {
        return StatusCode::URI_TOO_LONG.into_response();
    }
    next.run(request).await
}

/// No NUL byte (`%00`) in an address reaches a handler: PostgreSQL refuses a NUL in text
/// with an error instead of finding nothing, so a slug, key or search holding one would fail
/// the request. A path holding one is the 404 page: no page, slug or key of the portal has
/// one. A query loses its NULs, as the form kit drops control characters from what is
/// submitted: `?topic=a%00b` is then the 404 of an unknown topic, and a search finds what it
/// would without them. One check here, before any extractor or query, keeps NULs from every
/// route, present and future. Inside the session layer, so the 404 page keeps the person's
/// header.
pub async fn refuse_nul_bytes(mut request: Request, next: Next) -> Response {
    if request.uri().path().contains("%00") {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Some(query) = request.uri().query().filter(|q| q.contains("%00")) {
        let mut cleaned = query.to_owned();
        // Until none is left: taking one out of "%%0000" makes another.
        while cleaned.contains("%00") {
            cleaned = cleaned.replace("%00", "");
        }
        let mut parts = request.uri().clone().into_parts();
        let path = request.uri().path();
        let path_and_query = if cleaned.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{cleaned}")
        };
        match path_and_query.parse() {
            Ok(pq) => parts.path_and_query = Some(pq),
            Err(_) => return StatusCode::NOT_FOUND.into_response(),
        }
        match axum::http::Uri::from_parts(parts) {
            Ok(uri) => *request.uri_mut() = uri,
            Err(_) => return StatusCode::NOT_FOUND.into_response(),
        }
    }
    next.run(request).await
}
