//! Member cities: staff create and edit them and change their membership status.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query},
    response::Response,
    routing::get,
};
use serde::Deserialize;
use sqlx::AnyPool;

use super::STATES;
use crate::{
    accounts::Person,
    audit,
    error::{AppError, AppResult, is_unique_violation},
    policy::{self, CityStatus},
    state::AppState,
    text::WebUrl,
    time::Zone,
    web::{
        self, Ctx, FormErrors, Layout, Staff,
        form::{self, Check, Field, Fields, Form},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/cities", get(list).post(create))
        .route("/staff/cities/new", get(new_form))
        .route("/staff/cities/{id}", get(show).post(update))
        .route("/staff/cities/{id}/edit", get(edit_form))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct City {
    pub id: i64,
    pub name: String,
    pub state: String,
    pub population: i64,
    pub website: String,
    pub status: CityStatus,
    pub member_since: String,
    pub renewal_date: Option<String>,
    /// The IANA zone of the city, its people's default; empty: the organization's.
    pub time_zone: String,
}

impl City {
    pub fn label(&self) -> String {
        format!("{}, {}", self.name, self.state)
    }
    pub fn population_text(&self) -> String {
        group_thousands(self.population)
    }
    /// The zone its people read and enter times in, unless they chose their own.
    pub fn zone(&self, default: &Zone) -> Zone {
        if self.time_zone.is_empty() {
            default.clone()
        } else {
            Zone::of_stored(Some(&self.time_zone))
        }
    }
    pub fn status_label(&self) -> &'static str {
        self.status.label()
    }
}

pub use crate::web::group_thousands;

/// A SELECT of cities as `City`; the argument is the rest of the query (WHERE, ORDER BY …).
#[macro_export]
macro_rules! select_cities {
    ($rest:literal) => {
        concat!("SELECT id, name, state, population, website, status, member_since, renewal_date, time_zone FROM cities ", $rest)
    };
}

pub async fn find(pool: &AnyPool, id: i64) -> sqlx::Result<Option<City>> {
    sqlx::query_as::<_, City>(crate::select_cities!("WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn all(pool: &AnyPool) -> sqlx::Result<Vec<City>> {
    sqlx::query_as::<_, City>(crate::select_cities!("ORDER BY name, state"))
        .fetch_all(pool)
        .await
}

/// The day a lapsed city's membership lapsed (ISO date), when known: its renewal date once
/// that has passed, else the day staff marked it lapsed (the audit log's latest change of
/// status to lapsed, its UTC date). Never a renewal date still to come.
pub async fn lapsed_on(pool: &AnyPool, city: &City, now: i64) -> sqlx::Result<Option<String>> {
    if let Some(renewal) = &city.renewal_date
        && renewal.as_str() <= today(now).as_str()
    {
        return Ok(Some(renewal.clone()));
    }
    let marked: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(at) FROM audit_log WHERE city_id = $1 AND action = 'changed city status' \
         AND detail LIKE '%→ lapsed'",
    )
    .bind(city.id)
    .fetch_one(pool)
    .await?;
    Ok(marked.map(crate::time::utc_date))
}

/// The active mayor of a city, if any.
pub async fn mayor_of(
    conn: &mut sqlx::AnyConnection,
    city_id: i64,
) -> sqlx::Result<Option<Person>> {
    sqlx::query_as::<_, Person>(crate::select_people!(
        "WHERE p.city_id = $1 AND p.role = 'mayor' AND p.active = 1"
    ))
    .bind(city_id)
    .fetch_optional(conn)
    .await
}

/// A city to add to the members.
pub struct NewCity<'a> {
    pub name: &'a str,
    pub state: &'a str,
    pub population: i64,
    pub website: &'a str,
    pub status: CityStatus,
    pub member_since: &'a str,
    pub renewal_date: Option<&'a str>,
    /// IANA name; empty: the organization's.
    pub time_zone: &'a str,
}

/// Adds a member city, recording in the audit log who did it and why (`note`: "active",
/// "application approved"). The one insert of a city: the city form, the approval of an
/// application and `portal demo` all come here. `None` when a city of that name and state
/// exists already; on PostgreSQL the transaction can then only be rolled back.
pub async fn create_city(
    conn: &mut sqlx::AnyConnection,
    now: i64,
    actor_id: i64,
    city: &NewCity<'_>,
    note: &str,
) -> sqlx::Result<Option<City>> {
    // A city without a zone of its own takes its state's, where the state has one zone.
    let time_zone = match city.time_zone {
        "" => crate::time::zone_of_state(city.state).unwrap_or(""),
        chosen => chosen,
    };
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO cities (name, state, population, website, status, member_since, renewal_date, created_at, time_zone) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(city.name)
    .bind(city.state)
    .bind(city.population)
    .bind(city.website)
    .bind(city.status)
    .bind(city.member_since)
    .bind(city.renewal_date)
    .bind(now)
    .bind(time_zone)
    .fetch_one(&mut *conn)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let detail = format!("{}, {} ({note})", city.name, city.state);
    audit::record(
        conn,
        now,
        actor_id,
        "created city",
        audit::Subject {
            city_id: Some(id),
            detail: &detail,
            ..Default::default()
        },
    )
    .await?;
    Ok(Some(City {
        id,
        name: city.name.to_owned(),
        state: city.state.to_owned(),
        population: city.population,
        website: city.website.to_owned(),
        status: city.status,
        member_since: city.member_since.to_owned(),
        renewal_date: city.renewal_date.map(str::to_owned),
        time_zone: time_zone.to_owned(),
    }))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    state: String,
    population: i64,
    status: CityStatus,
    member_since: String,
    renewal_date: Option<String>,
    mayor: Option<String>,
    people: i64,
}

impl Row {
    fn population_text(&self) -> String {
        group_thousands(self.population)
    }
}

#[derive(Template)]
#[template(path = "members/cities.html")]
struct ListPage {
    layout: Layout,
    cities: Vec<Row>,
    /// When the list shows only the cities lapsing within this many days.
    lapsing: Option<i64>,
}

#[derive(Deserialize)]
struct ListQuery {
    /// Only the active cities whose renewal date falls within this many days (or has passed).
    lapsing: Option<i64>,
}

/// The longest "lapsing within" window the list takes, in days.
const MAX_LAPSING_DAYS: i64 = 366;

/// SQL condition: when `$1` is 1, only the active cities (`c`) whose renewal date is on or
/// before `$2` (an ISO date), overdue ones included: they lapse unless renewed. The list and
/// the desk's count.
macro_rules! lapsing {
    () => {
        "($1 = 0 OR (c.status = 'active' AND c.renewal_date IS NOT NULL AND c.renewal_date <> '' \
          AND c.renewal_date <= $2))"
    };
}

/// The last renewal date that counts as lapsing within `days` of `now`: a date in the
/// organization's zone, as renewal dates are written.
fn lapsing_horizon(state: &AppState, now: i64, days: i64) -> String {
    state.config.time_zone.iso_date(now + days * 86_400)
}

/// How many active cities' renewal dates fall within `days` of now (or have passed), as
/// `/staff/cities?lapsing=<days>` lists them.
pub async fn lapsing_count(state: &AppState, days: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(concat!("SELECT COUNT(*) FROM cities c WHERE ", lapsing!()))
        .bind(1_i64)
        .bind(lapsing_horizon(state, state.clock.now(), days))
        .fetch_one(&state.pool)
        .await
}

async fn list(Staff(ctx, person): Staff, Query(q): Query<ListQuery>) -> AppResult<Response> {
    web::permit(policy::can_manage_cities(&person))?;
    let lapsing = match q.lapsing {
        None => None,
        Some(days @ 0..=MAX_LAPSING_DAYS) => Some(days),
        Some(_) => {
            return Err(AppError::BadRequest(format!(
                "Ask for the cities lapsing within 0 to {MAX_LAPSING_DAYS} days."
            )));
        }
    };
    let horizon = lapsing_horizon(&ctx.state, ctx.state.clock.now(), lapsing.unwrap_or(0));
    let cities = sqlx::query_as::<_, Row>(concat!(
        "SELECT c.id, c.name, c.state, c.population, c.status, c.member_since, c.renewal_date, \
           (SELECT m.name FROM people m WHERE m.city_id = c.id AND m.role = 'mayor' AND m.active = 1) AS mayor, \
           (SELECT COUNT(*) FROM people q WHERE q.city_id = c.id AND q.active = 1) AS people \
         FROM cities c WHERE ",
        lapsing!(),
        " ORDER BY c.name, c.state"
    ))
    .bind(i64::from(lapsing.is_some()))
    .bind(horizon)
    .fetch_all(&ctx.state.pool)
    .await?;
    Ok(web::render(&ListPage {
        layout: ctx.layout().await,
        cities,
        lapsing,
    }))
}

#[derive(Template)]
#[template(path = "members/city.html")]
struct ShowPage {
    layout: Layout,
    city: City,
    people: Vec<Person>,
    /// Invitations to the city not accepted yet (the mayor's, after an approval).
    invitations: Vec<super::invitations::Invitation>,
    /// The organization's zone, which a city without its own uses.
    default_zone: String,
    /// The staff members one may name the city's contact, and the one named.
    contact: super::contact::Choice,
}

async fn show(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_manage_cities(&person))?;
    let city = find(&ctx.state.pool, id).await?.ok_or(AppError::NotFound)?;
    let people = sqlx::query_as::<_, Person>(crate::select_people!(
        "WHERE p.city_id = $1 ORDER BY CASE p.role WHEN 'mayor' THEN 0 ELSE 1 END, p.active DESC, p.name"
    ))
    .bind(id)
    .fetch_all(&ctx.state.pool)
    .await?;
    Ok(web::render(&ShowPage {
        layout: ctx.layout().await,
        city,
        people,
        invitations: super::invitations::waiting_for_city(
            &ctx.state.pool,
            id,
            ctx.state.clock.now(),
        )
        .await?,
        default_zone: ctx.state.config.time_zone.name().to_owned(),
        contact: super::contact::choice(&ctx.state.pool, id).await?,
    }))
}

