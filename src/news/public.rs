//! The public pages of news: the list ("News") with topics, articles, the Atom feed,
//! the sitemap and robots.txt (search is the portal's one, `search::page`).

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;

use super::{Card, Cover, PAGE_SIZE, Topic, rfc3339};
use crate::{
    error::{AppError, AppResult},
    policy,
    state::AppState,
    web::{self, Ctx, Layout, paging},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/news", get(list))
        .route("/news/feed.xml", get(feed))
        .route("/news/{slug}", get(show))
        .route("/sitemap.xml", get(sitemap))
        .route("/robots.txt", get(robots))
        .route_layer(axum::middleware::from_fn(
            web::headers::public_when_anonymous,
        ))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    topic: Option<String>,
    after: Option<String>,
    before: Option<String>,
}

#[derive(Template)]
#[template(path = "news/list.html")]
struct ListPage {
    layout: Layout,
    cards: Vec<Card>,
    topics: Vec<Topic>,
    topic: Option<Topic>,
    /// The addresses of the next (older) and previous (newer) pages.
    older: Option<String>,
    newer: Option<String>,
}

async fn list(ctx: Ctx, Query(q): Query<ListQuery>) -> AppResult<Response> {
    let pool = &ctx.state.pool;
    let topic = match q.topic.as_deref().filter(|t| !t.is_empty()) {
        Some(slug) => Some(
            super::topic_by_slug(pool, slug)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let request = paging::Request::from_query(
        q.after.as_deref(),
        q.before.as_deref(),
        paging::Order::Descending,
        PAGE_SIZE,
    )?;
    let at_start = request.is_first();
    let now = ctx.state.clock.now();
    let page = super::published(
        pool,
        now,
        ctx.person.as_ref(),
        topic.as_ref().map(|t| t.id),
        &request,
    )
    .await?;
    if page.items.is_empty() && !at_start {
        return Err(AppError::NotFound);
    }
    let here = match &topic {
        Some(t) => format!("/news?topic={}", t.slug),
        None => "/news".to_owned(),
    };
    let (older, newer) = (page.next_href(&here), page.previous_href(&here));
    let cards = page.items;
    let topics = super::topics(pool).await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = match &topic {
        Some(t) => format!("News: {}", t.name),
        None => "News".to_owned(),
    };
    layout.meta.description = format!(
        "News from {}: what member cities are doing and learning.",
        layout.org_name
    );
    // The topic chooses what the list is; a later page of it names the list's first page.
    layout.meta.canonical = format!("{}{here}", ctx.state.config.base());
    Ok(web::render(&ListPage {
        layout,
        cards,
        topics,
        topic,
        older,
        newer,
    }))
}

/// A post as its own page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ArticleRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    /// Empty when the reader may not read it (a members-only post, to the public).
    pub body_html: String,
    pub status: super::PostState,
    pub publish_at: Option<i64>,
    pub members_only: crate::db::Flag,
    pub author_name: Option<String>,
    pub guest_byline: String,
    pub cover_hash: Option<String>,
    pub cover_widths: Option<String>,
    pub cover_width: Option<i64>,
    pub cover_height: Option<i64>,
    pub cover_alt: String,
}

/// An article's columns; the body only where the reader may read it (`$members`: the
/// placeholder bound to the policy's [`policy::PostScope::members`]).
macro_rules! article_select {
    ($members:literal, $rest:expr) => {
        concat!(
            "SELECT p.id, p.slug, p.title, p.excerpt, ",
            $crate::post_body!("p", "body_html", $members),
            " AS body_html, p.status, p.publish_at, p.members_only, \
               a.name AS author_name, p.guest_byline, i.hash AS cover_hash, i.widths AS cover_widths, \
               i.width AS cover_width, i.height AS cover_height, p.cover_alt \
             FROM posts p LEFT JOIN people a ON a.id = p.author_id LEFT JOIN images i ON i.id = p.cover_image_id ",
            $rest
        )
    };
}
pub(super) use article_select;

impl ArticleRow {
    pub fn byline(&self) -> String {
        if !self.guest_byline.trim().is_empty() {
            self.guest_byline.clone()
        } else {
            self.author_name
                .as_ref()
                .map(|a| format!("By {a}"))
                .unwrap_or_default()
        }
    }
    pub fn cover(&self) -> Option<Cover> {
        Cover::from_row(
            self.cover_hash.clone(),
            self.cover_widths.clone(),
            self.cover_width,
            self.cover_height,
            &self.cover_alt,
        )
    }
}

#[derive(Template)]
#[template(path = "news/show.html")]
pub struct ArticlePage {
    pub layout: Layout,
    pub post: ArticleRow,
    pub cover: Option<Cover>,
    pub topics: Vec<Topic>,
    pub related: Vec<Card>,
    /// Whether the reader may see the body (public post, or a member).
    pub readable: bool,
    /// A staff preview of a post that is not published.
    pub preview: bool,
}

/// Topics of a post, by name.
pub async fn topics_of(pool: &sqlx::AnyPool, post_id: i64) -> sqlx::Result<Vec<Topic>> {
    sqlx::query_as::<_, Topic>(
        "SELECT t.id, t.slug, t.name FROM post_topics pt JOIN topics t ON t.id = pt.topic_id WHERE pt.post_id = $1 ORDER BY t.name",
    )
    .bind(post_id)
    .fetch_all(pool)
    .await
}

/// Up to three other published posts sharing a topic, newest first.
async fn related(
    pool: &sqlx::AnyPool,
    now: i64,
    viewer: Option<&crate::accounts::Person>,
    post_id: i64,
) -> sqlx::Result<Vec<Card>> {
    let rows = sqlx::query_as::<_, super::CardRow>(super::card_select!(
        "FROM posts p",
        concat!(
            "WHERE p.id IN (SELECT x.post_id FROM post_topics mine JOIN post_topics x ON x.topic_id = mine.topic_id \
               WHERE mine.post_id = $1 AND x.post_id <> $1 AND ",
            crate::post_listed!("x", "$2"),
            " ORDER BY x.publish_at DESC LIMIT 12) \
             ORDER BY p.publish_at DESC, p.id DESC LIMIT 3"
        )
    ))
    .bind(post_id)
    .bind(policy::post_scope(viewer, now).now)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Card::from(r).for_reader(viewer))
        .collect())
}

