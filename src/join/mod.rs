//! "Become a Member City": the public application form, its spam guard, and the staff's
//! review (approve: the city is created and its mayor invited; decline: a message to the
//! contact).

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query},
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;

use crate::{
    accounts::{db as people_db, email::EmailAddress},
    audit,
    error::{AppError, AppResult, is_unique_violation},
    members::{STATES, cities, invitations},
    notify::{self, emails},
    policy::{self, Role},
    state::AppState,
    web::{
        self, ClientIp, Ctx, FormErrors, Layout, Staff,
        form::{Checked, Form},
    },
};

pub mod guard;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/join", get(form).post(submit))
        .route("/join/thanks", get(thanks))
        .route("/staff/applications", get(list))
        .route("/staff/applications/{id}", get(show))
        .route("/staff/applications/{id}/approve", post(approve))
        .route("/staff/applications/{id}/decline", post(decline))
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    city_name: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    population: String,
    #[serde(default)]
    mayor_name: String,
    #[serde(default)]
    mayor_email: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_title: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    reason: String,
    /// The honeypot: hidden from people, filled by robots.
    #[serde(default)]
    website: String,
    /// When the form was shown, and a keyed hash of it.
    #[serde(default)]
    started: String,
}

#[derive(Template)]
#[template(path = "join/form.html")]
struct FormPage {
    layout: Layout,
    form: JoinForm,
    errors: FormErrors,
    states: &'static [(&'static str, &'static str)],
    started: String,
    problem: Option<String>,
}

/// Shows the form; `started` is its spam-guard stamp (a new one, or the one it was sent with).
async fn render_form(
    ctx: &Ctx,
    form: JoinForm,
    errors: FormErrors,
    problem: Option<String>,
    status: StatusCode,
    started: String,
) -> AppResult<Response> {
    let mut layout = ctx.layout().await;
    layout.meta.title = "Become a Member City".to_owned();
    layout.meta.description = format!(
        "Apply for your city to join {}, a learning network for mayors.",
        layout.org_name
    );
    let r = web::render_status(
        status,
        &FormPage {
            layout,
            form,
            errors,
            states: STATES,
            started,
            problem,
        },
    );
    Ok(r)
}

async fn form(ctx: Ctx) -> AppResult<Response> {
    let started = guard::stamp(&guard::key(&ctx.state).await?, ctx.state.clock.now());
    render_form(
        &ctx,
        JoinForm::default(),
        FormErrors::default(),
        None,
        StatusCode::OK,
        started,
    )
    .await
}

struct Application {
    city_name: String,
    population: i64,
    mayor_email: EmailAddress,
    contact_email: EmailAddress,
}

