//! Facilitators and staff hide a post from the cohort's members or restore it; the opening
//! post takes its thread with it, and each change is in the audit log.

use axum::{extract::Path, response::Response};

use super::post_of;
use crate::{
    audit,
    cohorts::Access,
    error::AppResult,
    viewer::Person,
    web::{self, door::Steering},
};

pub(super) async fn hide(
    Steering(ctx, person, access): Steering<Access>,
    Path((_, thread_id, post_id)): Path<(String, i64, i64)>,
) -> AppResult<Response> {
    moderate(ctx, person, access, thread_id, post_id, true).await
}

pub(super) async fn restore(
    Steering(ctx, person, access): Steering<Access>,
    Path((_, thread_id, post_id)): Path<(String, i64, i64)>,
) -> AppResult<Response> {
    moderate(ctx, person, access, thread_id, post_id, false).await
}

/// Hides a post from the cohort's members, or shows it again; the opening post takes its
/// thread with it. Guarded: a second click changes nothing and logs nothing.
async fn moderate(
    ctx: web::Ctx,
    person: Person,
    access: Access,
    thread_id: i64,
    post_id: i64,
    hiding: bool,
) -> AppResult<Response> {
    let (thread, post, opening) = post_of(&ctx, &access, &person, thread_id, post_id).await?;
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let done = if hiding {
        sqlx::query(
            "UPDATE cohort_posts SET hidden_at = $1, hidden_by = $2 \
             WHERE id = $3 AND hidden_at IS NULL",
        )
        .bind(now)
        .bind(person.id)
        .bind(post.id)
        .execute(&mut *tx)
        .await?
    } else {
        sqlx::query(
            "UPDATE cohort_posts SET hidden_at = NULL, hidden_by = NULL \
             WHERE id = $1 AND hidden_at IS NOT NULL",
        )
        .bind(post.id)
        .execute(&mut *tx)
        .await?
    };
    if done.rows_affected() == 1 {
        if opening {
            sqlx::query("UPDATE cohort_threads SET hidden_at = $1 WHERE id = $2")
                .bind(hiding.then_some(now))
                .bind(thread.id)
                .execute(&mut *tx)
                .await?;
        }
        crate::cohorts::search::index_thread(&mut tx, thread.id).await?;
        audit::record(
            &mut tx,
            now,
            person.id,
            if hiding {
                "cohort.post_hidden"
            } else {
                "cohort.post_restored"
            },
            audit::Subject {
                person_id: Some(post.author_id),
                city_id: None,
                detail: &format!(
                    "{}: {} (post {})",
                    access.cohort.name, thread.title, post.id
                ),
            },
        )
        .await?;
    }
    tx.commit().await?;
    ctx.flash(match (hiding, opening) {
        (true, true) => "The thread is hidden: members no longer see it.",
        (true, false) => "The post is hidden: members no longer see it.",
        (false, true) => "The thread is restored: members see it again.",
        (false, false) => "The post is restored: members see it again.",
    })
    .await?;
    let address =
        super::thread::post_address(&ctx.state.pool, &access, &person, thread.id, post.id).await?;
    Ok(web::see_other(&address))
}
