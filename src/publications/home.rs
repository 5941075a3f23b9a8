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

/// The five newest publications the person may read, and the way to all of them.
pub fn panel<'a>(home: &'a Home<'a>) -> Fut<'a, AppResult<Panel>> {
    Box::pin(async move {
        let scope = crate::policy::search_scope(Some(home.person));
        let newest = sqlx::query_as::<_, Publication>(concat!(
            publication_select!("WHERE "),
            publication_readable!("$1", "$2", "$3", "$4"),
            " AND p.status = 'published' ORDER BY p.published_on DESC, p.id DESC LIMIT 5"
        ))
        .bind(scope.all)
        .bind(scope.members)
        .bind(scope.cohorts)
        .bind(scope.person)
        .fetch_all(&home.state.pool)
        .await?;
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
