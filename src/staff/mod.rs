//! The staff area: the dashboard from which staff run the network.

use askama::Template;
use axum::{Router, response::Response, routing::get};

use crate::{
    accounts::{Person, db},
    error::{AppError, AppResult},
    policy,
    state::AppState,
    web::{self, Ctx, Layout},
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

async fn dashboard(ctx: Ctx) -> AppResult<Response> {
    let person = ctx.require_person()?;
    if !policy::can_use_staff_area(person) {
        // Private things answer as if absent.
        return Err(AppError::NotFound);
    }
    let staff = db::list_staff(&ctx.state.pool).await?;
    Ok(web::render(&Dashboard {
        layout: ctx.layout().await,
        staff,
    }))
}
