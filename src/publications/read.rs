//! Reading publications: the list of those the reader may read (filters by type and year,
//! newest first, pages of 20), a publication's page, and its download, which asks the same
//! access check before any byte and counts who downloaded it, per city.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query},
    http::HeaderMap,
    response::Response,
    routing::get,
};
use serde::Deserialize;

use super::{Kind, Publication};
use crate::{
    error::{AppError, AppResult},
    files, publication_readable, publication_select,
    state::AppState,
    web::{
        self, Ctx, Layout,
        paging::{Numbered, PageLinks},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/publications", get(list))
        .route("/publications/{slug}", get(show))
        .route("/publications/{slug}/download", get(download))
}

/// Publications on a page of the list.
const PAGE: i64 = 20;

#[derive(Debug, Default, Deserialize)]
struct Filters {
    topic: Option<String>,
    kind: Option<String>,
    year: Option<String>,
    page: Option<String>,
}

impl Filters {
    /// The topic, kind and year asked ('' for any); a kind or year no link offers is the 404.
    fn checked(&self) -> AppResult<(String, String, String)> {
        let value = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_owned();
        let (topic, kind, year) = (value(&self.topic), value(&self.kind), value(&self.year));
        if !kind.is_empty() && Kind::parse(&kind).is_none() {
            return Err(AppError::NotFound);
        }
        if !(year.is_empty() || (year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()))) {
            return Err(AppError::NotFound);
        }
        Ok((topic, kind, year))
    }
}

#[derive(Template)]
#[template(path = "publications/list.html")]
struct ListPage {
    layout: Layout,
    publications: Vec<Publication>,
    found: i64,
    kinds: [Kind; 5],
    years: Vec<String>,
    /// The topics of the publications the reader may read: (address, name).
    topics: Vec<(String, String)>,
    topic: String,
    kind: String,
    year: String,
    links: PageLinks,
}

/// The list's condition on `publications p`: `$1`..`$4` the reader's scope, `$5` a kind or
/// '', `$6` a year or '', `$7` a topic's address or ''.
const WHERE: &str = concat!(
    "WHERE ",
    publication_readable!("$1", "$2", "$3", "$4"),
    " AND p.status = 'published' AND ($5 = '' OR p.kind = $5) AND ($6 = '' OR substr(p.published_on, 1, 4) = $6) \
     AND ($7 = '' OR EXISTS (SELECT 1 FROM publication_topics pt JOIN topics t ON t.id = pt.topic_id \
       WHERE pt.publication_id = p.id AND t.slug = $7)) "
);

/// The topics of the publications the reader may read, by name.
async fn topics(
    state: &AppState,
    scope: &crate::policy::SearchScope,
) -> sqlx::Result<Vec<(String, String)>> {
    // From each topic's publications (SQLite's CROSS JOIN keeps that order: the other way
    // reads every publication once per topic).
    let join = match state.backend {
        crate::db::Backend::Sqlite => "CROSS JOIN",
        crate::db::Backend::Postgres => "JOIN",
    };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT t.slug, t.name FROM topics t WHERE EXISTS (SELECT 1 FROM publication_topics pt {join} \
         publications p ON p.id = pt.publication_id {} AND pt.topic_id = t.id) ORDER BY t.name",
        WHERE.replace("$5", "''").replace("$6", "''").replace("$7", "''")
    )))
    .bind(scope.all)
    .bind(scope.members)
    .bind(scope.cohorts)
    .bind(scope.person)
    .fetch_all(&state.pool)
    .await
}

/// The years of the publications the reader may read, newest first.
async fn years(state: &AppState, scope: &crate::policy::SearchScope) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT substr(p.published_on, 1, 4) FROM publications p {} ORDER BY 1 DESC",
        WHERE
            .replace("$5", "''")
            .replace("$6", "''")
            .replace("$7", "''")
    )))
    .bind(scope.all)
    .bind(scope.members)
    .bind(scope.cohorts)
    .bind(scope.person)
    .fetch_all(&state.pool)
    .await
}