/// Checks the form; `removed` names the fields from which control characters were taken out
/// (the form comes back so that the person sees what is left).
fn check(form: &JoinForm, removed: &[String]) -> Result<Application, FormErrors> {
    // Messages are added in the order of the form's fields, as the summary lists them.
    let mut errors = FormErrors::default();
    let refused = |errors: &mut FormErrors, field: &'static str, label: &str| {
        let hit = removed.iter().any(|r| r == field);
        if hit {
            errors.add(
                field,
                format!(
                    "{} held control characters, which were removed. Check it and send the form again.",
                    capitalize(label)
                ),
            );
        }
        hit
    };
    let text =
        |errors: &mut FormErrors, field: &'static str, value: &str, label: &str, max: usize| {
            let v = value.trim();
            if refused(errors, field, label) {
                return;
            }
            if v.is_empty() {
                errors.add(field, format!("Enter {label}."));
            } else if v.chars().count() > max {
                errors.add(field, format!("Use at most {max} characters for {label}."));
            }
        };
    let email = |errors: &mut FormErrors, field: &'static str, value: &str, whose: &str| {
        if refused(errors, field, &format!("{whose} email address")) {
            return None;
        }
        match EmailAddress::parse(value) {
            Ok(e) => Some(e),
            Err(_) if value.trim().is_empty() => {
                errors.add(field, format!("Enter {whose} email address."));
                None
            }
            Err(m) => {
                errors.add(
                    field,
                    format!(
                        "{whose_cap} email address: {m}",
                        whose_cap = capitalize(whose)
                    ),
                );
                None
            }
        }
    };
    text(
        &mut errors,
        "city_name",
        &form.city_name,
        "the city's name",
        120,
    );
    if !STATES.iter().any(|(c, _)| *c == form.state) {
        errors.add("state", "Choose the state.");
    }
    let digits: String = form
        .population
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '.' | '_'))
        .collect();
    let population = match digits.parse::<i64>() {
        Ok(n) if (1..=50_000_000).contains(&n) => n,
        _ => {
            errors.add(
                "population",
                "Enter the population as a whole number, like 30,000.",
            );
            0
        }
    };
    text(
        &mut errors,
        "mayor_name",
        &form.mayor_name,
        "the mayor's name",
        200,
    );
    let mayor_email = email(&mut errors, "mayor_email", &form.mayor_email, "the mayor's");
    text(
        &mut errors,
        "contact_name",
        &form.contact_name,
        "your name",
        200,
    );
    text(
        &mut errors,
        "contact_title",
        &form.contact_title,
        "your title",
        200,
    );
    let contact_email = email(&mut errors, "contact_email", &form.contact_email, "your");
    text(
        &mut errors,
        "contact_phone",
        &form.contact_phone,
        "a phone number",
        40,
    );
    let phone_ok = form
        .contact_phone
        .chars()
        .filter(char::is_ascii_digit)
        .count()
        >= 7;
    if !form.contact_phone.trim().is_empty() && errors.get("contact_phone").is_none() && !phone_ok {
        errors.add(
            "contact_phone",
            "Enter a phone number with its area code, like 608-555-0100.",
        );
    }
    text(
        &mut errors,
        "reason",
        &form.reason,
        "why your city wants to join",
        4000,
    );
    match (mayor_email, contact_email, errors.is_empty()) {
        (Some(mayor_email), Some(contact_email), true) => Ok(Application {
            city_name: form.city_name.trim().to_owned(),
            population,
            mayor_email,
            contact_email,
        }),
        _ => Err(errors),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Keeps what was entered, but never a huge field, for showing the form again.
fn trimmed(form: &JoinForm) -> JoinForm {
    let cut = |s: &String, n: usize| s.chars().take(n).collect::<String>();
    JoinForm {
        city_name: cut(&form.city_name, 200),
        state: cut(&form.state, 2),
        population: cut(&form.population, 20),
        mayor_name: cut(&form.mayor_name, 200),
        mayor_email: cut(&form.mayor_email, 254),
        contact_name: cut(&form.contact_name, 200),
        contact_title: cut(&form.contact_title, 200),
        contact_email: cut(&form.contact_email, 254),
        contact_phone: cut(&form.contact_phone, 40),
        reason: cut(&form.reason, 4000),
        website: String::new(),
        started: String::new(),
    }
}

async fn submit(
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    Checked {
        value: form,
        removed,
    }: Checked<JoinForm>,
) -> AppResult<Response> {
    let state = &ctx.state;
    let now = state.clock.now();
    // A filled honeypot gets the same thanks as a person, and nothing is kept.
    if !form.website.is_empty() {
        tracing::info!(client_ip = %ip, "application dropped: honeypot filled");
        return Ok(web::see_other("/join/thanks"));
    }
    let key = guard::key(state).await?;
    let problem = guard::check(&key, &form.started, now)
        .err()
        .map(|p| p.message().to_owned());
    let application = match (problem, check(&form, &removed)) {
        (None, Ok(application)) => application,
        (problem, checked) => {
            return render_form(
                &ctx,
                trimmed(&form),
                checked.err().unwrap_or_default(),
                problem,
                StatusCode::UNPROCESSABLE_ENTITY,
                guard::stamp_for_retry(&key, &form.started, now),
            )
            .await;
        }
    };

    // The limit is reserved with the application: the count and the insert are one statement,
    // serialized per address (see `guard::lock_address`), so parallel submissions cannot all
    // slip under it. Only applications that passed the checks count.
    let mut tx = state.begin_write().await?;
    guard::lock_address(&mut tx, state.backend, &ip).await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO applications (city_name, state, population, mayor_name, mayor_email, contact_name, contact_title, \
           contact_email, contact_phone, reason, status, client_ip, created_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12 \
         WHERE (SELECT COUNT(*) FROM applications WHERE client_ip = $11 AND created_at > $13) < $14 \
         RETURNING id",
    )
    .bind(&application.city_name)
    .bind(&form.state)
    .bind(application.population)
    .bind(form.mayor_name.trim())
    .bind(&application.mayor_email.entered)
    .bind(form.contact_name.trim())
    .bind(form.contact_title.trim())
    .bind(&application.contact_email.entered)
    .bind(form.contact_phone.trim())
    .bind(form.reason.trim())
    .bind(&ip)
    .bind(now)
    .bind(now - 3600)
    .bind(guard::PER_ADDRESS_PER_HOUR)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        tx.rollback().await?;
        let problem = "Several applications came from your address in the last hour. Please try again in an hour, or write to us.".to_owned();
        return render_form(
            &ctx,
            trimmed(&form),
            FormErrors::default(),
            Some(problem),
            StatusCode::TOO_MANY_REQUESTS,
            guard::stamp_for_retry(&key, &form.started, now),
        )
        .await;
    };
    let city = format!("{}, {}", application.city_name, form.state);
    let org = state.config.org_name.clone();
    let confirmation = emails::ApplicationReceived {
        org_name: org.clone(),
        contact_name: form.contact_name.trim().to_owned(),
        city: city.clone(),
    };
    notify::enqueue(
        &mut tx,
        state,
        &application.contact_email.entered,
        &confirmation,
    )
    .await?;
    let staff: Vec<String> = sqlx::query_scalar(
        "SELECT email FROM people WHERE role = 'staff' AND active = 1 ORDER BY id",
    )
    .fetch_all(&mut *tx)
    .await?;
    let notice = emails::ApplicationToStaff {
        org_name: org,
        city: city.clone(),
        contact: format!(
            "{}, {}",
            form.contact_name.trim(),
            form.contact_title.trim()
        ),
        link: format!("{}/staff/applications/{id}", state.config.base()),
    };
    for to in staff {
        notify::enqueue(&mut tx, state, &to, &notice).await?;
    }
    tx.commit().await?;
    Ok(web::see_other("/join/thanks"))
}

