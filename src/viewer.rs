//! The person as pages and the access policy see them: who is logged in, with their city.
//! Part of the core, beside `policy`, so that `policy`, `web` and `error` need no feature.

use sqlx::{AnyConnection, AnyPool};

/// The session key holding the logged-in person's id.
pub const SESSION_PERSON: &str = "person_id";

/// A person as pages see them (never the password hash).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Person {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub title: String,
    pub role: crate::policy::Role,
    /// Stored as the integer `active`.
    #[sqlx(rename = "active")]
    pub status: crate::policy::PersonStatus,
    pub city_id: Option<i64>,
    pub city_name: Option<String>,
    pub city_state: Option<String>,
    pub city_status: Option<crate::policy::CityStatus>,
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

    /// Whether the person can log in (not deactivated).
    pub fn is_active(&self) -> bool {
        self.status == crate::policy::PersonStatus::Active
    }

    /// "Staff", "Mayor", "Advisor".
    pub fn role_label(&self) -> &'static str {
        self.role.label()
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

/// The active person with this id, as the session names them.
pub async fn find_active(pool: &AnyPool, id: i64) -> sqlx::Result<Option<Person>> {
    sqlx::query_as::<_, Person>(crate::select_people!("WHERE p.id = $1 AND p.active = 1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// [`find_active`] on a connection of its own (a write transaction's, to ask again).
pub async fn find_active_on(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<Person>> {
    sqlx::query_as::<_, Person>(crate::select_people!("WHERE p.id = $1 AND p.active = 1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}
