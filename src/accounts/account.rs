//! A person's own account: name and title, password, and email address (confirmed by a link
//! sent to the new address).

use askama::Template;
use axum::{extract::Path, http::StatusCode, response::Response};
use serde::Deserialize;

use super::{Person, db, password, reset, sessions, throttle, tokens};
use crate::text::EmailAddress;
use crate::web::form::Form;
use crate::{
    error::{AppError, AppResult, is_unique_violation},
    notify::{self, emails},
    state::AppState,
    web::{self, ClientIp, Ctx, FormErrors, Layout, SignedIn},
};

/// How long a link confirming a new email address works, in seconds.
pub const EMAIL_VALID_FOR: i64 = 24 * 60 * 60;
/// The most of a field sent back into the page with its message: enough to correct it, never
/// a huge field.
const ECHO: usize = 300;

const GONE: &str = "This link to confirm a new email address has expired or was already used. \
                    Your email address has not changed; you can ask again on your account page.";

fn echo(s: &str) -> String {
    s.chars().take(ECHO).collect()
}

#[derive(Template)]
#[template(path = "accounts/account.html")]
struct AccountPage {
    layout: Layout,
    person: Person,
    /// The values of the fields, as stored or as sent back with messages.
    name: String,
    title: String,
    new_email: String,
    /// The zone chosen, as stored or as sent back; empty: the city's or the organization's.
    time_zone: String,
    /// The zone that applies when the person chooses none, for the choice's label.
    default_zone: String,
    /// The directory listing, as stored or as sent back: listed or not (`None`: never
    /// chosen, so neither answer is ticked), which email (`account`, `other`, `none`) and
    /// the other address.
    listed: Option<bool>,
    /// Where the person stands, as stored: listed, chose not to be, or not yet listed.
    listing_state: &'static str,
    shown_email_kind: String,
    shown_email: String,
    /// Other members may write to the person through the directory's Contact form.
    accepts_messages: bool,
    /// An email about each new publication the person may read.
    publication_news: bool,
    /// One set for the forms: their fields have different names.
    errors: FormErrors,
    fields: &'static crate::web::form::Fields,
}

impl AccountPage {
    async fn new(ctx: &Ctx, person: &Person) -> AppResult<Self> {
        let (listed, chosen, shown_email_kind, shown_email, accepts_messages, publication_news): (
            i64,
            Option<i64>,
            String,
            String,
            i64,
            i64,
        ) = sqlx::query_as(
                "SELECT listed, listing_chosen_at, shown_email_kind, shown_email, accepts_messages, publication_news FROM people WHERE id = $1",
            )
        .bind(person.id)
        .fetch_one(&ctx.state.pool)
        .await?;
        Ok(AccountPage {
            layout: ctx.layout().await,
            person: person.clone(),
            name: person.name.clone(),
            title: person.title.clone(),
            new_email: String::new(),
            time_zone: person.time_zone.clone(),
            default_zone: {
                let now = ctx.state.clock.now();
                let said = |z: &crate::time::Zone| format!("{}, {}", z.spoken(now), z.name());
                match person.city_time_zone.as_deref().filter(|z| !z.is_empty()) {
                    Some(z) => format!(
                        "{}, your city's",
                        said(&crate::time::Zone::of_stored(Some(z)))
                    ),
                    None => format!("{}, the organization's", said(&ctx.state.config.time_zone)),
                }
            },
            listed: chosen.map(|_| listed == 1),
            listing_state: listing_state(listed == 1, chosen.is_some()),
            shown_email_kind,
            shown_email,
            accepts_messages: accepts_messages == 1,
            publication_news: publication_news == 1,
            errors: FormErrors::default(),
            fields: &super::FIELDS,
        })
    }

    fn with_status(self, status: StatusCode) -> Response {
        web::form::again_with(status, &self)
    }
}

