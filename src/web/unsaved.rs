//! Forms the database could not take come back whole. When a form's request meets the
//! database's trouble (unreachable, a lock held past the wait, a full disk: see
//! [`Trouble`]), wherever it meets it (reading the session, the handler's write, the
//! session's creation at log-in), the answer is a page with the message that nothing was
//! saved yet and the form again: every field as it was sent, labelled, in a form that posts
//! to the same address, so that sending it again needs nothing but a button (no script).
//!
//! It works for every form without a handler knowing: the request body passes through a
//! [`Tee`] that keeps a copy of the text sent (an urlencoded body as it is; of a multipart
//! body the text fields and only the names of the files, never their bytes), and reads what
//! the handler left unread once the trouble is known. Passwords are never sent back (their
//! fields come back empty, to be typed again), and fields named like secrets (tokens, CSRF)
//! are dropped.

use std::{
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;

use crate::{
    error::{self, ErrorMessage, Held, Trouble},
    state::AppState,
    web::{ErrorViewer, Layout},
};

/// The most text kept from one form: more than any form of the portal takes (a news body is
/// the largest). A body with more text comes back as the plain error page.
const TEXT_LIMIT: usize = 4 * 1024 * 1024;

/// How long, and how far, the rest of a body the handler left unread is read once trouble is
/// known (this layer is outside the body limit; the largest upload is 25 MB).
const DRAIN_WAIT: Duration = Duration::from_secs(30);
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// Middleware outside the session layer (it sees the session's own failures) and inside the
/// error pages (it answers a page of its own).
pub async fn keep_forms(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let kind = Kind::of(&request);
    let multipart = matches!(kind, Some(Kind::Multipart(_)));
    let path = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let (request, tee) = match kind {
        Some(kind) => {
            let (parts, body) = request.into_parts();
            let tee = Tee::new(body, kind);
            (
                Request::from_parts(parts, Body::new(tee.clone())),
                Some(tee),
            )
        }
        None => (request, None),
    };
    let (response, noted) = error::watching(next.run(request)).await;
    // A limit reached: nothing was saved either, and the words say why.
    if let Some(Held(message)) = response.extensions().get::<Held>().cloned() {
        let viewer = response.extensions().get::<ErrorViewer>().cloned();
        return match tee {
            Some(tee) => match tee.fields().await {
                Some(fields) if !fields.is_empty() => {
                    let (status, action) = (response.status(), path);
                    let mut page = page(
                        &state,
                        Why::Held(status, message),
                        action,
                        fields,
                        viewer,
                        multipart,
                    );
                    *page.status_mut() = status;
                    page
                }
                _ => response,
            },
            None => response,
        };
    }
    let trouble = match response.extensions().get::<Trouble>() {
        Some(trouble) => *trouble,
        // A blank server error from the session layer (a log-in's session not created): the
        // trouble was noted where it was met.
        None => match noted {
            Some(trouble) if response.status().is_server_error() => trouble,
            _ => return response,
        },
    };
    let viewer = response.extensions().get::<ErrorViewer>().cloned();
    let fields = match tee {
        Some(tee) => tee.fields().await,
        None => None,
    };
    match fields {
        Some(fields) if !fields.is_empty() => page(
            &state,
            Why::Trouble(trouble),
            path,
            fields,
            viewer,
            multipart,
        ),
        _ => plain(response, trouble),
    }
}

/// The error page without a form: the response as it is when it says its trouble already,
/// or in place of a blank 500.
fn plain(response: Response, trouble: Trouble) -> Response {
    if response.extensions().get::<ErrorMessage>().is_some() {
        return response;
    }
    let mut response = trouble.status().into_response();
    response
        .extensions_mut()
        .insert(ErrorMessage(trouble.page_message().to_owned()));
    response.extensions_mut().insert(trouble);
    response
}

/// One field as it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    /// A password: never sent back; the field comes back empty.
    Password,
    /// A file part: only its name is kept (an empty name when no file was chosen).
    File(String),
}

