//! Sending a stored file: streamed from the database chunk by chunk, with its length, an
//! ETag (and 304 for a copy the client has), one byte range (206, or 416), the type found
//! from the bytes, the original name shown or saved as the caller says, nosniff, and a
//! sandboxing policy. The caller has checked access already.

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sqlx::AnyPool;

use super::StoredFile;

/// Who may read the file, which decides how it may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Anyone, without logging in: shared caches may keep it (the bytes of a key never change).
    Anyone,
    /// Only some people: never stored by a cache, not even the browser's.
    Restricted,
}

impl Audience {
    fn cache_control(self) -> &'static str {
        match self {
            Audience::Anyone => "public, max-age=31536000, immutable",
            Audience::Restricted => "private, no-store",
        }
    }
}

/// How the browser is to treat a file: the route that serves it decides, and this module
/// writes the `Content-Disposition` header, for stored files and for the files the portal
/// writes itself (calendars, exports) alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Shown in the browser: pictures in a page, a logo opened by its address.
    Inline,
    /// Saved, never shown: resources, exports, calendar files.
    Attachment,
}

impl Disposition {
    /// The header for a file of this name: `inline` or `attachment`, the name as plain ASCII
    /// and, when it is not, in full as UTF-8 (RFC 6266 and 8187).
    pub fn header(self, name: &str) -> HeaderValue {
        HeaderValue::from_str(&self.value(name))
            .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
    }

    /// The same as text (always ASCII), for responses built from strings.
    pub fn value(self, name: &str) -> String {
        disposition(name, self == Disposition::Inline)
    }
}

/// The policy every stored file is served with, whatever its type: a file that can hold
/// markup (an SVG logo opened by its address, a resource a browser renders despite
/// `attachment`) draws itself with its own styles and does nothing else: no script, no
/// fetch, no form sent anywhere, no frame, and in a sandbox (a unique origin, no plugins,
/// no pop-ups, no navigation of the page around it).
pub const FILE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; \
frame-ancestors 'none'; sandbox";

/// Which bytes a request asks for.
#[derive(Debug, PartialEq, Eq)]
enum Ask {
    Whole,
    /// First and last byte, inclusive.
    Part(u64, u64),
    Unsatisfiable,
}

