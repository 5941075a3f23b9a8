//! Invitations: the only way in. Staff invite anyone to any city in any role; a mayor invites
//! advisors to the city. The link in the email opens a page; only its form's POST uses it.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query},
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;
use sqlx::AnyConnection;

use super::cities::{self, City};
use crate::web::form::{self, Field, Fields, Form};
use crate::{
    accounts::{self, Person, db as people_db, password, tokens},
    audit,
    error::{AppError, AppResult, is_unique_violation},
    notify::{self, emails},
    policy::{self, Role},
    state::AppState,
    text::EmailAddress,
    time::Zone,
    web::{self, Ctx, FormErrors, Layout, SignedIn},
};

/// How long an invitation link works, in seconds.
pub const VALID_FOR: i64 = 7 * 24 * 3600;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/invitations", get(list).post(create))
        .route("/invitations/{id}/resend", post(resend))
        .route("/invitations/{id}/revoke", get(revoke_form).post(revoke))
        .route("/invite/{token}", get(accept_form).post(accept))
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
fn invitee_zone(state: &AppState, city_zone: Option<&str>) -> Zone {
    match city_zone.filter(|z| !z.is_empty()) {
        Some(z) => Zone::of_stored(Some(z)),
        None => state.config.time_zone.clone(),
    }
}

/// The invitation email for this invitation and token; its times in `zone`, the invitee's.
#[expect(clippy::too_many_arguments)]
fn email_for(
    state: &AppState,
    zone: &Zone,
    inv_role: Role,
    name: &str,
    city: &str,
    inviter: &str,
    token: &str,
    expires_at: i64,
) -> emails::Invitation {
    emails::Invitation {
        org_name: state.config.org_name.clone(),
        inviter_name: inviter.to_owned(),
        invitee_name: name.to_owned(),
        role_phrase: inv_role.phrase().to_owned(),
        city: city.to_owned(),
        link: format!("{}/invite/{token}", state.config.base()),
        expires: zone.time(expires_at),
    }
}

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
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    city_id: String,
}

#[derive(Template)]
#[template(path = "members/invitations.html")]
struct ListPage {
    layout: Layout,
    form: InviteForm,
    errors: FormErrors,
    is_staff: bool,
    /// For staff: every city to choose from. For a mayor: the own city only.
    cities: Vec<City>,
    pending: Vec<Invitation>,
    now: i64,
    /// Why this person cannot send invitations now (a mayor of a lapsed city), if so.
    closed: Option<String>,
    fields: &'static Fields,
    /// When the list shows only the invitations expiring within this many days.
    expiring: Option<i64>,
}

#[derive(Deserialize)]
struct ListQuery {
    city: Option<i64>,
    /// Only the waiting invitations whose link stops working within this many days.
    expiring: Option<i64>,
}

/// The longest "expiring within" window a list takes, in days: an invitation's life.
const MAX_EXPIRING_DAYS: i64 = VALID_FOR / 86_400;

/// SQL condition: invitations waiting for an answer (`i`), and, when `$1` is 1, only those
/// whose link still works and stops by `$3` (`$2`: now). The list and the desk's count.
macro_rules! waiting {
    () => {
        "i.accepted_at IS NULL AND i.revoked_at IS NULL \
         AND ($1 = 0 OR (i.expires_at > $2 AND i.expires_at <= $3))"
    };
}

/// How many invitations wait for an answer with a link that stops working within `days`
/// of `now`, as `/invitations?expiring=<days>` lists them for staff.
pub async fn expiring_count(pool: &sqlx::AnyPool, now: i64, days: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(concat!(
        "SELECT COUNT(*) FROM invitations i WHERE ",
        waiting!()
    ))
    .bind(1_i64)
    .bind(now)
    .bind(now + days * 86_400)
    .fetch_one(pool)
    .await
}

/// Invitations shown on the member home.
const ON_HOME: i64 = 5;