#[derive(Template)]
#[template(path = "join/thanks.html")]
struct ThanksPage {
    layout: Layout,
}

async fn thanks(ctx: Ctx) -> AppResult<Response> {
    Ok(web::render(&ThanksPage {
        layout: ctx.layout().await,
    }))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: i64,
    pub city_name: String,
    pub state: String,
    pub population: i64,
    pub mayor_name: String,
    pub mayor_email: String,
    pub contact_name: String,
    pub contact_title: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub reason: String,
    pub status: String,
    pub created_at: i64,
    pub decision_note: String,
    pub city_id: Option<i64>,
}

impl Row {
    pub fn city(&self) -> String {
        format!("{}, {}", self.city_name, self.state)
    }
    pub fn population_text(&self) -> String {
        cities::group_thousands(self.population)
    }
}

macro_rules! select_applications {
    ($rest:literal) => {
        concat!(
            "SELECT id, city_name, state, population, mayor_name, mayor_email, contact_name, contact_title, contact_email, \
               contact_phone, reason, status, created_at, decision_note, city_id FROM applications ",
            $rest
        )
    };
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

#[derive(Template)]
#[template(path = "join/list.html")]
struct ListPage {
    layout: Layout,
    status: String,
    rows: Vec<Row>,
}

async fn list(Staff(ctx, person): Staff, Query(q): Query<ListQuery>) -> AppResult<Response> {
    web::permit(policy::can_review_applications(&person))?;
    let status = match q.status.as_deref() {
        Some(s @ ("approved" | "declined")) => s.to_owned(),
        _ => "pending".to_owned(),
    };
    let rows = sqlx::query_as::<_, Row>(select_applications!(
        "WHERE status = $1 ORDER BY created_at DESC, id DESC LIMIT 500"
    ))
    .bind(&status)
    .fetch_all(&ctx.state.pool)
    .await?;
    Ok(web::render(&ListPage {
        layout: ctx.layout().await,
        status,
        rows,
    }))
}

#[derive(Template)]
#[template(path = "join/show.html")]
struct ShowPage {
    layout: Layout,
    app: Row,
    /// Other applications for the same city, and the city if it is already a member.
    others: Vec<Row>,
    existing_city: Option<cities::City>,
    errors: FormErrors,
    message: String,
}

async fn load(ctx: &Ctx, id: i64) -> AppResult<Row> {
    sqlx::query_as::<_, Row>(select_applications!("WHERE id = $1"))
        .bind(id)
        .fetch_optional(&ctx.state.pool)
        .await?
        .ok_or(AppError::NotFound)
}

async fn existing_city<'c>(
    db: impl sqlx::AnyExecutor<'c>,
    name: &str,
    state: &str,
) -> sqlx::Result<Option<cities::City>> {
    sqlx::query_as::<_, cities::City>(crate::select_cities!(
        "WHERE lower(name) = lower($1) AND state = $2"
    ))
    .bind(name)
    .bind(state)
    .fetch_optional(db)
    .await
}

