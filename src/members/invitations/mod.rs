//! Invitations: the only way in. Staff invite anyone to any city in any role; a mayor invites
//! advisors to the city. The link in the email opens a page; only its form's POST uses it.
//!
//! Here: the invitation as stored and shown, and sending one (also used by the join review).
//! The list page is in `list`, the invite form in `invite`, resending and revoking in
//! `manage`, the invitee's page and their new account in `accept`.

use axum::{
    Router,
    routing::{get, post},
};
use sqlx::AnyConnection;

use crate::members::cities::City;
use crate::{
    accounts::{Person, tokens},
    audit,
    error::AppResult,
    notify::{self, emails},
    policy::Role,
    state::AppState,
    text::EmailAddress,
    time::Zone,
};

/// How long an invitation link works, in seconds.
pub const VALID_FOR: i64 = 7 * 24 * 3600;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/invitations", get(list::list).post(invite::create))
        .route("/invitations/{id}/resend", post(manage::resend))
        .route(
            "/invitations/{id}/revoke",
            get(manage::revoke_form).post(manage::revoke),
        )
        .route(
            "/invite/{token}",
            get(accept::accept_form).post(accept::accept),
        )
}

/// An invitation with what the pages show about it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// An unknown role in the database fails the request; it never becomes another role.
    pub role: Role,
    pub city_id: Option<i64>,
    pub city_name: Option<String>,
    pub city_state: Option<String>,
    pub inviter_name: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// The invited city's time zone (empty: none of its own).
    pub city_time_zone: Option<String>,
}

macro_rules! select_invitations {
    ($rest:literal) => {
        concat!(
            "SELECT i.id, i.email, i.name, i.role, i.city_id, c.name AS city_name, c.state AS city_state, \
             inviter.name AS inviter_name, i.created_at, i.expires_at, i.accepted_at, i.revoked_at, c.time_zone AS city_time_zone \
             FROM invitations i JOIN people inviter ON inviter.id = i.invited_by LEFT JOIN cities c ON c.id = i.city_id ",
            $rest
        )
    };
}

mod accept;
mod invite;
mod list;
mod manage;

pub use invite::{FIELDS, InviteForm};
pub use list::{expiring_count, waiting_on_home};

impl Invitation {
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn city_label(&self) -> String {
        match (&self.city_name, &self.city_state) {
            (Some(n), Some(s)) => format!("{n}, {s}"),
            _ => String::new(),
        }
    }
    /// The zone of the person invited, who has no account yet: the invited city's, else the
    /// organization's.
    pub fn invitee_zone(&self, state: &AppState) -> Zone {
        invitee_zone(state, self.city_time_zone.as_deref())
    }
    fn is_expired(&self, now: i64) -> bool {
        self.expires_at <= now
    }
}

/// The zone an invitee reads times in: the city's, else the organization's.
pub(super) fn invitee_zone(state: &AppState, city_zone: Option<&str>) -> Zone {
    match city_zone.filter(|z| !z.is_empty()) {
        Some(z) => Zone::of_stored(Some(z)),
        None => state.config.time_zone.clone(),
    }
}

/// The invitation email for this invitation and token; its times in `zone`, the invitee's.
#[expect(clippy::too_many_arguments)]
pub(super) fn email_for(
    state: &AppState,
    org_name: String,
    zone: &Zone,
    inv_role: Role,
    name: &str,
    city: &str,
    inviter: &str,
    token: &str,
    expires_at: i64,
) -> emails::Invitation {
    emails::Invitation {
        org_name,
        inviter_name: inviter.to_owned(),
        invitee_name: name.to_owned(),
        role_phrase: inv_role.phrase().to_owned(),
        city: city.to_owned(),
        link: format!("{}/invite/{token}", state.config.base()),
        expires: zone.time(expires_at),
    }
}

/// Writes an invitation, its email and its audit entry on `conn` (the caller's transaction).
/// The caller has checked that the inviter may send it and that the address is free.
pub async fn send(
    conn: &mut AnyConnection,
    state: &AppState,
    inviter: &Person,
    email: &EmailAddress,
    name: &str,
    role: Role,
    city: Option<&City>,
) -> AppResult<i64> {
    let now = state.clock.now();
    let token = tokens::generate();
    let expires_at = now + VALID_FOR;
    let city_id = city.map(|c| c.id);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO invitations (token_hash, email, email_norm, name, role, city_id, invited_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(tokens::digest(&token))
    .bind(email.entered())
    .bind(email.normalized())
    .bind(name)
    .bind(role.as_str())
    .bind(city_id)
    .bind(inviter.id)
    .bind(now)
    .bind(expires_at)
    .fetch_one(&mut *conn)
    .await?;
    let city_label = city.map(City::label).unwrap_or_default();
    let zone = invitee_zone(state, city.map(|c| c.time_zone.as_str()));
    let org_name = crate::web::identity::org_name_on(&mut *conn, state).await?;
    let message = email_for(
        state,
        org_name,
        &zone,
        role,
        name,
        &city_label,
        &inviter.name,
        &token,
        expires_at,
    );
    notify::enqueue(&mut *conn, state, email.entered(), &message).await?;
    let place = if city_label.is_empty() {
        String::new()
    } else {
        format!(" of {city_label}")
    };
    let detail = format!("{} as {}{place}", email.entered(), role.as_str());
    audit::record(
        &mut *conn,
        now,
        inviter.id,
        "invited",
        audit::Subject {
            person_id: None,
            city_id,
            detail: &detail,
        },
    )
    .await?;
    Ok(id)
}

/// The invitations to a city still waiting to be accepted, newest first.
pub async fn waiting_for_city(
    pool: &sqlx::AnyPool,
    city_id: i64,
    now: i64,
) -> sqlx::Result<Vec<Invitation>> {
    sqlx::query_as::<_, Invitation>(select_invitations!(
        "WHERE i.city_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2 \
         ORDER BY i.id DESC"
    ))
    .bind(city_id)
    .bind(now)
    .fetch_all(pool)
    .await
}

/// The open invitation waiting for this address, if any: `Some` of its city (none for staff).
pub async fn pending_for(
    conn: &mut AnyConnection,
    email_norm: &str,
    now: i64,
) -> sqlx::Result<Option<Option<i64>>> {
    sqlx::query_scalar(
        "SELECT city_id FROM invitations WHERE email_norm = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(email_norm)
    .bind(now)
    .fetch_optional(conn)
    .await
}