/// The city form as entered, kept to show again with messages.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct CityForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    population: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    member_since: String,
    #[serde(default)]
    renewal_date: String,
    #[serde(default)]
    time_zone: String,
}

/// The city form's text fields.
pub static FIELDS: Fields = Fields(&[
    Field {
        name: "name",
        label: "the city's name",
        max_len: 120,
        required: true,
        lines: false,
    },
    Field {
        name: "website",
        label: "the website's address",
        max_len: 300,
        required: false,
        lines: false,
    },
]);

struct CityInput {
    name: String,
    state: String,
    population: i64,
    website: String,
    status: CityStatus,
    member_since: String,
    renewal_date: Option<String>,
    /// An IANA zone name, or empty for the organization's.
    time_zone: String,
}

impl CityInput {
    fn new_city(&self) -> NewCity<'_> {
        NewCity {
            name: &self.name,
            state: &self.state,
            population: self.population,
            website: &self.website,
            status: self.status,
            member_since: &self.member_since,
            renewal_date: self.renewal_date.as_deref(),
            time_zone: &self.time_zone,
        }
    }
}

impl CityForm {
    fn from_city(c: &City) -> Self {
        CityForm {
            name: c.name.clone(),
            state: c.state.clone(),
            population: c.population.to_string(),
            website: c.website.clone(),
            status: c.status.as_str().to_owned(),
            member_since: c.member_since.clone(),
            renewal_date: c.renewal_date.clone().unwrap_or_default(),
            time_zone: c.time_zone.clone(),
        }
    }

