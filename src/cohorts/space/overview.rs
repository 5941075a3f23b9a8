//! A cohort's overview page: what the cohort is, its facilitators, the person's membership,
//! and the summaries the other parts give (`cohorts::overview`).

use askama::Template;
use axum::response::Response;

use super::{SpaceNav, nav};
use crate::{
    cohorts::{Access, Cohort, Membership, overview},
    error::AppResult,
    text::markdown,
    viewer::Person,
    web::{self, Layout, door::Inside},
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

pub(super) async fn show(Inside(ctx, person, access): Inside<Access>) -> AppResult<Response> {
    let nav = nav(&ctx.state, &person, &access, "overview").await?;
    let stored: Option<String> =
        sqlx::query_scalar("SELECT description_html FROM cohorts WHERE id = $1")
            .bind(access.cohort.id)
            .fetch_one(&ctx.state.pool)
            .await?;
    let description = markdown::stored_or_render(stored, &access.cohort.description);
    let facilitators = sqlx::query_as::<_, Person>(crate::select_people!(
        "JOIN cohort_members m ON m.person_id = p.id \
         WHERE m.cohort_id = $1 AND m.role = 'facilitator' AND p.active = 1 ORDER BY p.name"
    ))
    .bind(access.cohort.id)
    .fetch_all(&ctx.state.pool)
    .await?;
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
