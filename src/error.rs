//! One error type for every handler; error responses become pages in the layout.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{state::AppState, web::Layout};

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Absent, or present but not for this person: both look the same from outside.
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// A logged-in person asking for a page that exists but is not for them (a member at a
    /// staff page), with words saying so: a 403, where the page's existence is not private.
    #[error("no access: {0}")]
    NoAccess(String),
    /// The page needs a logged-in person; they come back to `next` after logging in.
    #[error("login required")]
    LoginRequired { next: String },
    /// Something that existed and is no longer usable (an expired link), with words for the person.
    #[error("gone: {0}")]
    Gone(String),
    /// A request that cannot be served as sent, with words for the person.
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The database could not be used for a reason of its own (see [`Trouble`]), found
    /// where no `sqlx::Error` is at hand (the session store); the words are for the log.
    #[error("database trouble ({0:?}): {1}")]
    Trouble(Trouble, String),
    #[error("internal error: {0}")]
    Internal(String),
    /// A limit the person reached (posting too often): a 429 with the words, and a form sent
    /// comes back with its text ([`crate::web::unsaved`]), since nothing of it was saved.
    #[error("held: {0}")]
    Held(String),
}

/// Put on a [`AppError::Held`] response: the form comes back with these words above it.
#[derive(Clone, Debug)]
pub struct Held(pub String);

impl AppError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }

    /// A session that could not be read or written: the database's trouble when it is one
    /// (so that a member is never logged out by an outage), otherwise an internal error.
    pub fn session(e: tower_sessions::session::Error) -> Self {
        match session_trouble(&e) {
            Some(trouble) => AppError::Trouble(trouble, e.to_string()),
            None => AppError::internal(e),
        }
    }
}

/// Put on an error response so that [`render_error_pages`] shows this message.
#[derive(Clone, Debug)]
pub struct ErrorMessage(pub String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::LoginRequired { next } = &self {
            let target = format!("/login?next={}", crate::web::url_encode(next));
            return axum::response::Redirect::to(&target).into_response();
        }
        let trouble = match &self {
            AppError::Database(e) => Trouble::of(e),
            AppError::Trouble(trouble, _) => Some(*trouble),
            _ => None,
        };
        if let Some(trouble) = trouble {
            return trouble.response(&self);
        }
        let (status, message) = match &self {
            AppError::LoginRequired { .. } => unreachable!("handled above"),
            AppError::NotFound => (StatusCode::NOT_FOUND, None),
            AppError::Forbidden => (StatusCode::FORBIDDEN, None),
            AppError::NoAccess(m) => (StatusCode::FORBIDDEN, Some(m.clone())),
            AppError::Gone(m) => (StatusCode::GONE, Some(m.clone())),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, Some(m.clone())),
            AppError::Held(m) => {
                let mut response = StatusCode::TOO_MANY_REQUESTS.into_response();
                response.extensions_mut().insert(ErrorMessage(m.clone()));
                response.extensions_mut().insert(Held(m.clone()));
                return response;
            }
            AppError::Database(_) | AppError::Internal(_) | AppError::Trouble(..) => {
                // The cause goes to the log, never to the page.
                tracing::error!(error = %self, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, None)
            }
        };
        let mut response = status.into_response();
        if let Some(m) = message {
            response.extensions_mut().insert(ErrorMessage(m));
        }
        response
    }
}

/// The answer to a handler that panicked (a bug: an undeclared form field, an index out of
/// range): the cause to the log, never to the page, and a bare 500 that
/// [`render_error_pages`] turns into the error page, as for any other server error.
pub fn panic_response(cause: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = cause
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| cause.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    tracing::error!(panic = %message, "a handler panicked");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// Why the database could not do what a request asked, when the cause is the database's
/// condition and not the request: the person is told, keeps what they typed
/// ([`crate::web::unsaved`]), and may send it again later. Never a log-out, never a blank 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// A lock held elsewhere outlasted the wait: SQLite busy or locked (5 and 6, with their
    /// extended codes), PostgreSQL's lock timeout (55P03) or a deadlock (40P01). Reads still work.
    Busy,
    /// No connection: refused, lost or ended by the server (08xxx, 57P01-57P03, 53300), the pool
    /// closed, or no connection or write turn within the wait.
    Unreachable,
    /// No space left: SQLite's SQLITE_FULL (13), PostgreSQL's disk_full (53100), ENOSPC.
    Full,
}

