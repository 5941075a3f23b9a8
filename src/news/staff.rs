//! Staff publishing: drafts, scheduled and published posts; create, edit, preview, publish
//! now or at a chosen time, unpublish, delete with confirmation; topics.

use askama::Template;
use axum::{
    Router,
    extract::{Multipart, Path},
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;
use sqlx::AnyConnection;

use super::{Topic, images, markdown, public, search, slug};
use crate::{
    accounts::Person,
    error::{AppError, AppResult, is_unique_violation},
    policy,
    state::AppState,
    time::Zone,
    web::{self, Ctx, FormErrors, Layout, Staff, form::Form},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/news", get(list).post(create))
        .route("/staff/news/new", get(new_form))
        .route("/staff/news/{id}", post(update))
        .route("/staff/news/{id}/edit", get(edit_form))
        .route("/staff/news/{id}/preview", get(preview))
        .route("/staff/news/{id}/unpublish", post(unpublish))
        .route("/staff/news/{id}/delete", get(delete_form).post(delete))
        .route("/staff/topics", get(topics).post(create_topic))
        .route("/staff/topics/{id}", post(rename_topic))
        .route("/staff/topics/{id}/delete", post(delete_topic))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    slug: String,
    title: String,
    publish_at: Option<i64>,
    updated_at: i64,
    members_only: i64,
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

async fn list(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let pool = &ctx.state.pool;
    let now = ctx.state.clock.now();
    let drafts = sqlx::query_as::<_, Row>(
        "SELECT id, slug, title, publish_at, updated_at, members_only FROM posts WHERE status = 'draft' ORDER BY updated_at DESC, id DESC",
    )
    .fetch_all(pool)
    .await?;
    let scheduled = sqlx::query_as::<_, Row>(
        "SELECT id, slug, title, publish_at, updated_at, members_only FROM posts \
         WHERE status = 'published' AND publish_at > $1 ORDER BY publish_at, id",
    )
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

/// The editor's fields as entered.
#[derive(Debug, Default, Clone)]
struct PostForm {
    title: String,
    slug: String,
    excerpt: String,
    body: String,
    topics: Vec<i64>,
    members_only: bool,
    guest_byline: String,
    cover_alt: String,
    /// An image already uploaded with this form (kept when the form comes back with errors).
    cover_image_id: Option<i64>,
    remove_cover: bool,
    publish_at: String,
    action: String,
}

/// A post being edited, as the editor shows it.
#[derive(Debug, Clone, Default)]
struct Current {
    id: Option<i64>,
    status: String,
    publish_at: Option<i64>,
    cover: Option<images::Cover>,
}

impl Current {
    fn state_label(&self, now: &i64) -> &'static str {
        match (self.status.as_str(), self.publish_at) {
            ("published", Some(t)) if t > *now => "Scheduled",
            ("published", _) => "Published",
            _ => "Draft",
        }
    }
}

#[derive(Template)]
#[template(path = "news/staff_form.html")]
struct FormPage {
    layout: Layout,
    form: PostForm,
    current: Current,
    all_topics: Vec<Topic>,
    errors: FormErrors,
    now: i64,
}

impl FormPage {
    fn has_topic(&self, id: &i64) -> bool {
        self.form.topics.contains(id)
    }
    fn publish_label(&self) -> String {
        self.current
            .publish_at
            .map(|t| self.layout.time(&t))
            .unwrap_or_default()
    }
    /// The publish-at field is read in the author's zone: say which, and where to change it.
    fn publish_hint(&self) -> String {
        format!(
            "Only for Schedule: when the post appears by itself. Your time zone, {}; change it on your account page.",
            self.layout.zone.name()
        )
    }
}

async fn new_form(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let page = FormPage {
        layout: ctx.layout().await,
        form: PostForm::default(),
        current: Current {
            status: "draft".to_owned(),
            ..Current::default()
        },
        all_topics: super::topics(&ctx.state.pool).await?,
        errors: FormErrors::default(),
        now: ctx.state.clock.now(),
    };
    Ok(web::render(&page))
}

#[derive(sqlx::FromRow)]
struct Stored {
    slug: String,
    title: String,
    excerpt: String,
    body_md: String,
    status: String,
    publish_at: Option<i64>,
    members_only: i64,
    guest_byline: String,
    cover_image_id: Option<i64>,
    cover_alt: String,
}

async fn stored(ctx: &Ctx, id: i64) -> AppResult<Stored> {
    sqlx::query_as::<_, Stored>(
        "SELECT slug, title, excerpt, body_md, status, publish_at, members_only, guest_byline, cover_image_id, cover_alt FROM posts WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&ctx.state.pool)
    .await?
    .ok_or(AppError::NotFound)
}

async fn cover_of(ctx: &Ctx, image_id: Option<i64>, alt: &str) -> AppResult<Option<images::Cover>> {
    let Some(id) = image_id else { return Ok(None) };
    let row: Option<(String, String, i64, i64)> =
        sqlx::query_as("SELECT hash, widths, width, height FROM images WHERE id = $1")
            .bind(id)
            .fetch_optional(&ctx.state.pool)
            .await?;
    let Some(mut cover) = row.and_then(|(h, w, width, height)| {
        images::Cover::from_row(Some(h), Some(w), Some(width), Some(height), alt)
    }) else {
        return Ok(None);
    };
    let original: Option<i64> =
        sqlx::query_scalar("SELECT file_id FROM image_files WHERE image_id = $1 AND width = 0")
            .bind(id)
            .fetch_optional(&ctx.state.pool)
            .await?;
    cover.has_original = original.is_some();
    Ok(Some(cover))
}

async fn edit_form(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let post = stored(&ctx, id).await?;
    let layout = ctx.layout().await;
    let topics: Vec<i64> =
        sqlx::query_scalar("SELECT topic_id FROM post_topics WHERE post_id = $1")
            .bind(id)
            .fetch_all(&ctx.state.pool)
            .await?;
    let form = PostForm {
        title: post.title,
        slug: post.slug,
        excerpt: post.excerpt,
        body: post.body_md,
        topics,
        members_only: post.members_only == 1,
        guest_byline: post.guest_byline,
        cover_alt: post.cover_alt.clone(),
        publish_at: post
            .publish_at
            .map(|t| layout.zone.field_value(t))
            .unwrap_or_default(),
        ..PostForm::default()
    };
    let current = Current {
        id: Some(id),
        status: post.status,
        publish_at: post.publish_at,
        cover: cover_of(&ctx, post.cover_image_id, &post.cover_alt).await?,
    };
    let page = FormPage {
        layout,
        form,
        current,
        all_topics: super::topics(&ctx.state.pool).await?,
        errors: FormErrors::default(),
        now: ctx.state.clock.now(),
    };
    Ok(web::render(&page))
}

/// The instant of a publish-at field, entered in the author's zone: a date and time this
/// form can read, with a year in [`web::YEARS`], that the zone's clocks show (not skipped by
/// daylight saving). Otherwise the message for the field.
fn parse_publish_at(zone: &Zone, s: &str) -> Result<i64, String> {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let f2 = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let dt = time::PrimitiveDateTime::parse(s.trim(), &f)
        .or_else(|_| time::PrimitiveDateTime::parse(s.trim(), &f2))
        .map_err(|_| "Enter the date and time to publish, like 2026-12-01T09:00.".to_owned())?;
    if !web::YEARS.contains(&dt.year()) {
        return Err(web::years_message("the date and time to publish"));
    }
    // Seconds are dropped: a post is scheduled to the minute, as the field shows it.
    let wall = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute()
    );
    zone.parse_local(&wall)
}

/// A cover sent with the form: stored as it arrived, or why not.
type Upload = Option<Result<crate::files::StoredFile, images::ImageError>>;

/// Reads the editor's multipart form; the cover file goes to the file store as it arrives.
async fn read_form(state: &AppState, mut multipart: Multipart) -> AppResult<(PostForm, Upload)> {
    let mut form = PostForm::default();
    let mut cover: Upload = None;
    let bad = |_| {
        AppError::BadRequest(
            "The form could not be read. Try again, with a smaller picture if you attached one."
                .to_owned(),
        )
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            // A picture over its limit was refused already: say that, with what was read.
            Err(_) if matches!(cover, Some(Err(_))) => break,
            Err(e) => return Err(bad(e)),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "cover" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let mut field = std::pin::pin!(field);
            // A file input left empty sends a part without a name or bytes.
            if file_name.is_empty() {
                while futures_util::StreamExt::next(&mut field).await.is_some() {}
                continue;
            }
            if let Some(Ok(earlier)) = cover.take() {
                let mut conn = state.pool.acquire().await?;
                crate::files::delete(&mut conn, earlier.id).await?;
            }
            let stored = images::upload(state, &file_name, &mut field).await?;
            if stored.is_err() {
                // The rest of the refused file is read and dropped, so that the fields
                // after it still come through.
                while let Some(piece) = futures_util::StreamExt::next(&mut field).await {
                    if piece.is_err() {
                        break;
                    }
                }
            }
            cover = Some(stored);
            continue;
        }
        let value = web::form::clean(&name, &field.text().await.map_err(bad)?).value;
        match name.as_str() {
            "title" => form.title = value,
            "slug" => form.slug = value,
            "excerpt" => form.excerpt = value,
            "body" => form.body = value,
            // A repeated choice counts once.
            "topic" => {
                if let Ok(topic) = value.parse::<i64>()
                    && !form.topics.contains(&topic)
                {
                    form.topics.push(topic);
                }
            }
            "members_only" => form.members_only = value == "1",
            "guest_byline" => form.guest_byline = value,
            "cover_alt" => form.cover_alt = value,
            "cover_image_id" => form.cover_image_id = value.parse().ok(),
            "remove_cover" => form.remove_cover = value == "1",
            "publish_at" => form.publish_at = value,
            "action" => form.action = value,
            _ => {}
        }
    }
    Ok((form, cover))
}

async fn create(Staff(ctx, author): Staff, multipart: Multipart) -> AppResult<Response> {
    web::permit(policy::can_publish(&author))?;
    let (form, cover) = read_form(&ctx.state, multipart).await?;
    save(ctx, author, None, form, cover).await
}

async fn update(
    Staff(ctx, author): Staff,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&author))?;
    stored(&ctx, id).await?;
    let (form, cover) = read_form(&ctx.state, multipart).await?;
    save(ctx, author, Some(id), form, cover).await
}