/// The member home's part for a mayor: the invitations to the city sent and not yet
/// accepted (nor withdrawn), newest first, each a link to the invitations page where they
/// are sent again or withdrawn.
pub fn waiting_on_home<'a>(
    home: &'a crate::areas::Home<'a>,
) -> crate::web::shared::Fut<'a, AppResult<Option<crate::web::shared::Panel>>> {
    Box::pin(async move {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(concat!(
            "SELECT i.email, i.name, i.expires_at FROM invitations i WHERE ",
            waiting!(),
            " AND i.city_id = $4 AND i.role = 'advisor' ORDER BY i.id DESC LIMIT $5"
        ))
        .bind(0_i64)
        .bind(0_i64)
        .bind(0_i64)
        .bind(home.person.city_id.unwrap_or(-1))
        .bind(ON_HOME)
        .fetch_all(&home.state.pool)
        .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let now = home.state.clock.now();
        Ok(Some(crate::web::shared::Panel {
            title: "Invitations waiting for an answer",
            id: "invitations",
            lines: Vec::new(),
            items: rows
                .into_iter()
                .map(|(email, name, expires_at)| crate::web::shared::PanelItem {
                    href: "/invitations".to_owned(),
                    label: if name.is_empty() {
                        email
                    } else {
                        format!("{name} ({email})")
                    },
                    notes: vec![if expires_at > now {
                        format!("The link works until {}", home.layout.time(&expires_at))
                    } else {
                        format!(
                            "The link stopped working on {}: send it again",
                            home.layout.date(&expires_at)
                        )
                    }],
                })
                .collect(),
            link: None,
        }))
    })
}

async fn page(
    ctx: &Ctx,
    viewer: &Person,
    form: InviteForm,
    errors: FormErrors,
    expiring: Option<i64>,
) -> AppResult<ListPage> {
    let is_staff = policy::can_use_staff_area(viewer);
    let pool = &ctx.state.pool;
    let now = ctx.state.clock.now();
    let window = (
        i64::from(expiring.is_some()),
        now,
        now + expiring.unwrap_or(0) * 86_400,
    );
    let (cities, pending) = if is_staff {
        let pending = sqlx::query_as::<_, Invitation>(concat!(
            select_invitations!("WHERE "),
            waiting!(),
            " ORDER BY i.id DESC LIMIT 500"
        ))
        .bind(window.0)
        .bind(window.1)
        .bind(window.2)
        .fetch_all(pool)
        .await?;
        (cities::all(pool).await?, pending)
    } else {
        let city_id = viewer.city_id.unwrap_or(-1);
        let pending = sqlx::query_as::<_, Invitation>(concat!(
            select_invitations!("WHERE "),
            waiting!(),
            " AND i.city_id = $4 AND i.role = 'advisor' ORDER BY i.id DESC"
        ))
        .bind(window.0)
        .bind(window.1)
        .bind(window.2)
        .bind(city_id)
        .fetch_all(pool)
        .await?;
        (
            cities::find(pool, city_id).await?.into_iter().collect(),
            pending,
        )
    };
    Ok(ListPage {
        closed: closed_reason(ctx, viewer),
        layout: ctx.layout().await,
        form,
        errors,
        is_staff,
        cities,
        pending,
        now,
        fields: &FIELDS,
        expiring,
    })
}

/// For a mayor whose city's membership has lapsed: why invitations cannot be sent.
fn closed_reason(ctx: &Ctx, viewer: &Person) -> Option<String> {
    if policy::can_invite(viewer, Role::Advisor, viewer.city_id) {
        return None;
    }
    Some(format!(
        "The membership of {} has lapsed, so no invitations can be sent until it is renewed. To renew, contact the staff of {}.",
        viewer.city_label(),
        ctx.state.config.org_name
    ))
}

async fn list(SignedIn(ctx, viewer): SignedIn, Query(q): Query<ListQuery>) -> AppResult<Response> {
    web::permit(policy::can_invite_anyone(&viewer))?;
    let expiring = match q.expiring {
        None => None,
        Some(days @ 1..=MAX_EXPIRING_DAYS) => Some(days),
        Some(_) => {
            return Err(AppError::BadRequest(format!(
                "Ask for the invitations expiring within 1 to {MAX_EXPIRING_DAYS} days."
            )));
        }
    };
    let form = InviteForm {
        role: if policy::can_use_staff_area(&viewer) {
            String::new()
        } else {
            "advisor".to_owned()
        },
        city_id: q
            .city
            .or(viewer.city_id)
            .map(|c| c.to_string())
            .unwrap_or_default(),
        ..InviteForm::default()
    };
    Ok(web::render(
        &page(&ctx, &viewer, form, FormErrors::default(), expiring).await?,
    ))
}

