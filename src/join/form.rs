//! The public application form: what a city sends to become a member.

use askama::Template;
use axum::{http::StatusCode, response::Response};
use serde::Deserialize;

use super::guard;
use crate::{
    error::AppResult,
    members::STATES,
    notify::{self, emails},
    text::EmailAddress,
    web::{
        self, ClientIp, Ctx, FormErrors, Layout,
        form::{self, Check, Field, Fields, Form},
    },
};

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
    fields: &'static Fields,
    /// The membership page's title and text (staff write it at /staff/pages), if published.
    terms: Option<(String, String)>,
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
    let page = FormPage {
        layout,
        form,
        errors,
        states: STATES,
        started,
        problem,
        fields: &FIELDS,
        terms: crate::pages::published_html(&ctx.state.pool, crate::pages::MEMBERSHIP).await?,
    };
    Ok(if status.is_success() {
        web::render(&page)
    } else {
        form::again_with(status, &page)
    })
}

pub(super) async fn form(ctx: Ctx) -> AppResult<Response> {
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

/// The application's text fields.
pub static FIELDS: Fields = Fields(&[
    Field {
        name: "city_name",
        label: "the city's name",
        max_len: 120,
        required: true,
        lines: false,
    },
    Field {
        name: "population",
        label: "the population",
        max_len: 20,
        required: true,
        lines: false,
    },
    Field {
        name: "mayor_name",
        label: "the mayor's name",
        max_len: 200,
        required: true,
        lines: false,
    },
    Field {
        name: "mayor_email",
        label: "the mayor's email address",
        max_len: 254,
        required: true,
        lines: false,
    },
    Field {
        name: "contact_name",
        label: "your name",
        max_len: 200,
        required: true,
        lines: false,
    },
    Field {
        name: "contact_title",
        label: "your title",
        max_len: 200,
        required: true,
        lines: false,
    },
    Field {
        name: "contact_email",
        label: "your email address",
        max_len: 254,
        required: true,
        lines: false,
    },
    Field {
        name: "contact_phone",
        label: "a phone number",
        max_len: 40,
        required: true,
        lines: false,
    },
    Field {
        name: "reason",
        label: "why your city wants to join",
        max_len: 4000,
        required: true,
        lines: true,
    },
]);

/// Checks the form (control characters are taken out and refused: the form comes back so
/// that the person sees what is left).
fn check(form: &mut JoinForm) -> Result<Application, FormErrors> {
    // Fields are checked in the order of the form, as the summary lists them.
    let mut check = FIELDS.check();
    let city_name = check.text("city_name", &form.city_name);
    if !STATES.iter().any(|(c, _)| *c == form.state) {
        check.add("state", "Choose the state.");
    }
    let population = check.text("population", &form.population);
    let population = if check.has("population") {
        None
    } else {
        check.number(
            "population",
            &population.replace('.', ""),
            1..=50_000_000,
            "Enter the population as a whole number, like 30,000.",
        )
    };
    form.mayor_name = check.text("mayor_name", &form.mayor_name);
    let mayor_email = email(&mut check, "mayor_email", &form.mayor_email, "The mayor's");
    form.contact_name = check.text("contact_name", &form.contact_name);
    form.contact_title = check.text("contact_title", &form.contact_title);
    let contact_email = email(&mut check, "contact_email", &form.contact_email, "Your");
    let phone = check.text("contact_phone", &form.contact_phone);
    form.contact_phone = phone.clone();
    if !check.has("contact_phone") && phone.chars().filter(char::is_ascii_digit).count() < 7 {
        check.add(
            "contact_phone",
            "Enter a phone number with its area code, like 608-555-0100.",
        );
    }
    form.reason = check.text("reason", &form.reason);
    check.finish()?;
    match (population, mayor_email, contact_email) {
        (Some(population), Some(mayor_email), Some(contact_email)) => Ok(Application {
            city_name,
            population,
            mayor_email,
            contact_email,
        }),
        // A missing value always came with its message above.
        _ => Err(FormErrors::default()),
    }
}

/// An email address field: its rule, then the address itself.
fn email(check: &mut Check, name: &'static str, value: &str, whose: &str) -> Option<EmailAddress> {
    let value = check.text(name, value);
    if check.has(name) {
        return None;
    }
    match EmailAddress::parse(&value) {
        Ok(e) => Some(e),
        Err(m) => {
            check.add(name, format!("{whose} email address: {m}"));
            None
        }
    }
}

/// Keeps what was entered, but never a huge field, for showing the form again.
fn trimmed(form: &JoinForm) -> JoinForm {
    let keep = |name: &str, s: &String| FIELDS.keep(name, s);
    JoinForm {
        city_name: keep("city_name", &form.city_name),
        state: form.state.chars().take(2).collect(),
        population: keep("population", &form.population),
        mayor_name: keep("mayor_name", &form.mayor_name),
        mayor_email: keep("mayor_email", &form.mayor_email),
        contact_name: keep("contact_name", &form.contact_name),
        contact_title: keep("contact_title", &form.contact_title),
        contact_email: keep("contact_email", &form.contact_email),
        contact_phone: keep("contact_phone", &form.contact_phone),
        reason: keep("reason", &form.reason),
        website: String::new(),
        started: String::new(),
    }
}

pub(super) async fn submit(
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    Form(mut form): Form<JoinForm>,
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
    let application = match (problem, check(&mut form)) {
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
    let id = insert(&mut tx, &form, &application, &ip, now).await?;
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
    tell_contact_and_staff(&mut tx, state, &form, &application, id).await?;
    tx.commit().await?;
    Ok(web::see_other("/join/thanks"))
}

/// Records an application that passed the checks, unless its address has sent the most an
/// hour allows (`None`).
async fn insert(
    tx: &mut sqlx::AnyConnection,
    form: &JoinForm,
    application: &Application,
    ip: &str,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
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
    .bind(application.mayor_email.entered())
    .bind(form.contact_name.trim())
    .bind(form.contact_title.trim())
    .bind(application.contact_email.entered())
    .bind(form.contact_phone.trim())
    .bind(form.reason.trim())
    .bind(ip)
    .bind(now)
    .bind(now - 3600)
    .bind(guard::PER_ADDRESS_PER_HOUR)
    .fetch_optional(tx)
    .await
}

/// The confirmation to the contact, and a notice to every active staff member.
async fn tell_contact_and_staff(
    tx: &mut sqlx::AnyConnection,
    state: &crate::state::AppState,
    form: &JoinForm,
    application: &Application,
    id: i64,
) -> AppResult<()> {
    let city = format!("{}, {}", application.city_name, form.state);
    let org = crate::web::identity::org_name_on(&mut *tx, state).await?;
    let confirmation = emails::ApplicationReceived {
        org_name: org.clone(),
        contact_name: form.contact_name.trim().to_owned(),
        city: city.clone(),
    };
    notify::enqueue(
        tx,
        state,
        application.contact_email.entered(),
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
        notify::enqueue(tx, state, &to, &notice).await?;
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "join/thanks.html")]
struct ThanksPage {
    layout: Layout,
}

pub(super) async fn thanks(ctx: Ctx) -> AppResult<Response> {
    Ok(web::render(&ThanksPage {
        layout: ctx.layout().await,
    }))
}
