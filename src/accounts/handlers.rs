//! Log-in and log-out.

use askama::Template;
use axum::{
    extract::Query,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{Person, db, device, password, sessions, throttle};
use crate::state::AppState;
use crate::text::EmailAddress;
use crate::web::form::Form;
use crate::{
    error::{AppError, AppResult},
    web::{self, ClientIp, Ctx, FormErrors, Layout},
};

#[derive(Template)]
#[template(path = "accounts/login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    errors: FormErrors,
    /// A message about the whole form (wrong credentials, throttled).
    problem: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(ctx: Ctx, Query(q): Query<NextQuery>) -> AppResult<Response> {
    // Without a page to return to, the form sends each person to their own landing page.
    let next = q
        .next
        .as_deref()
        .map(|n| web::safe_next(Some(n)))
        .unwrap_or_default();
    if let Some(person) = &ctx.person {
        let target = if next.is_empty() {
            crate::home::member::landing(person)
        } else {
            &next
        };
        return Ok(web::see_other(target));
    }
    let page = LoginPage {
        layout: ctx.layout().await,
        email: String::new(),
        next,
        errors: FormErrors::default(),
        problem: None,
    };
    Ok(web::render(&page))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

const WRONG: &str = "The email or password is not right. Check both and try again.";

pub async fn login(
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let asked_for = !form.next.trim().is_empty();
    let next = web::safe_next(Some(&form.next));
    let key = device::key(&ctx.state).await?;
    let known = device::from_headers(&key, &headers);
    let person = match authenticate(&ctx.state, &ip, known.as_ref(), &form).await? {
        Ok(person) => person,
        Err(refused) => return Ok(refuse(&ctx, &form, next, refused).await),
    };
    sessions::log_in(&ctx.session, person.id, ctx.state.clock.now()).await?;
    tracing::info!(person_id = person.id, "logged in");
    let mut response = if asked_for {
        web::see_other(&next)
    } else {
        web::see_other(crate::home::member::landing(&person))
    };
    // This browser is now a known device of the person's.
    response.headers_mut().append(
        header::SET_COOKIE,
        device::set_cookie(&ctx.state, &key, person.id, known.as_ref()),
    );
    Ok(response)
}

/// Why a log-in was refused.
enum Refused {
    /// Fields left empty, with their messages.
    Missing(FormErrors),
    /// Over a limit: the seconds to wait.
    Throttled(i64),
    /// Wrong email or password, or a deactivated account: one answer for all three.
    Wrong,
}

/// The person whose email and password these are, or why not. The attempt is counted
/// before the password is verified, so that guesses sent at once verify no more passwords
/// than the limits allow; from a known device of this account (`known`, from its cookie) it
/// is counted against that device only.
async fn authenticate(
    state: &AppState,
    ip: &str,
    known: Option<&device::Device>,
    form: &LoginForm,
) -> AppResult<Result<Person, Refused>> {
    let mut errors = FormErrors::default();
    if form.email.trim().is_empty() {
        errors.add("email", "Enter your email address.");
    }
    if form.password.is_empty() {
        errors.add("password", "Enter your password.");
    }
    if !errors.is_empty() {
        return Ok(Err(Refused::Missing(errors)));
    }
    let email_norm = EmailAddress::parse(&form.email)
        .map(|e| e.normalized().to_owned())
        // Not an address: still counted for the throttle, without what no address holds (a
        // control character would only make the database refuse the text).
        .unwrap_or_else(|_| {
            crate::web::form::clean(&form.email, false)
                .value
                .trim()
                .to_lowercase()
        });
    let email_norm: String = email_norm.chars().take(254).collect();
    let (person, hash) = match db::find_for_login(&state.pool, &email_norm).await? {
        Some((person, hash)) => (Some(person), Some(hash)),
        None => (None, None),
    };
    // A device cookie counts only for the account it names: another account's is no key.
    let device = known
        .filter(|d| person.as_ref().is_some_and(|p| p.id == d.person_id))
        .map(|d| d.id.as_str());
    let attempt = match throttle::reserve(state, &email_norm, ip, device).await? {
        Ok(attempt) => attempt,
        Err(wait) => return Ok(Err(Refused::Throttled(wait))),
    };
    let password_text: String = form.password.chars().take(password::MAX_LENGTH).collect();
    // Verified even for an unknown email (against a dummy hash): the time tells no one who
    // has an account.
    let verified = password::verify(state, &password_text, hash).await?;
    match person {
        Some(p) if verified && p.is_active() => {
            // Beside the log-in, not in its way: what a log-in must write is the attempt,
            // reserved above before the password was verified, and the session.
            state
                .write_aside(
                    "forgiving a right log-in's failures",
                    move |state| async move { attempt.forgive(&state.pool).await },
                )
                .await;
            Ok(Ok(p))
        }
        _ => {
            // Beside the page too: were it lost, the attempt would count as a failure all
            // the same once it is a minute old.
            state
                .write_aside("recording a failed log-in", move |state| async move {
                    attempt.fail(&state.pool).await
                })
                .await;
            Ok(Err(Refused::Wrong))
        }
    }
}

/// The log-in form again, with why it was refused.
async fn refuse(ctx: &Ctx, form: &LoginForm, next: String, refused: Refused) -> Response {
    let (status, errors, problem) = match refused {
        Refused::Missing(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors, None),
        Refused::Throttled(wait) => (
            StatusCode::TOO_MANY_REQUESTS,
            FormErrors::default(),
            Some(format!(
                "Too many failed log-ins. For your security, try again in {}.",
                throttle::wait_in_words(wait)
            )),
        ),
        Refused::Wrong => (
            StatusCode::UNPROCESSABLE_ENTITY,
            FormErrors::default(),
            Some(WRONG.to_owned()),
        ),
    };
    web::form::again_with(
        status,
        &LoginPage {
            layout: ctx.layout().await,
            // Never echo a huge field back into the page.
            email: form
                .email
                .chars()
                .take(super::FIELDS.max("email"))
                .collect(),
            next,
            errors,
            problem,
        },
    )
}

pub async fn logout(ctx: Ctx) -> AppResult<Response> {
    // Ends the session on the server: the old cookie is worth nothing after this.
    ctx.session.flush().await.map_err(AppError::session)?;
    ctx.flash("You have logged out.").await?;
    Ok(web::see_other("/").into_response())
}
