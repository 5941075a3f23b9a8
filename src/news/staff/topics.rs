//! The news topics: listed with their posts' counts, created, renamed and deleted by staff.

use askama::Template;
use axum::{extract::Path, response::Response};
use serde::Deserialize;

use crate::{
    error::{AppError, AppResult, is_unique_violation},
    policy,
    text::slug,
    web::{
        self, Ctx, FormErrors, Layout, Staff,
        form::{self, Field, Fields, Form},
    },
};

#[derive(sqlx::FromRow)]
struct TopicRow {
    id: i64,
    slug: String,
    name: String,
    posts: i64,
}

#[derive(Template)]
#[template(path = "news/staff_topics.html")]
struct TopicsPage {
    layout: Layout,
    topics: Vec<TopicRow>,
    name: String,
    errors: FormErrors,
    fields: &'static Fields,
}

/// The topic form's one field.
pub static TOPIC_FIELDS: Fields = Fields(&[Field {
    name: "name",
    label: "a topic name",
    max_len: 60,
    required: true,
    lines: false,
}]);

async fn topics_page(ctx: &Ctx, name: String, errors: FormErrors) -> AppResult<Response> {
    let topics = sqlx::query_as::<_, TopicRow>(
        "SELECT t.id, t.slug, t.name, (SELECT COUNT(*) FROM post_topics pt WHERE pt.topic_id = t.id) AS posts FROM topics t ORDER BY t.name",
    )
    .fetch_all(&ctx.state.pool)
    .await?;
    let failed = !errors.is_empty();
    let page = TopicsPage {
        layout: ctx.layout().await,
        topics,
        name: TOPIC_FIELDS.keep("name", &name),
        errors,
        fields: &TOPIC_FIELDS,
    };
    Ok(if failed {
        form::again(&page)
    } else {
        web::render(&page)
    })
}

pub(super) async fn topics(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    topics_page(&ctx, String::new(), FormErrors::default()).await
}

#[derive(Deserialize)]
pub(super) struct TopicForm {
    #[serde(default)]
    name: String,
}

fn check_topic(name: &str) -> Result<(String, String), FormErrors> {
    let mut check = TOPIC_FIELDS.check();
    let name = check.text("name", name);
    let slug = slug::slugify(&name);
    if !check.has("name") && slug.is_empty() {
        check.add("name", "Enter a topic name with letters or numbers.");
    }
    check.finish()?;
    Ok((name, slug))
}

pub(super) async fn create_topic(
    Staff(ctx, person): Staff,
    Form(form): Form<TopicForm>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let (name, slug) = match check_topic(&form.name) {
        Ok(v) => v,
        Err(errors) => {
            return topics_page(&ctx, form.name, errors).await;
        }
    };
    let inserted = sqlx::query("INSERT INTO topics (slug, name, created_at) VALUES ($1, $2, $3)")
        .bind(&slug)
        .bind(&name)
        .bind(ctx.state.clock.now())
        .execute(&ctx.state.pool)
        .await;
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            let mut errors = FormErrors::default();
            errors.add("name", format!("There is a topic called {name} already."));
            return topics_page(&ctx, name, errors).await;
        }
        Err(e) => return Err(e.into()),
    }
    ctx.flash(format!("The topic {name} is added.")).await?;
    Ok(web::see_other("/staff/topics"))
}

pub(super) async fn rename_topic(
    Staff(ctx, person): Staff,
    Path(id): Path<i64>,
    Form(form): Form<TopicForm>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let (name, slug) = match check_topic(&form.name) {
        Ok(v) => v,
        Err(errors) => return topics_page(&ctx, String::new(), errors).await,
    };
    let done = sqlx::query("UPDATE topics SET name = $1, slug = $2 WHERE id = $3")
        .bind(&name)
        .bind(&slug)
        .bind(id)
        .execute(&ctx.state.pool)
        .await;
    match done {
        Ok(d) if d.rows_affected() == 1 => {}
        Ok(_) => return Err(AppError::NotFound),
        Err(e) if is_unique_violation(&e) => {
            let mut errors = FormErrors::default();
            errors.add("name", format!("There is a topic called {name} already."));
            return topics_page(&ctx, String::new(), errors).await;
        }
        Err(e) => return Err(e.into()),
    }
    ctx.flash(format!("The topic is now called {name}."))
        .await?;
    Ok(web::see_other("/staff/topics"))
}

pub(super) async fn delete_topic(
    Staff(ctx, person): Staff,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let mut tx = ctx.state.begin_write().await?;
    sqlx::query("DELETE FROM post_topics WHERE topic_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query("DELETE FROM topics WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    ctx.flash("The topic is deleted; its posts keep their other topics.")
        .await?;
    Ok(web::see_other("/staff/topics"))
}
