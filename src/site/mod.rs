//! What staff say on the public front besides news: the home page's statement and the
//! testimonials.

use askama::Template;
use axum::{
    Router,
    extract::Path,
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;
use sqlx::AnyPool;

use crate::{
    error::{AppError, AppResult},
    policy,
    state::AppState,
    web::{
        self, Ctx, FormErrors, Layout, Staff,
        form::{self, Field, Fields, Form},
    },
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
    fields: &'static Fields,
}

/// The text fields of the home page's forms: the statement, and a testimonial (whose fields
/// are named `t_…` in the form that adds one, as the statement's fields are named alike).
pub static FIELDS: Fields = Fields(&[
    Field {
        name: "heading",
        label: "the heading",
        max_len: 120,
        required: true,
    },
    Field {
        name: "body",
        label: "the paragraph",
        max_len: 1000,
        required: true,
    },
    Field {
        name: "quote",
        label: "the quote",
        max_len: 600,
        required: true,
    },
    Field {
        name: "t_name",
        label: "who said it",
        max_len: 120,
        required: true,
    },
    Field {
        name: "t_title",
        label: "their title",
        max_len: 120,
        required: false,
    },
    Field {
        name: "t_city",
        label: "their city",
        max_len: 120,
        required: false,
    },
]);

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
    let failed = !errors.is_empty();
    let page = SitePage {
        layout: ctx.layout().await,
        heading: heading.unwrap_or(h),
        body: body.unwrap_or(b),
        testimonials,
        new,
        errors,
        fields: &FIELDS,
    };
    Ok(if failed {
        form::again(&page)
    } else {
        web::render(&page)
    })
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
    let mut check = FIELDS.check(&[]);
    let heading = check.text("heading", &form.heading);
    let body = check.text("body", &form.body);
    if let Err(errors) = check.finish() {
        let h = FIELDS.keep("heading", &form.heading);
        let b = FIELDS.keep("body", &form.body);
        return page(&ctx, Some(h), Some(b), TestimonialForm::default(), errors).await;
    }
    set_setting(&ctx.state.pool, "home.heading", &heading).await?;
    set_setting(&ctx.state.pool, "home.body", &body).await?;
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
        let mut check = FIELDS.check(&[]);
        check.text("quote", &self.quote);
        check.text("t_name", &self.name);
        check.text("t_title", &self.title);
        check.text("t_city", &self.city);
        check.errors
    }
}

async fn add_testimonial(
    Staff(ctx, person): Staff,
    Form(form): Form<TestimonialForm>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let errors = form.check();
    if !errors.is_empty() {
        let kept = TestimonialForm {
            quote: FIELDS.keep("quote", &form.quote),
            name: FIELDS.keep("t_name", &form.name),
            title: FIELDS.keep("t_title", &form.title),
            city: FIELDS.keep("t_city", &form.city),
            active: form.active.clone(),
        };
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
