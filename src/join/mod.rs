//! "Become a Member City": the public application form ([`form`]), its spam guard
//! ([`guard`]), and the staff's review ([`review`]: approve: the city is created and its mayor
//! invited; decline: a message to the contact).

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

pub mod form;
pub mod guard;
pub mod review;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/join", get(form::form).post(form::submit))
        .route("/join/thanks", get(form::thanks))
        .route("/staff/applications", get(review::list))
        .route("/staff/applications/{id}", get(review::show))
        .route("/staff/applications/{id}/approve", post(review::approve))
        .route("/staff/applications/{id}/decline", post(review::decline))
}
