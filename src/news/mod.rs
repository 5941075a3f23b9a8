//! News: posts with cover images and topics, their public pages, feed, sitemap and search,
//! and the staff's publishing.

mod confirm;
pub mod images;
mod public;
pub mod search;
mod staff;
pub use staff::waiting_counts;
mod write;

use axum::{Router, extract::DefaultBodyLimit, routing::get};
use sqlx::AnyPool;

use crate::{accounts::Person, policy, state::AppState, web::paging};

pub use images::Cover;
pub use staff::{FIELDS as EDITOR_FIELDS, TOPIC_FIELDS};
pub use write::{PostInput, PostState, create_post, update_post};

pub fn router(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .merge(public::router())
        .merge(staff::router().layer(DefaultBodyLimit::max(upload_limit)))
        .merge(confirm::router())
        .route("/news/covers/{name}", get(images::serve))
}

/// Posts on one page of a list.
pub const PAGE_SIZE: i64 = 12;

/// A post as a card in a list: title, excerpt, date, topic, cover.
#[derive(Debug, Clone)]
pub struct Card {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub publish_at: i64,
    pub members_only: bool,
    pub topic: Option<(String, String)>,
    pub cover: Option<Cover>,
}

impl Card {
    /// Leaves out the picture of a post whose picture this reader may not see (a
    /// members-only post, to the public): cards show only what the picture's address serves.
    pub fn for_reader(mut self, viewer: Option<&Person>) -> Card {
        if !policy::can_see_post_picture(viewer, true, self.members_only) {
            self.cover = None;
        }
        self
    }
    /// Where a list continues from this card.
    pub fn cursor(&self) -> paging::Cursor {
        paging::Cursor::new(self.publish_at, self.id)
    }
}

pub use crate::time::{rfc3339, utc_date as iso_date};

#[derive(sqlx::FromRow)]
struct CardRow {
    id: i64,
    slug: String,
    title: String,
    excerpt: String,
    publish_at: Option<i64>,
    members_only: crate::db::Flag,
    topic: Option<String>,
    cover_hash: Option<String>,
    cover_widths: Option<String>,
    cover_width: Option<i64>,
    cover_height: Option<i64>,
    cover_alt: String,
}

impl From<CardRow> for Card {
    fn from(r: CardRow) -> Card {
        Card {
            cover: Cover::from_row(
                r.cover_hash,
                r.cover_widths,
                r.cover_width,
                r.cover_height,
                &r.cover_alt,
            ),
            id: r.id,
            slug: r.slug,
            title: r.title,
            excerpt: r.excerpt,
            publish_at: r.publish_at.unwrap_or(0),
            members_only: r.members_only.get(),
            topic: r
                .topic
                .and_then(|t| t.split_once('|').map(|(s, n)| (s.to_owned(), n.to_owned()))),
        }
    }
}

/// The columns of a card; the first topic by name comes in the same query (no query per card).
macro_rules! card_select {
    ($from:literal, $rest:expr) => {
        concat!(
            "SELECT p.id, p.slug, p.title, p.excerpt, p.publish_at, p.members_only, \
               (SELECT t.slug || '|' || t.name FROM post_topics tt JOIN topics t ON t.id = tt.topic_id \
                WHERE tt.post_id = p.id ORDER BY t.name LIMIT 1) AS topic, \
               i.hash AS cover_hash, i.widths AS cover_widths, i.width AS cover_width, i.height AS cover_height, p.cover_alt ",
            $from,
            " LEFT JOIN images i ON i.id = p.cover_image_id ",
            $rest
        )
    };
}
pub(crate) use card_select;

