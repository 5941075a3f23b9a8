//! Staff publishing: drafts, scheduled and published posts; create, edit, preview, publish
//! now or at a chosen time, unpublish, delete with confirmation; topics.

use askama::Template;
use axum::{
    Router,
    extract::{Multipart, Path},
    http::header,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use sqlx::AnyConnection;

use super::{
    Topic, images, public, search,
    write::{PostInput, PostState, create_post, update_post},
};
use crate::{
    accounts::Person,
    error::{AppError, AppResult, is_unique_violation},
    policy,
    state::AppState,
    text::{
        markdown::{self, Preview},
        slug,
    },
    time::Zone,
    web::{
        self, Ctx, FormErrors, Layout, Staff,
        form::{self, Check, Field, Fields, Form},
    },
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
        .route("/staff/preview", post(preview_fragment))
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

async fn list(Staff(ctx, person): Staff) -> AppResult<Response> {
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
    status: PostState,
    publish_at: Option<i64>,
    cover: Option<images::Cover>,
}

impl Current {
    fn state_label(&self, now: &i64) -> &'static str {
        self.status.shown(self.publish_at, *now)
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
    fields: &'static Fields,
    /// The body rendered, after the Preview button.
    preview: Option<Preview>,
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
        current: Current::default(),
        all_topics: super::topics(&ctx.state.pool).await?,
        errors: FormErrors::default(),
        now: ctx.state.clock.now(),
        fields: &FIELDS,
        preview: None,
    };
    Ok(web::render(&page))
}

#[derive(sqlx::FromRow)]
struct Stored {
    slug: String,
    title: String,
    excerpt: String,
    body_md: String,
    status: PostState,
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
        fields: &FIELDS,
        preview: None,
    };
    Ok(web::render(&page))
}

/// The instant of a publish-at field, entered in the author's zone: a date and time this
/// form can read, with a year in [`web::YEARS`], that the zone's clocks show (not skipped by
/// daylight saving). Otherwise the message for the field.
fn parse_publish_at(zone: &Zone, s: &str) -> Result<i64, String> {
    let (year, wall) = crate::time::parse_wall_clock(s)
        .ok_or_else(|| "Enter the date and time to publish, like 2026-12-01T09:00.".to_owned())?;
    if !web::YEARS.contains(&year) {
        return Err(web::years_message("the date and time to publish"));
    }
    // Seconds are dropped: a post is scheduled to the minute, as the field shows it.
    zone.parse_local(&wall)
}

/// A cover sent with the form: stored as it arrived, or why not.
type Upload = Option<Result<crate::files::StoredFile, images::ImageError>>;

