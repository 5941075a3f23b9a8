//! The public member directory: active member cities by state.

use askama::Template;
use axum::{Router, response::Response, routing::get};

use super::{STATES, cities::City};
use crate::{
    error::AppResult,
    state::AppState,
    web::{self, Ctx, Layout},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/members", get(show))
        .route_layer(axum::middleware::from_fn(
            crate::web::headers::public_when_anonymous,
        ))
}

pub struct StateGroup {
    pub name: &'static str,
    pub cities: Vec<City>,
}

#[derive(Template)]
#[template(path = "members/directory.html")]
struct DirectoryPage {
    layout: Layout,
    groups: Vec<StateGroup>,
    total: usize,
}

async fn show(ctx: Ctx) -> AppResult<Response> {
    let cities = sqlx::query_as::<_, City>(crate::select_cities!(
        "WHERE status = 'active' ORDER BY name"
    ))
    .fetch_all(&ctx.state.pool)
    .await?;
    let total = cities.len();
    let mut groups: Vec<StateGroup> = STATES
        .iter()
        .map(|(code, name)| StateGroup {
            name,
            cities: cities
                .iter()
                .filter(|c| c.state == *code)
                .cloned()
                .collect(),
        })
        .filter(|g| !g.cities.is_empty())
        .collect();
    groups.sort_by_key(|g| g.name);
    let mut layout = ctx.layout().await;
    layout.meta.title = "Member Cities".to_owned();
    layout.meta.description = format!(
        "The {total} member cities of {}, by state.",
        layout.org_name
    );
    Ok(web::render(&DirectoryPage {
        layout,
        groups,
        total,
    }))
}
