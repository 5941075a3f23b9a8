//! People: staff list and search everyone and change roles and cities; a mayor sees the
//! city's people; staff and mayors deactivate and reactivate as the policy allows.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query},
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;

use super::cities::{self, City};
use crate::{
    accounts::{Person, db as people_db, sessions},
    audit,
    error::{AppError, AppResult, is_unique_violation},
    policy::{self, Role},
    state::AppState,
    web::{self, Ctx, Layout, SignedIn, form::Form},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/people", get(list))
        .route("/people/{id}", get(show))
        .route(
            "/people/{id}/deactivate",
            get(deactivate_form).post(deactivate),
        )
        .route("/people/{id}/reactivate", post(reactivate))
        .route("/people/{id}/role", post(change_role))
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    q: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    city: String,
}

#[derive(Template)]
#[template(path = "members/people.html")]
struct ListPage {
    layout: Layout,
    people: Vec<Person>,
    q: String,
    role: String,
    city: i64,
    /// Staff filter by city; a mayor sees only the one city.
    cities: Vec<City>,
    is_staff: bool,
    heading: String,
    truncated: bool,
}

const LIMIT: i64 = 200;

/// `%` and `_` typed by a person are literal characters, not wildcards.
fn like_pattern(q: &str) -> String {
    let escaped = q
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

async fn list(SignedIn(ctx, viewer): SignedIn, Query(f): Query<Filters>) -> AppResult<Response> {
    web::permit(policy::can_list_people(&viewer))?;
    let is_staff = policy::can_use_staff_area(&viewer);
    let q: String = f.q.chars().take(200).collect();
    let role = Role::parse(&f.role)
        .map(|r| r.as_str().to_owned())
        .unwrap_or_default();
    // A mayor's list is the city's, whatever the query says.
    let city = if is_staff {
        f.city.parse::<i64>().unwrap_or(0)
    } else {
        viewer.city_id.unwrap_or(-1)
    };
    let mut people = sqlx::query_as::<_, Person>(crate::select_people!(
        "WHERE ($1 = '' OR lower(p.name) LIKE $2 ESCAPE '\\' OR lower(p.email) LIKE $2 ESCAPE '\\') \
         AND ($3 = '' OR p.role = $3) AND ($4 = 0 OR p.city_id = $4) \
         ORDER BY p.active DESC, p.name, p.id LIMIT $5"
    ))
    .bind(q.trim())
    .bind(like_pattern(&q))
    .bind(&role)
    .bind(city)
    .bind(LIMIT + 1)
    .fetch_all(&ctx.state.pool)
    .await?;
    let truncated = people.len() as i64 > LIMIT;
    people.truncate(LIMIT as usize);
    let cities = if is_staff {
        cities::all(&ctx.state.pool).await?
    } else {
        Vec::new()
    };
    let heading = if is_staff {
        "People".to_owned()
    } else {
        format!("People of {}", viewer.city_label())
    };
    Ok(web::render(&ListPage {
        layout: ctx.layout().await,
        people,
        q,
        role,
        city,
        cities,
        is_staff,
        heading,
        truncated,
    }))
}

#[derive(Template)]
#[template(path = "members/person.html")]
struct ShowPage {
    layout: Layout,
    person: Person,
    can_set_active: bool,
    can_change_role: bool,
    cities: Vec<City>,
    roles: [Role; 3],
}

/// The person, if the viewer may see them; otherwise the same 404 as for nobody.
async fn visible(ctx: &Ctx, viewer: &Person, id: i64) -> AppResult<Person> {
    let person = people_db::find(&ctx.state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !policy::can_see_person(viewer, &person) {
        return Err(AppError::NotFound);
    }
    Ok(person)
}

async fn show(SignedIn(ctx, viewer): SignedIn, Path(id): Path<i64>) -> AppResult<Response> {
    let person = visible(&ctx, &viewer, id).await?;
    let can_change_role = policy::can_change_role_or_city(&viewer, &person);
    let cities = if can_change_role {
        cities::all(&ctx.state.pool).await?
    } else {
        Vec::new()
    };
    let page = ShowPage {
        layout: ctx.layout().await,
        can_set_active: policy::can_set_active(&viewer, &person),
        can_change_role,
        person,
        cities,
        roles: Role::ALL,
    };
    Ok(web::render(&page))
}

async fn set_active(ctx: Ctx, actor: Person, id: i64, active: bool) -> AppResult<Response> {
    let person = visible(&ctx, &actor, id).await?;
    web::permit(policy::can_set_active(&actor, &person))?;
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    if active
        && person.role == Role::Mayor
        && let Some(city_id) = person.city_id
        && let Some(other) = cities::mayor_of(&mut tx, city_id).await?
        && other.id != person.id
    {
        drop(tx);
        ctx.flash(format!(
            "{} cannot be reactivated as mayor while {} is the mayor. Change one of their roles first.",
            person.name, other.name
        ))
        .await?;
        return Ok(web::see_other(&format!("/people/{id}")));
    }
    // Guarded: a second click (or a second staff member) changes nothing and writes no
    // second audit entry.
    let changed = sqlx::query("UPDATE people SET active = $1 WHERE id = $2 AND active <> $1")
        .bind(i64::from(active))
        .bind(id)
        .execute(&mut *tx)
        .await;
    let changed = match changed {
        Ok(done) => done.rows_affected() == 1,
        // Another mayor of the city was made or reactivated at the same moment.
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            ctx.flash(format!(
                "{} cannot be reactivated as mayor while the city has another mayor. Change one of their roles first.",
                person.name
            ))
            .await?;
            return Ok(web::see_other(&format!("/people/{id}")));
        }
        Err(e) => return Err(e.into()),
    };
    if !changed {
        drop(tx);
        let message = if active {
            format!("{} can already log in.", person.name)
        } else {
            format!("{} is already deactivated.", person.name)
        };
        ctx.flash(message).await?;
        return Ok(web::see_other(&format!("/people/{id}")));
    }
    if !active {
        // Every session of the person ends at once, on every instance.
        sessions::end_all_for_person(&mut tx, id, None).await?;
    }
    let action = if active { "reactivated" } else { "deactivated" };
    audit::record(
        &mut tx,
        now,
        actor.id,
        action,
        audit::Subject {
            person_id: Some(id),
            city_id: person.city_id,
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    let message = if active {
        format!("{} can log in again.", person.name)
    } else {
        format!("{} is deactivated and logged out everywhere.", person.name)
    };
    ctx.flash(message).await?;
    Ok(web::see_other(&format!("/people/{id}")))
}

/// The question before a person is deactivated; someone already deactivated is said so on
/// their page instead.
async fn deactivate_form(
    SignedIn(ctx, actor): SignedIn,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let person = visible(&ctx, &actor, id).await?;
    web::permit(policy::can_set_active(&actor, &person))?;
    if !person.is_active() {
        ctx.flash(format!("{} is already deactivated.", person.name))
            .await?;
        return Ok(web::see_other(&format!("/people/{id}")));
    }
    let of = match person.city_label() {
        city if city.is_empty() => person.role_label().to_owned(),
        city => format!("{}, {city}", person.role_label()),
    };
    Ok(web::confirm::Confirm {
        layout: ctx.layout().await,
        title: format!("Deactivate: {}", person.name),
        heading: format!("Deactivate {}?", person.name),
        explanation: format!(
            "{} ({of}, {}) is logged out everywhere at once and cannot log in until reactivated. Nothing they wrote is deleted.",
            person.name, person.email
        ),
        action: format!("/people/{id}/deactivate"),
        button: format!("Deactivate {}", person.name),
        back: format!("/people/{id}"),
        back_label: "Keep them active".to_owned(),
        crumb: None,
        detail: None,
        note: None,
    }
    .render())
}

async fn deactivate(SignedIn(ctx, actor): SignedIn, Path(id): Path<i64>) -> AppResult<Response> {
    set_active(ctx, actor, id, false).await
}

async fn reactivate(SignedIn(ctx, actor): SignedIn, Path(id): Path<i64>) -> AppResult<Response> {
    set_active(ctx, actor, id, true).await
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    city_id: String,
}

/// Changes role and city together. Making someone mayor hands the role over: the city's
/// current mayor becomes an advisor.
async fn change_role(
    SignedIn(ctx, actor): SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<RoleForm>,
) -> AppResult<Response> {
    let person = visible(&ctx, &actor, id).await?;
    web::permit(policy::can_change_role_or_city(&actor, &person))?;
    let back = format!("/people/{id}");
    let (role, city) = match chosen_role_and_city(&ctx, &person, &form).await? {
        Ok(chosen) => chosen,
        Err(problem) => {
            ctx.flash(problem).await?;
            return Ok(web::see_other(&back));
        }
    };
    let city_id = city.as_ref().map(|c| c.id);
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let mut message = format!(
        "{} is now {}{}.",
        person.name,
        role.phrase(),
        city.as_ref()
            .map(|c| format!(" of {}", c.label()))
            .unwrap_or_default()
    );
    if role == Role::Mayor
        && let Some(c) = &city
        && let Some(previous) = hand_over_mayor(&mut tx, now, &actor, c, &person).await?
    {
        message.push_str(&format!(" {previous} is now an advisor."));
    }
    let moved = sqlx::query("UPDATE people SET role = $1, city_id = $2 WHERE id = $3")
        .bind(role.as_str())
        .bind(city_id)
        .bind(id)
        .execute(&mut *tx)
        .await;
    match moved {
        Ok(_) => {}
        // The city got another mayor at the same moment (PostgreSQL; SQLite takes write
        // transactions one at a time).
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            ctx.flash(format!(
                "{} got another mayor a moment ago; nothing was changed. Look at the city and try again.",
                city.as_ref().map(City::label).unwrap_or_default()
            ))
            .await?;
            return Ok(web::see_other(&back));
        }
        Err(e) => return Err(e.into()),
    }
    record_role_and_city(&mut tx, now, &actor, &person, role, city.as_ref()).await?;
    tx.commit().await?;
    ctx.flash(message).await?;
    Ok(web::see_other(&back))
}

/// The role and city the form asks for, or the message saying what is missing.
async fn chosen_role_and_city(
    ctx: &Ctx,
    person: &Person,
    form: &RoleForm,
) -> AppResult<Result<(Role, Option<City>), String>> {
    let Some(role) = Role::parse(&form.role) else {
        return Ok(Err("Choose a role.".to_owned()));
    };
    if !role.needs_city() {
        return Ok(Ok((role, None)));
    }
    match form.city_id.parse::<i64>().ok() {
        Some(city_id) => match cities::find(&ctx.state.pool, city_id).await? {
            Some(c) => Ok(Ok((role, Some(c)))),
            None => Err(AppError::BadRequest("There is no such city.".to_owned())),
        },
        None => Ok(Err(format!(
            "Choose the city of {} {}.",
            role.label().to_lowercase(),
            person.name
        ))),
    }
}

/// Makes the city's present mayor, if another person, an advisor; returns their name.
async fn hand_over_mayor(
    tx: &mut sqlx::AnyConnection,
    now: i64,
    actor: &Person,
    city: &City,
    person: &Person,
) -> AppResult<Option<String>> {
    let Some(previous) = cities::mayor_of(&mut *tx, city.id).await? else {
        return Ok(None);
    };
    if previous.id == person.id {
        return Ok(None);
    }
    sqlx::query("UPDATE people SET role = 'advisor' WHERE id = $1")
        .bind(previous.id)
        .execute(&mut *tx)
        .await?;
    let detail = format!("mayor role of {} handed to {}", city.label(), person.name);
    audit::record(
        tx,
        now,
        actor.id,
        "changed role",
        audit::Subject {
            person_id: Some(previous.id),
            city_id: Some(city.id),
            detail: &detail,
        },
    )
    .await?;
    Ok(Some(previous.name))
}

/// The audit lines of a change of role and of city, each only when it changed.
async fn record_role_and_city(
    tx: &mut sqlx::AnyConnection,
    now: i64,
    actor: &Person,
    person: &Person,
    role: Role,
    city: Option<&City>,
) -> AppResult<()> {
    let city_id = city.map(|c| c.id);
    if person.role != role {
        let detail = format!("{} → {}", person.role, role.as_str());
        audit::record(
            &mut *tx,
            now,
            actor.id,
            "changed role",
            audit::Subject {
                person_id: Some(person.id),
                city_id,
                detail: &detail,
            },
        )
        .await?;
    }
    if person.city_id != city_id {
        let detail = format!(
            "from {} to {}",
            or_none(&person.city_label()),
            city.map(City::label)
                .unwrap_or_else(|| "no city".to_owned())
        );
        audit::record(
            tx,
            now,
            actor.id,
            "moved to city",
            audit::Subject {
                person_id: Some(person.id),
                city_id,
                detail: &detail,
            },
        )
        .await?;
    }
    Ok(())
}

fn or_none(s: &str) -> String {
    if s.is_empty() {
        "no city".to_owned()
    } else {
        s.to_owned()
    }
}
