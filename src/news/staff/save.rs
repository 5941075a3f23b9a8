//! What the editor's buttons save: the fields checked, the cover attached, the status and
//! time the button asks for (a scheduled time read in the author's zone), then the post.

use axum::response::Response;

use super::{
    Stored,
    editor::{FIELDS, PostForm, Upload, form_again},
    stored,
};
use crate::{
    accounts::Person,
    error::{AppResult, is_unique_violation},
    news::{
        images,
        write::{PostInput, PostState, create_post, update_post},
    },
    text::slug,
    time::Zone,
    web::{self, Ctx, FormErrors, form::Check},
};

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
pub(super) async fn save(
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
    let sender = (state, author.id);
    attach_cover(sender, &mut form, (cover, before.as_ref()), &mut check).await?;
    let body = check.markdown("body", &form.body).await;
    form.body = body.source.clone();
    let topics = crate::news::topics(&state.pool).await?;
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
        body: &body,
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
        (Some(id), Some(b)) => update_post(&mut tx, id, &b.slug, now, &input)
            .await
            .map(|()| id),
        _ => create_post(&mut tx, author.id, now, &input).await,
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

/// The picture sent with the form, or the one an earlier try of it holds (see
/// [`images::take`]); why not, next to the field.
async fn attach_cover(
    (state, person): (&crate::state::AppState, i64),
    form: &mut PostForm,
    (cover, before): (Upload, Option<&Stored>),
    check: &mut Check,
) -> AppResult<()> {
    let held = (&mut form.cover_image_id, &mut form.remove_cover);
    let own = before.and_then(|b| b.cover_image_id);
    images::take(state, person, held, (cover, own), check).await
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
    form.guest_byline = check.text("guest_byline", &form.guest_byline);
    let cover_id = if form.remove_cover {
        None
    } else {
        form.cover_image_id
            .or(before.and_then(|b| b.cover_image_id))
    };
    form.cover_alt = images::described(&mut check, cover_id, &form.cover_alt);
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