/// The answer to a decision on an application someone has already decided (a second
/// click, or two staff at once): the application's page, saying what happened.
async fn already_decided(ctx: &Ctx, id: i64) -> AppResult<Response> {
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM applications WHERE id = $1")
            .bind(id)
            .fetch_optional(&ctx.state.pool)
            .await?;
    let message = match status.as_deref() {
        Some("approved") => "This application was already approved.",
        Some("declined") => "This application was already declined.",
        _ => "This application was already decided.",
    };
    ctx.flash(message).await?;
    Ok(web::see_other(&format!("/staff/applications/{id}")))
}

async fn show_page(
    ctx: &Ctx,
    app: Row,
    errors: FormErrors,
    message: String,
) -> AppResult<Response> {
    let pool = &ctx.state.pool;
    let others = sqlx::query_as::<_, Row>(select_applications!(
        "WHERE lower(city_name) = lower($1) AND state = $2 AND id <> $3 ORDER BY created_at DESC"
    ))
    .bind(&app.city_name)
    .bind(&app.state)
    .bind(app.id)
    .fetch_all(pool)
    .await?;
    let existing_city = existing_city(pool, &app.city_name, &app.state).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let r = web::render_status(
        status,
        &ShowPage {
            layout: ctx.layout().await,
            app,
            others,
            existing_city,
            errors,
            message,
        },
    );
    Ok(r)
}

async fn show(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_review_applications(&person))?;
    let app = load(&ctx, id).await?;
    show_page(&ctx, app, FormErrors::default(), String::new()).await
}