pub async fn article_page(ctx: &Ctx, post: ArticleRow, preview: bool) -> AppResult<ArticlePage> {
    let pool = &ctx.state.pool;
    let now = ctx.state.clock.now();
    let scope = policy::post_scope(ctx.person.as_ref(), now);
    let readable = scope.can_read(post.members_only.get());
    let topics = topics_of(pool, post.id).await?;
    let related = related(pool, now, ctx.person.as_ref(), post.id).await?;
    let mut layout = ctx.layout().await;
    let base = ctx.state.config.base();
    layout.meta.title = post.title.clone();
    layout.meta.description = post.excerpt.clone();
    layout.meta.canonical = format!("{base}/news/{}", post.slug);
    layout.meta.og_type = "article";
    // The picture only where its address would serve it to this reader.
    let out = scope.lists(post.status == super::PostState::Published, post.publish_at);
    let cover = post.cover().filter(|_| {
        policy::can_see_post_picture(ctx.person.as_ref(), out, post.members_only.get())
    });
    layout.meta.image = cover.as_ref().map(|c| format!("{base}{}", c.src(1600)));
    Ok(ArticlePage {
        layout,
        cover,
        post,
        topics,
        related,
        readable,
        preview,
    })
}

async fn show(ctx: Ctx, Path(slug): Path<String>) -> AppResult<Response> {
    let pool = &ctx.state.pool;
    let now = ctx.state.clock.now();
    // The members-only decision is taken in the query: the body is not loaded for a reader
    // who may not read it.
    let scope = policy::post_scope(ctx.person.as_ref(), now);
    let post = sqlx::query_as::<_, ArticleRow>(article_select!(
        "$3",
        concat!("WHERE p.slug = $1 AND ", crate::post_listed!("p", "$2"))
    ))
    .bind(&slug)
    .bind(scope.now)
    .bind(scope.members)
    .fetch_optional(pool)
    .await?;
    let Some(post) = post else {
        // An old address of a post answers with its new one.
        let moved: Option<String> = sqlx::query_scalar(concat!(
            "SELECT p.slug FROM post_redirects r JOIN posts p ON p.id = r.post_id \
             WHERE r.old_slug = $1 AND ",
            crate::post_listed!("p", "$2")
        ))
        .bind(&slug)
        .bind(scope.now)
        .fetch_optional(pool)
        .await?;
        return match moved {
            Some(new) => Ok((
                StatusCode::MOVED_PERMANENTLY,
                [(header::LOCATION, format!("/news/{new}"))],
            )
                .into_response()),
            None => Err(AppError::NotFound),
        };
    };
    Ok(web::render(&article_page(&ctx, post, false).await?))
}

/// Escapes text for XML, dropping the control characters XML 1.0 forbids (every form
/// already removes them; this keeps the feed valid whatever an older row holds).
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() && c < '\u{80}' => {}
            c => out.push(c),
        }
    }
    out
}

#[derive(sqlx::FromRow)]
struct FeedRow {
    slug: String,
    title: String,
    excerpt: String,
    body_html: String,
    publish_at: i64,
    updated_at: i64,
    members_only: crate::db::Flag,
    author_name: Option<String>,
    guest_byline: String,
}

