//! Technical assistance on the member home (the city's open requests and a button to ask)
//! and on the staff desk (new requests, overdue first answers, requests waiting on staff).

use sqlx::AnyPool;

use super::Request;
use crate::{
    areas::Home,
    error::AppResult,
    policy, request_select,
    web::shared::{Fut, Panel, PanelItem},
};

/// What the panel says of the area.
pub const ABOUT: &str = "Ask our staff for help with a policy question, data, a grant or a program design, and follow the request to its resolution.";

/// The city's open requests, newest activity first, and the way to ask.
pub fn panel<'a>(home: &'a Home<'a>) -> Fut<'a, AppResult<Panel>> {
    Box::pin(async move {
        let person = home.person;
        if policy::can_run_assistance(person) {
            return Ok(Panel {
                title: "Technical assistance",
                id: "assistance",
                lines: vec![ABOUT.to_owned()],
                items: Vec::new(),
                link: Some((
                    "/staff/assistance".to_owned(),
                    "The assistance queue".to_owned(),
                )),
            });
        }
        if !policy::can_ask_for_assistance(person) {
            return Ok(Panel {
                title: "Technical assistance",
                id: "assistance",
                lines: vec![ABOUT.to_owned()],
                items: Vec::new(),
                link: None,
            });
        }
        let open = sqlx::query_as::<_, Request>(request_select!(
            "WHERE r.city_id = $1 AND r.status NOT IN ('resolved', 'closed') \
             ORDER BY r.last_activity_at DESC, r.id DESC LIMIT 5"
        ))
        .bind(person.city_id)
        .fetch_all(&home.state.pool)
        .await?;
        let lines = vec![if open.is_empty() {
            format!("{ABOUT} Your city has no open request.")
        } else {
            format!("Your city's open requests ({}):", open.len())
        }];
        let items = open
            .iter()
            .map(|r| PanelItem {
                href: r.href(),
                label: r.title.clone(),
                notes: vec![
                    r.status.label().to_owned(),
                    format!("last activity {}", home.layout.time(&r.last_activity_at)),
                ],
            })
            .collect();
        Ok(Panel {
            title: "Technical assistance",
            id: "assistance",
            lines,
            items,
            link: Some(("/assistance/new".to_owned(), "Ask for help".to_owned())),
        })
    })
}

/// The staff desk's counts: new requests, first answers overdue, requests waiting on staff.
pub struct DeskCounts {
    pub new: i64,
    pub overdue: i64,
    pub waiting_on_staff: i64,
    /// When the oldest new request was opened.
    pub oldest_new: Option<i64>,
}

pub async fn desk_counts(pool: &AnyPool, now: i64) -> sqlx::Result<DeskCounts> {
    let (new, overdue, waiting, oldest): (i64, i64, i64, Option<i64>) = sqlx::query_as(
        "SELECT \
         CAST(COALESCE(SUM(CASE WHEN status = 'new' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN responded_at IS NULL AND response_due < $1 THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN waiting_on = 'staff' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         MIN(CASE WHEN status = 'new' THEN created_at END) \
         FROM assistance_requests WHERE status NOT IN ('resolved', 'closed')",
    )
    .bind(now)
    .fetch_one(pool)
    .await?;
    Ok(DeskCounts {
        new,
        overdue,
        waiting_on_staff: waiting,
        oldest_new: oldest,
    })
}
