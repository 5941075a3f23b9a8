//! The portal as a library: `app(state)` is the whole web application, built the same way
//! by the binary and by the tests.

pub mod accounts;
pub mod areas;
pub mod assistance;
pub mod audit;
pub mod cohorts;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod files;
pub mod home;
pub mod join;
pub mod meetings;
pub mod members;
pub mod news;
pub mod notify;
pub mod pages;
pub mod policy;
pub mod publications;
pub mod search;
pub mod secret;
pub mod site;
pub mod staff;
pub mod state;
pub mod text;
pub mod time;
pub mod viewer;
pub mod web;

use std::time::Duration;

use axum::{
    Router, extract::State, http::StatusCode, middleware, response::IntoResponse, routing::get,
};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::{CompressionLayer, DefaultPredicate, Predicate},
    limit::RequestBodyLimitLayer,
    trace::TraceLayer,
};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

use crate::{accounts::sessions::DbStore, error::AppError, state::AppState};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "portal_session";

/// The whole application, with every layer, ready to serve.
pub fn app(state: AppState) -> Router {
    app_with_routes(state, Router::new())
}

/// The application with more routes, inside every layer as the portal's own are: sessions,
/// error pages, security headers, a panic caught. The tests add routes this way (a handler
/// that panics); the binary adds none.
pub fn app_with_routes(state: AppState, routes: Router<AppState>) -> Router {
    let sessions = session_layer(&state);
    areas()
        .merge(routes)
        .route("/healthz", get(healthz))
        .route("/static/{*path}", get(web::assets::serve))
        .fallback(|| async { AppError::NotFound })
        // Innermost: a handler that panics (a bug) answers the 500 page, with the person's
        // header and every other layer's work, instead of dropping the connection; the
        // cause goes to the log.
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(middleware::from_fn(web::headers::refuse_nul_bytes))
        // Inside the session layer, so that they see the loaded session.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::viewer_on_errors,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            accounts::sessions::keep_alive,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.max_body_bytes,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(TraceLayer::new_for_http())
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    web::headers::security_headers,
                ))
                // Stored files keep their length and byte ranges (downloads resume): the
                // store's responses, which offer ranges, are sent as they are.
                .layer(
                    CompressionLayer::new().compress_when(DefaultPredicate::new().and(
                        |_: StatusCode,
                         _: axum::http::Version,
                         headers: &axum::http::HeaderMap,
                         _: &axum::http::Extensions| {
                            !headers.contains_key(axum::http::header::ACCEPT_RANGES)
                        },
                    )),
                )
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    error::render_error_pages,
                ))
                .layer(middleware::from_fn(web::headers::refuse_long_uris))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    web::cross_site::refuse_cross_site,
                ))
                // Outside the session layer, to see its failures too: a form the database
                // could not take comes back whole with the message that nothing was saved.
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    web::unsaved::keep_forms,
                ))
                // The hard ceiling is the largest upload; every form but the uploads' (news
                // pictures, cohort resources, assistance attachments, publications) is held to
                // the configured limit by DefaultBodyLimit.
                .layer(RequestBodyLimitLayer::new(
                    state
                        .config
                        .max_body_bytes
                        .max(news::images::MAX_BYTES + 256 * 1024)
                        .max(cohorts::resources::BODY_LIMIT)
                        .max(assistance::BODY_LIMIT)
                        .max(publications::BODY_LIMIT),
                ))
                .layer(sessions),
        )
        .with_state(state)
}

/// Every area's routes.
fn areas() -> Router<AppState> {
    Router::new()
        .merge(home::router())
        .merge(accounts::router())
        .merge(staff::router())
        .merge(members::router())
        .merge(news::router(news::images::MAX_BYTES + 256 * 1024))
        .merge(site::router())
        .merge(pages::router())
        .merge(cohorts::router())
        .merge(meetings::router())
        .merge(assistance::router())
        .merge(publications::router())
        .merge(search::page::router())
        .merge(join::router())
        .merge(notify::router())
        .merge(audit::router())
}

/// Sessions in the application's database, ended after the configured idle days.
fn session_layer(state: &AppState) -> SessionManagerLayer<DbStore> {
    SessionManagerLayer::new(DbStore::new(state.pool.clone()))
        .with_name(SESSION_COOKIE)
        .with_secure(state.config.secure_cookies())
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(::time::Duration::days(
            state.config.session_idle_days,
        )))
        // Saved only when changed: `sessions::keep_alive` pushes a logged-in person's expiry
        // back every few minutes, and a session ended elsewhere is never written back.
        .with_always_save(false)
}

/// 200 when the database answers and takes writes and the data folder has room; 503 with the
/// reason when not.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let checked =
        match db::health::check_free_space(&state.config.data_dir, state.config.min_free_mb) {
            Ok(()) => {
                db::health::check(&state.pool, state.backend, &state.config.database_url()).await
            }
            Err(problem) => Err(problem),
        };
    match checked {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(problem) => {
            tracing::warn!(%problem, "health check failed");
            let mut response = StatusCode::SERVICE_UNAVAILABLE.into_response();
            response
                .extensions_mut()
                .insert(error::ErrorMessage(problem.to_string()));
            response
        }
    }
}

/// Periodic clean-up: every ten minutes, [`housekeep`].
pub async fn housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        housekeep(&state).await;
    }
}

/// One round of clean-up: expired sessions, old log-in failures, cover pictures no post
/// uses, stored files nothing claimed (a form that failed or was abandoned), and assistance
/// requests resolved 14 days ago that their city did not reopen.
pub async fn housekeep(state: &AppState) {
    let now = state.clock.now();
    if let Err(e) = DbStore::new(state.pool.clone()).delete_expired().await {
        tracing::warn!(error = %e, "could not delete expired sessions");
    }
    if let Err(e) = accounts::throttle::delete_old(&state.pool, now).await {
        tracing::warn!(error = %e, "could not delete old log-in failures");
    }
    // Images first: the files of an image they release are swept just below.
    if let Err(e) = news::images::sweep(&state.pool, now).await {
        tracing::warn!(error = %e, "could not sweep unused cover pictures");
    }
    match files::sweep(&state.pool, now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "swept unclaimed uploads"),
        Err(e) => tracing::warn!(error = %e, "could not sweep unclaimed uploads"),
    }
    match assistance::close_resolved(state).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(requests = n, "closed requests resolved 14 days ago"),
        Err(e) => tracing::warn!(error = %e, "could not close resolved requests"),
    }
}