    /// What goes back into the form with its messages.
    fn kept(&self) -> CityForm {
        CityForm {
            name: FIELDS.keep("name", &self.name),
            website: FIELDS.keep("website", &self.website),
            population: self.population.chars().take(40).collect(),
            member_since: self.member_since.chars().take(40).collect(),
            renewal_date: self.renewal_date.chars().take(40).collect(),
            ..self.clone()
        }
    }

    fn check(&self) -> Result<CityInput, FormErrors> {
        let mut check = FIELDS.check();
        let name = check.text("name", &self.name);
        if !STATES.iter().any(|(code, _)| *code == self.state) {
            check.add("state", "Choose the state.");
        }
        let population = if self.population.trim().is_empty() {
            check.add("population", "Enter the population.");
            None
        } else {
            check.number(
                "population",
                &self.population,
                1..=50_000_000,
                "Enter the population as a whole number, like 30,000.",
            )
        };
        let website = self.read_website(&mut check);
        let status = CityStatus::parse(&self.status);
        if status.is_none() {
            check.add("status", "Choose the membership status.");
        }
        let member_since = check.date(
            "member_since",
            &self.member_since,
            true,
            "the date the city joined",
            "Enter the date the city joined, like 2024-01-31.",
        );
        let renewal_date = check.date(
            "renewal_date",
            &self.renewal_date,
            false,
            "the renewal date",
            "Enter the renewal date like 2027-01-31, or leave it empty.",
        );
        let time_zone = self.read_time_zone(&mut check);
        check.finish()?;
        Ok(CityInput {
            name,
            state: self.state.clone(),
            population: population.unwrap_or_default(),
            website,
            status: status.unwrap_or(CityStatus::Active),
            member_since: member_since.unwrap_or_default(),
            renewal_date,
            time_zone,
        })
    }