/// Reads the editor's multipart form; the cover file goes to the file store as it arrives.
async fn read_form(state: &AppState, multipart: Multipart) -> AppResult<(PostForm, Upload)> {
    let sent = crate::files::read_multipart(
        &state.pool,
        state.clock.now(),
        multipart,
        "cover",
        &images::UPLOAD,
    )
    .await?;
    let cover: Upload = sent.file.map(images::checked_upload).transpose()?;
    let mut form = PostForm::default();
    for (name, value) in sent.fields {
        // Checked (and cleaned) by the form's rules, as every text is.
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
    if form.action == "preview" {
        return show_preview(&ctx, None, form, cover).await;
    }
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
    if form.action == "preview" {
        return show_preview(&ctx, Some(id), form, cover).await;
    }
    save(ctx, author, Some(id), form, cover).await
}

/// The editor's text fields.
pub static FIELDS: Fields = Fields(&[
    Field {
        name: "title",
        label: "a title",
        max_len: 200,
        required: true,
        lines: false,
    },
    Field {
        name: "slug",
        label: "the address",
        max_len: 100,
        required: false,
        lines: false,
    },
    Field {
        name: "excerpt",
        label: "the excerpt",
        max_len: 500,
        required: false,
        lines: true,
    },
    Field {
        name: "body",
        label: "the body",
        max_len: 200_000,
        required: false,
        lines: true,
    },
    Field {
        name: "guest_byline",
        label: "the byline",
        max_len: 200,
        required: false,
        lines: false,
    },
    Field {
        name: "cover_alt",
        label: "the picture's description",
        max_len: 300,
        required: false,
        lines: false,
    },
]);

/// What the editor's form asks to save, once checked.
struct Checked {
    title: String,
    slug: String,
    state: PostState,
    publish_at: Option<i64>,
    /// The cover that will be shown: a new upload, the one kept from before, or none.
    cover_id: Option<i64>,
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
    let zone = author.zone(&state.config.time_zone);
    let before = match id {
        Some(id) => Some(stored(&ctx, id).await?),
        None => None,
    };
    // Control characters in a post were removed on reading, as the editor has always done.
    let mut check = FIELDS.check();
    attach_cover(state, &mut form, cover, &mut check).await?;
    let topics = super::topics(&state.pool).await?;
    form.topics.retain(|t| topics.iter().any(|x| x.id == *t));
    let checked = match check_post(&mut form, before.as_ref(), now, &zone, check) {
        Ok(checked) => checked,
        Err((cover_id, errors)) => {
            return form_again(&ctx, id, form, cover_id, before.as_ref(), errors).await;
        }
    };
    let input = PostInput {
        slug: &checked.slug,
        title: &checked.title,
        excerpt: &form.excerpt,
        body: &form.body,
        state: checked.state,
        publish_at: checked.publish_at,
        members_only: form.members_only,
        guest_byline: &form.guest_byline,
        cover_image_id: checked.cover_id,
        cover_alt: &form.cover_alt,
        topics: &form.topics,
    };
    let mut tx = state.begin_write().await?;
    let saved = match (id, &before) {
        (Some(id), Some(b)) => update_post(&mut tx, state.backend, id, &b.slug, now, &input)
            .await
            .map(|()| id),
        _ => create_post(&mut tx, state.backend, author.id, now, &input).await,
    };
    let post_id = match saved {
        Ok(post_id) => post_id,
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            let mut errors = FormErrors::default();
            errors.add(
                "slug",
                format!(
                    "Another post has the address /news/{}. Choose another.",
                    checked.slug
                ),
            );
            let cover_id = checked.cover_id;
            return form_again(&ctx, id, form, cover_id, before.as_ref(), errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    let title = &checked.title;
    let message = match (checked.state, checked.publish_at) {
        (PostState::Published, Some(t)) if t > now => {
            format!("“{title}” is scheduled for {}.", zone.time(t))
        }
        (PostState::Published, _) => format!("“{title}” is published."),
        (PostState::Draft, _) => format!("“{title}” is saved as a draft."),
    };
    ctx.flash(message).await?;
    Ok(web::see_other(&format!("/staff/news/{post_id}/edit")))
}

/// The picture sent with the form, or one uploaded with an earlier try of it if it is still
/// kept; why not, next to the field.
async fn attach_cover(
    state: &AppState,
    form: &mut PostForm,
    cover: Upload,
    check: &mut Check,
) -> AppResult<()> {
    if let Some(earlier) = form.cover_image_id
        && !images::exists(&state.pool, earlier).await?
    {
        form.cover_image_id = None;
        if cover.is_none() {
            check.add("cover", images::ImageError::Gone.to_string());
        }
    }
    match cover {
        Some(Ok(file)) => match images::create(state, file).await? {
            Ok(image_id) => {
                form.cover_image_id = Some(image_id);
                form.remove_cover = false;
            }
            Err(e) => check.add("cover", e.to_string()),
        },
        Some(Err(e)) => check.add("cover", e.to_string()),
        None => {}
    }
    Ok(())
}

/// Checks the editor's fields and decides the post's status from the button pressed; on
/// failure, the cover to show again with the messages.
fn check_post(
    form: &mut PostForm,
    before: Option<&Stored>,
    now: i64,
    zone: &Zone,
    mut check: Check,
) -> Result<Checked, (Option<i64>, FormErrors)> {
    let title = check.text("title", &form.title);
    form.slug = check.text("slug", &form.slug);
    let wanted = if form.slug.trim().is_empty() {
        slug::slugify(&title)
    } else {
        form.slug.trim().to_lowercase()
    };
    if check.has("slug") {
    } else if !title.is_empty() && wanted.is_empty() {
        check.add(
            "slug",
            "Enter an address for the post, using letters, numbers and hyphens.",
        );
    } else if !wanted.is_empty() && !slug::is_valid(&wanted) {
        check.add(
            "slug",
            "Use only lower-case letters, numbers and hyphens, like city-data-2020.",
        );
    }
    form.excerpt = check.text("excerpt", &form.excerpt);
    form.body = check.text("body", &form.body);
    form.guest_byline = check.text("guest_byline", &form.guest_byline);
    let cover_id = if form.remove_cover {
        None
    } else {
        form.cover_image_id
            .or(before.and_then(|b| b.cover_image_id))
    };
    let alt = check.text("cover_alt", &form.cover_alt);
    form.cover_alt = alt.clone();
    if cover_id.is_some() && alt.is_empty() && !check.has("cover_alt") {
        check.add(
            "cover_alt",
            "Describe the picture for people who cannot see it.",
        );
    }
    let (state, publish_at) = publication(form, before, now, zone, &mut check);
    match check.finish() {
        Ok(()) => Ok(Checked {
            title,
            slug: wanted,
            state,
            publish_at,
            cover_id,
        }),
        Err(errors) => Err((cover_id, errors)),
    }
}

/// The status and time the pressed button asks for.
fn publication(
    form: &PostForm,
    before: Option<&Stored>,
    now: i64,
    zone: &Zone,
    check: &mut Check,
) -> (PostState, Option<i64>) {
    use PostState::{Draft, Published};
    match (form.action.as_str(), before) {
        ("publish", Some(b)) if b.status.is_out(b.publish_at, now) => (Published, b.publish_at),
        ("publish", _) => (Published, Some(now)),
        // Entered in the author's zone.
        ("schedule", _) => match parse_publish_at(zone, &form.publish_at) {
            Ok(t) if t > now => (Published, Some(t)),
            Ok(_) => {
                check.add(
                    "publish_at",
                    "Choose a time in the future, or press Publish now.",
                );
                (Draft, None)
            }
            Err(message) => {
                check.add("publish_at", message);
                (Draft, None)
            }
        },
        ("draft", _) => (Draft, None),
        (_, Some(b)) => (b.status, b.publish_at),
        (_, None) => (Draft, None),
    }
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
    keep_fields(&mut form);
    let current = Current {
        id,
        status: before.map(|b| b.status).unwrap_or_default(),
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
        fields: &FIELDS,
        preview: None,
    };
    Ok(form::again(&page))
}

/// The text fields as they come back in the form, cut to what may be shown again.
fn keep_fields(form: &mut PostForm) {
    for field in FIELDS.0 {
        let kept = match field.name {
            "title" => &mut form.title,
            "slug" => &mut form.slug,
            "excerpt" => &mut form.excerpt,
            "body" => &mut form.body,
            "guest_byline" => &mut form.guest_byline,
            _ => &mut form.cover_alt,
        };
        *kept = FIELDS.keep(field.name, kept);
    }
}

/// The Preview button: the form again as entered, with the body rendered as it will be
/// published. Nothing is stored: a picture sent with the form is deleted at once (the author
/// chooses it again to save it), and no post, image or topic is written.
async fn show_preview(
    ctx: &Ctx,
    id: Option<i64>,
    mut form: PostForm,
    cover: Upload,
) -> AppResult<Response> {
    let before = match id {
        Some(id) => Some(stored(ctx, id).await?),
        None => None,
    };
    let mut note = String::new();
    if let Some(sent) = cover {
        if let Ok(file) = sent {
            let mut conn = ctx.state.pool.acquire().await?;
            crate::files::delete(&mut conn, file.id).await?;
        }
        note = "The picture you chose is not kept by a preview: choose it again before you save."
            .to_owned();
    }
    keep_fields(&mut form);
    let all_topics = super::topics(&ctx.state.pool).await?;
    form.topics
        .retain(|t| all_topics.iter().any(|x| x.id == *t));
    // The cover stays as it was: one uploaded with an earlier try of the form, or the
    // post's; "Remove this picture" comes back ticked if it was.
    let shown = form
        .cover_image_id
        .or(before.as_ref().and_then(|b| b.cover_image_id));
    let current = Current {
        id,
        status: before.as_ref().map(|b| b.status).unwrap_or_default(),
        publish_at: before.as_ref().and_then(|b| b.publish_at),
        cover: cover_of(ctx, shown, &form.cover_alt).await?,
    };
    let preview = Preview {
        note,
        ..Preview::of(&form.body).await
    };
    let page = FormPage {
        layout: ctx.layout().await,
        form,
        current,
        all_topics,
        errors: FormErrors::default(),
        now: ctx.state.clock.now(),
        fields: &FIELDS,
        preview: Some(preview),
    };
    Ok(web::render(&page))
}

/// The text of a Markdown editor, for the preview that follows the typing (static/editor.js).
#[derive(Deserialize)]
struct PreviewText {
    #[serde(default)]
    body: String,
}

/// The preview panel's content for a Markdown text: rendered and sanitized as it will be
/// published, as an HTML fragment. Stores nothing.
async fn preview_fragment(
    Staff(_ctx, person): Staff,
    Form(text): Form<PreviewText>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person) || policy::can_edit_pages(&person))?;
    let max = FIELDS.max("body");
    let html = if text.body.chars().count() > max {
        format!(
            "<p class=\"hint\">The text is longer than {max} characters: it cannot be saved or previewed.</p>"
        )
    } else if text.body.trim().is_empty() {
        "<p class=\"hint\">Nothing to preview: the text is empty.</p>".to_owned()
    } else {
        markdown::render(&text.body).0
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response())
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
    let mut check = TOPIC_FIELDS.check();
    let name = check.text("name", name);
    let slug = slug::slugify(&name);
    if !check.has("name") && slug.is_empty() {
        check.add("name", "Enter a topic name with letters or numbers.");
    }
    check.finish()?;
    Ok((name, slug))
}

async fn create_topic(
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