/// What the page shows of one field.
pub struct Shown {
    /// `field-1`, `field-2`…: names may repeat (check boxes) and hold any character.
    pub id: String,
    pub name: String,
    pub label: String,
    pub kind: ShownKind,
    pub value: String,
    pub rows: usize,
}

#[derive(PartialEq, Eq)]
pub enum ShownKind {
    /// Nothing was typed: kept as it was sent, out of the way (and out of reach of a
    /// honeypot).
    Hidden,
    Line,
    Lines,
    Password,
    File,
}

#[derive(askama::Template)]
#[template(path = "unsaved.html")]
struct UnsavedPage {
    layout: Layout,
    status: u16,
    message: String,
    action: String,
    multipart: bool,
    fields: Vec<Shown>,
}

/// Why the form comes back.
enum Why {
    Trouble(Trouble),
    Held(axum::http::StatusCode, String),
}

fn page(
    state: &AppState,
    why: Why,
    action: String,
    fields: Vec<Field>,
    viewer: Option<ErrorViewer>,
    multipart: bool,
) -> Response {
    let mut layout = Layout::plain(state);
    if let Some(ErrorViewer(person)) = viewer {
        layout.zone = person.zone(&layout.zone);
        layout.person = Some(person);
    }
    let (status, message, trouble) = match why {
        Why::Trouble(t) => (t.status(), t.unsaved_message().to_owned(), Some(t)),
        Why::Held(status, message) => (status, message, None),
    };
    let page = UnsavedPage {
        layout,
        status: status.as_u16(),
        message,
        action,
        multipart,
        fields: shown(fields),
    };
    let mut response = crate::web::form::again_with(status, &page);
    // What someone typed is theirs: no cache keeps it.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(trouble) = trouble {
        response.extensions_mut().insert(trouble);
    }
    response
}

fn shown(fields: Vec<Field>) -> Vec<Shown> {
    fields
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let label = label(&f.name);
            let (kind, value, label) = match f.value {
                Value::Text(text) if text.is_empty() => (ShownKind::Hidden, text, label),
                Value::Text(text) if text.contains(['\n', '\r']) || text.chars().count() > 100 => {
                    (ShownKind::Lines, text, label)
                }
                Value::Text(text) => (ShownKind::Line, text, label),
                Value::Password => (
                    ShownKind::Password,
                    String::new(),
                    format!("{label} (type it again: it is never sent back)"),
                ),
                Value::File(name) if name.is_empty() => (ShownKind::File, name, label),
                Value::File(name) => {
                    let again = format!("{label}: choose “{name}” again");
                    (ShownKind::File, name, again)
                }
            };
            let rows = value.lines().count().clamp(4, 20);
            Shown {
                id: format!("field-{}", i + 1),
                name: f.name,
                label,
                kind,
                value,
                rows,
            }
        })
        .collect()
}

/// "cover_alt" -> "Cover alt".
fn label(name: &str) -> String {
    let words = name.replace(['_', '-'], " ");
    let words = words.trim();
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Field".to_owned(),
    }
}

/// Whether a field's name says it holds a password: it comes back empty.
fn is_password(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("password") || name.contains("passwd") || name.contains("passphrase")
}

/// Whether a field's name says it holds a secret the server gave (a token, a CSRF value):
/// it is dropped.
fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["token", "csrf", "secret", "xsrf", "nonce"]
        .iter()
        .any(|word| name.contains(word))
}

/// The forms whose text is kept.
#[derive(Debug, Clone)]
enum Kind {
    Urlencoded,
    Multipart(Vec<u8>),
}

