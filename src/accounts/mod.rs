//! Accounts: people who log in, log-in and log-out, the first staff account, sessions,
//! forgotten passwords, and each person's own account page.

mod account;
pub mod db;
pub mod email;
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

/// The session key holding the logged-in person's id.
pub const SESSION_PERSON: &str = "person_id";

/// A person as pages see them (never the password hash).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Person {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub title: String,
    pub role: String,
    pub active: i64,
    pub city_id: Option<i64>,
    pub city_name: Option<String>,
    pub city_state: Option<String>,
    pub city_status: Option<String>,
    /// The person's own IANA time zone; empty when they never chose one.
    pub time_zone: String,
    /// The city's time zone, the default for its people; empty when not set.
    pub city_time_zone: Option<String>,
}

impl Person {
    /// "Lafayette, CO", or empty for a person without a city.
    pub fn city_label(&self) -> String {
        match (&self.city_name, &self.city_state) {
            (Some(n), Some(s)) => format!("{n}, {s}"),
            _ => String::new(),
        }
    }

    /// The zone this person reads and enters times in: their own choice, else their city's,
    /// else the organization's.
    pub fn zone(&self, default: &crate::time::Zone) -> crate::time::Zone {
        let chosen = [
            Some(self.time_zone.as_str()),
            self.city_time_zone.as_deref(),
        ]
        .into_iter()
        .flatten()
        .find(|z| !z.is_empty());
        match chosen {
            Some(name) => crate::time::Zone::parse(name).unwrap_or_else(|_| default.clone()),
            None => default.clone(),
        }
    }

    /// "Staff", "Mayor", "Advisor".
    pub fn role_label(&self) -> &'static str {
        match crate::policy::Role::parse(&self.role) {
            Some(r) => r.label(),
            None => "",
        }
    }
}

/// A SELECT of people with their city, for `sqlx::query_as::<_, Person>`; the argument is the
/// rest of the query (WHERE, ORDER BY …). People are `p`, cities `c`.
#[macro_export]
macro_rules! select_people {
    ($rest:literal) => {
        concat!(
            "SELECT p.id, p.email, p.name, p.title, p.role, p.active, p.city_id, c.name AS city_name, \
             c.state AS city_state, c.status AS city_status, p.time_zone, c.time_zone AS city_time_zone \
             FROM people p LEFT JOIN cities c ON c.id = p.city_id ",
            $rest
        )
    };
}

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
        .route("/account/email", post(account::change_email))
        .route(
            "/account/email/confirm/{token}",
            get(account::confirm_email_form).post(account::confirm_email),
        )
}

/// Checks the fields of a new staff account; the same rules for the setup page and the shell.
pub fn check_new_person(
    name: &str,
    email: &str,
    password: &str,
) -> Result<email::EmailAddress, crate::web::FormErrors> {
    let mut errors = crate::web::FormErrors::default();
    let name = name.trim();
    if name.is_empty() {
        errors.add("name", "Enter your name.");
    } else if name.chars().count() > 200 {
        errors.add("name", "A name has at most 200 characters.");
    }
    let parsed = email::EmailAddress::parse(email);
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
