//! The member home: where a mayor or advisor lands after log-in. It leads with what needs the
//! person now (each source registered in `crate::areas::NOW`) and whom to ask (the city's
//! staff contact), then the first steps' checklist until done or dismissed; the city, its
//! membership and people, and a panel for each member area (`crate::areas`) come below.

use askama::Template;
use axum::response::Response;

use crate::{
    accounts::Person,
    areas,
    error::{AppError, AppResult},
    members::{
        cities::{self, City},
        contact::{self, StaffContact},
    },
    policy,
    web::{self, Layout, SignedIn},
};

use crate::web::shared::Panel;

#[derive(Template)]
#[template(path = "home/member.html")]
struct MemberHome {
    layout: Layout,
    person: Person,
    city: Option<City>,
    /// For a lapsed city: the day its membership lapsed, when known (ISO date).
    lapsed_on: Option<String>,
    people: Vec<Person>,
    /// What needs the person now, each part holding something.
    now: Vec<Panel>,
    contact: StaffContact,
    checklist: Option<Checklist>,
    panels: Vec<Panel>,
    can_invite: bool,
}

impl MemberHome {
    fn lapsed(&self) -> bool {
        self.city
            .as_ref()
            .is_some_and(|c| c.status != crate::policy::CityStatus::Active)
    }
}

/// The first steps, shown until each is done or the person dismisses them.
pub struct Checklist {
    pub steps: Vec<Step>,
}

/// One first step: where it is done, and whether it is.
pub struct Step {
    pub id: &'static str,
    pub label: &'static str,
    pub href: &'static str,
    pub done: bool,
    /// Where the person stands: "Times are shown in Eastern time …", "You are not yet listed."
    pub state: String,
}

#[derive(sqlx::FromRow)]
struct FirstSteps {
    listed: crate::db::Flag,
    listing_chosen_at: Option<i64>,
    zone_chosen_at: Option<i64>,
    checklist_dismissed_at: Option<i64>,
}

/// The checklist of this person, or `None` once every step is done or it is dismissed.
async fn checklist(
    ctx: &web::Ctx,
    layout: &Layout,
    person: &Person,
) -> AppResult<Option<Checklist>> {
    let first = sqlx::query_as::<_, FirstSteps>(
        "SELECT listed, listing_chosen_at, zone_chosen_at, checklist_dismissed_at \
         FROM people WHERE id = $1",
    )
    .bind(person.id)
    .fetch_one(&ctx.state.pool)
    .await?;
    if first.checklist_dismissed_at.is_some() {
        return Ok(None);
    }
    let now = ctx.state.clock.now();
    let zone = &layout.zone;
    let steps = vec![
        Step {
            id: "zone",
            label: "Choose your time zone",
            href: "/account#time-zone-heading",
            done: first.zone_chosen_at.is_some(),
            state: format!("Times are shown in {}, {}.", zone.spoken(now), zone.name()),
        },
        Step {
            id: "listing",
            label: "Choose whether to be listed in the members' directory",
            href: "/account#listing-heading",
            done: first.listing_chosen_at.is_some(),
            state: crate::accounts::account::listing_state(
                first.listed.get(),
                first.listing_chosen_at.is_some(),
            )
            .to_owned(),
        },
        Step {
            id: "title",
            label: "Add your title",
            href: "/account#profile-heading",
            done: !person.title.is_empty(),
            state: if person.title.is_empty() {
                "No title yet: people see your name and city only.".to_owned()
            } else {
                format!("Your title: {}.", person.title)
            },
        },
    ];
    Ok((!steps.iter().all(|s| s.done)).then_some(Checklist { steps }))
}

/// `/home`: members see what needs them now, their city and the member areas; staff have
/// their own desk.
pub async fn show(SignedIn(ctx, person): SignedIn) -> AppResult<Response> {
    if policy::can_use_staff_area(&person) {
        return Ok(web::see_other("/staff"));
    }
    let city_id = person.city_id.ok_or(AppError::NotFound)?;
    let pool = &ctx.state.pool;
    let city = cities::find(pool, city_id).await?;
    let lapsed_on = match &city {
        Some(c) if c.status != policy::CityStatus::Active => {
            cities::lapsed_on(pool, c, ctx.state.clock.now()).await?
        }
        _ => None,
    };
    let people = sqlx::query_as::<_, Person>(crate::select_people!(
        "WHERE p.city_id = $1 AND p.active = 1 \
         ORDER BY CASE p.role WHEN 'mayor' THEN 0 ELSE 1 END, p.name"
    ))
    .bind(city_id)
    .fetch_all(pool)
    .await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = "Member home".to_owned();
    let contact = contact::of_city(
        pool,
        Some(city_id),
        &layout.org_name,
        &layout.identity.email,
    )
    .await?;
    let home = areas::Home {
        state: &ctx.state,
        layout: &layout,
        person: &person,
        contact: &contact,
    };
    // A lapsed city's people: the areas are described, nothing of them is read.
    let now = areas::now(&home).await?;
    let panels = areas::panels(&home).await?;
    let checklist = checklist(&ctx, &layout, &person).await?;
    let page = MemberHome {
        layout,
        can_invite: policy::can_invite_advisors(&person),
        now,
        contact,
        checklist,
        panels,
        person,
        city,
        lapsed_on,
        people,
    };
    Ok(web::render(&page))
}

/// Dismisses the first steps' checklist for good (what it lists stays on the account page).
pub async fn dismiss_checklist(SignedIn(ctx, person): SignedIn) -> AppResult<Response> {
    sqlx::query(
        "UPDATE people SET checklist_dismissed_at = $1 \
         WHERE id = $2 AND checklist_dismissed_at IS NULL",
    )
    .bind(ctx.state.clock.now())
    .bind(person.id)
    .execute(&ctx.state.pool)
    .await?;
    ctx.flash("The checklist is dismissed. Your time zone, directory listing and title stay on your account page.")
        .await?;
    Ok(web::see_other(landing(&person)))
}

/// Where a person lands after log-in when no page asked for them: members at home, staff
/// at their desk.
pub fn landing(person: &Person) -> &'static str {
    if policy::can_use_staff_area(person) {
        "/staff"
    } else {
        "/home"
    }
}
