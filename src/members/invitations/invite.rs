//! The invite form: who may invite whom to which city in which role, an address that already
//! has an account or an open invitation said so, then the invitation sent.

use axum::{http::StatusCode, response::Response};
use serde::Deserialize;
use sqlx::AnyConnection;

use super::{
    list::{closed_reason, page},
    pending_for, send,
};
use crate::members::cities;
use crate::web::form::{self, Field, Fields, Form};
use crate::{
    accounts::{Person, db as people_db},
    error::AppResult,
    policy::{self, Role},
    state::AppState,
    text::EmailAddress,
    web::{self, FormErrors, SignedIn},
};

/// The invitation form's text fields.
pub static FIELDS: Fields = Fields(&[
    Field {
        name: "email",
        label: "the email address",
        max_len: 254,
        required: true,
        lines: false,
    },
    Field {
        name: "name",
        label: "the name",
        max_len: 200,
        required: false,
        lines: false,
    },
]);

#[derive(Debug, Default, Clone, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    pub(super) email: String,
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) role: String,
    #[serde(default)]
    pub(super) city_id: String,
}

pub(super) async fn create(
    SignedIn(ctx, inviter): SignedIn,
    Form(form): Form<InviteForm>,
) -> AppResult<Response> {
    web::permit(policy::can_invite_anyone(&inviter))?;
    let state = &ctx.state;
    if closed_reason(&ctx, &inviter).is_some() {
        let page = page(&ctx, &inviter, form, FormErrors::default(), None).await?;
        return Ok(web::render_status(StatusCode::FORBIDDEN, &page));
    }
    let mut check = FIELDS.check();
    let entered = check.text("email", &form.email);
    let email = if check.has("email") {
        None
    } else {
        EmailAddress::parse(&entered)
            .map_err(|m| check.add("email", m))
            .ok()
    };
    let name = check.text("name", &form.name);
    // Only the three roles: anything else is a message, never a role by default.
    let role = Role::parse(&form.role);
    if role.is_none() {
        check.add("role", "Choose the role of the person you invite.");
    }
    let mut errors = check.errors;
    let mut city = None;
    if role.is_some_and(Role::needs_city) {
        match form.city_id.parse::<i64>().ok() {
            Some(id) => city = cities::find(&state.pool, id).await?,
            None => errors.add("city_id", "Choose the city."),
        }
        if city.is_none() && errors.get("city_id").is_none() {
            errors.add("city_id", "Choose the city.");
        }
    }
    let city_id = city.as_ref().map(|c| c.id);
    // A crafted POST (a mayor inviting staff, or into another city) is refused outright.
    if let Some(role) = role
        && errors.is_empty()
    {
        web::permit(policy::can_invite(&inviter, role, city_id))?;
    }
    // Checked and written in one write transaction, so two invitations to one address
    // sent at once do not both go out.
    let mut tx = state.begin_write().await?;
    if let Some(e) = &email
        && let Some(problem) = address_taken(&mut tx, state, &inviter, e).await?
    {
        errors.add("email", problem);
    }
    if role == Some(Role::Mayor)
        && let Some(c) = &city
        && let Some(mayor) = cities::mayor_of(&mut tx, c.id).await?
    {
        errors.add("role", format!("{} already has a mayor, {}. To hand the role over, change roles on the person's page.", c.label(), mayor.name));
    }
    let (Some(email), Some(role), true) = (email, role, errors.is_empty()) else {
        drop(tx);
        let form = InviteForm {
            email: FIELDS.keep("email", &form.email),
            name: FIELDS.keep("name", &form.name),
            role: form.role.chars().take(20).collect(),
            city_id: form.city_id.chars().take(20).collect(),
        };
        return Ok(form::again(
            &page(&ctx, &inviter, form, errors, None).await?,
        ));
    };

    let id = send(&mut tx, state, &inviter, &email, &name, role, city.as_ref()).await?;
    tx.commit().await?;
    tracing::info!(invitation_id = id, "invitation sent");
    ctx.flash(format!(
        "The invitation to {} is on its way. The link works for 7 days.",
        email.entered()
    ))
    .await?;
    Ok(web::see_other("/invitations"))
}

/// Why this address cannot be invited, if it cannot: it has an account, or an invitation
/// is waiting. Staff hear whose and where; a mayor only about the own city's people, never
/// who has an account elsewhere in the network.
pub(super) async fn address_taken(
    tx: &mut sqlx::AnyConnection,
    state: &AppState,
    inviter: &Person,
    e: &EmailAddress,
) -> AppResult<Option<String>> {
    // On PostgreSQL several writers run at once: invitations to one address take turns
    // (SQLite's single writer does this already).
    crate::db::lock_key(tx, state.backend, &format!("invitation:{}", e.normalized())).await?;
    let is_staff = policy::can_use_staff_area(inviter);
    let own = |city_id: Option<i64>| city_id.is_some() && city_id == inviter.city_id;
    if let Some(existing) = people_db::find_by_email(&mut *tx, e.normalized()).await? {
        if is_staff || own(existing.city_id) {
            let place = if existing.city_label().is_empty() {
                String::new()
            } else {
                format!(", {}", existing.city_label())
            };
            return Ok(Some(format!(
                "{} already has an account ({}{place}).",
                e.entered(),
                existing.name
            )));
        }
        return Ok(Some(not_from_your_city(&mut *tx, state).await?));
    }
    if let Some(city_id) = pending_for(&mut *tx, e.normalized(), state.clock.now()).await? {
        if is_staff || own(city_id) {
            return Ok(Some(format!(
                "An invitation to {} is already waiting; resend it from the list below.",
                e.entered()
            )));
        }
        return Ok(Some(not_from_your_city(&mut *tx, state).await?));
    }
    Ok(None)
}

/// What a mayor is told about an address that belongs elsewhere in the network: nothing
/// about whom or where, and whom to ask.
pub(super) async fn not_from_your_city(
    conn: &mut AnyConnection,
    state: &AppState,
) -> AppResult<String> {
    let contact = match people_db::staff_contact(conn).await? {
        Some((name, email)) => format!("write to {name} at {email}"),
        None => format!(
            "write to the staff of {}",
            crate::web::identity::org_name_on(conn, state).await?
        ),
    };
    Ok(format!(
        "This address cannot be invited from your city; our staff can help: {contact}."
    ))
}
