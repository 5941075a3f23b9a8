//! The member home: where a mayor or advisor lands after log-in. Their city and its
//! membership, the city's people, and a panel for each member area, which each area fills
//! (`crate::areas`).

use askama::Template;
use axum::response::Response;

use crate::{
    accounts::Person,
    error::{AppError, AppResult},
    members::cities::{self, City},
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
    people: Vec<Person>,
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

/// `/home`: members see their city and the member areas; staff have their own desk.
pub async fn show(SignedIn(ctx, person): SignedIn) -> AppResult<Response> {
    if policy::can_use_staff_area(&person) {
        return Ok(web::see_other("/staff"));
    }
    let city_id = person.city_id.ok_or(AppError::NotFound)?;
    let pool = &ctx.state.pool;
    let city = cities::find(pool, city_id).await?;
    let people = sqlx::query_as::<_, Person>(crate::select_people!(
        "WHERE p.city_id = $1 AND p.active = 1 \
         ORDER BY CASE p.role WHEN 'mayor' THEN 0 ELSE 1 END, p.name"
    ))
    .bind(city_id)
    .fetch_all(pool)
    .await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = "Member home".to_owned();
    // A lapsed city's people: the areas are described, nothing of them is read.
    let panels = crate::areas::panels(&ctx.state, &layout, &person).await?;
    let page = MemberHome {
        layout,
        can_invite: policy::can_invite_anyone(&person),
        panels,
        person,
        city,
        people,
    };
    Ok(web::render(&page))
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