    /// The website as a browser reads it: "www.city.gov" is read as https://www.city.gov, and
    /// a city's website has a domain name.
    fn read_website(&self, check: &mut Check) -> String {
        let website = check.text("website", &self.website);
        let parsed = WebUrl::parse(&website).or_else(|e| {
            if website.contains("://") {
                Err(e)
            } else {
                WebUrl::parse(&format!("https://{website}"))
            }
        });
        match parsed {
            Ok(url) if url.host().contains('.') => url.as_str().to_owned(),
            _ => {
                if !website.is_empty() && !check.has("website") {
                    check.add(
                        "website",
                        "Enter the website's address, like https://www.city.gov.",
                    );
                }
                website
            }
        }
    }

    /// The city's time zone: the one chosen, or its state's when the state has one zone (a
    /// state that spans several asks).
    fn read_time_zone(&self, check: &mut Check) -> String {
        match self.time_zone.trim() {
            "" => match crate::time::zone_of_state(&self.state) {
                Some(zone) => zone.to_owned(),
                None => {
                    if let Some((_, state)) = STATES.iter().find(|(code, _)| *code == self.state) {
                        check.add(
                            "time_zone",
                            format!("{state} spans several time zones: choose the city's."),
                        );
                    }
                    String::new()
                }
            },
            name => match Zone::parse(name) {
                Ok(zone) => zone.name().to_owned(),
                Err(message) => {
                    check.add("time_zone", message);
                    String::new()
                }
            },
        }
    }
}

#[derive(Template)]
#[template(path = "members/city_form.html")]
struct FormPage {
    layout: Layout,
    /// None for a new city.
    city_id: Option<i64>,
    form: CityForm,
    errors: FormErrors,
    states: &'static [(&'static str, &'static str)],
    /// The organization's zone, for the choice that leaves the city without its own.
    default_zone: String,
    fields: &'static Fields,
}

/// Today's date in UTC, as a city's `member_since`.
pub fn today(now: i64) -> String {
    crate::time::utc_date(now)
}

