//! What a cohort's overview page gathers from its parts: the latest threads, the next
//! sessions and the newest resources, each as the person may see them. Each part adds its
//! own summary here.

use super::{Access, resources};
use crate::{error::AppResult, state::AppState, viewer::Person, web::Layout};

/// How many of the newest resources the overview shows.
pub const NEW_RESOURCES: i64 = 3;

/// The overview's sections.
#[derive(Default)]
pub struct Sections {
    /// The newest resources (files and links), newest first.
    pub resources: Vec<resources::Resource>,
}

pub async fn sections(
    state: &AppState,
    _layout: &Layout,
    _person: &Person,
    access: &Access,
) -> AppResult<Sections> {
    let mut conn = state.pool.acquire().await?;
    let resources = resources::of_cohort(&mut conn, access.cohort.id, NEW_RESOURCES).await?;
    Ok(Sections { resources })
}
