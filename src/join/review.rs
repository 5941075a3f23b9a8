//! The staff's review of applications: approve (the city is created and its mayor invited)
//! or decline (a message to the contact).

use askama::Template;
use axum::{
    extract::{Path, Query},
    response::Response,
};
use serde::Deserialize;

use crate::{
    accounts::{Person, db as people_db},
    audit,
    error::{AppError, AppResult},
    members::{cities, invitations},
    notify::{self, emails},
    policy::{self, CityStatus, Role},
    text::EmailAddress,
    web::{
        self, Ctx, FormErrors, Layout, Staff,
        form::{self, Field, Fields, Form},
    },
};

/// Where an application stands: waiting, or decided once by a guarded transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationStatus {
    Pending,
    Approved,
    Declined,
}

crate::stored_as_text!(ApplicationStatus { Pending = "pending", Approved = "approved", Declined = "declined" });

impl crate::db::Status for ApplicationStatus {
    const TRANSITION: &'static str = "UPDATE applications SET status = $1, decided_at = $4, decided_by = $5 \
         WHERE id = $2 AND status = $3";
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
    pub status: ApplicationStatus,
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
pub(super) struct ListQuery {
    status: Option<String>,
    /// `1`: only the waiting applications that may be duplicates.
    duplicates: Option<String>,
}

#[derive(Template)]
#[template(path = "join/list.html")]
struct ListPage {
    layout: Layout,
    status: String,
    rows: Vec<Row>,
    /// The waiting applications that may be duplicates, flagged in the list.
    duplicates: Vec<i64>,
    only_duplicates: bool,
}

impl ListPage {
    fn is_duplicate(&self, id: &i64) -> bool {
        self.duplicates.contains(id)
    }
}

/// The waiting applications that may be duplicates: the city is already a member city (in
/// any status), or another waiting application names the same city. The same test as the
/// application's own page, which shows the city and the other applications.
pub async fn waiting_duplicates(pool: &sqlx::AnyPool) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT a.id FROM applications a WHERE a.status = 'pending' AND ( \
           EXISTS (SELECT 1 FROM cities c WHERE lower(c.name) = lower(a.city_name) AND c.state = a.state) \
           OR EXISTS (SELECT 1 FROM applications o WHERE o.id <> a.id AND o.status = 'pending' \
                      AND lower(o.city_name) = lower(a.city_name) AND o.state = a.state)) \
         ORDER BY a.id",
    )
    .fetch_all(pool)
    .await
}

/// How many applications wait for a decision.
pub async fn waiting_count(pool: &sqlx::AnyPool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM applications WHERE status = 'pending'")
        .fetch_one(pool)
        .await
}

