//! A cohort's overview page: what the cohort is, its facilitators, the person's membership,
//! and the summaries the other parts give (`cohorts::overview`).

use askama::Template;
use axum::response::Response;

use super::{SpaceNav, nav};
use crate::{
    cohorts::{
        Access, Cohort, Membership,
        directory::{self, Item, State},
        overview,
    },
    error::{AppError, AppResult},
    policy,
    text::markdown,
    viewer::Person,
    web::{self, Ctx, Layout, door::Outside},
};

#[derive(Template)]
#[template(path = "cohorts/show.html")]
struct ShowPage {
    layout: Layout,
    nav: SpaceNav,
    cohort: Cohort,
    description: String,
    membership: Option<Membership>,
    facilitators: Vec<Person>,
    sections: overview::Sections,
}

/// A cohort seen from outside: what it is, who leads it, how many are in it, when it next
/// meets, and the Join or Request button; nothing of its space.
#[derive(Template)]
#[template(path = "cohorts/outside.html")]
struct OutsidePage {
    layout: Layout,
    cohort: Cohort,
    description: String,
    facilitators: Vec<Person>,
    item: Item,
    /// The date and time of the next session, in the reader's zone, or empty.
    next_session: String,
}

/// The cohort's page: its space's overview for the people who may enter it, the page from
/// outside for the members who may only see it (the door gives everyone else a 404).
pub(super) async fn show(Outside(ctx, person, access): Outside<Access>) -> AppResult<Response> {
    if policy::can_enter_cohort(&person, access.standing) {
        inside(ctx, person, access).await
    } else {
        outside(ctx, person, access).await
    }
}

/// The description (stored rendered) and the active facilitators of a cohort.
async fn about(ctx: &Ctx, cohort: &Cohort) -> AppResult<(String, Vec<Person>)> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT description_html FROM cohorts WHERE id = $1")
            .bind(cohort.id)
            .fetch_one(&ctx.state.pool)
            .await?;
    let description = markdown::stored_or_render(stored, &cohort.description);
    let facilitators = sqlx::query_as::<_, Person>(crate::select_people!(
        "JOIN cohort_members m ON m.person_id = p.id \
         WHERE m.cohort_id = $1 AND m.role = 'facilitator' AND p.active = 1 ORDER BY p.name"
    ))
    .bind(cohort.id)
    .fetch_all(&ctx.state.pool)
    .await?;
    Ok((description, facilitators))
}

async fn outside(ctx: Ctx, person: Person, access: Access) -> AppResult<Response> {
    let item = directory::item_of(&ctx.state, &person, access.cohort.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (description, facilitators) = about(&ctx, &access.cohort).await?;
    let mut layout = ctx.layout().await;
    let next_session = crate::cohorts::sessions::next_three(
        &ctx.state.pool,
        &layout.zone,
        access.cohort.id,
        ctx.state.clock.now(),
    )
    .await?
    .into_iter()
    .next()
    .map(|s| s.when)
    .unwrap_or_default();
    layout.meta.title = access.cohort.name.clone();
    Ok(web::render(&OutsidePage {
        layout,
        description,
        facilitators,
        item,
        next_session,
        cohort: access.cohort,
    }))
}

async fn inside(ctx: Ctx, person: Person, access: Access) -> AppResult<Response> {
    let nav = nav(&ctx.state, &person, &access, "overview").await?;
    let (description, facilitators) = about(&ctx, &access.cohort).await?;
    let layout = ctx.layout().await;
    let sections = overview::sections(&ctx.state, &layout, &person, &access).await?;
    let mut layout = layout;
    layout.meta.title = access.cohort.name.clone();
    Ok(web::render(&ShowPage {
        layout,
        nav,
        description,
        membership: access.membership.clone(),
        facilitators,
        sections,
        cohort: access.cohort,
    }))
}
