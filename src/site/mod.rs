//! What staff say on the public front besides news: the home page's statement and the
//! testimonials.

use askama::Template;
use axum::{
    Router,
    extract::Path,
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;
use sqlx::AnyPool;

use crate::{
    error::{AppError, AppResult},
    policy,
    state::AppState,
    web::{self, Ctx, FormErrors, Layout, Staff, form::Form},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/site", get(show))
        .route("/staff/site/statement", post(save_statement))
        .route("/staff/testimonials", post(add_testimonial))
        .route("/staff/testimonials/{id}", post(update_testimonial))
        .route("/staff/testimonials/{id}/delete", post(delete_testimonial))
}

pub const DEFAULT_BODY: &str = "Mayors of cities large and small, and their most trusted advisors, learn from each other \
here: what worked, what did not, and what to try next. Member cities meet in cohorts, gather at the annual meeting, and \
ask our staff for help when they need it.";

pub async fn setting(pool: &AnyPool, key: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await
}

pub async fn set_setting(pool: &AnyPool, key: &str, value: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(pool)
        .await?;
    Ok(())
}

/// The home page's statement: a heading and a paragraph.
pub async fn statement(state: &AppState) -> sqlx::Result<(String, String)> {
    let heading = setting(&state.pool, "home.heading")
        .await?
        .unwrap_or_else(|| state.config.org_tagline.clone());
    let body = setting(&state.pool, "home.body")
        .await?
        .unwrap_or_else(|| DEFAULT_BODY.to_owned());
    Ok((heading, body))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Testimonial {
    pub id: i64,
    pub quote: String,
    pub name: String,
    pub title: String,
    pub city: String,
    pub active: i64,
}

/// The newest active testimonial, for the home page.
pub async fn featured_testimonial(pool: &AnyPool) -> sqlx::Result<Option<Testimonial>> {
    sqlx::query_as::<_, Testimonial>(
        "SELECT id, quote, name, title, city, active FROM testimonials WHERE active = 1 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await
}

pub async fn add(pool: &AnyPool, t: &TestimonialForm, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("INSERT INTO testimonials (quote, name, title, city, active, created_at) VALUES ($1, $2, $3, $4, 1, $5) RETURNING id")
        .bind(t.quote.trim())
        .bind(t.name.trim())
        .bind(t.title.trim())
        .bind(t.city.trim())
        .bind(now)
        .fetch_one(pool)
        .await
}

#[derive(Template)]
#[template(path = "site/show.html")]
struct SitePage {
    layout: Layout,
    heading: String,
    body: String,
    testimonials: Vec<Testimonial>,
    new: TestimonialForm,
    errors: FormErrors,
}

async fn page(
    ctx: &Ctx,
    heading: Option<String>,
    body: Option<String>,
    new: TestimonialForm,
    errors: FormErrors,
) -> AppResult<Response> {
    let (h, b) = statement(&ctx.state).await?;
    let testimonials = sqlx::query_as::<_, Testimonial>("SELECT id, quote, name, title, city, active FROM testimonials ORDER BY created_at DESC, id DESC")
        .fetch_all(&ctx.state.pool)
        .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = SitePage {
        layout: ctx.layout().await,
        heading: heading.unwrap_or(h),
        body: body.unwrap_or(b),
        testimonials,
        new,
        errors,
    };
    let r = web::render_status(status, &page);
    Ok(r)
}

async fn show(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    page(
        &ctx,
        None,
        None,
        TestimonialForm::default(),
        FormErrors::default(),
    )
    .await
}

#[derive(Deserialize)]
struct StatementForm {
    #[serde(default)]
    heading: String,
    #[serde(default)]
    body: String,
}

async fn save_statement(
    Staff(ctx, person): Staff,
    Form(form): Form<StatementForm>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let mut errors = FormErrors::default();
    if form.heading.trim().is_empty() || form.heading.chars().count() > 120 {
        errors.add("heading", "Enter a heading of at most 120 characters.");
    }
    if form.body.trim().is_empty() || form.body.chars().count() > 1000 {
        errors.add("body", "Enter a paragraph of at most 1,000 characters.");
    }
    if !errors.is_empty() {
        let h: String = form.heading.chars().take(200).collect();
        let b: String = form.body.chars().take(2000).collect();
        return page(&ctx, Some(h), Some(b), TestimonialForm::default(), errors).await;
    }
    set_setting(&ctx.state.pool, "home.heading", form.heading.trim()).await?;
    set_setting(&ctx.state.pool, "home.body", form.body.trim()).await?;
    ctx.flash("The home page's statement is saved.").await?;
    Ok(web::see_other("/staff/site"))
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct TestimonialForm {
    #[serde(default)]
    pub quote: String,
    #[serde(default, alias = "t_name")]
    pub name: String,
    #[serde(default, alias = "t_title")]
    pub title: String,
    #[serde(default, alias = "t_city")]
    pub city: String,
    #[serde(default)]
    pub active: String,
}

impl TestimonialForm {
    fn check(&self) -> FormErrors {
        let mut errors = FormErrors::default();
        if self.quote.trim().is_empty() || self.quote.chars().count() > 600 {
            errors.add("quote", "Enter the quote, at most 600 characters.");
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 120 {
            errors.add("t_name", "Enter who said it, at most 120 characters.");
        }
        if self.title.chars().count() > 120 {
            errors.add("t_title", "A title has at most 120 characters.");
        }
        if self.city.chars().count() > 120 {
            errors.add("t_city", "A city has at most 120 characters.");
        }
        errors
    }
}

async fn add_testimonial(
    Staff(ctx, person): Staff,
    Form(form): Form<TestimonialForm>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let errors = form.check();
    if !errors.is_empty() {
        let mut kept = form.clone();
        kept.quote = kept.quote.chars().take(1000).collect();
        kept.name = kept.name.chars().take(200).collect();
        kept.title = kept.title.chars().take(200).collect();
        kept.city = kept.city.chars().take(200).collect();
        return page(&ctx, None, None, kept, errors).await;
    }
    add(&ctx.state.pool, &form, ctx.state.clock.now()).await?;
    ctx.flash("The testimonial is added; the newest shown one appears on the home page.")
        .await?;
    Ok(web::see_other("/staff/site"))
}

async fn update_testimonial(
    Staff(ctx, person): Staff,
    Path(id): Path<i64>,
    Form(form): Form<TestimonialForm>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let errors = form.check();
    if !errors.is_empty() {
        return page(&ctx, None, None, TestimonialForm::default(), errors).await;
    }
    let done = sqlx::query("UPDATE testimonials SET quote = $1, name = $2, title = $3, city = $4, active = $5 WHERE id = $6")
        .bind(form.quote.trim())
        .bind(form.name.trim())
        .bind(form.title.trim())
        .bind(form.city.trim())
        .bind(i64::from(form.active == "1"))
        .bind(id)
        .execute(&ctx.state.pool)
        .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::NotFound);
    }
    ctx.flash("The testimonial is saved.").await?;
    Ok(web::see_other("/staff/site"))
}

async fn delete_testimonial(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    sqlx::query("DELETE FROM testimonials WHERE id = $1")
        .bind(id)
        .execute(&ctx.state.pool)
        .await?;
    ctx.flash("The testimonial is deleted.").await?;
    Ok(web::see_other("/staff/site"))
}
