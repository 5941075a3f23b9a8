//! Publications on the member home: the newest the person may read.

use super::Publication;
use crate::{
    areas::Home,
    error::AppResult,
    publication_readable, publication_select,
    web::shared::{Fut, Panel, PanelItem},
};

/// What the panel says of the area.
pub const ABOUT: &str =
    "Reports, policy briefs, toolkits, case studies and webinar recordings from the network.";

/// The `n` newest publications the reader may read (the public's on the home page).
pub async fn newest(
    state: &crate::state::AppState,
    reader: Option<&crate::viewer::Person>,
    n: i64,
) -> sqlx::Result<Vec<Publication>> {
    let scope = crate::policy::search_scope(reader);
    sqlx::query_as::<_, Publication>(concat!(
        publication_select!("WHERE "),
        publication_readable!("$1", "$2", "$3", "$4"),
        " AND p.status = 'published' ORDER BY p.published_on DESC, p.id DESC LIMIT $5"
    ))
    .bind(scope.all)
    .bind(scope.members)
    .bind(scope.cohorts)
    .bind(scope.person)
    .bind(n)
    .fetch_all(&state.pool)
    .await
}

/// The five newest publications the person may read, and the way to all of them.
pub fn panel<'a>(home: &'a Home<'a>) -> Fut<'a, AppResult<Panel>> {
    Box::pin(async move {
        let newest = newest(home.state, Some(home.person), 5).await?;
        let lines = vec![if newest.is_empty() {
            format!("{ABOUT} None is published yet.")
        } else {
            "The newest:".to_owned()
        }];
        let items = newest
            .iter()
            .map(|p| PanelItem {
                href: p.href(),
                label: p.title.clone(),
                notes: vec![format!(
                    "{} · {}",
                    p.kind.label(),
                    home.layout.civil_date(&p.published_on)
                )],
            })
            .collect();
        Ok(Panel {
            title: "Publications",
            id: "publications",
            lines,
            items,
            link: Some(("/publications".to_owned(), "All publications".to_owned())),
        })
    })
}
