//! Accounts: people who log in, log-in and log-out, the first staff account, sessions,
//! forgotten passwords, and each person's own account page.

pub mod account;
pub mod db;
pub mod device;
mod handlers;
pub mod password;
mod reset;
pub mod sessions;
pub mod setup;
pub mod throttle;
pub mod tokens;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

// The person as pages and policy see them lives in the core (`viewer`), so that the core
// never imports this feature.
pub use crate::viewer::{Person, SESSION_PERSON};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(handlers::login_form).post(handlers::login))
        .route("/logout", post(handlers::logout))
        .route("/setup/{token}", get(setup::form).post(setup::create))
        .route(
            "/password/forgot",
            get(reset::forgot_form).post(reset::forgot),
        )
        .route("/password/forgot/sent", get(reset::forgot_sent))
        .route(
            "/password/reset/{token}",
            get(reset::reset_form).post(reset::reset),
        )
        .route("/account", get(account::show))
        .route("/account/profile", post(account::profile))
        .route("/account/password", post(account::change_password))
        .route("/account/time-zone", post(account::time_zone))
        .route("/account/listing", post(account::listing))
        .route("/account/messages", post(account::messages))
        .route("/account/publications", post(account::publication_news))
        .route("/account/email", post(account::change_email))
        .route(
            "/account/email/confirm/{token}",
            get(account::confirm_email_form).post(account::confirm_email),
        )
}

/// A person's own text fields, the same on every form that asks for them (setup, accepting
/// an invitation, the account page).
pub static FIELDS: crate::web::form::Fields = crate::web::form::Fields(&[
    crate::web::form::Field {
        name: "name",
        label: "your name",
        max_len: 200,
        required: true,
        lines: false,
    },
    crate::web::form::Field {
        name: "title",
        label: "your title",
        max_len: 200,
        required: false,
        lines: false,
    },
    crate::web::form::Field {
        name: "email",
        label: "an email address",
        max_len: 254,
        required: true,
        lines: false,
    },
]);

/// Checks the fields of a new account; the same rules for the setup page, the shell and an
/// accepted invitation.
pub fn check_new_person(
    name: &str,
    email: &str,
    password: &str,
) -> Result<crate::text::EmailAddress, crate::web::FormErrors> {
    let mut check = FIELDS.check();
    let name = check.text("name", name);
    let name = name.as_str();
    let mut errors = check.errors;
    let parsed = crate::text::EmailAddress::parse(email);
    if let Err(m) = &parsed {
        errors.add("email", *m);
    }
    if let Err(m) = password::check_new(password, email, name) {
        errors.add("password", m);
    }
    match parsed {
        Ok(e) if errors.is_empty() => Ok(e),
        _ => Err(errors),
    }
}