impl Kind {
    fn of(request: &Request) -> Option<Kind> {
        if request.method() != Method::POST {
            return None;
        }
        let content_type = request.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
        let mut params = content_type.split(';');
        let essence = params.next()?.trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/x-www-form-urlencoded" => Some(Kind::Urlencoded),
            "multipart/form-data" => params.find_map(|p| {
                let (key, value) = p.split_once('=')?;
                (key.trim().eq_ignore_ascii_case("boundary"))
                    .then(|| Kind::Multipart(value.trim().trim_matches('"').as_bytes().to_vec()))
            }),
            _ => None,
        }
    }
}

/// The request body as the handler reads it, with a copy of its text kept on the side. The
/// body itself stays here too, so that what the handler left unread can be read after it.
#[derive(Clone)]
struct Tee(Arc<Mutex<Shared>>);

struct Shared {
    /// `None` once the body has ended.
    body: Option<Body>,
    capture: Capture,
}

impl Tee {
    fn new(body: Body, kind: Kind) -> Tee {
        let capture = match kind {
            Kind::Urlencoded => Capture::Urlencoded(Vec::new(), 0),
            Kind::Multipart(boundary) => Capture::Multipart(Scanner::new(&boundary)),
        };
        Tee(Arc::new(Mutex::new(Shared {
            body: Some(body),
            capture,
        })))
    }

    /// The fields sent, reading what is left of the body first (for a bounded time); `None`
    /// when they cannot all be known (the body broke off, held more text than is kept, or
    /// was not a well-formed form).
    async fn fields(self) -> Option<Vec<Field>> {
        let mut rest = Body::new(self.clone());
        let drained = tokio::time::timeout(DRAIN_WAIT, async {
            let mut read = 0;
            loop {
                match rest.frame().await {
                    Some(Ok(frame)) => {
                        read += frame.data_ref().map_or(0, Bytes::len);
                        if read > DRAIN_LIMIT {
                            return false;
                        }
                    }
                    Some(Err(_)) => return false,
                    None => return true,
                }
            }
        })
        .await;
        if drained != Ok(true) {
            return None;
        }
        let shared = self.0.lock().ok()?;
        shared.capture.fields()
    }
}

impl http_body::Body for Tee {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let Ok(mut shared) = self.0.lock() else {
            return Poll::Ready(None);
        };
        let shared = &mut *shared;
        let Some(body) = shared.body.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    shared.capture.feed(data);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                shared.capture.break_off();
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                shared.body = None;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        match self.0.lock() {
            Ok(shared) => shared.body.as_ref().is_none_or(|b| b.is_end_stream()),
            Err(_) => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self.0.lock() {
            Ok(shared) => shared
                .body
                .as_ref()
                .map_or_else(|| SizeHint::with_exact(0), |b| b.size_hint()),
            Err(_) => SizeHint::default(),
        }
    }
}

/// The copy kept of a body's text.
enum Capture {
    /// The chunks as they came, and their length; `usize::MAX` once broken off or too long.
    Urlencoded(Vec<Bytes>, usize),
    Multipart(Scanner),
}

impl Capture {
    fn feed(&mut self, data: &Bytes) {
        match self {
            Capture::Urlencoded(chunks, length) => {
                if *length == usize::MAX {
                    return;
                }
                *length = length.saturating_add(data.len());
                if *length > TEXT_LIMIT {
                    chunks.clear();
                    *length = usize::MAX;
                } else {
                    chunks.push(data.clone());
                }
            }
            Capture::Multipart(scanner) => scanner.feed(data),
        }
    }

    fn break_off(&mut self) {
        match self {
            Capture::Urlencoded(chunks, length) => {
                chunks.clear();
                *length = usize::MAX;
            }
            Capture::Multipart(scanner) => scanner.state = Reading::Broken,
        }
    }