impl Trouble {
    /// The trouble this error is, if it is one.
    pub fn of(e: &sqlx::Error) -> Option<Trouble> {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
                Some(Trouble::Unreachable)
            }
            sqlx::Error::Io(io) if io.raw_os_error() == Some(libc::ENOSPC) => Some(Trouble::Full),
            sqlx::Error::Io(_) | sqlx::Error::Tls(_) => Some(Trouble::Unreachable),
            sqlx::Error::Database(db) => {
                let code = db.code()?;
                let code = code.as_ref();
                // PostgreSQL's codes are read as PostgreSQL's: some are all digits, and 22021
                // (a NUL byte in text) read as an SQLite code would be 5, "busy".
                let postgres = db
                    .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .is_some();
                match code {
                    "53100" => Some(Trouble::Full),
                    "55P03" | "40P01" => Some(Trouble::Busy),
                    "57P01" | "57P02" | "57P03" | "53300" => Some(Trouble::Unreachable),
                    c if c.len() == 5 && c.starts_with("08") => Some(Trouble::Unreachable),
                    _ if postgres => None,
                    c => match c.parse::<i64>().map(|n| n & 0xff) {
                        Ok(5 | 6) => Some(Trouble::Busy),
                        Ok(13) => Some(Trouble::Full),
                        // SQLITE_CANTOPEN: the file or its folder is gone.
                        Ok(14) => Some(Trouble::Unreachable),
                        _ => None,
                    },
                }
            }
            _ => None,
        }
    }

    /// 507 Insufficient Storage for a full disk, 503 for the others: both say "later".
    pub fn status(self) -> StatusCode {
        match self {
            Trouble::Full => StatusCode::INSUFFICIENT_STORAGE,
            Trouble::Busy | Trouble::Unreachable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// What the error page says when there is no form to give back.
    pub fn page_message(self) -> &'static str {
        match self {
            Trouble::Busy => {
                "The portal is busy right now. Nothing was changed; try again in a moment."
            }
            Trouble::Unreachable => {
                "The portal cannot reach its database right now. Nothing was changed; try again in a moment."
            }
            Trouble::Full => {
                "The portal's storage is full. Nothing was changed; try again later, once the people who run the portal have made room."
            }
        }
    }

    /// What the page that gives a form back says above it.
    pub fn unsaved_message(self) -> &'static str {
        match self {
            Trouble::Busy | Trouble::Unreachable => {
                "Nothing was saved yet: the portal could not reach its database. Your text is below; send it again."
            }
            Trouble::Full => {
                "Nothing was saved yet: the portal's storage is full. Your text is below; keep a copy and send it again later, once the people who run the portal have made room."
            }
        }
    }

    /// The word this trouble is stored as in a session store's error.
    fn as_str(self) -> &'static str {
        match self {
            Trouble::Busy => "busy",
            Trouble::Unreachable => "unreachable",
            Trouble::Full => "full",
        }
    }

    fn parse(word: &str) -> Option<Trouble> {
        [Trouble::Busy, Trouble::Unreachable, Trouble::Full]
            .into_iter()
            .find(|t| t.as_str() == word)
    }

    /// The error response: the status, the message for the page, and the trouble itself on
    /// the response for the layers that give a form back; the cause logged at most once a
    /// minute per kind.
    fn response(self, cause: &AppError) -> Response {
        log_trouble(self, "request not done", cause);
        let mut response = self.status().into_response();
        response
            .extensions_mut()
            .insert(ErrorMessage(self.page_message().to_owned()));
        response.extensions_mut().insert(self);
        note(self);
        response
    }
}

/// Whether a database error means "busy, try again": a lock held elsewhere outlasted the
/// wait. (Unreachable and full are [`Trouble`]s too.)
pub fn is_busy(e: &sqlx::Error) -> bool {
    Trouble::of(e) == Some(Trouble::Busy)
}

/// A database error as the session store reports it: its trouble, when it is one, first
/// (read back by [`session_trouble`]), and noted for the request (see [`watching`]).
pub fn store_error(e: sqlx::Error) -> tower_sessions::session_store::Error {
    match Trouble::of(&e) {
        Some(trouble) => {
            note(trouble);
            tower_sessions::session_store::Error::Backend(format!("{}: {e}", trouble.as_str()))
        }
        None => tower_sessions::session_store::Error::Backend(e.to_string()),
    }
}

/// The trouble behind a session error made by [`store_error`], if any.
pub fn session_trouble(e: &tower_sessions::session::Error) -> Option<Trouble> {
    match e {
        tower_sessions::session::Error::Store(tower_sessions::session_store::Error::Backend(m)) => {
            Trouble::parse(m.split(':').next()?)
        }
        _ => None,
    }
}

tokio::task_local! {
    /// The trouble met while serving this request, wherever it was met (see [`watching`]).
    static NOTED: std::cell::Cell<Option<Trouble>>;
}

/// Notes that this request met the database's trouble; read by [`watching`]. The session
/// layer turns a failed save into a blank 500 that says nothing of its cause: this does.
pub fn note(trouble: Trouble) {
    let _ = NOTED.try_with(|noted| noted.set(Some(trouble)));
}

/// Runs `serving` and answers, with its output, the trouble it met, if any.
pub async fn watching<F: Future>(serving: F) -> (F::Output, Option<Trouble>) {
    NOTED
        .scope(std::cell::Cell::new(None), async {
            let output = serving.await;
            (output, NOTED.with(std::cell::Cell::get))
        })
        .await
}