/// Where a person stands with the members' directory, as every page says it: someone who
/// never chose is "not yet listed", never someone who chose not to be.
pub fn listing_state(listed: bool, chosen: bool) -> &'static str {
    match (listed, chosen) {
        (true, _) => "You are listed in the members' directory.",
        (false, true) => "You chose not to be listed in the members' directory.",
        (false, false) => "You are not yet listed in the members' directory: you have not chosen.",
    }
}

pub async fn show(SignedIn(ctx, person): SignedIn) -> AppResult<Response> {
    Ok(web::render(&AccountPage::new(&ctx, &person).await?))
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
}

pub async fn profile(
    SignedIn(ctx, person): SignedIn,
    Form(form): Form<ProfileForm>,
) -> AppResult<Response> {
    let mut check = super::FIELDS.check();
    let name = check.text("name", &form.name);
    let title = check.text("title", &form.title);
    if let Err(errors) = check.finish() {
        let page = AccountPage {
            name: super::FIELDS.keep("name", &form.name),
            title: super::FIELDS.keep("title", &form.title),
            errors,
            ..AccountPage::new(&ctx, &person).await?
        };
        return Ok(page.with_status(StatusCode::UNPROCESSABLE_ENTITY));
    }
    db::update_profile(&ctx.state.pool, person.id, &name, &title).await?;
    ctx.flash("Your name and title are saved.").await?;
    Ok(web::see_other("/account"))
}

#[derive(Deserialize)]
pub struct ListingForm {
    #[serde(default)]
    listed: String,
    #[serde(default)]
    shown_email_kind: String,
    #[serde(default)]
    shown_email: String,
}

/// Whether the person is listed in the members' directory, and which email it shows. Only
/// this form changes the choice: nothing else on the account touches it.
pub async fn listing(
    SignedIn(ctx, person): SignedIn,
    Form(form): Form<ListingForm>,
) -> AppResult<Response> {
    let mut errors = FormErrors::default();
    let listed = match form.listed.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            errors.add(
                "listed",
                "Choose whether to be listed in the members' directory.",
            );
            None
        }
    };
    let kind = form.shown_email_kind.as_str();
    let mut other = String::new();
    match kind {
        "account" | "none" => {}
        "other" => match EmailAddress::parse(&form.shown_email) {
            Ok(e) => other = e.entered().to_owned(),
            Err(m) => errors.add("shown_email", m),
        },
        _ => errors.add(
            "shown_email_kind",
            "Choose which email the directory shows.",
        ),
    }
    let Some(listed) = listed.filter(|_| errors.is_empty()) else {
        let page = AccountPage {
            listed: match form.listed.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            shown_email_kind: echo(&form.shown_email_kind),
            shown_email: echo(&form.shown_email),
            errors,
            ..AccountPage::new(&ctx, &person).await?
        };
        return Ok(page.with_status(StatusCode::UNPROCESSABLE_ENTITY));
    };
    sqlx::query(
        "UPDATE people SET listed = $1, shown_email_kind = $2, shown_email = $3, \
         listing_chosen_at = $5 WHERE id = $4",
    )
    .bind(i64::from(listed))
    .bind(kind)
    .bind(&other)
    .bind(person.id)
    .bind(ctx.state.clock.now())
    .execute(&ctx.state.pool)
    .await?;
    ctx.flash(if listed {
        "You are listed in the members' directory."
    } else {
        "You are not listed in the members' directory."
    })
    .await?;
    Ok(web::see_other("/account"))
}

#[derive(Deserialize)]
pub struct MessagesForm {
    #[serde(default)]
    accepts: String,
}

