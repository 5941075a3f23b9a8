//! The first staff account: a one-time link logged at start, or `portal create-staff`.

use askama::Template;
use axum::{
    extract::Path,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{db, password, sessions, tokens};
use crate::web::form::Form;
use crate::{
    error::{AppError, AppResult, is_unique_violation},
    state::AppState,
    web::{self, Ctx, FormErrors, Layout},
};

/// How long a setup link works, in seconds.
pub const VALID_FOR: i64 = 24 * 60 * 60;

/// While there is no staff account, makes a new setup link and returns its token.
pub async fn ensure_token(state: &AppState) -> AppResult<Option<String>> {
    let mut conn = state.pool.acquire().await?;
    if db::staff_exists(&mut conn).await? {
        return Ok(None);
    }
    let token = tokens::generate();
    let now = state.clock.now();
    sqlx::query(
        "INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(tokens::digest(&token))
    .bind(now)
    .bind(now + VALID_FOR)
    .execute(&mut *conn)
    .await?;
    Ok(Some(token))
}

enum TokenState {
    Valid,
    Expired,
    Unknown,
}

async fn token_state(state: &AppState, token: &str) -> AppResult<TokenState> {
    let row: Option<(i64, Option<i64>)> =
        sqlx::query_as("SELECT expires_at, used_at FROM setup_tokens WHERE token_hash = $1")
            .bind(tokens::digest(token))
            .fetch_optional(&state.pool)
            .await?;
    Ok(match row {
        Some((expires_at, None)) if expires_at > state.clock.now() => TokenState::Valid,
        Some(_) => TokenState::Expired,
        None => TokenState::Unknown,
    })
}

/// The setup page exists only while there is no staff account and the link is good.
async fn check_link(state: &AppState, token: &str) -> AppResult<()> {
    let mut conn = state.pool.acquire().await?;
    if db::staff_exists(&mut conn).await? {
        return Err(AppError::NotFound);
    }
    drop(conn);
    match token_state(state, token).await? {
        TokenState::Valid => Ok(()),
        TokenState::Expired => Err(AppError::Gone(
            "This setup link has expired or was already used. Restart the portal to get a new link in its log, \
             or create the account with `portal create-staff`."
                .to_owned(),
        )),
        TokenState::Unknown => Err(AppError::NotFound),
    }
}

#[derive(Template)]
#[template(path = "accounts/setup.html")]
struct SetupPage {
    layout: Layout,
    name: String,
    email: String,
    errors: FormErrors,
    fields: &'static crate::web::form::Fields,
}

pub async fn form(ctx: Ctx, Path(token): Path<String>) -> AppResult<Response> {
    check_link(&ctx.state, &token).await?;
    let page = SetupPage {
        fields: &super::FIELDS,
        layout: ctx.layout().await,
        name: String::new(),
        email: String::new(),
        errors: FormErrors::default(),
    };
    Ok(web::render(&page))
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn create(
    ctx: Ctx,
    Path(token): Path<String>,
    Form(form): Form<SetupForm>,
) -> AppResult<Response> {
    check_link(&ctx.state, &token).await?;
    let again = |errors: FormErrors, layout: Layout| {
        let page = SetupPage {
            layout,
            name: super::FIELDS.keep("name", &form.name),
            email: super::FIELDS.keep("email", &form.email),
            errors,
            fields: &super::FIELDS,
        };
        crate::web::form::again(&page)
    };
    let email = match super::check_new_person(&form.name, &form.email, &form.password) {
        Ok(e) => e,
        Err(errors) => return Ok(again(errors, ctx.layout().await)),
    };
    let state = &ctx.state;
    let hash = password::hash(state, &form.password).await?;
    let now = state.clock.now();

    // The token is spent and the account created together, or neither.
    let mut tx = state.begin_write().await?;
    if db::staff_exists(&mut tx).await? {
        return Err(AppError::NotFound);
    }
    if !tokens::spend(&mut tx, tokens::OneTime::Setup, &token, now).await? {
        return Err(AppError::NotFound);
    }
    let new = db::NewPerson {
        city_id: None,
        email: email.entered(),
        email_norm: email.normalized(),
        name: form.name.trim(),
        title: "",
        role: crate::policy::Role::Staff,
        password_hash: &hash,
        now,
    };
    let id = match db::insert(&mut tx, new).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            let mut errors = FormErrors::default();
            errors.add("email", "An account with this email already exists.");
            return Ok(again(errors, ctx.layout().await));
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    tracing::info!(
        person_id = id,
        "first staff account created through the setup link"
    );

    sessions::log_in(&ctx.session, id, ctx.state.clock.now()).await?;
    ctx.flash(format!(
        "Welcome, {}. Your staff account is ready.",
        form.name.trim()
    ))
    .await?;
    Ok(web::see_other("/staff").into_response())
}

/// Creates a staff account from the shell (`portal create-staff`).
pub async fn create_staff(
    state: &AppState,
    email: &str,
    name: &str,
    password_text: &str,
) -> Result<i64, String> {
    let email = super::check_new_person(name, email, password_text).map_err(|errors| {
        errors
            .all()
            .iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let hash = password::hash(state, password_text)
        .await
        .map_err(|e| e.to_string())?;
    let mut conn = state.pool.acquire().await.map_err(|e| e.to_string())?;
    let new = db::NewPerson {
        city_id: None,
        email: email.entered(),
        email_norm: email.normalized(),
        name: name.trim(),
        title: "",
        role: crate::policy::Role::Staff,
        password_hash: &hash,
        now: state.clock.now(),
    };
    match db::insert(&mut conn, new).await {
        Ok(id) => Ok(id),
        Err(e) if is_unique_violation(&e) => Err(format!(
            "email: an account with {} already exists",
            email.entered()
        )),
        Err(e) => Err(e.to_string()),
    }
}
