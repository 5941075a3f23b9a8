//! What a cohort's overview page gathers from its parts: the latest threads, the next
//! sessions and the newest resources, each as the person may see them. Each part adds its
//! own summary here.

use super::Access;
use crate::{error::AppResult, state::AppState, viewer::Person, web::Layout};

/// The overview's sections.
#[derive(Default)]
pub struct Sections {}

pub async fn sections(
    _state: &AppState,
    _layout: &Layout,
    _person: &Person,
    _access: &Access,
) -> AppResult<Sections> {
    Ok(Sections::default())
}