/// Whether other members may write to the person through the directory's Contact form.
/// When not, their page offers no form, and a message sent anyway is not relayed (its
/// sender is told it was sent, so that the choice stays the person's own business).
pub async fn messages(
    SignedIn(ctx, person): SignedIn,
    Form(form): Form<MessagesForm>,
) -> AppResult<Response> {
    let accepts = match form.accepts.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            let mut errors = FormErrors::default();
            errors.add(
                "accepts",
                "Choose whether members may write to you through the directory.",
            );
            let page = AccountPage {
                errors,
                ..AccountPage::new(&ctx, &person).await?
            };
            return Ok(page.with_status(StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    sqlx::query("UPDATE people SET accepts_messages = $1 WHERE id = $2")
        .bind(i64::from(accepts))
        .bind(person.id)
        .execute(&ctx.state.pool)
        .await?;
    ctx.flash(if accepts {
        "Members may write to you through the directory."
    } else {
        "Members can no longer write to you through the directory."
    })
    .await?;
    Ok(web::see_other("/account"))
}

#[derive(Deserialize)]
pub struct PublicationNewsForm {
    #[serde(default)]
    news: String,
}

/// Whether the person gets an email about each new publication they may read (off by
/// default; cohort publications also reach the cohort's followers).
pub async fn publication_news(
    SignedIn(ctx, person): SignedIn,
    Form(form): Form<PublicationNewsForm>,
) -> AppResult<Response> {
    let wants = match form.news.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            let mut errors = FormErrors::default();
            errors.add(
                "news",
                "Choose whether to get an email about new publications.",
            );
            let page = AccountPage {
                errors,
                ..AccountPage::new(&ctx, &person).await?
            };
            return Ok(page.with_status(StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    sqlx::query("UPDATE people SET publication_news = $1 WHERE id = $2")
        .bind(i64::from(wants))
        .bind(person.id)
        .execute(&ctx.state.pool)
        .await?;
    ctx.flash(if wants {
        "You will get an email about each new publication you may read."
    } else {
        "No more emails about new publications."
    })
    .await?;
    Ok(web::see_other("/account"))
}

#[derive(Deserialize)]
pub struct TimeZoneForm {
    #[serde(default)]
    time_zone: String,
}

/// The zone in which the person reads and enters times; empty returns to the default.
pub async fn time_zone(
    SignedIn(ctx, person): SignedIn,
    Form(form): Form<TimeZoneForm>,
) -> AppResult<Response> {
    let chosen = form.time_zone.trim();
    let name = if chosen.is_empty() {
        String::new()
    } else {
        match crate::time::Zone::parse(chosen) {
            Ok(zone) => zone.name().to_owned(),
            Err(message) => {
                let mut errors = FormErrors::default();
                errors.add("time_zone", message);
                let page = AccountPage {
                    errors,
                    ..AccountPage::new(&ctx, &person).await?
                };
                return Ok(page.with_status(StatusCode::UNPROCESSABLE_ENTITY));
            }
        }
    };
    // Saved, even as the default, the zone is chosen: the member home's checklist ticks it.
    sqlx::query("UPDATE people SET time_zone = $1, zone_chosen_at = $3 WHERE id = $2")
        .bind(&name)
        .bind(person.id)
        .bind(ctx.state.clock.now())
        .execute(&ctx.state.pool)
        .await?;
    let shown = if name.is_empty() {
        "Times are shown in the default time zone again.".to_owned()
    } else {
        format!("Times are now shown in {name}.")
    };
    ctx.flash(shown).await?;
    Ok(web::see_other("/account"))
}

/// Checks the person's current password, counted like a log-in so that a session left open
/// cannot be used to guess it. On failure, the message and the status of the page.
async fn check_current_password(
    state: &AppState,
    ip: &str,
    person: &Person,
    given: &str,
) -> AppResult<Result<(), (StatusCode, String)>> {
    if given.is_empty() {
        return Ok(Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter your current password.".to_owned(),
        )));
    }
    // The stored email is the entered one trimmed, so lower-casing it gives the normalized form.
    let email_norm = person.email.to_lowercase();
    let attempt = match throttle::reserve(state, &email_norm, ip, None).await? {
        Ok(attempt) => attempt,
        Err(wait) => {
            return Ok(Err((
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many wrong passwords. For your security, try again in {}.",
                    throttle::wait_in_words(wait)
                ),
            )));
        }
    };
    let hash = db::password_hash(&state.pool, person.id).await?;
    let given: String = given.chars().take(password::MAX_LENGTH).collect();
    if password::verify(state, &given, hash).await? {
        attempt.forgive(&state.pool).await?;
        return Ok(Ok(()));
    }
    attempt.fail(&state.pool).await?;
    Ok(Err((
        StatusCode::UNPROCESSABLE_ENTITY,
        "Your current password is not right.".to_owned(),
    )))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    SignedIn(ctx, person): SignedIn,
    ClientIp(ip): ClientIp,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let state = &ctx.state;
    let mut errors = FormErrors::default();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let Err((s, m)) = check_current_password(state, &ip, &person, &form.current_password).await?
    {
        errors.add("current_password", m);
        status = s;
    }
    if let Err(m) = password::check_new(&form.new_password, &person.email, &person.name) {
        errors.add("new_password", m);
    }
    if !errors.is_empty() {
        let page = AccountPage {
            errors,
            ..AccountPage::new(&ctx, &person).await?
        };
        return Ok(page.with_status(status));
    }
    let hash = password::hash(state, &form.new_password).await?;
    let now = state.clock.now();

    // The new password, and the end of every other session, together.
    let mut tx = state.begin_write().await?;
    if !db::set_password_hash(&mut tx, person.id, &hash).await? {
        return Err(AppError::NotFound);
    }
    // Whoever knew the old password is logged out; this browser, which knew it, stays.
    sessions::end_all_for_person(&mut tx, person.id, ctx.session.id().as_ref()).await?;
    // A reset link sent earlier must not undo the change.
    reset::cancel_links(&mut tx, person.id, now).await?;
    tx.commit().await?;
    tracing::info!(
        person_id = person.id,
        "password changed on the account page"
    );
    ctx.flash("Your new password is set. You are logged out on every other device.")
        .await?;
    Ok(web::see_other("/account"))
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    new_email: String,
    #[serde(default)]
    email_password: String,
}

pub async fn change_email(
    SignedIn(ctx, person): SignedIn,
    ClientIp(ip): ClientIp,
    Form(form): Form<EmailForm>,
) -> AppResult<Response> {
    let state = &ctx.state;
    let mut errors = FormErrors::default();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let parsed = EmailAddress::parse(&form.new_email);
    match &parsed {
        Err(m) => errors.add("new_email", *m),
        Ok(e) if e.normalized() == person.email.to_lowercase() => {
            errors.add("new_email", "This is already your email address.")
        }
        Ok(_) => {}
    }
    if let Err((s, m)) = check_current_password(state, &ip, &person, &form.email_password).await? {
        errors.add("email_password", m);
        status = s;
    }
    // Whether an address is taken is said only to whoever knows the password.
    if let Ok(e) = &parsed
        && errors.is_empty()
        && db::email_taken(&state.pool, e.normalized(), person.id).await?
    {
        errors.add("new_email", "An account with this email already exists.");
    }
    let new = match parsed {
        Ok(e) if errors.is_empty() => e,
        _ => {
            let page = AccountPage {
                new_email: echo(&form.new_email),
                errors,
                ..AccountPage::new(&ctx, &person).await?
            };
            return Ok(page.with_status(status));
        }
    };

    request_change(state, &person, &new).await?;
    tracing::info!(person_id = person.id, "email change requested");
    ctx.flash(format!(
        "We sent a link to {}. Your address changes when you open it.",
        new.entered()
    ))
    .await?;
    Ok(web::see_other("/account"))
}

/// Stores a request to change the person's address, with the link to the new address and a
/// notice to the old one, together or not at all; only the newest request can be confirmed.
async fn request_change(state: &AppState, person: &Person, new: &EmailAddress) -> AppResult<()> {
    let token = tokens::generate();
    let now = state.clock.now();
    // The request and both emails are written together, or none of them.
    let mut tx = state.begin_write().await?;
    // Only the newest request can be confirmed.
    sqlx::query("UPDATE email_changes SET used_at = $1 WHERE person_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(person.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO email_changes (token_hash, person_id, new_email, new_email_norm, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tokens::digest(&token))
    .bind(person.id)
    .bind(new.entered())
    .bind(new.normalized())
    .bind(now)
    .bind(now + EMAIL_VALID_FOR)
    .execute(&mut *tx)
    .await?;
    let org_name = crate::web::identity::org_name_on(&mut tx, state).await?;
    let confirm = emails::EmailChangeConfirm {
        org_name: org_name.clone(),
        name: person.name.clone(),
        new_email: new.entered().to_owned(),
        link: format!("{}/account/email/confirm/{token}", state.config.base()),
    };
    notify::enqueue(&mut tx, state, new.entered(), &confirm).await?;
    // The old address hears of it, in case the request is not the owner's.
    let notice = emails::EmailChangeNotice {
        org_name,
        name: person.name.clone(),
        new_email: new.entered().to_owned(),
        base_url: state.config.base().to_owned(),
    };
    notify::enqueue(&mut tx, state, &person.email, &notice).await?;
    tx.commit().await?;
    Ok(())
}

/// A requested change of address, while its link works.
struct Change {
    person_id: i64,
    new_email: String,
    new_email_norm: String,
}

/// The change this link confirms; looking does not use it up, since mail scanners open links too.
async fn change_of_link(state: &AppState, token: &str) -> AppResult<Change> {
    let row: Option<(i64, String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT person_id, new_email, new_email_norm, expires_at, used_at FROM email_changes WHERE token_hash = $1",
    )
    .bind(tokens::digest(token))
    .fetch_optional(&state.pool)
    .await?;
    let change = match row {
        Some((person_id, new_email, new_email_norm, expires_at, None))
            if expires_at > state.clock.now() =>
        {
            Change {
                person_id,
                new_email,
                new_email_norm,
            }
        }
        _ => return Err(AppError::Gone(GONE.to_owned())),
    };
    if db::find_active(&state.pool, change.person_id)
        .await?
        .is_none()
    {
        return Err(AppError::Gone(GONE.to_owned()));
    }
    Ok(change)
}

#[derive(Template)]
#[template(path = "accounts/confirm_email.html")]
struct ConfirmEmailPage {
    layout: Layout,
    new_email: String,
}

/// Works without logging in: the link may be opened on another device.
pub async fn confirm_email_form(ctx: Ctx, Path(token): Path<String>) -> AppResult<Response> {
    let change = change_of_link(&ctx.state, &token).await?;
    let page = ConfirmEmailPage {
        layout: ctx.layout().await,
        new_email: change.new_email,
    };
    Ok(web::render(&page))
}

pub async fn confirm_email(ctx: Ctx, Path(token): Path<String>) -> AppResult<Response> {
    let state = &ctx.state;
    let change = change_of_link(state, &token).await?;
    let now = state.clock.now();

    // The link is spent and the address changed together, or neither.
    let mut tx = state.begin_write().await?;
    if !tokens::spend(&mut tx, tokens::OneTime::EmailChange, &token, now).await? {
        return Err(AppError::Gone(GONE.to_owned()));
    }
    match db::set_email(
        &mut tx,
        change.person_id,
        &change.new_email,
        &change.new_email_norm,
    )
    .await
    {
        Ok(true) => {}
        Ok(false) => return Err(AppError::Gone(GONE.to_owned())),
        // Someone took the address since the request; dropping the transaction undoes it all.
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Gone(format!(
                "Another account now uses {}, so it cannot become your address. \
                 Your email address has not changed.",
                change.new_email
            )));
        }
        Err(e) => return Err(e.into()),
    }
    // Reset links went to the old address, which no longer speaks for this account.
    reset::cancel_links(&mut tx, change.person_id, now).await?;
    tx.commit().await?;
    tracing::info!(person_id = change.person_id, "email address changed");

    ctx.flash(format!("Your email address is now {}.", change.new_email))
        .await?;
    let own = ctx
        .person
        .as_ref()
        .is_some_and(|p| p.id == change.person_id);
    Ok(web::see_other(if own { "/account" } else { "/" }))
}