async fn list(ctx: Ctx, Query(f): Query<Filters>) -> AppResult<Response> {
    let scope = crate::policy::search_scope(ctx.person.as_ref());
    let (topic, kind, year) = f.checked()?;
    let pool = &ctx.state.pool;
    let found: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM publications p {WHERE}"
    )))
    .bind(scope.all)
    .bind(scope.members)
    .bind(scope.cohorts)
    .bind(scope.person)
    .bind(&kind)
    .bind(&year)
    .bind(&topic)
    .fetch_one(pool)
    .await?;
    let page = Numbered::from_query(f.page.as_deref(), PAGE)?
        .unwrap_or(Numbered::first(PAGE))
        .check(found)?;
    let publications = sqlx::query_as::<_, Publication>(sqlx::AssertSqlSafe(format!(
        "{}{WHERE}ORDER BY p.published_on DESC, p.id DESC LIMIT {PAGE} OFFSET {}",
        publication_select!(""),
        page.offset()
    )))
    .bind(scope.all)
    .bind(scope.members)
    .bind(scope.cohorts)
    .bind(scope.person)
    .bind(&kind)
    .bind(&year)
    .bind(&topic)
    .fetch_all(pool)
    .await?;
    let years = years(&ctx.state, &scope).await?;
    let topics = topics(&ctx.state, &scope).await?;
    let query = [("topic", &topic), ("kind", &kind), ("year", &year)]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", web::url_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let base = if query.is_empty() {
        "/publications".to_owned()
    } else {
        format!("/publications?{query}")
    };
    let mut layout = ctx.layout().await;
    layout.meta.title = "Publications".to_owned();
    Ok(web::render(&ListPage {
        layout,
        links: page.links(&base, found),
        publications,
        found,
        kinds: Kind::ALL,
        years,
        topics,
        topic,
        kind,
        year,
    }))
}

#[derive(Template)]
#[template(path = "publications/show.html")]
struct ShowPage {
    layout: Layout,
    p: Publication,
    /// Where the reader may edit it (staff, or a facilitator of all its cohorts).
    edit: Option<String>,
    /// Its topics: (address, name).
    topics: Vec<(String, String)>,
}

async fn show(ctx: Ctx, Path(slug): Path<String>) -> AppResult<Response> {
    let scope = crate::policy::search_scope(ctx.person.as_ref());
    let mut conn = ctx.state.pool.acquire().await?;
    let p = super::readable(&mut conn, &scope, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let topics = sqlx::query_as(
        "SELECT t.slug, t.name FROM publication_topics pt JOIN topics t ON t.id = pt.topic_id \
         WHERE pt.publication_id = $1 ORDER BY t.name",
    )
    .bind(p.id)
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    let edit = match &ctx.person {
        Some(person) => super::staff::edit_href(&ctx.state, person, &p).await?,
        None => None,
    };
    let mut layout = ctx.layout().await;
    layout.meta.title = p.title.clone();
    Ok(web::render(&ShowPage {
        layout,
        edit,
        topics,
        p,
    }))
}

/// The newest file, to a reader who may read the publication: everyone else gets the 404
/// before any byte or header of the file. The download is counted, with the reader's city.
async fn download(ctx: Ctx, Path(slug): Path<String>, headers: HeaderMap) -> AppResult<Response> {
    let scope = crate::policy::search_scope(ctx.person.as_ref());
    let mut conn = ctx.state.pool.acquire().await?;
    let p = super::readable(&mut conn, &scope, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let file_id = p.file_id.ok_or(AppError::NotFound)?;
    let file = files::find(&ctx.state.pool, file_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // A whole download counts once; the parts of a resumed one do not count again.
    if !headers.contains_key(axum::http::header::RANGE) {
        let mut tx = ctx.state.begin_write().await?;
        sqlx::query(
            "INSERT INTO publication_downloads (publication_id, city_id, at) VALUES ($1, $2, $3)",
        )
        .bind(p.id)
        .bind(ctx.person.as_ref().and_then(|r| r.city_id))
        .bind(ctx.state.clock.now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    Ok(files::serve(
        &ctx.state.pool,
        &file,
        &headers,
        files::Audience::Restricted,
        files::Disposition::Attachment,
    ))
}
