//! The staff area: the dashboard from which staff run the network.

use askama::Template;
use axum::{Router, response::Response, routing::get};

use crate::{
    accounts::{Person, db},
    error::AppResult,
    state::AppState,
    web::{self, Layout, Staff},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/staff", get(dashboard))
}

#[derive(Template)]
#[template(path = "staff/dashboard.html")]
struct Dashboard {
    layout: Layout,
    staff: Vec<Person>,
}

async fn dashboard(Staff(ctx, _): Staff) -> AppResult<Response> {
    let staff = db::list_staff(&ctx.state.pool).await?;
    Ok(web::render(&Dashboard {
        layout: ctx.layout().await,
        staff,
    }))
}