pub(super) async fn list(
    Staff(ctx, person): Staff,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    web::permit(policy::can_review_applications(&person))?;
    let status = match q.status.as_deref() {
        Some(s @ ("approved" | "declined")) => s.to_owned(),
        _ => "pending".to_owned(),
    };
    let mut rows = sqlx::query_as::<_, Row>(select_applications!(
        "WHERE status = $1 ORDER BY created_at DESC, id DESC LIMIT 500"
    ))
    .bind(&status)
    .fetch_all(&ctx.state.pool)
    .await?;
    let duplicates = if status == "pending" {
        waiting_duplicates(&ctx.state.pool).await?
    } else {
        Vec::new()
    };
    let only_duplicates = status == "pending" && q.duplicates.as_deref() == Some("1");
    if only_duplicates {
        rows.retain(|r| duplicates.contains(&r.id));
    }
    Ok(web::render(&ListPage {
        layout: ctx.layout().await,
        status,
        rows,
        duplicates,
        only_duplicates,
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
    fields: &'static Fields,
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
    let status: Option<ApplicationStatus> =
        sqlx::query_scalar("SELECT status FROM applications WHERE id = $1")
            .bind(id)
            .fetch_optional(&ctx.state.pool)
            .await?;
    let message = match status {
        Some(ApplicationStatus::Approved) => "This application was already approved.",
        Some(ApplicationStatus::Declined) => "This application was already declined.",
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
    let failed = !errors.is_empty();
    let page = ShowPage {
        layout: ctx.layout().await,
        app,
        others,
        existing_city,
        errors,
        message,
        fields: &FIELDS,
    };
    Ok(if failed {
        form::again(&page)
    } else {
        web::render(&page)
    })
}

pub(super) async fn show(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_review_applications(&person))?;
    let app = load(&ctx, id).await?;
    show_page(&ctx, app, FormErrors::default(), String::new()).await
}

/// Approve: the city becomes an active member (or the existing city is used) and its
/// mayor is invited through the invitation flow, all in one transaction.
pub(super) async fn approve(Staff(ctx, staff): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_review_applications(&staff))?;
    let app = load(&ctx, id).await?;
    let state = &ctx.state;
    if app.status != ApplicationStatus::Pending {
        return already_decided(&ctx, id).await;
    }
    let mayor_email = EmailAddress::parse(&app.mayor_email)
        .map_err(|_| AppError::BadRequest("The mayor's email address is not valid.".to_owned()))?;
    let now = state.clock.now();
    let mut tx = state.begin_write().await?;
    // The decision first: of two approvals at once only one gets past this, and only it
    // creates the city and invites the mayor.
    let won = crate::db::transition(
        &mut tx,
        id,
        ApplicationStatus::Pending,
        ApplicationStatus::Approved,
        now,
        Some(staff.id),
    )
    .await?;
    if !won {
        drop(tx);
        return already_decided(&ctx, id).await;
    }
    let Some(city) = member_city(&mut tx, now, &staff, &app).await? else {
        // Another application for the same city was approved at the same moment
        // (PostgreSQL; SQLite takes write transactions one at a time).
        drop(tx);
        ctx.flash(format!(
            "{} became a member city a moment ago through another application. Approve this one again to use that city.",
            app.city()
        ))
        .await?;
        return Ok(web::see_other(&format!("/staff/applications/{id}")));
    };
    let (note, invited) =
        invite_mayor(&mut tx, state, &staff, &app, &mayor_email, &city, now).await?;
    sqlx::query("UPDATE applications SET city_id = $1 WHERE id = $2")
        .bind(city.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    // The applicant hears of it with the decision, or not at all (one transaction).
    let email = emails::ApplicationApproved {
        org_name: crate::web::identity::org_name_on(&mut tx, state).await?,
        contact_name: app.contact_name.clone(),
        city: app.city(),
        mayor_invited: invited.then(|| app.mayor_name.clone()),
    };
    notify::enqueue(&mut tx, state, &app.contact_email, &email).await?;
    tx.commit().await?;
    ctx.flash(format!(
        "{} is approved and is an active member city. {note}",
        city.label()
    ))
    .await?;
    Ok(web::see_other(&format!("/staff/applications/{id}")))
}

/// The city of an approved application as an active member: the existing city (active
/// again if it had lapsed), or a new one. `None` when another approval created it a moment
/// ago (PostgreSQL).
async fn member_city(
    tx: &mut sqlx::AnyConnection,
    now: i64,
    staff: &Person,
    app: &Row,
) -> sqlx::Result<Option<cities::City>> {
    if let Some(mut c) = existing_city(&mut *tx, &app.city_name, &app.state).await? {
        if c.status != CityStatus::Active {
            sqlx::query("UPDATE cities SET status = 'active' WHERE id = $1")
                .bind(c.id)
                .execute(&mut *tx)
                .await?;
            let detail = format!("{} → active (application approved)", c.status);
            audit::record(
                tx,
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
            c.status = CityStatus::Active;
        }
        return Ok(Some(c));
    }
    let today = cities::today(now);
    let city = cities::NewCity {
        name: &app.city_name,
        state: &app.state,
        population: app.population,
        website: "",
        status: CityStatus::Active,
        member_since: &today,
        renewal_date: None,
        time_zone: "",
    };
    cities::create_city(tx, now, staff.id, &city, "application approved").await
}

/// Invites the mayor of a newly approved city, unless the city has a mayor, the address an
/// account, or an invitation is waiting; says which, and whether this approval invited them.
async fn invite_mayor(
    tx: &mut sqlx::AnyConnection,
    state: &crate::state::AppState,
    staff: &Person,
    app: &Row,
    mayor_email: &EmailAddress,
    city: &cities::City,
    now: i64,
) -> AppResult<(String, bool)> {
    let has_mayor = cities::mayor_of(&mut *tx, city.id).await?;
    let has_account = people_db::find_by_email(&mut *tx, mayor_email.normalized())
        .await?
        .is_some();
    let invited = invitations::pending_for(&mut *tx, mayor_email.normalized(), now)
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
            mayor_email.entered()
        )
    } else if invited {
        format!(
            "An invitation to {} was already waiting.",
            mayor_email.entered()
        )
    } else {
        invitations::send(
            tx,
            state,
            staff,
            mayor_email,
            &app.mayor_name,
            Role::Mayor,
            Some(city),
        )
        .await?;
        return Ok((format!("The mayor, {}, is invited.", app.mayor_name), true));
    };
    Ok((note, false))
}

/// The decline form's one field: the message sent to the contact with the decision.
pub static FIELDS: Fields = Fields(&[Field {
    name: "message",
    label: "a message to the contact",
    max_len: 4000,
    required: true,
    lines: true,
}]);

#[derive(Deserialize)]
pub(super) struct DeclineForm {
    #[serde(default)]
    message: String,
}

pub(super) async fn decline(
    Staff(ctx, staff): Staff,
    Path(id): Path<i64>,
    Form(form): Form<DeclineForm>,
) -> AppResult<Response> {
    web::permit(policy::can_review_applications(&staff))?;
    let app = load(&ctx, id).await?;
    let state = &ctx.state;
    if app.status != ApplicationStatus::Pending {
        return already_decided(&ctx, id).await;
    }
    let mut check = FIELDS.check();
    let message = check.text("message", &form.message);
    if let Err(errors) = check.finish() {
        let kept = FIELDS.keep("message", &form.message);
        return show_page(&ctx, app, errors, kept).await;
    }
    let message = message.as_str();
    let now = state.clock.now();
    let mut tx = state.begin_write().await?;
    let won = crate::db::transition(
        &mut tx,
        id,
        ApplicationStatus::Pending,
        ApplicationStatus::Declined,
        now,
        Some(staff.id),
    )
    .await?;
    // A second click, or another staff member at the same moment: one decision, one email.
    if !won {
        drop(tx);
        return already_decided(&ctx, id).await;
    }
    sqlx::query("UPDATE applications SET decision_note = $1 WHERE id = $2")
        .bind(message)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let email = emails::ApplicationDeclined {
        org_name: crate::web::identity::org_name_on(&mut tx, state).await?,
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
