//! What a cohort's overview page gathers from its parts: the latest threads, the next
//! sessions and the newest resources, each as the person may see them. Each part adds its
//! own summary here.

use super::{Access, discussion, resources};
use crate::{error::AppResult, state::AppState, viewer::Person, web::Layout};

/// How many of the newest resources the overview shows.
pub const NEW_RESOURCES: i64 = 3;

/// The overview's sections.
#[derive(Default)]
pub struct Sections {
    /// The threads with the newest activity (five).
    pub threads: Vec<discussion::ThreadRow>,
    /// The next three sessions (`super::sessions`).
    pub next_sessions: Vec<super::sessions::Upcoming>,
    /// The newest resources (files and links), newest first.
    pub resources: Vec<resources::Resource>,
}

pub async fn sections(
    state: &AppState,
    layout: &Layout,
    person: &Person,
    access: &Access,
) -> AppResult<Sections> {
    let resources = {
        let mut conn = state.pool.acquire().await?;
        resources::of_cohort(&mut conn, access.cohort.id, NEW_RESOURCES).await?
    };
    Ok(Sections {
        threads: discussion::latest(&state.pool, access, person).await?,
        next_sessions: super::sessions::next_three(
            &state.pool,
            &layout.zone,
            access.cohort.id,
            state.clock.now(),
        )
        .await?,
        resources,
    })
}
