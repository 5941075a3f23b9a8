//! A city's staff contact: the staff member its people ask (about renewal, help, what is
//! coming), named per city by staff on the city's page; the organization's contact when
//! none is named, or when the one named is no longer active staff.

use axum::{Router, extract::Path, response::Response, routing::post};
use serde::Deserialize;
use sqlx::AnyPool;

use crate::{
    audit,
    error::{AppError, AppResult},
    policy,
    state::AppState,
    web::{self, Staff, form::Form},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/staff/cities/{id}/contact", post(update))
}

/// Whom a city's people ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffContact {
    /// The staff member's name, or the organization's.
    pub name: String,
    /// Their email; empty when the organization has none set (`/staff/site`).
    pub email: String,
    /// A staff member named for the city (not the organization).
    pub named: bool,
}

impl StaffContact {
    pub fn mailto(&self) -> String {
        format!("mailto:{}", self.email)
    }
    pub fn has_email(&self) -> bool {
        !self.email.is_empty()
    }
}

/// The staff member named for the city, while they are active staff.
async fn named(pool: &AnyPool, city_id: i64) -> sqlx::Result<Option<(i64, String, String)>> {
    sqlx::query_as(
        "SELECT p.id, p.name, p.email FROM cities c JOIN people p ON p.id = c.staff_contact_id \
         WHERE c.id = $1 AND p.role = 'staff' AND p.active = 1",
    )
    .bind(city_id)
    .fetch_optional(pool)
    .await
}

/// The city's staff contact, else the organization (its name and the contact email staff
/// set at `/staff/site`). `None` city: the organization's.
pub async fn of_city(
    pool: &AnyPool,
    city_id: Option<i64>,
    org_name: &str,
    org_email: &str,
) -> sqlx::Result<StaffContact> {
    if let Some(city_id) = city_id
        && let Some((_, name, email)) = named(pool, city_id).await?
    {
        return Ok(StaffContact {
            name,
            email,
            named: true,
        });
    }
    Ok(StaffContact {
        name: org_name.to_owned(),
        email: org_email.to_owned(),
        named: false,
    })
}

/// The choice on the city's page: every active staff member, and which one is named.
pub struct Choice {
    pub staff: Vec<(i64, String, String)>,
    pub chosen: Option<i64>,
}

impl Choice {
    pub fn is_chosen(&self, id: &i64) -> bool {
        self.chosen == Some(*id)
    }
}

pub async fn choice(pool: &AnyPool, city_id: i64) -> sqlx::Result<Choice> {
    let staff = sqlx::query_as(
        "SELECT id, name, email FROM people WHERE role = 'staff' AND active = 1 ORDER BY name, id",
    )
    .fetch_all(pool)
    .await?;
    let chosen = named(pool, city_id).await?.map(|(id, _, _)| id);
    Ok(Choice { staff, chosen })
}

#[derive(Debug, Default, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    staff_contact: String,
}

/// Names the city's staff contact (empty: none, the organization's contact).
async fn update(
    Staff(ctx, actor): Staff,
    Path(id): Path<i64>,
    Form(form): Form<ContactForm>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_cities(&actor))?;
    let pool = &ctx.state.pool;
    let city: Option<String> = sqlx::query_scalar("SELECT name FROM cities WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    let city = city.ok_or(AppError::NotFound)?;
    let chosen = match form.staff_contact.trim() {
        "" => None,
        value => {
            let staff_id: i64 = value.parse().map_err(|_| not_offered())?;
            let name: Option<String> = sqlx::query_scalar(
                "SELECT name FROM people WHERE id = $1 AND role = 'staff' AND active = 1",
            )
            .bind(staff_id)
            .fetch_optional(pool)
            .await?;
            Some((staff_id, name.ok_or_else(not_offered)?))
        }
    };
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    sqlx::query("UPDATE cities SET staff_contact_id = $1 WHERE id = $2")
        .bind(chosen.as_ref().map(|(staff_id, _)| *staff_id))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let detail = chosen
        .as_ref()
        .map_or("the organization's contact", |(_, name)| name.as_str());
    audit::record(
        &mut tx,
        now,
        actor.id,
        "named the staff contact",
        audit::Subject {
            city_id: Some(id),
            detail,
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    ctx.flash(match &chosen {
        Some((_, name)) => format!("{name} is the staff contact of {city}."),
        None => format!(
            "{city} has no staff contact of its own: its people see the organization's contact."
        ),
    })
    .await?;
    Ok(web::see_other(&format!("/staff/cities/{id}")))
}

fn not_offered() -> AppError {
    AppError::BadRequest("Choose a staff member from the list.".to_owned())
}