/// Atom 1.0. Members-only posts appear with their title and summary, never their body: the
/// feed is public and cached, so it is the public's scope whoever asks.
async fn feed(ctx: Ctx) -> AppResult<Response> {
    let state = &ctx.state;
    let base = state.config.base();
    let scope = policy::post_scope(None, state.clock.now());
    let rows = sqlx::query_as::<_, FeedRow>(concat!(
        "SELECT p.slug, p.title, p.excerpt, ",
        crate::post_body!("p", "body_html", "$2"),
        " AS body_html, p.publish_at, p.updated_at, p.members_only, a.name AS author_name, p.guest_byline \
         FROM posts p LEFT JOIN people a ON a.id = p.author_id WHERE ",
        crate::post_listed!("p", "$1"),
        " ORDER BY p.publish_at DESC, p.id DESC LIMIT 20"
    ))
    .bind(scope.now)
    .bind(scope.members)
    .fetch_all(&state.pool)
    .await?;
    // The stored name and tagline (`/staff/site`) over the configured ones, as pages show them.
    let layout =
        crate::web::Layout::plain(state).with_identity(crate::web::identity::load(state).await);
    let org = xml_escape(&layout.org_name);
    let updated = rows
        .iter()
        .map(|r| r.updated_at.max(r.publish_at))
        .max()
        .unwrap_or(0);
    let mut xml = String::with_capacity(4096);
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    xml.push_str(&format!(
        "  <title>{org} — News</title>\n  <subtitle>{}</subtitle>\n",
        xml_escape(&layout.tagline)
    ));
    xml.push_str(&format!("  <id>{base}/news</id>\n  <link rel=\"self\" type=\"application/atom+xml\" href=\"{base}/news/feed.xml\"/>\n"));
    xml.push_str(&format!("  <link rel=\"alternate\" type=\"text/html\" href=\"{base}/news\"/>\n  <updated>{}</updated>\n", rfc3339(updated)));
    xml.push_str(&format!("  <author><name>{org}</name></author>\n"));
    for r in &rows {
        let url = format!("{base}/news/{}", r.slug);
        let author = if !r.guest_byline.is_empty() {
            r.guest_byline.clone()
        } else {
            r.author_name
                .clone()
                .unwrap_or_else(|| layout.org_name.clone())
        };
        xml.push_str("  <entry>\n");
        xml.push_str(&format!("    <title>{}</title>\n    <id>{url}</id>\n    <link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/>\n", xml_escape(&r.title)));
        xml.push_str(&format!(
            "    <published>{}</published>\n    <updated>{}</updated>\n",
            rfc3339(r.publish_at),
            rfc3339(r.updated_at.max(r.publish_at))
        ));
        xml.push_str(&format!(
            "    <author><name>{}</name></author>\n",
            xml_escape(&author)
        ));
        xml.push_str(&format!(
            "    <summary>{}</summary>\n",
            xml_escape(&r.excerpt)
        ));
        if scope.can_read(r.members_only.get()) {
            xml.push_str(&format!(
                "    <content type=\"html\">{}</content>\n",
                xml_escape(&r.body_html)
            ));
        }
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    Ok((
        [
            (header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        xml,
    )
        .into_response())
}

/// Public pages and public published posts (members-only posts are left out): the public's
/// scope.
async fn sitemap(ctx: Ctx) -> AppResult<Response> {
    let state = &ctx.state;
    let base = state.config.base();
    let scope = policy::post_scope(None, state.clock.now());
    let posts: Vec<(String, i64)> = sqlx::query_as(concat!(
        "SELECT p.slug, p.updated_at FROM posts p WHERE ",
        crate::post_listed!("p", "$1"),
        " AND ",
        crate::post_readable!("p", "$2"),
        " ORDER BY p.publish_at DESC, p.id DESC LIMIT 45000"
    ))
    .bind(scope.now)
    .bind(scope.members)
    .fetch_all(&state.pool)
    .await?;
    let topics = super::topics(&state.pool).await?;
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in ["/", "/news", "/members", "/join"] {
        xml.push_str(&format!("  <url><loc>{base}{path}</loc></url>\n"));
    }
    for t in &topics {
        xml.push_str(&format!(
            "  <url><loc>{base}/news?topic={}</loc></url>\n",
            xml_escape(&t.slug)
        ));
    }
    for (slug, updated) in &posts {
        xml.push_str(&format!(
            "  <url><loc>{base}/news/{slug}</loc><lastmod>{}</lastmod></url>\n",
            super::iso_date(*updated)
        ));
    }
    xml.push_str("</urlset>\n");
    Ok((
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        xml,
    )
        .into_response())
}

async fn robots(ctx: Ctx) -> Response {
    let base = ctx.state.config.base();
    let body = format!(
        "User-agent: *\nDisallow: /staff\nDisallow: /account\nDisallow: /invite/\nDisallow: /password/\nDisallow: /setup/\nDisallow: /people\nDisallow: /invitations\n\nSitemap: {base}/sitemap.xml\n"
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}
