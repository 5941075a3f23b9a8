//! The portal as a library: `app(state)` is the whole web application, built the same way
//! by the binary and by the tests.

pub mod accounts;
pub mod audit;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod home;
pub mod join;
pub mod members;
pub mod news;
pub mod notify;
pub mod policy;
pub mod site;
pub mod staff;
pub mod state;
pub mod web;

use std::time::Duration;

use axum::{
    Router, extract::State, http::StatusCode, middleware, response::IntoResponse, routing::get,
};
use tower::ServiceBuilder;
use tower_http::{compression::CompressionLayer, limit::RequestBodyLimitLayer, trace::TraceLayer};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

use crate::{accounts::sessions::DbStore, error::AppError, state::AppState};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "portal_session";

/// The whole application, with every layer, ready to serve.
pub fn app(state: AppState) -> Router {
    let sessions = SessionManagerLayer::new(DbStore::new(state.pool.clone()))
        .with_name(SESSION_COOKIE)
        .with_secure(state.config.secure_cookies())
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(
            state.config.session_idle_days,
        )))
        // Sliding expiry: every request of a logged-in person pushes the end further.
        .with_always_save(true);

    Router::new()
        .merge(home::router())
        .merge(accounts::router())
        .merge(staff::router())
        .merge(members::router())
        .merge(news::router(news::images::MAX_BYTES + 256 * 1024))
        .merge(site::router())
        .merge(join::router())
        .merge(notify::router())
        .merge(audit::router())
        .route("/healthz", get(healthz))
        .route("/static/{*path}", get(web::assets::serve))
        .fallback(|| async { AppError::NotFound })
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
                .layer(CompressionLayer::new())
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    error::render_error_pages,
                ))
                .layer(middleware::from_fn(web::headers::refuse_long_uris))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    web::cross_site::refuse_cross_site,
                ))
                // The hard ceiling is the largest upload; every form but the news editor's is
                // held to the configured limit by DefaultBodyLimit below.
                .layer(RequestBodyLimitLayer::new(
                    state
                        .config
                        .max_body_bytes
                        .max(news::images::MAX_BYTES + 256 * 1024),
                ))
                .layer(sessions),
        )
        .with_state(state)
}

/// 200 when the database answers, 503 when it does not.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let probe = sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(&state.pool);
    match tokio::time::timeout(Duration::from_secs(3), probe).await {
        Ok(Ok(_)) => (StatusCode::OK, "ok"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}

/// Periodic clean-up of expired sessions and old log-in failures.
pub async fn housekeeping(state: AppState) {
    let store = DbStore::new(state.pool.clone());
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        if let Err(e) = store.delete_expired().await {
            tracing::warn!(error = %e, "could not delete expired sessions");
        }
        if let Err(e) = accounts::throttle::delete_old(&state.pool, state.clock.now()).await {
            tracing::warn!(error = %e, "could not delete old log-in failures");
        }
    }
}