/// Reads a `Range` header for a file of `size` bytes (RFC 9110, 14.1 and 14.2). One range is
/// served; several are answered with the whole file (which the standard allows). A header
/// that is not a byte range as the grammar writes it (another unit, no `=`, letters, a sign,
/// a last byte before the first) is ignored, and the whole file sent: only a well-formed range
/// that no byte of the file satisfies (starting past the end, an empty suffix, any range of
/// an empty file) is refused with 416.
fn parse_range(value: &str, size: u64) -> Ask {
    let Some((unit, spec)) = value.trim().split_once('=') else {
        return Ask::Whole;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return Ask::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ask::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    // Digits only: `u64::from_str` would take a leading `+`, which the grammar does not.
    let number = |s: &str| -> Option<Option<u64>> {
        if s.is_empty() {
            Some(None)
        } else if s.bytes().all(|b| b.is_ascii_digit()) {
            // More digits than a u64 holds: past the end of any file.
            Some(Some(s.parse().unwrap_or(u64::MAX)))
        } else {
            None
        }
    };
    let (Some(first), Some(last)) = (number(first), number(last)) else {
        return Ask::Whole;
    };
    match (first, last) {
        (None, None) => Ask::Whole,
        // "-500": the last 500 bytes; "-0" asks for none of them.
        (None, Some(n)) => {
            if n == 0 || size == 0 {
                Ask::Unsatisfiable
            } else {
                Ask::Part(size - n.min(size), size - 1)
            }
        }
        // "500-": from byte 500 to the end.
        (Some(a), None) => {
            if a < size {
                Ask::Part(a, size - 1)
            } else {
                Ask::Unsatisfiable
            }
        }
        (Some(a), Some(b)) if b < a => Ask::Whole,
        (Some(a), Some(b)) => {
            if a < size {
                Ask::Part(a, b.min(size - 1))
            } else {
                Ask::Unsatisfiable
            }
        }
    }
}

/// Whether an `If-None-Match` (or `If-Range`) list names this ETag; weak comparison.
fn matches_etag(value: &str, etag: &str) -> bool {
    value
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// `inline` or `attachment`, with the name as plain ASCII and, when it is not, in full as
/// UTF-8 (RFC 6266 and 8187).
fn disposition(name: &str, inline: bool) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if ascii == name {
        return format!("{kind}; filename=\"{ascii}\"");
    }
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// The response for a stored file, to a reader whose access the caller has checked, shown or
/// saved as `shown` says.
pub fn serve(
    pool: &AnyPool,
    file: &StoredFile,
    request: &HeaderMap,
    audience: Audience,
    shown: Disposition,
) -> Response {
    let size = file.size.max(0) as u64;
    let etag = format!("\"{}\"", file.sha256);
    let mut headers = HeaderMap::new();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set(header::ETAG, &etag);
    set(header::CACHE_CONTROL, audience.cache_control());
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::ACCEPT_RANGES, "bytes");
    set(header::CONTENT_SECURITY_POLICY, FILE_POLICY);

    let header_str = |name: header::HeaderName| request.get(name).and_then(|v| v.to_str().ok());
    if header_str(header::IF_NONE_MATCH).is_some_and(|v| matches_etag(v, &etag)) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    // A Range counts only for the same bytes as the client's partial copy (If-Range); this
    // store has no dates to compare, so an If-Range that is not our ETag means the whole file.
    let ask = match header_str(header::RANGE) {
        Some(range) if header_str(header::IF_RANGE).is_none_or(|v| v.trim() == etag) => {
            parse_range(range, size)
        }
        _ => Ask::Whole,
    };
    let (status, first, last) = match ask {
        Ask::Whole => (StatusCode::OK, 0, size.saturating_sub(1)),
        Ask::Part(a, b) => {
            set(header::CONTENT_RANGE, &format!("bytes {a}-{b}/{size}"));
            (StatusCode::PARTIAL_CONTENT, a, b)
        }
        Ask::Unsatisfiable => {
            set(header::CONTENT_RANGE, &format!("bytes */{size}"));
            return (StatusCode::RANGE_NOT_SATISFIABLE, headers).into_response();
        }
    };
    let length = if size == 0 { 0 } else { last - first + 1 };
    set(header::CONTENT_TYPE, &file.content_type);
    set(header::CONTENT_LENGTH, &length.to_string());
    headers.insert(header::CONTENT_DISPOSITION, shown.header(&file.name));
    let body = chunks(
        pool.clone(),
        file.id,
        file.chunk_size.max(1) as u64,
        first,
        first + length,
    );
    (status, headers, body).into_response()
}

/// The bytes from `start` to `stop` (exclusive), fetched one chunk at a time as the client
/// reads: memory per download is one chunk, and no connection is held between chunks.
fn chunks(pool: AnyPool, file_id: i64, chunk_size: u64, start: u64, stop: u64) -> Body {
    let stream = futures_util::stream::try_unfold(start, move |pos| {
        let pool = pool.clone();
        async move {
            if pos >= stop {
                return Ok(None);
            }
            let seq = pos / chunk_size;
            let offset = (pos % chunk_size) as usize;
            let data: Option<Vec<u8>> =
                sqlx::query_scalar("SELECT data FROM file_chunks WHERE file_id = $1 AND seq = $2")
                    .bind(file_id)
                    .bind(seq as i64)
                    .fetch_optional(&pool)
                    .await
                    .map_err(std::io::Error::other)?;
            let data = data.filter(|d| d.len() > offset).ok_or_else(|| {
                std::io::Error::other(format!("file {file_id} has no byte {pos}"))
            })?;
            let take = (data.len() - offset).min((stop - pos) as usize);
            let bytes = Bytes::from(data).slice(offset..offset + take);
            Ok::<_, std::io::Error>(Some((bytes, pos + take as u64)))
        }
    });
    Body::from_stream(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_the_standard_says() {
        assert_eq!(parse_range("bytes=0-9", 100), Ask::Part(0, 9));
        assert_eq!(parse_range("bytes=90-200", 100), Ask::Part(90, 99));
        assert_eq!(parse_range("bytes=95-", 100), Ask::Part(95, 99));
        assert_eq!(parse_range("bytes=-10", 100), Ask::Part(90, 99));
        assert_eq!(parse_range("bytes=-500", 100), Ask::Part(0, 99));
        assert_eq!(
            parse_range("bytes=99999999999999999999999-", 100),
            Ask::Unsatisfiable
        );
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Ask::Whole);
        assert_eq!(parse_range("pages=1-2", 100), Ask::Whole);
    }

    #[test]
    fn a_well_formed_range_outside_the_file_is_unsatisfiable() {
        assert_eq!(parse_range("bytes=100-", 100), Ask::Unsatisfiable);
        assert_eq!(parse_range("bytes=100-200", 100), Ask::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Ask::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-0", 0), Ask::Unsatisfiable);
        assert_eq!(parse_range("bytes=-5", 0), Ask::Unsatisfiable);
    }

    #[test]
    fn a_malformed_range_is_ignored_as_rfc_9110_says() {
        for garbled in [
            "bytes=a-b",
            "bytes=ten-twenty",
            "bytes=+1-2",
            "bytes=1-+2",
            "bytes=1-2-3",
            "bytes=5",
            "bytes=",
            "bytes=-",
            "bytes 0-9",
            "0-9",
            "",
            "bytes=9-0",
            "bytes=0x10-20",
        ] {
            assert_eq!(parse_range(garbled, 100), Ask::Whole, "{garbled}");
        }
    }

    #[test]
    fn names_in_content_disposition_are_quoted_safely_and_kept_in_full() {
        assert_eq!(
            disposition("report 2026.pdf", false),
            "attachment; filename=\"report 2026.pdf\""
        );
        assert_eq!(
            disposition("Café \"menu\".png", true),
            "inline; filename=\"Caf_ _menu_.png\"; filename*=UTF-8''Caf%C3%A9%20%22menu%22.png"
        );
    }

    #[test]
    fn etags_match_in_lists_weakly_and_by_star() {
        assert!(matches_etag("\"a\", W/\"b\"", "\"b\""));
        assert!(matches_etag("*", "\"b\""));
        assert!(!matches_etag("\"a\"", "\"b\""));
    }
}
