//! The home pages: the public one (the organization's statement, the latest news as cards, a
//! testimonial, the call to become a member city) and the member home (`member`).

pub mod member;

use askama::Template;
use axum::{
    Router,
    response::Response,
    routing::{get, post},
};

use crate::{
    error::AppResult,
    news::{self, Card},
    site::{self, Testimonial},
    state::AppState,
    web::{self, Ctx, Layout},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(show))
        .route_layer(axum::middleware::from_fn(
            crate::web::headers::public_when_anonymous,
        ))
        // After the layer: the member home is never cached.
        .route("/home", get(member::show))
        .route("/home/checklist/dismiss", post(member::dismiss_checklist))
}

#[derive(Template)]
#[template(path = "home/show.html")]
struct HomePage {
    layout: Layout,
    heading: String,
    body: String,
    lead: Option<Card>,
    cards: Vec<Card>,
    testimonial: Option<Testimonial>,
    /// The next annual meeting, once announced.
    meeting: Option<crate::meetings::Meeting>,
    /// The newest publications the reader may read (the public's, logged out).
    publications: Vec<crate::publications::Publication>,
}

async fn show(ctx: Ctx) -> AppResult<Response> {
    let state = &ctx.state;
    let (heading, body) = site::statement(state).await?;
    let mut cards = news::latest(&state.pool, state.clock.now(), ctx.person.as_ref(), 7).await?;
    let lead = if cards.is_empty() {
        None
    } else {
        Some(cards.remove(0))
    };
    let testimonial = site::featured_testimonial(&state.pool).await?;
    let meeting =
        crate::meetings::next(&mut *state.pool.acquire().await?, state.clock.now()).await?;
    let publications = crate::publications::home::newest(state, ctx.person.as_ref(), 3).await?;
    let mut layout = ctx.layout().await;
    layout.meta.description = body.clone();
    // The statement's heading is the tagline until staff write their own: said once, there.
    if heading.trim() == layout.tagline.trim() {
        layout.tagline.clear();
    }
    layout.meta.image = lead
        .as_ref()
        .and_then(|c| c.cover.as_ref())
        .map(|c| format!("{}{}", state.config.base(), c.src(1600)));
    Ok(web::render(&HomePage {
        layout,
        heading,
        body,
        lead,
        cards,
        testimonial,
        meeting,
        publications,
    }))
}