    fn fields(&self) -> Option<Vec<Field>> {
        let raw: Vec<Field> = match self {
            Capture::Urlencoded(_, usize::MAX) => return None,
            Capture::Urlencoded(chunks, _) => {
                let body = chunks.concat();
                serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
                    .ok()?
                    .into_iter()
                    .map(|(name, value)| Field {
                        name,
                        value: Value::Text(value),
                    })
                    .collect()
            }
            Capture::Multipart(scanner) if matches!(scanner.state, Reading::Done) => {
                scanner.fields.clone()
            }
            Capture::Multipart(_) => return None,
        };
        Some(
            raw.into_iter()
                .filter(|f| !is_secret(&f.name))
                .map(|f| match f.value {
                    Value::Text(_) if is_password(&f.name) => Field {
                        name: f.name,
                        value: Value::Password,
                    },
                    _ => f,
                })
                .collect(),
        )
    }
}

/// Reads a multipart/form-data body as it streams past (RFC 7578), keeping text fields and
/// the names of files, never more than a delimiter's length of a file's bytes.
struct Scanner {
    /// `\r\n--boundary`: the body is read as if it began with `\r\n`, so that the first
    /// boundary is found like the others.
    delimiter: Vec<u8>,
    pending: Vec<u8>,
    state: Reading,
    fields: Vec<Field>,
    /// Text kept so far, against [`TEXT_LIMIT`].
    kept: usize,
}

#[derive(Debug)]
enum Reading {
    Preamble,
    /// Just after a delimiter: `--` ends the body, a line break begins a part.
    AfterDelimiter,
    Headers,
    /// In a part's content: `text` is `Some` for a text field being kept.
    Content {
        name: Option<String>,
        filename: Option<String>,
        text: Vec<u8>,
    },
    Done,
    Broken,
}

/// The most a part's headers may take.
const HEADERS_LIMIT: usize = 16 * 1024;

impl Scanner {
    fn new(boundary: &[u8]) -> Scanner {
        let mut delimiter = b"\r\n--".to_vec();
        delimiter.extend_from_slice(boundary);
        Scanner {
            delimiter,
            pending: b"\r\n".to_vec(),
            state: if boundary.is_empty() {
                Reading::Broken
            } else {
                Reading::Preamble
            },
            fields: Vec::new(),
            kept: 0,
        }
    }

    fn feed(&mut self, data: &[u8]) {
        if matches!(self.state, Reading::Done | Reading::Broken) {
            return;
        }
        self.pending.extend_from_slice(data);
        while self.step() {}
    }

    /// One step forward; false when more bytes are needed (or nothing more is to be done).
    fn step(&mut self) -> bool {
        let state = std::mem::replace(&mut self.state, Reading::Broken);
        let (next, more) = match state {
            Reading::Preamble => match find(&self.pending, &self.delimiter) {
                Some(at) => {
                    self.pending.drain(..at + self.delimiter.len());
                    (Reading::AfterDelimiter, true)
                }
                None => {
                    self.keep_tail();
                    (Reading::Preamble, false)
                }
            },
            Reading::AfterDelimiter => self.after_delimiter(),
            Reading::Headers => self.headers(),
            Reading::Content {
                name,
                filename,
                text,
            } => self.content(name, filename, text),
            Reading::Done => (Reading::Done, false),
            Reading::Broken => (Reading::Broken, false),
        };
        self.state = next;
        more
    }

    /// After a delimiter: the closing "--", or the line break before a part's headers.
    fn after_delimiter(&mut self) -> (Reading, bool) {
        if self.pending.len() < 2 {
            (Reading::AfterDelimiter, false)
        } else if self.pending.starts_with(b"--") {
            self.pending.clear();
            (Reading::Done, false)
        } else {
            // Transport padding (spaces, tabs) may come before the line break.
            match find(&self.pending, b"\r\n") {
                Some(at) if self.pending[..at].iter().all(|b| *b == b' ' || *b == b'\t') => {
                    self.pending.drain(..at + 2);
                    (Reading::Headers, true)
                }
                Some(_) => (Reading::Broken, false),
                None if self.pending.len() > 1024 => (Reading::Broken, false),
                None => (Reading::AfterDelimiter, false),
            }
        }
    }

