//! The home page.

use askama::Template;
use axum::{Router, response::Response, routing::get};

use crate::{
    error::AppResult,
    state::AppState,
    web::{self, Ctx, Layout},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(show))
}

#[derive(Template)]
#[template(path = "home/show.html")]
struct HomePage {
    layout: Layout,
}

async fn show(ctx: Ctx) -> AppResult<Response> {
    Ok(web::render(&HomePage {
        layout: ctx.layout().await,
    }))
}