async fn new_form(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_manage_cities(&person))?;
    let layout = ctx.layout().await;
    let form = CityForm {
        status: "active".to_owned(),
        // Today where the staff member is.
        member_since: layout.zone.iso_date(ctx.state.clock.now()),
        ..CityForm::default()
    };
    Ok(web::render(&FormPage {
        layout,
        city_id: None,
        form,
        errors: FormErrors::default(),
        states: STATES,
        default_zone: ctx.state.config.time_zone.name().to_owned(),
        fields: &FIELDS,
    }))
}

async fn edit_form(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_manage_cities(&person))?;
    let city = find(&ctx.state.pool, id).await?.ok_or(AppError::NotFound)?;
    let form = CityForm::from_city(&city);
    Ok(web::render(&FormPage {
        layout: ctx.layout().await,
        city_id: Some(id),
        form,
        errors: FormErrors::default(),
        states: STATES,
        default_zone: ctx.state.config.time_zone.name().to_owned(),
        fields: &FIELDS,
    }))
}

async fn form_again(
    ctx: &Ctx,
    city_id: Option<i64>,
    form: CityForm,
    errors: FormErrors,
) -> Response {
    form::again(&FormPage {
        layout: ctx.layout().await,
        city_id,
        form: form.kept(),
        errors,
        states: STATES,
        default_zone: ctx.state.config.time_zone.name().to_owned(),
        fields: &FIELDS,
    })
}

fn duplicate(input: &CityInput) -> FormErrors {
    let mut errors = FormErrors::default();
    errors.add(
        "name",
        format!(
            "{}, {} is already in the list of cities.",
            input.name, input.state
        ),
    );
    errors
}

async fn create(Staff(ctx, actor): Staff, Form(form): Form<CityForm>) -> AppResult<Response> {
    web::permit(policy::can_manage_cities(&actor))?;
    let input = match form.check() {
        Ok(i) => i,
        Err(errors) => return Ok(form_again(&ctx, None, form, errors).await),
    };
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let note = input.status.as_str();
    let Some(City { id, .. }) =
        create_city(&mut tx, now, actor.id, &input.new_city(), note).await?
    else {
        drop(tx);
        return Ok(form_again(&ctx, None, form, duplicate(&input)).await);
    };
    tx.commit().await?;
    ctx.flash(format!(
        "{}, {} is now a member city.",
        input.name, input.state
    ))
    .await?;
    Ok(web::see_other(&format!("/staff/cities/{id}")))
}

async fn update(
    Staff(ctx, actor): Staff,
    Path(id): Path<i64>,
    Form(form): Form<CityForm>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_cities(&actor))?;
    let before = find(&ctx.state.pool, id).await?.ok_or(AppError::NotFound)?;
    let input = match form.check() {
        Ok(i) => i,
        Err(errors) => return Ok(form_again(&ctx, Some(id), form, errors).await),
    };
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let updated = sqlx::query(
        "UPDATE cities SET name = $1, state = $2, population = $3, website = $4, status = $5, member_since = $6, \
         renewal_date = $7, time_zone = $9 WHERE id = $8",
    )
    .bind(&input.name)
    .bind(&input.state)
    .bind(input.population)
    .bind(&input.website)
    .bind(input.status)
    .bind(&input.member_since)
    .bind(&input.renewal_date)
    .bind(id)
    .bind(&input.time_zone)
    .execute(&mut *tx)
    .await;
    match updated {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            return Ok(form_again(&ctx, Some(id), form, duplicate(&input)).await);
        }
        Err(e) => return Err(e.into()),
    }
    if before.status != input.status {
        let detail = format!("{} → {}", before.status, input.status);
        audit::record(
            &mut tx,
            now,
            actor.id,
            "changed city status",
            audit::Subject {
                city_id: Some(id),
                detail: &detail,
                ..Default::default()
            },
        )
        .await?;
    }
    audit::record(
        &mut tx,
        now,
        actor.id,
        "updated city",
        audit::Subject {
            city_id: Some(id),
            detail: "",
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    ctx.flash(format!("{}, {} is saved.", input.name, input.state))
        .await?;
    Ok(web::see_other(&format!("/staff/cities/{id}")))
}