/// Approve: the city becomes an active member (or the existing city is used) and its
/// mayor is invited through the invitation flow, all in one transaction.
async fn approve(Staff(ctx, staff): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_review_applications(&staff))?;
    let app = load(&ctx, id).await?;
    let state = &ctx.state;
    if app.status != "pending" {
        return already_decided(&ctx, id).await;
    }
    let mayor_email = EmailAddress::parse(&app.mayor_email)
        .map_err(|_| AppError::BadRequest("The mayor's email address is not valid.".to_owned()))?;
    let now = state.clock.now();
    let mut tx = state.begin_write().await?;
    // The decision first: of two approvals at once only one gets past this, and only it
    // creates the city and invites the mayor.
    let won = sqlx::query("UPDATE applications SET status = 'approved', decided_at = $1, decided_by = $2 WHERE id = $3 AND status = 'pending'")
        .bind(now)
        .bind(staff.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if won.rows_affected() != 1 {
        drop(tx);
        return already_decided(&ctx, id).await;
    }
    let existing = existing_city(&mut *tx, &app.city_name, &app.state).await?;
    let city = match existing {
        Some(mut c) => {
            if c.status != "active" {
                sqlx::query("UPDATE cities SET status = 'active' WHERE id = $1")
                    .bind(c.id)
                    .execute(&mut *tx)
                    .await?;
                let detail = format!("{} → active (application approved)", c.status);
                audit::record(
                    &mut tx,
                    now,
                    staff.id,
                    "changed city status",
                    audit::Subject {
                        city_id: Some(c.id),
                        detail: &detail,
                        ..Default::default()
                    },
                )
                .await?;
                c.status = "active".to_owned();
            }
            c
        }
        None => {
            let today = time::OffsetDateTime::from_unix_timestamp(now)
                .map(|d| d.date().to_string())
                .unwrap_or_default();
            let inserted: Result<i64, _> = sqlx::query_scalar(
                "INSERT INTO cities (name, state, population, website, status, member_since, created_at) VALUES ($1, $2, $3, '', 'active', $4, $5) RETURNING id",
            )
            .bind(&app.city_name)
            .bind(&app.state)
            .bind(app.population)
            .bind(&today)
            .bind(now)
            .fetch_one(&mut *tx)
            .await;
            let city_id = match inserted {
                Ok(id) => id,
                // Another application for the same city was approved at the same moment
                // (PostgreSQL; SQLite takes write transactions one at a time).
                Err(e) if is_unique_violation(&e) => {
                    drop(tx);
                    ctx.flash(format!(
                        "{} became a member city a moment ago through another application. Approve this one again to use that city.",
                        app.city()
                    ))
                    .await?;
                    return Ok(web::see_other(&format!("/staff/applications/{id}")));
                }
                Err(e) => return Err(e.into()),
            };
            let detail = format!("{} (application approved)", app.city());
            audit::record(
                &mut tx,
                now,
                staff.id,
                "created city",
                audit::Subject {
                    city_id: Some(city_id),
                    detail: &detail,
                    ..Default::default()
                },
            )
            .await?;
            cities::City {
                id: city_id,
                name: app.city_name.clone(),
                state: app.state.clone(),
                population: app.population,
                website: String::new(),
                status: "active".to_owned(),
                member_since: today,
                renewal_date: None,
                time_zone: String::new(),
            }
        }
    };
    let has_mayor = cities::mayor_of(&mut tx, city.id).await?;
    let has_account = people_db::find_by_email(&mut tx, &mayor_email.normalized)
        .await?
        .is_some();
    let invited = invitations::pending_for(&mut tx, &mayor_email.normalized, now)
        .await?
        .is_some();
    let note = if let Some(m) = has_mayor {
        format!(
            "{} already has a mayor ({}); no invitation was sent.",
            city.label(),
            m.name
        )
    } else if has_account {
        format!(
            "{} already has an account; no invitation was sent.",
            mayor_email.entered
        )
    } else if invited {
        format!(
            "An invitation to {} was already waiting.",
            mayor_email.entered
        )
    } else {
        invitations::send(
            &mut tx,
            state,
            &staff,
            &mayor_email,
            &app.mayor_name,
            Role::Mayor,
            Some(&city),
        )
        .await?;
        format!("The mayor, {}, is invited.", app.mayor_name)
    };
    sqlx::query("UPDATE applications SET city_id = $1 WHERE id = $2")
        .bind(city.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    ctx.flash(format!(
        "{} is approved and is an active member city. {note}",
        city.label()
    ))
    .await?;
    Ok(web::see_other(&format!("/staff/applications/{id}")))
}

#[derive(Deserialize)]
struct DeclineForm {
    #[serde(default)]
    message: String,
}

async fn decline(
    Staff(ctx, staff): Staff,
    Path(id): Path<i64>,
    Form(form): Form<DeclineForm>,
) -> AppResult<Response> {
    web::permit(policy::can_review_applications(&staff))?;
    let app = load(&ctx, id).await?;
    let state = &ctx.state;
    if app.status != "pending" {
        return already_decided(&ctx, id).await;
    }
    let message = form.message.trim();
    if message.is_empty() || message.chars().count() > 4000 {
        let mut errors = FormErrors::default();
        errors.add("message", "Write a message to the contact, at most 4,000 characters: it is sent with the decision.");
        return show_page(&ctx, app, errors, form.message.chars().take(4000).collect()).await;
    }
    let now = state.clock.now();
    let mut tx = state.begin_write().await?;
    let won = sqlx::query("UPDATE applications SET status = 'declined', decided_at = $1, decided_by = $2, decision_note = $3 WHERE id = $4 AND status = 'pending'")
        .bind(now)
        .bind(staff.id)
        .bind(message)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    // A second click, or another staff member at the same moment: one decision, one email.
    if won.rows_affected() != 1 {
        drop(tx);
        return already_decided(&ctx, id).await;
    }
    let email = emails::ApplicationDeclined {
        org_name: state.config.org_name.clone(),
        contact_name: app.contact_name.clone(),
        city: app.city(),
        message: message.to_owned(),
    };
    notify::enqueue(&mut tx, state, &app.contact_email, &email).await?;
    tx.commit().await?;
    ctx.flash(format!(
        "The application of {} is declined; {} gets your message by email.",
        app.city(),
        app.contact_name
    ))
    .await?;
    Ok(web::see_other(&format!("/staff/applications/{id}")))
}