async fn create(
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
async fn address_taken(
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
async fn not_from_your_city(conn: &mut AnyConnection, state: &AppState) -> AppResult<String> {
    let contact = match people_db::staff_contact(conn).await? {
        Some((name, email)) => format!("write to {name} at {email}"),
        None => format!("write to the staff of {}", state.config.org_name),
    };
    Ok(format!(
        "This address cannot be invited from your city; our staff can help: {contact}."
    ))
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
    let message = email_for(
        state,
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

/// An invitation the actor may act on (`allowed` asks the policy); anything else is a 404.
async fn manageable(
    ctx: &Ctx,
    actor: &Person,
    id: i64,
    allowed: fn(&Person, Role, Option<i64>) -> bool,
) -> AppResult<Invitation> {
    web::permit(policy::can_invite_anyone(actor))?;
    let inv = sqlx::query_as::<_, Invitation>(select_invitations!("WHERE i.id = $1"))
        .bind(id)
        .fetch_optional(&ctx.state.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    if !allowed(actor, inv.role(), inv.city_id) {
        return Err(AppError::NotFound);
    }
    Ok(inv)
}

#[derive(Deserialize)]
struct ResendForm {
    /// The invitation's expiry as the page showed it: a second click on the same page
    /// (a double submit) finds it changed and sends nothing.
    #[serde(default)]
    shown: Option<i64>,
}

async fn resend(
    SignedIn(ctx, actor): SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<ResendForm>,
) -> AppResult<Response> {
    let inv = manageable(&ctx, &actor, id, policy::can_manage_invitation).await?;
    let state = &ctx.state;
    if inv.accepted_at.is_some() || inv.revoked_at.is_some() {
        ctx.flash(format!(
            "The invitation to {} is closed; send a new one instead.",
            inv.email
        ))
        .await?;
        return Ok(web::see_other("/invitations"));
    }
    // Guarded on the expiry the page showed (or, without it, the one just read): of two
    // resends from one page only the first sends an email. Each resend moves the expiry
    // on, by a second at least, so the next one sees a change.
    let seen = form.shown.unwrap_or(inv.expires_at);
    let now = state.clock.now();
    let token = tokens::generate();
    let expires_at = (now + VALID_FOR).max(seen + 1);
    let mut tx = state.begin_write().await?;
    // A new token replaces the old one: the link in the earlier email stops working.
    let done = sqlx::query(
        "UPDATE invitations SET token_hash = $1, expires_at = $2 WHERE id = $3 AND expires_at = $4 \
         AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(tokens::digest(&token))
    .bind(expires_at)
    .bind(id)
    .bind(seen)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        drop(tx);
        ctx.flash(format!(
            "The invitation to {} was resent or closed a moment ago; the newest email has the working link.",
            inv.email
        ))
        .await?;
        return Ok(web::see_other("/invitations"));
    }
    let message = email_for(
        state,
        &inv.invitee_zone(state),
        inv.role(),
        &inv.name,
        &inv.city_label(),
        &actor.name,
        &token,
        expires_at,
    );
    notify::enqueue(&mut tx, state, &inv.email, &message).await?;
    audit::record(
        &mut tx,
        now,
        actor.id,
        "resent invitation",
        audit::Subject {
            person_id: None,
            city_id: inv.city_id,
            detail: &inv.email,
        },
    )
    .await?;
    tx.commit().await?;
    ctx.flash(format!(
        "A new invitation is on its way to {}; the earlier link no longer works.",
        inv.email
    ))
    .await?;
    Ok(web::see_other("/invitations"))
}

/// The question before an invitation is withdrawn; one already accepted or withdrawn is said
/// so on the list instead.
async fn revoke_form(SignedIn(ctx, actor): SignedIn, Path(id): Path<i64>) -> AppResult<Response> {
    let inv = manageable(&ctx, &actor, id, policy::can_revoke_invitation).await?;
    if inv.accepted_at.is_some() || inv.revoked_at.is_some() {
        let message = if inv.accepted_at.is_some() {
            format!(
                "The invitation to {} was already accepted; it cannot be withdrawn.",
                inv.email
            )
        } else {
            format!("The invitation to {} was already withdrawn.", inv.email)
        };
        ctx.flash(message).await?;
        return Ok(web::see_other("/invitations"));
    }
    let whom = match inv.city_label() {
        city if city.is_empty() => inv.role().label().to_lowercase(),
        city => format!("{} of {city}", inv.role().label().to_lowercase()),
    };
    Ok(web::confirm::Confirm {
        layout: ctx.layout().await,
        title: format!("Revoke: invitation to {}", inv.email),
        heading: format!("Revoke the invitation to {}?", inv.email),
        explanation: format!(
            "{} was invited as {whom} by {}. Once revoked, the link in the email no longer works; you can invite them again later.",
            inv.email, inv.inviter_name
        ),
        action: format!("/invitations/{id}/revoke"),
        button: "Revoke the invitation".to_owned(),
        back: "/invitations".to_owned(),
        back_label: "Keep it".to_owned(),
        crumb: None,
        detail: None,
        note: None,
    }
    .render())
}

async fn revoke(SignedIn(ctx, actor): SignedIn, Path(id): Path<i64>) -> AppResult<Response> {
    let inv = manageable(&ctx, &actor, id, policy::can_revoke_invitation).await?;
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let done = sqlx::query("UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND accepted_at IS NULL AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() != 1 {
        drop(tx);
        let message = if inv.accepted_at.is_some() {
            format!(
                "The invitation to {} was already accepted; it cannot be withdrawn.",
                inv.email
            )
        } else {
            format!(
                "The invitation to {} was already withdrawn or accepted.",
                inv.email
            )
        };
        ctx.flash(message).await?;
        return Ok(web::see_other("/invitations"));
    }
    audit::record(
        &mut tx,
        now,
        actor.id,
        "revoked invitation",
        audit::Subject {
            person_id: None,
            city_id: inv.city_id,
            detail: &inv.email,
        },
    )
    .await?;
    tx.commit().await?;
    ctx.flash(format!(
        "The invitation to {} is withdrawn; its link no longer works.",
        inv.email
    ))
    .await?;
    Ok(web::see_other("/invitations"))
}

/// The open invitation behind a link, or a page that says why it is not usable.
async fn open_invitation(ctx: &Ctx, token: &str) -> AppResult<Invitation> {
    let inv = sqlx::query_as::<_, Invitation>(select_invitations!("WHERE i.token_hash = $1"))
        .bind(tokens::digest(token))
        .fetch_optional(&ctx.state.pool)
        .await?;
    let Some(inv) = inv else {
        return Err(AppError::Gone(
            "This invitation link is not valid. It may have been replaced by a newer invitation: look for the latest email, or ask whoever invited you to send it again.".to_owned(),
        ));
    };
    if inv.accepted_at.is_some() {
        return Err(AppError::Gone(
            "This invitation was already accepted. Log in with your email and password instead."
                .to_owned(),
        ));
    }
    if inv.revoked_at.is_some() {
        return Err(AppError::Gone(format!(
            "This invitation was withdrawn. Ask {} for a new one if you still need it.",
            inv.inviter_name
        )));
    }
    if inv.is_expired(ctx.state.clock.now()) {
        return Err(AppError::Gone(format!(
            "This invitation has expired. Ask {} to send it again.",
            inv.inviter_name
        )));
    }
    Ok(inv)
}

#[derive(Template)]
#[template(path = "members/accept.html")]
struct AcceptPage {
    layout: Layout,
    invitation: Invitation,
    name: String,
    title: String,
    errors: FormErrors,
    /// When the invitation stops working, in the invitee's zone (the email's words).
    expires: String,
    fields: &'static Fields,
}

async fn accept_form(ctx: Ctx, Path(token): Path<String>) -> AppResult<Response> {
    let invitation = open_invitation(&ctx, &token).await?;
    let name = invitation.name.clone();
    Ok(web::render(&AcceptPage {
        fields: &accounts::FIELDS,
        layout: ctx.layout().await,
        expires: invitation
            .invitee_zone(&ctx.state)
            .time(invitation.expires_at),
        invitation,
        name,
        title: String::new(),
        errors: FormErrors::default(),
    }))
}

#[derive(Deserialize)]
struct AcceptForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    password: String,
}

async fn accept(
    ctx: Ctx,
    Path(token): Path<String>,
    Form(form): Form<AcceptForm>,
) -> AppResult<Response> {
    let invitation = open_invitation(&ctx, &token).await?;
    let state = &ctx.state;
    let again = async |errors: FormErrors, invitation: Invitation| {
        let page = AcceptPage {
            layout: ctx.layout().await,
            expires: invitation
                .invitee_zone(&ctx.state)
                .time(invitation.expires_at),
            invitation,
            name: accounts::FIELDS.keep("name", &form.name),
            title: accounts::FIELDS.keep("title", &form.title),
            errors,
            fields: &accounts::FIELDS,
        };
        form::again(&page)
    };
    let errors = accept_errors(&invitation, &form);
    if !errors.is_empty() {
        return Ok(again(errors, invitation).await);
    }
    // Checked: no control characters are left; line breaks in these one-line fields become
    // spaces, as the check read them.
    let one_line = |s: &str| form::clean(s, false).value.trim().to_owned();
    let (name, title) = (one_line(&form.name), one_line(&form.title));
    let email = EmailAddress::parse(&invitation.email)
        .map_err(|_| AppError::internal("stored invitation email does not parse"))?;
    let hash = password::hash(state, &form.password).await?;
    let now = state.clock.now();
    let role = invitation.role();
    let mut tx = state.begin_write().await?;
    let new = people_db::NewPerson {
        city_id: invitation.city_id,
        email: email.entered(),
        email_norm: email.normalized(),
        name: &name,
        title: &title,
        role,
        password_hash: &hash,
        now,
    };
    let Some(id) = write_account(&mut tx, &invitation, &token, new, now).await? else {
        drop(tx);
        let mut errors = FormErrors::default();
        errors.add("name", taken_message(state, &invitation, &email).await?);
        return Ok(again(errors, invitation).await);
    };
    tx.commit().await?;

    accounts::sessions::log_in(&ctx.session, id, ctx.state.clock.now()).await?;
    let place = if invitation.city_label().is_empty() {
        String::new()
    } else {
        format!(" of {}", invitation.city_label())
    };
    ctx.flash(format!(
        "Welcome, {}. You are now {}{place}.",
        &name,
        role.phrase()
    ))
    .await?;
    // Where a new member starts: their member home (staff: their desk).
    Ok(web::see_other(if role == Role::Staff {
        "/staff"
    } else {
        "/home"
    }))
}

/// What is wrong with the acceptance form: the new person's name and password, the title.
fn accept_errors(invitation: &Invitation, form: &AcceptForm) -> FormErrors {
    let mut errors = match accounts::check_new_person(&form.name, &invitation.email, &form.password)
    {
        Ok(_) => FormErrors::default(),
        Err(errors) => errors,
    };
    let mut check = accounts::FIELDS.check();
    check.text("title", &form.title);
    if let Err(more) = check.finish() {
        for (field, message) in more.all() {
            errors.add(field, message.clone());
        }
    }
    errors
}

/// Spends the invitation and creates the person, with the audit line, in the caller's
/// transaction; `None` when the address or the city's mayor role is taken (the transaction
/// can then only be rolled back).
async fn write_account(
    tx: &mut sqlx::AnyConnection,
    invitation: &Invitation,
    token: &str,
    new: people_db::NewPerson<'_>,
    now: i64,
) -> AppResult<Option<i64>> {
    let taken = sqlx::query("UPDATE invitations SET accepted_at = $1 WHERE token_hash = $2 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1")
        .bind(now)
        .bind(tokens::digest(token))
        .execute(&mut *tx)
        .await?;
    if taken.rows_affected() != 1 {
        return Err(AppError::Gone(
            "This invitation was used or withdrawn a moment ago.".to_owned(),
        ));
    }
    let role = new.role;
    let id = match people_db::insert(&mut *tx, new).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    sqlx::query("UPDATE invitations SET person_id = $1 WHERE id = $2")
        .bind(id)
        .bind(invitation.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        tx,
        now,
        id,
        "accepted invitation",
        audit::Subject {
            person_id: Some(id),
            city_id: invitation.city_id,
            detail: role.as_str(),
        },
    )
    .await?;
    Ok(Some(id))
}

/// Why the account could not be made: the city has a mayor already, or the address has an
/// account.
async fn taken_message(
    state: &AppState,
    invitation: &Invitation,
    email: &EmailAddress,
) -> AppResult<String> {
    let has_account = people_db::find_for_login(&state.pool, email.normalized())
        .await?
        .is_some();
    Ok(if invitation.role() == Role::Mayor && !has_account {
        format!(
            "{} has a mayor already. Ask {} about it.",
            invitation.city_label(),
            invitation.inviter_name
        )
    } else {
        format!(
            "An account with {} exists already. Log in instead.",
            email.entered()
        )
    })
}