    /// A part's headers, up to the empty line: its field name and file name.
    fn headers(&mut self) -> (Reading, bool) {
        let end = if self.pending.starts_with(b"\r\n") {
            Some((0, 2))
        } else {
            find(&self.pending, b"\r\n\r\n").map(|at| (at, at + 4))
        };
        match end {
            Some((at, skip)) => {
                let headers = String::from_utf8_lossy(&self.pending[..at]).into_owned();
                self.pending.drain(..skip);
                let (name, filename) = disposition(&headers);
                (
                    Reading::Content {
                        name,
                        filename,
                        text: Vec::new(),
                    },
                    true,
                )
            }
            None if self.pending.len() > HEADERS_LIMIT => (Reading::Broken, false),
            None => (Reading::Headers, false),
        }
    }

    /// A part's content, up to the next delimiter: a text field's value is kept (within
    /// [`TEXT_LIMIT`]), a file's bytes are not.
    fn content(
        &mut self,
        name: Option<String>,
        filename: Option<String>,
        mut text: Vec<u8>,
    ) -> (Reading, bool) {
        let keeping = name.is_some() && filename.is_none();
        let (end, found) = match find(&self.pending, &self.delimiter) {
            Some(at) => (at, true),
            None => (
                self.pending.len().saturating_sub(self.delimiter.len() - 1),
                false,
            ),
        };
        if keeping {
            self.kept += end;
            if self.kept > TEXT_LIMIT {
                self.pending.clear();
                return (Reading::Broken, false);
            }
            text.extend_from_slice(&self.pending[..end]);
        }
        if found {
            self.pending.drain(..end + self.delimiter.len());
            if let Some(name) = name {
                let value = match filename {
                    Some(filename) => Value::File(filename),
                    None => Value::Text(String::from_utf8_lossy(&text).into_owned()),
                };
                self.fields.push(Field { name, value });
            }
            (Reading::AfterDelimiter, true)
        } else {
            self.pending.drain(..end);
            (
                Reading::Content {
                    name,
                    filename,
                    text,
                },
                false,
            )
        }
    }

