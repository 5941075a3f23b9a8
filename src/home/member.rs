//! The member home: where a mayor or advisor lands after log-in. Their city and its
//! membership, the city's people, and a panel for each member area, which each area fills.

use askama::Template;
use axum::response::Response;

use crate::{
    accounts::Person,
    error::{AppError, AppResult},
    members::cities::{self, City},
    policy,
    web::{self, Layout, SignedIn},
};

/// One member area's panel on the home page.
pub struct Panel {
    /// The heading, also the `id` stem of the section.
    pub title: &'static str,
    pub id: &'static str,
    /// What the area holds for this person now, or what is coming.
    pub lines: Vec<String>,
    /// The way into the area, once it exists.
    pub link: Option<(&'static str, &'static str)>,
}

/// The member areas, each with what it offers this person today. Each area's issue replaces
/// its "coming" panel with one of its own.
fn panels(_person: &Person) -> Vec<Panel> {
    let coming = |title, id, text: &str| Panel {
        title,
        id,
        lines: vec![text.to_owned()],
        link: None,
    };
    vec![
        coming(
            "Cohorts & networks",
            "cohorts",
            "Small groups of mayors and advisors working on one theme for a season: discussion, resources and sessions. Coming soon to the portal.",
        ),
        coming(
            "Annual meeting",
            "meeting",
            "Registration for the next annual meeting will open here.",
        ),
        coming(
            "Technical assistance",
            "assistance",
            "Ask our staff for help on a project and follow your request to its resolution. Coming soon to the portal.",
        ),
        coming(
            "Publications",
            "publications",
            "Reports, briefs and toolkits shared with member cities will be listed here.",
        ),
    ]
}

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
    let page = MemberHome {
        layout,
        can_invite: policy::can_invite_anyone(&person),
        panels: panels(&person),
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
