//! Previews that store nothing: the editor's Preview button, the panel that follows the
//! typing in any Markdown editor, and a stored post as readers will see it.

use axum::{
    extract::Path,
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{
    editor::{Current, FIELDS, FormPage, PostForm, Upload, cover_of, keep_fields},
    stored,
};
use crate::{
    error::{AppError, AppResult},
    news::public,
    policy,
    text::markdown::Preview,
    web::{self, Ctx, FormErrors, Staff, form::Form},
};

/// The Preview button: the form again as entered, with the body rendered as it will be
/// published. Nothing is stored: a picture sent with the form is deleted at once (the author
/// chooses it again to save it), and no post, image or topic is written.
pub(super) async fn show_preview(
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
    let all_topics = crate::news::topics(&ctx.state.pool).await?;
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
    // The body's own note (too deep, too slow) and the picture's, both.
    let mut preview = Preview::of(&form.body).await;
    preview.note = [preview.note, note]
        .into_iter()
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
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
pub(super) struct PreviewText {
    #[serde(default)]
    body: String,
}

/// The preview panel's content for a Markdown text: rendered and sanitized as it will be
/// published, as an HTML fragment. Stores nothing.
pub(super) async fn preview_fragment(
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
        let preview = Preview::of(&text.body).await;
        if preview.note.is_empty() {
            preview.html
        } else {
            format!("<p class=\"hint\">{}</p>", preview.note)
        }
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

pub(super) async fn preview(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
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