    /// Keeps only what may be the start of a delimiter cut in two by the chunks.
    fn keep_tail(&mut self) {
        let keep = self.delimiter.len() - 1;
        if self.pending.len() > keep {
            let cut = self.pending.len() - keep;
            self.pending.drain(..cut);
        }
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let last_start = haystack.len() - needle.len();
    let mut from = 0;
    while from <= last_start {
        let at = from
            + haystack[from..=last_start]
                .iter()
                .position(|b| *b == first)?;
        if haystack[at..at + needle.len()] == *needle {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The field name and file name of a part, from its Content-Disposition header.
fn disposition(headers: &str) -> (Option<String>, Option<String>) {
    let Some(line) = headers.split("\r\n").find(|l| {
        l.split(':')
            .next()
            .is_some_and(|h| h.trim().eq_ignore_ascii_case("content-disposition"))
    }) else {
        return (None, None);
    };
    let value = line.split_once(':').map_or("", |(_, v)| v);
    let (mut name, mut filename) = (None, None);
    for (key, value) in parameters(value) {
        match key.to_ascii_lowercase().as_str() {
            "name" => name = Some(value),
            "filename" => filename = Some(value),
            _ => {}
        }
    }
    (name, filename)
}

/// `form-data; name="a"; filename="b.pdf"` -> [("name", "a"), ("filename", "b.pdf")]: values
/// quoted or not, a quote inside escaped with a backslash (browsers send `%22` instead).
fn parameters(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        // Up to the next ';' (the disposition type first, skipped).
        for c in chars.by_ref() {
            if c == ';' {
                break;
            }
        }
        if chars.peek().is_none() {
            return out;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ';' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if chars.peek() != Some(&'=') {
            continue;
        }
        chars.next();
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(escaped) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ';' {
                    break;
                }
                value.push(c);
                chars.next();
            }
            value = value.trim().to_owned();
        }
        out.push((key.trim().to_owned(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(name: &str, value: &str) -> Field {
        Field {
            name: name.to_owned(),
            value: Value::Text(value.to_owned()),
        }
    }

    const BODY: &[u8] = b"--XyZ\r\n\
Content-Disposition: form-data; name=\"title\"\r\n\r\n\
Budget 2027\r\n\
--XyZ\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"report.pdf\"\r\n\
Content-Type: application/pdf\r\n\r\n\
%PDF-1.7 --XyZ without a line break before, \r\n--Xy\r\n\
--XyZ\r\n\
Content-Disposition: form-data; name=\"note\"\r\n\r\n\
Line one\r\n\r\nLine three, \xc3\xa9t\xc3\xa9\r\n\
--XyZ\r\n\
Content-Disposition: form-data; name=\"password\"\r\n\r\n\
hunter2\r\n\
--XyZ\r\n\
Content-Disposition: form-data; name=\"csrf_token\"\r\n\r\n\
abc\r\n\
--XyZ--\r\n";

    fn expected() -> Vec<Field> {
        vec![
            text("title", "Budget 2027"),
            Field {
                name: "file".to_owned(),
                value: Value::File("report.pdf".to_owned()),
            },
            text("note", "Line one\r\n\r\nLine three, été"),
            Field {
                name: "password".to_owned(),
                value: Value::Password,
            },
        ]
    }

    #[test]
    fn a_multipart_body_gives_its_text_fields_and_file_names_in_any_chunking() {
        for size in [1, 2, 3, 5, 7, 13, 64, BODY.len()] {
            let mut capture = Capture::Multipart(Scanner::new(b"XyZ"));
            for chunk in BODY.chunks(size) {
                capture.feed(&Bytes::copy_from_slice(chunk));
            }
            assert_eq!(capture.fields(), Some(expected()), "chunks of {size}");
        }
    }

    #[test]
    fn a_file_s_bytes_are_not_kept() {
        let mut body =
            b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n".to_vec();
        body.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
        body.extend_from_slice(b"\r\n--b--\r\n");
        let mut scanner = Scanner::new(b"b");
        for chunk in body.chunks(16 * 1024) {
            scanner.feed(chunk);
            assert!(scanner.pending.len() < 32 * 1024);
        }
        assert!(matches!(scanner.state, Reading::Done));
        assert_eq!(scanner.fields[0].value, Value::File("x".to_owned()));
    }

    #[test]
    fn a_body_cut_short_gives_nothing() {
        let mut capture = Capture::Multipart(Scanner::new(b"XyZ"));
        capture.feed(&Bytes::copy_from_slice(&BODY[..BODY.len() - 20]));
        assert_eq!(capture.fields(), None);
    }

    #[test]
    fn an_urlencoded_body_gives_its_fields_and_no_secret() {
        let mut capture = Capture::Urlencoded(Vec::new(), 0);
        capture.feed(&Bytes::from_static(
            b"body=Line+one%0D%0A%0D%0A%3Cb%3E&pass",
        ));
        capture.feed(&Bytes::from_static(
            b"word=x&next=%2Fhome&token=t&topic=1&topic=2",
        ));
        assert_eq!(
            capture.fields(),
            Some(vec![
                text("body", "Line one\r\n\r\n<b>"),
                Field {
                    name: "password".to_owned(),
                    value: Value::Password
                },
                text("next", "/home"),
                text("topic", "1"),
                text("topic", "2"),
            ])
        );
    }

    #[test]
    fn parameters_read_quoted_and_bare_values() {
        assert_eq!(
            parameters(r#" form-data; name="a;b"; filename="say \"hi\".txt"; x=y"#),
            vec![
                ("name".to_owned(), "a;b".to_owned()),
                ("filename".to_owned(), "say \"hi\".txt".to_owned()),
                ("x".to_owned(), "y".to_owned()),
            ]
        );
    }
}
