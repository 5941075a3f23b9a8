//! The domain writes of news: a post saved with its topics and its search entry, one way for
//! the editor and for `portal demo`.

use sqlx::AnyConnection;

use super::search;
use crate::text::markdown;

/// A post's status as stored: a draft, or published. A published post whose time is still to
/// come is scheduled ([`PostState::shown`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PostState {
    #[default]
    Draft,
    Published,
}

impl PostState {
    /// Whether readers see the post at `now`: published and its time come.
    pub fn is_out(self, publish_at: Option<i64>, now: i64) -> bool {
        self == PostState::Published && publish_at.is_some_and(|t| t <= now)
    }
    /// "Draft", "Scheduled" or "Published", as the editor says it.
    pub fn shown(self, publish_at: Option<i64>, now: i64) -> &'static str {
        match (self, publish_at) {
            (PostState::Published, Some(t)) if t > now => "Scheduled",
            (PostState::Published, _) => "Published",
            (PostState::Draft, _) => "Draft",
        }
    }
}

crate::stored_as_text!(PostState { Draft = "draft", Published = "published" });

/// A post as it is saved.
pub struct PostInput<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    /// As written; empty: a public post's excerpt is made from its body, and a members-only
    /// post has none (the excerpt is public, the body is not).
    pub excerpt: &'a str,
    /// Markdown, rendered (by the form kit's [`crate::web::form::Check::markdown`], bounded).
    pub body: &'a markdown::Rendered,
    pub state: PostState,
    pub publish_at: Option<i64>,
    pub members_only: bool,
    pub guest_byline: &'a str,
    pub cover_image_id: Option<i64>,
    pub cover_alt: &'a str,
    pub topics: &'a [i64],
}

impl PostInput<'_> {
    /// The body as HTML and as plain text, and the excerpt shown.
    fn rendered(&self) -> (&str, &str, String) {
        let excerpt = if self.excerpt.trim().is_empty() && !self.members_only {
            markdown::shorten(&self.body.text, 220)
        } else {
            self.excerpt.trim().to_owned()
        };
        (&self.body.html, &self.body.text, excerpt)
    }
}

/// Creates a post with its topics and search entry; a unique violation (the address is
/// taken) comes back as the error, for the caller to say so.
pub async fn create_post(
    conn: &mut AnyConnection,
    author_id: i64,
    now: i64,
    post: &PostInput<'_>,
) -> sqlx::Result<i64> {
    let (html, text, excerpt) = post.rendered();
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO posts (slug, title, excerpt, body_md, body_html, body_text, status, publish_at, members_only, author_id, \
           guest_byline, cover_image_id, cover_alt, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id",
    )
    .bind(post.slug)
    .bind(post.title)
    .bind(&excerpt)
    .bind(&post.body.source)
    .bind(html)
    .bind(text)
    .bind(post.state)
    .bind(post.publish_at)
    .bind(i64::from(post.members_only))
    .bind(author_id)
    .bind(post.guest_byline.trim())
    .bind(post.cover_image_id)
    .bind(post.cover_alt.trim())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    topics_and_index(conn, id, post, text).await?;
    Ok(id)
}

/// Saves an existing post (stored at `old_slug`) with its topics and search entry; the old
/// address keeps working, as a redirect to the new one.
pub async fn update_post(
    conn: &mut AnyConnection,
    id: i64,
    old_slug: &str,
    now: i64,
    post: &PostInput<'_>,
) -> sqlx::Result<()> {
    let (html, text, excerpt) = post.rendered();
    sqlx::query(
        "UPDATE posts SET slug = $1, title = $2, excerpt = $3, body_md = $4, body_html = $5, body_text = $6, status = $7, \
           publish_at = $8, members_only = $9, guest_byline = $10, cover_image_id = $11, cover_alt = $12, updated_at = $13 \
         WHERE id = $14",
    )
    .bind(post.slug)
    .bind(post.title)
    .bind(&excerpt)
    .bind(&post.body.source)
    .bind(html)
    .bind(text)
    .bind(post.state)
    .bind(post.publish_at)
    .bind(i64::from(post.members_only))
    .bind(post.guest_byline.trim())
    .bind(post.cover_image_id)
    .bind(post.cover_alt.trim())
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if old_slug != post.slug {
        sqlx::query("INSERT INTO post_redirects (old_slug, post_id) VALUES ($1, $2) ON CONFLICT (old_slug) DO UPDATE SET post_id = excluded.post_id")
            .bind(old_slug)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    topics_and_index(conn, id, post, text).await
}

/// The post's topics (carrying its status and time, for the topic lists) and search entry;
/// its own address no longer redirects anywhere.
async fn topics_and_index(
    conn: &mut AnyConnection,
    id: i64,
    post: &PostInput<'_>,
    text: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM post_redirects WHERE old_slug = $1")
        .bind(post.slug)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM post_topics WHERE post_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for topic in post.topics {
        sqlx::query("INSERT INTO post_topics (post_id, topic_id, status, publish_at) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(topic)
            .bind(post.state)
            .bind(post.publish_at)
            .execute(&mut *conn)
            .await?;
    }
    search::index(conn, id, post, text).await
}
