//! The post editor's form: its fields, the page for a new post or a stored one, and reading
//! what it sends (the cover going to the file store as it arrives); its buttons go to `save`
//! or to `preview`.

use askama::Template;
use axum::{
    extract::{Multipart, Path},
    response::Response,
};

use super::{Stored, preview::show_preview, save::save, stored};
use crate::{
    error::AppResult,
    news::{Topic, images, write::PostState},
    policy,
    state::AppState,
    text::markdown::Preview,
    web::{
        self, Ctx, FormErrors, Layout, Staff,
        form::{self, Field, Fields},
    },
};

/// The editor's fields as entered.
#[derive(Debug, Default, Clone)]
pub(super) struct PostForm {
    pub(super) title: String,
    pub(super) slug: String,
    pub(super) excerpt: String,
    pub(super) body: String,
    pub(super) topics: Vec<i64>,
    pub(super) members_only: bool,
    pub(super) guest_byline: String,
    pub(super) cover_alt: String,
    /// An image already uploaded with this form (kept when the form comes back with errors).
    pub(super) cover_image_id: Option<i64>,
    pub(super) remove_cover: bool,
    pub(super) publish_at: String,
    pub(super) action: String,
}

/// A post being edited, as the editor shows it.
#[derive(Debug, Clone, Default)]
pub(super) struct Current {
    pub(super) id: Option<i64>,
    pub(super) status: PostState,
    pub(super) publish_at: Option<i64>,
    pub(super) cover: Option<images::Cover>,
}

impl Current {
    fn state_label(&self, now: &i64) -> &'static str {
        self.status.shown(self.publish_at, *now)
    }
}

#[derive(Template)]
#[template(path = "news/staff_form.html")]
pub(super) struct FormPage {
    pub(super) layout: Layout,
    pub(super) form: PostForm,
    pub(super) current: Current,
    pub(super) all_topics: Vec<Topic>,
    pub(super) errors: FormErrors,
    pub(super) now: i64,
    pub(super) fields: &'static Fields,
    /// The body rendered, after the Preview button.
    pub(super) preview: Option<Preview>,
}

impl FormPage {
    /// The preview's note about the picture, if any.
    fn cover_note(&self) -> &str {
        self.preview.as_ref().map_or("", |p| p.note.as_str())
    }
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

pub(super) async fn new_form(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let page = FormPage {
        layout: ctx.layout().await,
        form: PostForm::default(),
        current: Current::default(),
        all_topics: crate::news::topics(&ctx.state.pool).await?,
        errors: FormErrors::default(),
        now: ctx.state.clock.now(),
        fields: &FIELDS,
        preview: None,
    };
    Ok(web::render(&page))
}

pub(super) async fn cover_of(
    ctx: &Ctx,
    image_id: Option<i64>,
    alt: &str,
) -> AppResult<Option<images::Cover>> {
    Ok(images::cover(&ctx.state.pool, image_id, alt).await?)
}

pub(super) async fn edit_form(
    Staff(ctx, person): Staff,
    Path(id): Path<i64>,
) -> AppResult<Response> {
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
        members_only: post.members_only.get(),
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
        all_topics: crate::news::topics(&ctx.state.pool).await?,
        errors: FormErrors::default(),
        now: ctx.state.clock.now(),
        fields: &FIELDS,
        preview: None,
    };
    Ok(web::render(&page))
}

/// A cover sent with the form: stored as it arrived, or why not.
pub(super) type Upload = Option<Result<crate::files::StoredFile, images::ImageError>>;

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

pub(super) async fn create(Staff(ctx, author): Staff, multipart: Multipart) -> AppResult<Response> {
    web::permit(policy::can_publish(&author))?;
    let (form, cover) = read_form(&ctx.state, multipart).await?;
    if form.action == "preview" {
        return show_preview(&ctx, None, form, cover).await;
    }
    save(ctx, author, None, form, cover).await
}

pub(super) async fn update(
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
    images::ALT_FIELD,
]);

pub(super) async fn form_again(
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
        all_topics: crate::news::topics(&ctx.state.pool).await?,
        errors,
        now: ctx.state.clock.now(),
        fields: &FIELDS,
        preview: None,
    };
    Ok(form::again(&page))
}

/// The text fields as they come back in the form, cut to what may be shown again.
pub(super) fn keep_fields(form: &mut PostForm) {
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
