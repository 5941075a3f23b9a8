//! Resending an open invitation (a new link, the old one dead) and revoking one after a
//! confirmation, by the staff or the mayor who may manage it.

use axum::{extract::Path, response::Response};
use serde::Deserialize;

use super::{Invitation, VALID_FOR, email_for};
use crate::web::form::Form;
use crate::{
    accounts::{Person, tokens},
    audit,
    error::{AppError, AppResult},
    notify,
    policy::{self, Role},
    web::{self, Ctx, SignedIn},
};

/// An invitation the actor may act on (`allowed` asks the policy); anything else is a 404.
pub(super) async fn manageable(
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
pub(super) struct ResendForm {
    /// The invitation's expiry as the page showed it: a second click on the same page
    /// (a double submit) finds it changed and sends nothing.
    #[serde(default)]
    shown: Option<i64>,
}

pub(super) async fn resend(
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
    let org_name = crate::web::identity::org_name_on(&mut tx, state).await?;
    let message = email_for(
        state,
        org_name,
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
pub(super) async fn revoke_form(
    SignedIn(ctx, actor): SignedIn,
    Path(id): Path<i64>,
) -> AppResult<Response> {
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

pub(super) async fn revoke(
    SignedIn(ctx, actor): SignedIn,
    Path(id): Path<i64>,
) -> AppResult<Response> {
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
