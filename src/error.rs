//! One error type for every handler; error responses become pages in the layout.

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
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
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
        let (status, message) = match &self {
            AppError::LoginRequired { .. } => unreachable!("handled above"),
            AppError::NotFound => (StatusCode::NOT_FOUND, None),
            AppError::Forbidden => (StatusCode::FORBIDDEN, None),
            AppError::NoAccess(m) => (StatusCode::FORBIDDEN, Some(m.clone())),
            AppError::Gone(m) => (StatusCode::GONE, Some(m.clone())),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, Some(m.clone())),
            AppError::Database(e) if is_busy(e) => {
                // Waited its turn and the turn did not come: the request can be tried again.
                tracing::warn!(error = %self, "database busy");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Some(
                        "The portal is busy right now. Nothing was changed; try again in a moment."
                            .to_owned(),
                    ),
                )
            }
            AppError::Database(_) | AppError::Internal(_) => {
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

/// Whether a database error means "busy, try again": no connection or write turn came in
/// time, a lock held elsewhere outlasted the busy timeout (SQLite 5 and 6, with their
/// extended codes), or PostgreSQL gave up on a lock (55P03) or on a deadlock (40P01).
/// PostgreSQL's codes are read as PostgreSQL's: some are all digits, and 22021 (a NUL byte
/// in text) read as an SQLite code is 5, "busy".
pub fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            let code = code.as_ref();
            if db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .is_some()
            {
                matches!(code, "55P03" | "40P01")
            } else {
                code.parse::<i64>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
            }
        }),
        _ => false,
    }
}

/// Whether a database error is the violation of a unique constraint (a duplicate).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    heading: &'static str,
    message: String,
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
    let (heading, default) = match status {
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
    };
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
        status: status.as_u16(),
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
