//! An author's edit of their own post, within the cohort's edit window (the opening post's
//! thread title too).

use askama::Template;
use axum::{extract::Path, response::Response};

use super::{FIELDS, PostForm, PostRef, Thread, kept, may_edit, post_of};
use crate::{
    cohorts::{Access, Cohort, space},
    error::{AppError, AppResult},
    policy,
    viewer::Person,
    web::{
        self, FormErrors, Layout,
        door::{self, Level, Writing},
        form::{self, Fields, Form},
    },
};

#[derive(Template)]
#[template(path = "cohorts/discussion_edit.html")]
struct EditPage {
    layout: Layout,
    nav: space::SpaceNav,
    cohort: Cohort,
    thread: Thread,
    post_id: i64,
    opening: bool,
    /// Until when the post may be edited.
    until: i64,
    form: PostForm,
    errors: FormErrors,
    fields: &'static Fields,
}

#[expect(clippy::too_many_arguments, reason = "one page's parts")]
async fn edit_page(
    ctx: &web::Ctx,
    person: &Person,
    access: &Access,
    thread: Thread,
    post: &PostRef,
    opening: bool,
    form: PostForm,
    errors: FormErrors,
) -> AppResult<Response> {
    let nav = space::nav(&ctx.state, person, access, "discussion").await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Edit your post: {}", thread.title);
    let failed = !errors.is_empty();
    let page = EditPage {
        layout,
        nav,
        cohort: access.cohort.clone(),
        thread,
        post_id: post.id,
        opening,
        until: post.created_at + policy::COHORT_EDIT_WINDOW,
        form,
        errors,
        fields: &FIELDS,
    };
    Ok(if failed {
        form::again(&page)
    } else {
        web::render(&page)
    })
}

pub(super) async fn edit_form(
    Writing(ctx, person, access): Writing<Access>,
    Path((_, thread_id, post_id)): Path<(String, i64, i64)>,
) -> AppResult<Response> {
    let (thread, post, opening) = post_of(&ctx, &access, &person, thread_id, post_id).await?;
    may_edit(&person, &access, &post, ctx.state.clock.now())?;
    let form = PostForm {
        title: if opening {
            thread.title.clone()
        } else {
            String::new()
        },
        body: post.body.clone(),
    };
    edit_page(
        &ctx,
        &person,
        &access,
        thread,
        &post,
        opening,
        form,
        FormErrors::default(),
    )
    .await
}

/// The author edits their post within [`policy::COHORT_EDIT_WINDOW`] (the opening post's thread title too).
pub(super) async fn update(
    Writing(ctx, person, access): Writing<Access>,
    Path((_, thread_id, post_id)): Path<(String, i64, i64)>,
    Form(form): Form<PostForm>,
) -> AppResult<Response> {
    let (thread, post, opening) = post_of(&ctx, &access, &person, thread_id, post_id).await?;
    let now = ctx.state.clock.now();
    may_edit(&person, &access, &post, now)?;
    let mut check = FIELDS.check();
    let title = if opening {
        check.text("title", &form.title)
    } else {
        String::new()
    };
    let body = check.markdown("body", &form.body).await;
    if let Err(errors) = check.finish() {
        let kept = kept(&form);
        return edit_page(&ctx, &person, &access, thread, &post, opening, kept, errors).await;
    }
    let mut tx = ctx.state.begin_write().await?;
    // The door again, in the write: removed, deactivated or lapsed meanwhile, nothing lands.
    door::again(&mut tx, &person, &access, Level::Write).await?;
    // The window is checked again in the write: the clock may have passed it meanwhile.
    let done = sqlx::query(
        "UPDATE cohort_posts SET body = $1, body_html = $2, edited_at = $3 \
         WHERE id = $4 AND author_id = $5 AND hidden_at IS NULL AND created_at > $6",
    )
    .bind(&body.source)
    .bind(&body.html)
    .bind(now)
    .bind(post.id)
    .bind(person.id)
    .bind(now - policy::COHORT_EDIT_WINDOW)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        tx.rollback().await?;
        // The clock passed the window (or a facilitator hid it) since the check above.
        let why = policy::cohort_edit_refusal(
            &person,
            access.standing,
            post.author_id,
            post.hidden_at.is_some(),
            post.created_at,
            now.max(post.created_at + policy::COHORT_EDIT_WINDOW),
        )
        .unwrap_or("This post can no longer be edited.");
        return Err(AppError::NoAccess(why.to_owned()));
    }
    if opening {
        sqlx::query("UPDATE cohort_threads SET title = $1 WHERE id = $2")
            .bind(&title)
            .bind(thread.id)
            .execute(&mut *tx)
            .await?;
    }
    crate::cohorts::search::index_thread(&mut tx, thread.id).await?;
    tx.commit().await?;
    ctx.flash("Your post is updated.").await?;
    let address =
        super::thread::post_address(&ctx.state.pool, &access, &person, thread.id, post.id).await?;
    Ok(web::see_other(&address))
}