/// When each kind of trouble was last logged (Unix seconds), and how many times it was met
/// since without a log line.
static LOGGED_AT: [AtomicI64; 3] = [AtomicI64::new(0), AtomicI64::new(0), AtomicI64::new(0)];
static UNLOGGED: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// Logs the database's trouble at most once a minute per kind, with how many times it was
/// met since the last line: a full disk or an outage fails every request, and a line each
/// time would bury the cause (and, on a full disk, take what space is left).
pub fn log_trouble(trouble: Trouble, what: &str, cause: &dyn std::fmt::Display) {
    let kind = trouble as usize;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    if !once_a_minute(&LOGGED_AT[kind], now) {
        UNLOGGED[kind].fetch_add(1, Ordering::Relaxed);
        tracing::debug!(error = %cause, "{what}: database trouble ({trouble:?})");
        return;
    }
    let also = UNLOGGED[kind].swap(0, Ordering::Relaxed);
    match trouble {
        Trouble::Full => tracing::error!(
            error = %cause,
            also_since_last_line = also,
            "{what}: the database's storage is full"
        ),
        Trouble::Busy => tracing::warn!(
            error = %cause,
            also_since_last_line = also,
            "{what}: the database is busy (a lock held past the wait)"
        ),
        Trouble::Unreachable => tracing::warn!(
            error = %cause,
            also_since_last_line = also,
            "{what}: the database cannot be reached"
        ),
    }
}

/// True, and `last` set to `now`, when `last` is a minute or more ago; one caller wins a race.
fn once_a_minute(last: &AtomicI64, now: i64) -> bool {
    let before = last.load(Ordering::Relaxed);
    now - before >= 60
        && last
            .compare_exchange(before, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
}

/// Whether a database error is the violation of a unique constraint (a duplicate).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: &'static str,
    message: String,
}

/// The heading and the message an error page of this status shows, unless the error says
/// its own.
fn wording(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => (
            "Page not found",
            "There is nothing at this address. Check the link, or start again from the home page.",
        ),
        StatusCode::FORBIDDEN => (
            "Not allowed",
            "This request was refused. If you followed a link or sent a form from another site, open the portal directly and try again.",
        ),
        StatusCode::GONE => (
            "Link no longer valid",
            "This link has expired or was already used.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Too large",
            "What you sent is larger than the portal accepts. Send something smaller.",
        ),
        StatusCode::URI_TOO_LONG => (
            "Address too long",
            "The address of this request is longer than the portal accepts. Check the link, or start again from the home page.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "Not allowed",
            "This address does not accept that kind of request.",
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            "Too many requests",
            "Too many requests came from your address. Wait a minute and try again.",
        ),
        StatusCode::INSUFFICIENT_STORAGE => (
            "Storage full",
            "The portal's storage is full. Nothing was changed; try again later.",
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            "Unavailable",
            "The portal cannot serve this right now. Try again in a moment.",
        ),
        s if s.is_server_error() => (
            "Something went wrong",
            "The portal could not complete this request. It has been logged; please try again later.",
        ),
        _ => (
            "Request not understood",
            "The portal could not understand this request. Go back, check what you entered, and try again.",
        ),
    }
}

/// Renders every error response that is not already a page (handler errors, the 404
/// fallback, refused cross-site requests, oversized bodies, axum's own rejections).
pub async fn render_error_pages(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        return response;
    }
    let custom = response
        .extensions()
        .get::<ErrorMessage>()
        .map(|m| m.0.clone());
    let (heading, default) = wording(status);
    let mut layout = Layout::plain(&state);
    // A server error may be the database's: its page does not wait on it for the stored
    // name and footer, and shows the configured name.
    if !status.is_server_error() {
        layout = layout.with_identity(crate::web::identity::load(&state).await);
    }
    if let Some(viewer) = response.extensions().get::<crate::web::ErrorViewer>() {
        layout.zone = viewer.0.zone(&layout.zone);
        layout.person = Some(viewer.0.clone());
    }
    let page = ErrorPage {
        layout,
        heading,
        message: custom.unwrap_or_else(|| default.to_owned()),
    };
    let mut rendered = crate::web::render(&page).into_response();
    *rendered.status_mut() = status;
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rendered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trouble_is_logged_once_a_minute_and_one_caller_wins() {
        let last = AtomicI64::new(0);
        assert!(once_a_minute(&last, 1_000));
        assert!(!once_a_minute(&last, 1_001));
        assert!(!once_a_minute(&last, 1_059));
        assert!(once_a_minute(&last, 1_060));
        assert!(!once_a_minute(&last, 1_060));
    }

    #[test]
    fn a_session_store_error_keeps_its_trouble() {
        let e = store_error(sqlx::Error::PoolTimedOut);
        let e = tower_sessions::session::Error::Store(e);
        assert_eq!(session_trouble(&e), Some(Trouble::Unreachable));
        let other = tower_sessions::session::Error::Store(store_error(sqlx::Error::RowNotFound));
        assert_eq!(session_trouble(&other), None);
    }
}
