//! The invitee's page: the link opens a form, and only its POST spends the link, creating the
//! account and logging the person in.

use askama::Template;
use axum::{extract::Path, response::Response};
use serde::Deserialize;

use super::Invitation;
use crate::web::form::{self, Fields, Form};
use crate::{
    accounts::{self, db as people_db, password, tokens},
    audit,
    error::{AppError, AppResult, is_unique_violation},
    policy::Role,
    state::AppState,
    text::EmailAddress,
    web::{self, Ctx, FormErrors, Layout},
};

/// The open invitation behind a link, or a page that says why it is not usable.
pub(super) async fn open_invitation(ctx: &Ctx, token: &str) -> AppResult<Invitation> {
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

pub(super) async fn accept_form(ctx: Ctx, Path(token): Path<String>) -> AppResult<Response> {
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
pub(super) struct AcceptForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    password: String,
}

pub(super) async fn accept(
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
            errors.add_named(field.to_string(), message.clone());
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
