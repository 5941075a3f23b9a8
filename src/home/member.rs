//! The member home: where a mayor or advisor lands after log-in. Their city and its
//! membership, the city's people, and a panel for each member area, which each area fills.

use askama::Template;
use axum::response::Response;

use crate::{
    accounts::Person,
    error::{AppError, AppResult},
    members::cities::{self, City},
    policy,
    state::AppState,
    web::{self, Layout, SignedIn},
};

/// One member area's panel on the home page.
pub struct Panel {
    /// The heading, also the `id` stem of the section.
    pub title: &'static str,
    pub id: &'static str,
    /// What the area holds for this person now, or what is coming.
    pub lines: Vec<String>,
    /// Things of the area for this person (their cohorts, …), each a link with a note.
    pub items: Vec<PanelItem>,
    /// The way into the area, once it exists.
    pub link: Option<(&'static str, &'static str)>,
}

/// One thing in a panel: a link, and what is new about it.
pub struct PanelItem {
    pub href: String,
    pub label: String,
    pub notes: Vec<String>,
}

/// What the cohorts panel says when it has nothing of the person's to show.
const COHORTS_TEXT: &str = "Small groups of mayors and advisors working on one theme for a season: discussion, resources and sessions.";

/// The member areas, each with what it offers this person today (`cohorts`: the person's
/// cohorts panel; `None` for a lapsed city's people, to whom the areas are only described).
/// Each area's issue replaces its "coming" panel with one of its own.
fn panels(cohorts: Option<Panel>) -> Vec<Panel> {
    let coming = |title, id, text: &str| Panel {
        title,
        id,
        lines: vec![text.to_owned()],
        items: Vec::new(),
        link: None,
    };
    vec![
        cohorts.unwrap_or_else(|| coming("Cohorts & networks", "cohorts", COHORTS_TEXT)),
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

/// The person's cohorts, with what is new in each since their last visit and the next
/// session.
async fn cohorts_panel(state: &AppState, layout: &Layout, person: &Person) -> AppResult<Panel> {
    let mine = crate::cohorts::home::summary(state, layout, person).await?;
    let lines = if mine.is_empty() {
        vec![format!("{COHORTS_TEXT} You are in none yet.")]
    } else {
        Vec::new()
    };
    Ok(Panel {
        title: "Cohorts & networks",
        id: "cohorts",
        lines,
        items: mine
            .into_iter()
            .map(|c| PanelItem {
                href: c.href,
                label: c.name,
                notes: c.notes,
            })
            .collect(),
        link: Some(("/cohorts", "All cohorts")),
    })
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
    // A lapsed city's people: the areas are described, nothing of them is read.
    let panels = panels(if policy::can_use_member_areas(&person) {
        Some(cohorts_panel(&ctx.state, &layout, &person).await?)
    } else {
        None
    });
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
