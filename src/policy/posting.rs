//! How often one person may post (cohort threads and replies together): at most
//! `--posts-per-hour` in any hour, counted in the database so that every instance agrees, and
//! reserved inside the write transaction that stores the post.

use sqlx::AnyConnection;

use crate::{
    error::{AppError, AppResult},
    state::AppState,
};

/// Inside the write transaction of a new post by `person_id`: lets it through, or refuses it
/// with [`AppError::Held`] (the form comes back with the text and the time to wait). On
/// PostgreSQL a lock per person serializes the count; SQLite's write transaction already does.
pub async fn reserve(tx: &mut AnyConnection, state: &AppState, person_id: i64) -> AppResult<()> {
    let limit = state.config.posts_per_hour.max(1);
    let now = state.clock.now();
    crate::db::lock_key(tx, state.backend, &format!("posting:{person_id}")).await?;
    // The limit-th most recent post of the hour: the next one may come an hour after it.
    let nth: Option<i64> = sqlx::query_scalar(
        "SELECT created_at FROM cohort_posts WHERE author_id = $1 AND created_at > $2 \
         ORDER BY created_at DESC LIMIT 1 OFFSET $3",
    )
    .bind(person_id)
    .bind(now - 3600)
    .bind(limit - 1)
    .fetch_optional(&mut *tx)
    .await?;
    match nth {
        None => Ok(()),
        Some(at) => {
            let minutes = (at + 3600 - now + 59).max(60) / 60;
            let wait = if minutes == 1 {
                "1 minute".to_owned()
            } else {
                format!("{minutes} minutes")
            };
            Err(AppError::Held(format!(
                "You have posted {limit} times in the last hour, as many as the portal takes \
                 from one person. Nothing was posted: your text is below; send it again in {wait}."
            )))
        }
    }
}
