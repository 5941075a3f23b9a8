//! The staff's list of posts: drafts, scheduled ones and the latest published, and the counts
//! of waiting posts the staff desk shows.

use askama::Template;
use axum::response::Response;

use crate::{
    error::AppResult,
    policy,
    web::{self, Layout, Staff},
};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    slug: String,
    title: String,
    publish_at: Option<i64>,
    updated_at: i64,
    members_only: crate::db::Flag,
}

#[derive(Template)]
#[template(path = "news/staff_list.html")]
struct ListPage {
    layout: Layout,
    drafts: Vec<Row>,
    scheduled: Vec<Row>,
    published: Vec<Row>,
    published_total: i64,
}

impl ListPage {
    fn when(&self, t: &Option<i64>) -> String {
        t.map(|t| self.layout.time(&t)).unwrap_or_default()
    }
    fn updated(&self, t: &i64) -> String {
        self.layout.time(t)
    }
}

/// SQL condition: drafts. The staff's list and the desk's count use this one.
macro_rules! drafts {
    () => {
        "status = 'draft'"
    };
}

/// SQL condition: posts published for a time still to come (`$1`: now).
macro_rules! scheduled {
    () => {
        "status = 'published' AND publish_at > $1"
    };
}

/// How many drafts and scheduled posts there are at `now`, as the staff's list shows them.
pub async fn waiting_counts(pool: &sqlx::AnyPool, now: i64) -> sqlx::Result<(i64, i64)> {
    let drafts = sqlx::query_scalar(concat!("SELECT COUNT(*) FROM posts WHERE ", drafts!()))
        .fetch_one(pool)
        .await?;
    let scheduled = sqlx::query_scalar(concat!("SELECT COUNT(*) FROM posts WHERE ", scheduled!()))
        .bind(now)
        .fetch_one(pool)
        .await?;
    Ok((drafts, scheduled))
}

pub(super) async fn list(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let pool = &ctx.state.pool;
    let now = ctx.state.clock.now();
    let drafts = sqlx::query_as::<_, Row>(concat!(
        "SELECT id, slug, title, publish_at, updated_at, members_only FROM posts WHERE ",
        drafts!(),
        " ORDER BY updated_at DESC, id DESC"
    ))
    .fetch_all(pool)
    .await?;
    let scheduled = sqlx::query_as::<_, Row>(concat!(
        "SELECT id, slug, title, publish_at, updated_at, members_only FROM posts WHERE ",
        scheduled!(),
        " ORDER BY publish_at, id"
    ))
    .bind(now)
    .fetch_all(pool)
    .await?;
    let published = sqlx::query_as::<_, Row>(
        "SELECT id, slug, title, publish_at, updated_at, members_only FROM posts \
         WHERE status = 'published' AND publish_at <= $1 ORDER BY publish_at DESC, id DESC LIMIT 100",
    )
    .bind(now)
    .fetch_all(pool)
    .await?;
    let published_total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM posts WHERE status = 'published' AND publish_at <= $1",
    )
    .bind(now)
    .fetch_one(pool)
    .await?;
    Ok(web::render(&ListPage {
        layout: ctx.layout().await,
        drafts,
        scheduled,
        published,
        published_total,
    }))
}