/// Checks and saves the editor's form: a new post or an existing one, with the status the
/// pressed button asks for.
async fn save(
    ctx: Ctx,
    author: Person,
    id: Option<i64>,
    mut form: PostForm,
    cover: Upload,
) -> AppResult<Response> {
    let state = &ctx.state;
    let now = state.clock.now();
    // Times are entered, and confirmed, in the author's zone.
    let zone = author.zone(&Zone::of_stored(Some(&state.config.time_zone)));
    let before = match id {
        Some(id) => Some(stored(&ctx, id).await?),
        None => None,
    };
    let mut errors = FormErrors::default();

    // An image uploaded with an earlier try of this form, if it is still kept.
    if let Some(earlier) = form.cover_image_id
        && !images::exists(&state.pool, earlier).await?
    {
        form.cover_image_id = None;
        if cover.is_none() {
            errors.add("cover", images::ImageError::Gone.to_string());
        }
    }
    match cover {
        Some(Ok(file)) => match images::create(state, file).await? {
            Ok(image_id) => {
                form.cover_image_id = Some(image_id);
                form.remove_cover = false;
            }
            Err(e) => errors.add("cover", e.to_string()),
        },
        Some(Err(e)) => errors.add("cover", e.to_string()),
        None => {}
    }
    let title = form.title.trim().to_owned();
    if title.is_empty() {
        errors.add("title", "Enter a title.");
    } else if title.chars().count() > 200 {
        errors.add("title", "A title has at most 200 characters.");
    }
    let wanted = if form.slug.trim().is_empty() {
        slug::slugify(&title)
    } else {
        form.slug.trim().to_lowercase()
    };
    if !title.is_empty() && wanted.is_empty() {
        errors.add(
            "slug",
            "Enter an address for the post, using letters, numbers and hyphens.",
        );
    } else if !wanted.is_empty() && !slug::is_valid(&wanted) {
        errors.add(
            "slug",
            "Use only lower-case letters, numbers and hyphens, like city-data-2020.",
        );
    }
    if form.excerpt.chars().count() > 500 {
        errors.add("excerpt", "An excerpt has at most 500 characters.");
    }
    if form.body.chars().count() > 200_000 {
        errors.add("body", "The body has at most 200,000 characters.");
    }
    if form.guest_byline.chars().count() > 200 {
        errors.add("guest_byline", "A byline has at most 200 characters.");
    }
    // The cover that will be shown: a new upload, the one kept from before, or none.
    let cover_id = if form.remove_cover {
        None
    } else {
        form.cover_image_id
            .or(before.as_ref().and_then(|b| b.cover_image_id))
    };
    if cover_id.is_some() && form.cover_alt.trim().is_empty() {
        errors.add(
            "cover_alt",
            "Describe the picture for people who cannot see it.",
        );
    }
    if form.cover_alt.chars().count() > 300 {
        errors.add("cover_alt", "A description has at most 300 characters.");
    }
    let topics = super::topics(&state.pool).await?;
    form.topics.retain(|t| topics.iter().any(|x| x.id == *t));
    let (status, publish_at) = match (form.action.as_str(), &before) {
        ("publish", Some(b))
            if b.status == "published" && b.publish_at.is_some_and(|t| t <= now) =>
        {
            ("published", b.publish_at)
        }
        ("publish", _) => ("published", Some(now)),
        ("schedule", _) => match parse_publish_at(&zone, &form.publish_at) {
            Ok(t) if t > now => ("published", Some(t)),
            Ok(_) => {
                errors.add(
                    "publish_at",
                    "Choose a time in the future, or press Publish now.",
                );
                ("draft", None)
            }
            Err(message) => {
                errors.add("publish_at", message);
                ("draft", None)
            }
        },
        ("draft", _) => ("draft", None),
        (_, Some(b)) => (
            if b.status == "published" {
                "published"
            } else {
                "draft"
            },
            b.publish_at,
        ),
        (_, None) => ("draft", None),
    };
    if !errors.is_empty() {
        return form_again(&ctx, id, form, cover_id, before.as_ref(), errors).await;
    }

    let (body_html, body_text) = markdown::render(&form.body);
    // The excerpt is public even for a members-only post, so only a public post's body
    // may supply one; a members-only post shows none unless staff write it.
    let excerpt = if form.excerpt.trim().is_empty() && !form.members_only {
        markdown::shorten(&body_text, 220)
    } else {
        form.excerpt.trim().to_owned()
    };
    let mut tx = state.begin_write().await?;
    let saved = match id {
        None => {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO posts (slug, title, excerpt, body_md, body_html, body_text, status, publish_at, members_only, author_id, \
                   guest_byline, cover_image_id, cover_alt, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id",
            )
            .bind(&wanted)
            .bind(&title)
            .bind(&excerpt)
            .bind(&form.body)
            .bind(&body_html)
            .bind(&body_text)
            .bind(status)
            .bind(publish_at)
            .bind(i64::from(form.members_only))
            .bind(author.id)
            .bind(form.guest_byline.trim())
            .bind(cover_id)
            .bind(form.cover_alt.trim())
            .bind(now)
            .fetch_one(&mut *tx)
            .await
        }
        Some(id) => sqlx::query_scalar::<_, i64>(
            "UPDATE posts SET slug = $1, title = $2, excerpt = $3, body_md = $4, body_html = $5, body_text = $6, status = $7, \
               publish_at = $8, members_only = $9, guest_byline = $10, cover_image_id = $11, cover_alt = $12, updated_at = $13 \
             WHERE id = $14 RETURNING id",
        )
        .bind(&wanted)
        .bind(&title)
        .bind(&excerpt)
        .bind(&form.body)
        .bind(&body_html)
        .bind(&body_text)
        .bind(status)
        .bind(publish_at)
        .bind(i64::from(form.members_only))
        .bind(form.guest_byline.trim())
        .bind(cover_id)
        .bind(form.cover_alt.trim())
        .bind(now)
        .bind(id)
        .fetch_one(&mut *tx)
        .await,
    };
    let post_id = match saved {
        Ok(post_id) => post_id,
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            let mut errors = FormErrors::default();
            errors.add(
                "slug",
                format!("Another post has the address /news/{wanted}. Choose another."),
            );
            return form_again(&ctx, id, form, cover_id, before.as_ref(), errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    // The old address keeps working: it answers with a redirect to the new one.
    if let Some(b) = &before
        && b.slug != wanted
    {
        sqlx::query("INSERT INTO post_redirects (old_slug, post_id) VALUES ($1, $2) ON CONFLICT (old_slug) DO UPDATE SET post_id = excluded.post_id")
            .bind(&b.slug)
            .bind(post_id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM post_redirects WHERE old_slug = $1")
        .bind(&wanted)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM post_topics WHERE post_id = $1")
        .bind(post_id)
        .execute(&mut *tx)
        .await?;
    for topic in &form.topics {
        sqlx::query("INSERT INTO post_topics (post_id, topic_id, status, publish_at) VALUES ($1, $2, $3, $4)")
            .bind(post_id)
            .bind(topic)
            .bind(status)
            .bind(publish_at)
            .execute(&mut *tx)
            .await?;
    }
    search::index(&mut tx, state.backend, post_id, &title, &body_text).await?;
    tx.commit().await?;

    let message = match (status, publish_at) {
        ("published", Some(t)) if t > now => {
            format!("“{title}” is scheduled for {}.", zone.time(t))
        }
        ("published", _) => format!("“{title}” is published."),
        _ => format!("“{title}” is saved as a draft."),
    };
    ctx.flash(message).await?;
    Ok(web::see_other(&format!("/staff/news/{post_id}/edit")))
}

async fn form_again(
    ctx: &Ctx,
    id: Option<i64>,
    mut form: PostForm,
    cover_id: Option<i64>,
    before: Option<&Stored>,
    errors: FormErrors,
) -> AppResult<Response> {
    form.cover_image_id = cover_id;
    let current = Current {
        id,
        status: before
            .map(|b| b.status.clone())
            .unwrap_or_else(|| "draft".to_owned()),
        publish_at: before.and_then(|b| b.publish_at),
        cover: cover_of(ctx, cover_id, &form.cover_alt).await?,
    };
    let page = FormPage {
        layout: ctx.layout().await,
        form,
        current,
        all_topics: super::topics(&ctx.state.pool).await?,
        errors,
        now: ctx.state.clock.now(),
    };
    let r = web::render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    Ok(r)
}

async fn preview(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let post =
        sqlx::query_as::<_, public::ArticleRow>(public::article_select!("$2", "WHERE p.id = $1"))
            .bind(id)
            .bind(policy::post_scope(Some(&person), ctx.state.clock.now()).members)
            .fetch_optional(&ctx.state.pool)
            .await?
            .ok_or(AppError::NotFound)?;
    let mut page = public::article_page(&ctx, post, true).await?;
    page.layout.meta.canonical = format!("{}/staff/news/{id}/preview", ctx.state.config.base());
    Ok(web::render(&page))
}

async fn set_status_draft(conn: &mut AnyConnection, id: i64, now: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE posts SET status = 'draft', publish_at = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE post_topics SET status = 'draft', publish_at = NULL WHERE post_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

async fn unpublish(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let post = stored(&ctx, id).await?;
    let mut tx = ctx.state.begin_write().await?;
    set_status_draft(&mut tx, id, ctx.state.clock.now()).await?;
    tx.commit().await?;
    ctx.flash(format!(
        "“{}” is unpublished and back among the drafts.",
        post.title
    ))
    .await?;
    Ok(web::see_other(&format!("/staff/news/{id}/edit")))
}

#[derive(Template)]
#[template(path = "news/staff_delete.html")]
struct DeletePage {
    layout: Layout,
    id: i64,
    title: String,
}

async fn delete_form(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let post = stored(&ctx, id).await?;
    Ok(web::render(&DeletePage {
        layout: ctx.layout().await,
        id,
        title: post.title,
    }))
}

async fn delete(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let post = stored(&ctx, id).await?;
    let mut tx = ctx.state.begin_write().await?;
    search::remove(&mut tx, ctx.state.backend, id).await?;
    sqlx::query("DELETE FROM post_topics WHERE post_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM post_redirects WHERE post_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM posts WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    ctx.flash(format!("“{}” is deleted.", post.title)).await?;
    Ok(web::see_other("/staff/news"))
}

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
}

async fn topics_page(ctx: &Ctx, name: String, errors: FormErrors) -> AppResult<Response> {
    let topics = sqlx::query_as::<_, TopicRow>(
        "SELECT t.id, t.slug, t.name, (SELECT COUNT(*) FROM post_topics pt WHERE pt.topic_id = t.id) AS posts FROM topics t ORDER BY t.name",
    )
    .fetch_all(&ctx.state.pool)
    .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let r = web::render_status(
        status,
        &TopicsPage {
            layout: ctx.layout().await,
            topics,
            name,
            errors,
        },
    );
    Ok(r)
}

async fn topics(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    topics_page(&ctx, String::new(), FormErrors::default()).await
}

#[derive(Deserialize)]
struct TopicForm {
    #[serde(default)]
    name: String,
}

fn check_topic(name: &str) -> Result<(String, String), FormErrors> {
    let mut errors = FormErrors::default();
    let name = name.trim();
    let slug = slug::slugify(name);
    if name.is_empty() || slug.is_empty() {
        errors.add("name", "Enter a topic name with letters or numbers.");
    } else if name.chars().count() > 60 {
        errors.add("name", "A topic name has at most 60 characters.");
    }
    if errors.is_empty() {
        Ok((name.to_owned(), slug))
    } else {
        Err(errors)
    }
}

async fn create_topic(
    Staff(ctx, person): Staff,
    Form(form): Form<TopicForm>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let (name, slug) = match check_topic(&form.name) {
        Ok(v) => v,
        Err(errors) => {
            return topics_page(&ctx, form.name.chars().take(200).collect(), errors).await;
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

async fn rename_topic(
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

async fn delete_topic(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
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
