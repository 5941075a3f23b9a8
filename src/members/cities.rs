//! Member cities: staff create and edit them and change their membership status.

use askama::Template;
use axum::{Router, extract::Path, http::StatusCode, response::Response, routing::get};
use serde::Deserialize;
use sqlx::AnyPool;

use super::STATES;
use crate::{
    accounts::Person,
    audit,
    error::{AppError, AppResult, is_unique_violation},
    policy,
    state::AppState,
    time::{self as zones, Zone},
    web::{self, Ctx, FormErrors, Layout, Staff, form::Form},
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
    pub status: String,
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
        if self.status == "active" {
            "Active"
        } else {
            "Lapsed"
        }
    }
}

/// 12345 -> "12,345"
pub fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

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

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    state: String,
    population: i64,
    status: String,
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
}

async fn list(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_manage_cities(&person))?;
    let cities = sqlx::query_as::<_, Row>(
        "SELECT c.id, c.name, c.state, c.population, c.status, c.member_since, c.renewal_date, \
           (SELECT m.name FROM people m WHERE m.city_id = c.id AND m.role = 'mayor' AND m.active = 1) AS mayor, \
           (SELECT COUNT(*) FROM people q WHERE q.city_id = c.id AND q.active = 1) AS people \
         FROM cities c ORDER BY c.name, c.state",
    )
    .fetch_all(&ctx.state.pool)
    .await?;
    Ok(web::render(&ListPage {
        layout: ctx.layout().await,
        cities,
    }))
}

#[derive(Template)]
#[template(path = "members/city.html")]
struct ShowPage {
    layout: Layout,
    city: City,
    people: Vec<Person>,
    /// The organization's zone, which a city without its own uses.
    default_zone: String,
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
        default_zone: ctx.state.config.time_zone.clone(),
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

struct CityInput {
    name: String,
    state: String,
    population: i64,
    website: String,
    status: &'static str,
    member_since: String,
    renewal_date: Option<String>,
    /// An IANA zone name, or empty for the organization's.
    time_zone: String,
}

/// A date as entered, like 2024-01-31: `None` when it cannot be read, `Some(Err)` when its
/// year is outside the sensible range.
fn parse_date(s: &str) -> Option<Result<String, ()>> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s.trim(), &format).ok()?;
    if !web::YEARS.contains(&d.year()) {
        return Some(Err(()));
    }
    Some(Ok(d.format(&format).unwrap_or_default()))
}

impl CityForm {
    fn from_city(c: &City) -> Self {
        CityForm {
            name: c.name.clone(),
            state: c.state.clone(),
            population: c.population.to_string(),
            website: c.website.clone(),
            status: c.status.clone(),
            member_since: c.member_since.clone(),
            renewal_date: c.renewal_date.clone().unwrap_or_default(),
            time_zone: c.time_zone.clone(),
        }
    }

    fn check(&self) -> Result<CityInput, FormErrors> {
        let mut errors = FormErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            errors.add("name", "Enter the city's name.");
        } else if name.chars().count() > 120 {
            errors.add("name", "A city's name has at most 120 characters.");
        }
        if !STATES.iter().any(|(code, _)| *code == self.state) {
            errors.add("state", "Choose the state.");
        }
        let digits: String = self
            .population
            .chars()
            .filter(|c| !matches!(c, ',' | ' ' | '_'))
            .collect();
        let population = match digits.parse::<i64>() {
            Ok(n) if (1..=50_000_000).contains(&n) => n,
            _ if digits.is_empty() => {
                errors.add("population", "Enter the population.");
                0
            }
            _ => {
                errors.add(
                    "population",
                    "Enter the population as a whole number, like 30,000.",
                );
                0
            }
        };
        let mut website = self.website.trim().to_owned();
        if !website.is_empty()
            && !website.starts_with("http://")
            && !website.starts_with("https://")
        {
            website = format!("https://{website}");
        }
        if website.len() > 300
            || website.chars().any(char::is_whitespace)
            || (!website.is_empty()
                && !website.split("://").nth(1).is_some_and(|h| h.contains('.')))
        {
            errors.add(
                "website",
                "Enter the website's address, like https://www.city.gov.",
            );
        }
        let status = match self.status.as_str() {
            "active" => "active",
            "lapsed" => "lapsed",
            _ => {
                errors.add("status", "Choose the membership status.");
                "active"
            }
        };
        let member_since = match parse_date(&self.member_since) {
            Some(Ok(d)) => Some(d),
            Some(Err(())) => {
                errors.add(
                    "member_since",
                    web::years_message("the date the city joined"),
                );
                None
            }
            None => {
                errors.add(
                    "member_since",
                    "Enter the date the city joined, like 2024-01-31.",
                );
                None
            }
        };
        let renewal_date = if self.renewal_date.trim().is_empty() {
            None
        } else {
            match parse_date(&self.renewal_date) {
                Some(Ok(d)) => Some(d),
                Some(Err(())) => {
                    errors.add("renewal_date", web::years_message("the renewal date"));
                    None
                }
                None => {
                    errors.add(
                        "renewal_date",
                        "Enter the renewal date like 2027-01-31, or leave it empty.",
                    );
                    None
                }
            }
        };
        let time_zone = match self.time_zone.trim() {
            "" => String::new(),
            name => match Zone::parse(name) {
                Ok(zone) => zone.name().to_owned(),
                Err(message) => {
                    errors.add("time_zone", message);
                    String::new()
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CityInput {
            name: name.to_owned(),
            state: self.state.clone(),
            population,
            website,
            status,
            member_since: member_since.unwrap_or_default(),
            renewal_date,
            time_zone,
        })
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
}

impl FormPage {
    /// The zones people in member cities look for first.
    fn common_zones(&self) -> &'static [(&'static str, &'static str)] {
        &zones::COMMON_ZONES
    }

    /// Every other zone, after the common ones.
    fn all_zones(&self) -> Vec<String> {
        let mut all = zones::all_zone_names();
        all.retain(|n| !zones::COMMON_ZONES.iter().any(|(c, _)| c == n));
        all
    }

    fn is_chosen(&self, name: &str) -> bool {
        self.form.time_zone == name
    }
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
        default_zone: ctx.state.config.time_zone.clone(),
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
        default_zone: ctx.state.config.time_zone.clone(),
    }))
}

async fn form_again(
    ctx: &Ctx,
    city_id: Option<i64>,
    form: CityForm,
    errors: FormErrors,
) -> Response {
    let r = web::render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &FormPage {
            layout: ctx.layout().await,
            city_id,
            form,
            errors,
            states: STATES,
            default_zone: ctx.state.config.time_zone.clone(),
        },
    );
    r
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
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO cities (name, state, population, website, status, member_since, renewal_date, created_at, time_zone) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(&input.name)
    .bind(&input.state)
    .bind(input.population)
    .bind(&input.website)
    .bind(input.status)
    .bind(&input.member_since)
    .bind(&input.renewal_date)
    .bind(now)
    .bind(&input.time_zone)
    .fetch_one(&mut *tx)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            return Ok(form_again(&ctx, None, form, duplicate(&input)).await);
        }
        Err(e) => return Err(e.into()),
    };
    let detail = format!("{}, {} ({})", input.name, input.state, input.status);
    audit::record(
        &mut tx,
        now,
        actor.id,
        "created city",
        audit::Subject {
            city_id: Some(id),
            detail: &detail,
            ..Default::default()
        },
    )
    .await?;
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
