//! Forgotten passwords: a one-hour link by email, and the page that sets a new password.

use askama::Template;
use axum::{extract::Path, response::Response};
use serde::Deserialize;
use sqlx::AnyConnection;

use super::{Person, db, password, sessions, throttle, tokens};
use crate::text::EmailAddress;
use crate::web::form::Form;
use crate::{
    error::{AppError, AppResult},
    notify::{self, emails},
    state::AppState,
    web::{self, Ctx, FormErrors, Layout},
};

/// How long a reset link works, in seconds.
pub const VALID_FOR: i64 = 60 * 60;
/// Links sent to one person per `VALID_FOR`; beyond this the form stays silent, so that it
/// cannot be used to flood someone's mailbox.
const MAX_LINKS: i64 = 3;

const GONE: &str = "This link to choose a new password has expired or was already used. \
                    Ask for a new one at /password/forgot.";

#[derive(Template)]
#[template(path = "accounts/forgot.html")]
struct ForgotPage {
    layout: Layout,
    /// The answer after the form was sent, instead of the form.
    sent: bool,
    email: String,
    errors: FormErrors,
}

pub async fn forgot_form(ctx: Ctx) -> AppResult<Response> {
    let page = ForgotPage {
        layout: ctx.layout().await,
        sent: false,
        email: String::new(),
        errors: FormErrors::default(),
    };
    Ok(web::render(&page))
}

pub async fn forgot_sent(ctx: Ctx) -> AppResult<Response> {
    let page = ForgotPage {
        layout: ctx.layout().await,
        sent: true,
        email: String::new(),
        errors: FormErrors::default(),
    };
    Ok(web::render(&page))
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn forgot(ctx: Ctx, Form(form): Form<ForgotForm>) -> AppResult<Response> {
    let email = match EmailAddress::parse(&form.email) {
        Ok(e) => e,
        Err(m) => {
            let mut errors = FormErrors::default();
            errors.add("email", m);
            return Ok(web::form::again(&ForgotPage {
                layout: ctx.layout().await,
                sent: false,
                // Never echo a huge field back into the page.
                email: form
                    .email
                    .chars()
                    .take(super::FIELDS.max("email"))
                    .collect(),
                errors,
            }));
        }
    };
    let state = &ctx.state;
    // The answer is the same whether or not an account exists, so the form tells no one who
    // has an account.
    if let Some(person) = db::find_active_by_email(&state.pool, email.normalized()).await? {
        send_link(state, &person).await?;
    }
    Ok(web::see_other("/password/forgot/sent"))
}

async fn send_link(state: &AppState, person: &Person) -> AppResult<()> {
    let now = state.clock.now();
    let token = tokens::generate();
    // The limit is counted and the link written in one write transaction, holding the
    // person's row, so that requests sent at once cannot all pass the count.
    let mut tx = state.begin_write().await?;
    crate::db::lock_key(&mut tx, state.backend, &format!("reset:{}", person.id)).await?;
    let recent: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM password_resets WHERE person_id = $1 AND created_at > $2",
    )
    .bind(person.id)
    .bind(now - VALID_FOR)
    .fetch_one(&mut *tx)
    .await?;
    if recent >= MAX_LINKS {
        tx.rollback().await?;
        tracing::info!(
            person_id = person.id,
            "password reset link not sent: too many recent ones"
        );
        return Ok(());
    }
    // The link and its email are written together, or neither.
    sqlx::query(
        "INSERT INTO password_resets (token_hash, person_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(tokens::digest(&token))
    .bind(person.id)
    .bind(now)
    .bind(now + VALID_FOR)
    .execute(&mut *tx)
    .await?;
    let email = emails::PasswordReset {
        org_name: crate::web::identity::org_name_on(&mut tx, state).await?,
        name: person.name.clone(),
        link: format!("{}/password/reset/{token}", state.config.base()),
    };
    notify::enqueue(&mut tx, state, &person.email, &email).await?;
    tx.commit().await?;
    tracing::info!(person_id = person.id, "password reset link sent");
    Ok(())
}

/// The person whose link this is, while the link works; looking does not use it up, since
/// mail scanners open links too.
async fn person_of_link(state: &AppState, token: &str) -> AppResult<Person> {
    let row: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT person_id, expires_at, used_at FROM password_resets WHERE token_hash = $1",
    )
    .bind(tokens::digest(token))
    .fetch_optional(&state.pool)
    .await?;
    let person_id = match row {
        Some((person_id, expires_at, None)) if expires_at > state.clock.now() => person_id,
        _ => return Err(AppError::Gone(GONE.to_owned())),
    };
    db::find_active(&state.pool, person_id)
        .await?
        .ok_or_else(|| AppError::Gone(GONE.to_owned()))
}

/// Makes every unused reset link of a person useless: after one is used, or after the
/// person changed the password some other way.
pub(super) async fn cancel_links(
    conn: &mut AnyConnection,
    person_id: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE password_resets SET used_at = $1 WHERE person_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(person_id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Template)]
#[template(path = "accounts/reset.html")]
struct ResetPage {
    layout: Layout,
    email: String,
    errors: FormErrors,
}

pub async fn reset_form(ctx: Ctx, Path(token): Path<String>) -> AppResult<Response> {
    let person = person_of_link(&ctx.state, &token).await?;
    let page = ResetPage {
        layout: ctx.layout().await,
        email: person.email,
        errors: FormErrors::default(),
    };
    Ok(web::render(&page))
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
}

pub async fn reset(
    ctx: Ctx,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> AppResult<Response> {
    let state = &ctx.state;
    let person = person_of_link(state, &token).await?;
    if let Err(m) = password::check_new(&form.password, &person.email, &person.name) {
        let mut errors = FormErrors::default();
        errors.add("password", m);
        return Ok(web::form::again(&ResetPage {
            layout: ctx.layout().await,
            email: person.email,
            errors,
        }));
    }
    // Hashing takes a while; it happens before the transaction so that no lock waits on it.
    let hash = password::hash(state, &form.password).await?;
    let now = state.clock.now();

    // The link is spent, the password set and every session ended together, or none of it.
    let mut tx = state.begin_write().await?;
    if !tokens::spend(&mut tx, tokens::OneTime::PasswordReset, &token, now).await? {
        return Err(AppError::Gone(GONE.to_owned()));
    }
    // Other links sent before this one must not reset the password a second time.
    cancel_links(&mut tx, person.id, now).await?;
    if !db::set_password_hash(&mut tx, person.id, &hash).await? {
        return Err(AppError::Gone(GONE.to_owned()));
    }
    // Whoever knew the old password is logged out everywhere, this browser included.
    sessions::end_all_for_person(&mut tx, person.id, None).await?;
    tx.commit().await?;
    tracing::info!(
        person_id = person.id,
        "password reset through an emailed link"
    );

    // The stored email is the entered one trimmed, so lower-casing it gives the normalized form.
    throttle::clear_account(&state.pool, &person.email.to_lowercase()).await?;
    sessions::log_in(&ctx.session, person.id, now).await?;
    ctx.flash("Your new password is set.").await?;
    Ok(web::see_other("/"))
}