/// Published posts, newest first, one page of them from the request's cursor, optionally in
/// one topic: read from an index in order, never by scanning what a page skips; as `viewer`
/// may see them (the policy's [`policy::post_scope`]).
pub async fn published(
    pool: &AnyPool,
    now: i64,
    viewer: Option<&Person>,
    topic_id: Option<i64>,
    page: &paging::Request,
) -> sqlx::Result<paging::Page<Card>> {
    let scope = policy::post_scope(viewer, now);
    let sql = match (topic_id.is_some(), page.reads_ascending()) {
        (false, false) => card_select!(
            "FROM posts p",
            concat!(
                "WHERE ",
                crate::post_listed!("p", "$1"),
                " AND (p.publish_at, p.id) < ($2, $3) AND $5 = 0 \
                 ORDER BY p.publish_at DESC, p.id DESC LIMIT $4"
            )
        ),
        (false, true) => card_select!(
            "FROM posts p",
            concat!(
                "WHERE ",
                crate::post_listed!("p", "$1"),
                " AND (p.publish_at, p.id) > ($2, $3) AND $5 = 0 \
                 ORDER BY p.publish_at ASC, p.id ASC LIMIT $4"
            )
        ),
        (true, false) => card_select!(
            "FROM post_topics x JOIN posts p ON p.id = x.post_id",
            concat!(
                "WHERE x.topic_id = $5 AND ",
                crate::post_listed!("x", "$1"),
                " AND (x.publish_at, x.post_id) < ($2, $3) \
                 ORDER BY x.publish_at DESC, x.post_id DESC LIMIT $4"
            )
        ),
        (true, true) => card_select!(
            "FROM post_topics x JOIN posts p ON p.id = x.post_id",
            concat!(
                "WHERE x.topic_id = $5 AND ",
                crate::post_listed!("x", "$1"),
                " AND (x.publish_at, x.post_id) > ($2, $3) \
                 ORDER BY x.publish_at ASC, x.post_id ASC LIMIT $4"
            )
        ),
    };
    let bound = page.bound();
    let rows = sqlx::query_as::<_, CardRow>(sql)
        .bind(scope.now)
        .bind(bound.key)
        .bind(bound.id)
        .bind(page.limit())
        .bind(topic_id.unwrap_or(0))
        .fetch_all(pool)
        .await?;
    let cards: Vec<Card> = rows
        .into_iter()
        .map(|r| Card::from(r).for_reader(viewer))
        .collect();
    Ok(paging::Page::from_rows(page, cards, Card::cursor))
}

/// The newest published posts: the home page's cards.
pub async fn latest(
    pool: &AnyPool,
    now: i64,
    viewer: Option<&Person>,
    limit: i64,
) -> sqlx::Result<Vec<Card>> {
    let first = paging::Request::first(paging::Order::Descending, limit);
    Ok(published(pool, now, viewer, None, &first).await?.items)
}

/// Members-only posts on the member home.
const FOR_MEMBERS: i64 = 3;

/// The member home's "News for members": the newest members-only posts out, for a reader
/// who may read them (none for anyone else, in the query's scope as everywhere).
pub fn for_members_on_home<'a>(
    home: &'a crate::areas::Home<'a>,
) -> crate::web::shared::Fut<'a, crate::error::AppResult<Option<crate::web::shared::Panel>>> {
    Box::pin(async move {
        let scope = policy::post_scope(Some(home.person), home.state.clock.now());
        let posts: Vec<(String, String, i64)> = sqlx::query_as(concat!(
            "SELECT p.slug, p.title, p.publish_at FROM posts p WHERE ",
            crate::post_listed!("p", "$1"),
            " AND p.members_only = 1 AND $2 = 1 ORDER BY p.publish_at DESC, p.id DESC LIMIT $3"
        ))
        .bind(scope.now)
        .bind(scope.members)
        .bind(FOR_MEMBERS)
        .fetch_all(&home.state.pool)
        .await?;
        if posts.is_empty() {
            return Ok(None);
        }
        Ok(Some(crate::web::shared::Panel {
            title: "News for members",
            id: "news",
            lines: Vec::new(),
            items: posts
                .into_iter()
                .map(|(slug, title, at)| crate::web::shared::PanelItem {
                    href: format!("/news/{slug}"),
                    label: title,
                    notes: vec![home.layout.date(&at)],
                })
                .collect(),
            link: Some(("/news".to_owned(), "All news".to_owned())),
        }))
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Topic {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

pub async fn topics(pool: &AnyPool) -> sqlx::Result<Vec<Topic>> {
    sqlx::query_as::<_, Topic>("SELECT id, slug, name FROM topics ORDER BY name")
        .fetch_all(pool)
        .await
}

pub async fn topic_by_slug(pool: &AnyPool, slug: &str) -> sqlx::Result<Option<Topic>> {
    sqlx::query_as::<_, Topic>("SELECT id, slug, name FROM topics WHERE slug = $1")
        .bind(slug)
        .fetch_optional(pool)
        .await
}
