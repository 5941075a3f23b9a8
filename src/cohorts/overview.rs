//! What a cohort's overview page gathers from its parts: the latest threads, the next
//! sessions and the newest resources, each as the person may see them. Each part adds its
//! own summary here.

use super::{Access, discussion};
use crate::{error::AppResult, state::AppState, viewer::Person, web::Layout};

/// The overview's sections.
#[derive(Default)]
pub struct Sections {
    /// The threads with the newest activity (five).
    pub threads: Vec<discussion::ThreadRow>,
    /// The next three sessions (`super::sessions`).
    pub next_sessions: Vec<super::sessions::Upcoming>,
}

pub async fn sections(
    state: &AppState,
    layout: &Layout,
    person: &Person,
    access: &Access,
) -> AppResult<Sections> {
    Ok(Sections {
        threads: discussion::latest(&state.pool, access, person).await?,
        next_sessions: super::sessions::next_three(
            &state.pool,
            &layout.zone,
            access.cohort.id,
            state.clock.now(),
        )
        .await?,
    })
}
