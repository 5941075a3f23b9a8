//! Cohorts on the shared pages: the member home's panel (the person's cohorts, with what is
//! new in each since their last visit and the next session) and the area's entry in
//! `crate::areas`.

use crate::{error::AppResult, policy, state::AppState, viewer::Person, web::Layout};

/// One of the person's cohorts as the member home shows it.
pub struct Mine {
    pub name: String,
    pub href: String,
    /// "2 threads with new posts", "Next session: …".
    pub notes: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    cohort: super::Cohort,
    joined_at: i64,
    /// Requests to join waiting for the person, who facilitates the open cohort (else 0).
    waiting: i64,
    /// When the oldest of them was sent.
    oldest: Option<i64>,
}

/// The person's cohorts, active ones first, each with what is new.
pub async fn summary(state: &AppState, layout: &Layout, person: &Person) -> AppResult<Vec<Mine>> {
    let scope = policy::cohort_scope(Some(person));
    let rows = sqlx::query_as::<_, Row>(concat!(
        "SELECT ",
        crate::cohort_columns!("c"),
        ", m.joined_at, \
         CASE WHEN m.role = 'facilitator' AND c.status = 'active' THEN \
           (SELECT COUNT(*) FROM cohort_requests r WHERE r.cohort_id = c.id AND r.status = 'pending') \
           ELSE 0 END AS waiting, \
         (SELECT MIN(r.created_at) FROM cohort_requests r WHERE r.cohort_id = c.id AND r.status = 'pending') AS oldest \
         FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id \
         WHERE m.person_id = $1 AND ",
        crate::cohort_entered!("m", "$2", "$3"),
        " ORDER BY CASE c.status WHEN 'active' THEN 0 ELSE 1 END, c.name, c.id"
    ))
    .bind(scope.person)
    .bind(scope.open)
    .bind(scope.all)
    .fetch_all(&state.pool)
    .await?;
    let mut mine = Vec::new();
    for row in rows {
        let mut notes = Vec::new();
        if row.cohort.is_archived() {
            notes.push("Archived".to_owned());
        }
        let unread =
            super::discussion::unread_threads(&state.pool, row.cohort.id, person.id, row.joined_at)
                .await?;
        let next = super::sessions::next_three(
            &state.pool,
            &layout.zone,
            row.cohort.id,
            state.clock.now(),
        )
        .await?;
        if let Some(session) = next.first() {
            notes.push(format!("Next session: {}, {}", session.title, session.when));
        }
        if unread > 0 {
            notes.push(format!(
                "{unread} {} with new posts since your last visit",
                if unread == 1 { "thread" } else { "threads" }
            ));
        }
        let requests = (row.waiting > 0).then(|| Mine {
            href: format!("{}/requests", row.cohort.href()),
            name: format!(
                "{} {} to join {} waiting for your answer",
                row.waiting,
                if row.waiting == 1 {
                    "request"
                } else {
                    "requests"
                },
                row.cohort.name
            ),
            notes: row
                .oldest
                .map(|t| format!("The oldest since {}", layout.date(&t)))
                .into_iter()
                .collect(),
        });
        mine.push(Mine {
            href: row.cohort.href(),
            name: row.cohort.name,
            notes,
        });
        mine.extend(requests);
    }
    Ok(mine)
}

/// What the cohorts panel says when it has nothing of the person's to show.
pub const ABOUT: &str = "Small groups of mayors and advisors working on one theme for a season: discussion, resources and sessions.";

/// The cohorts panel of the member home: the person's cohorts, with what is new in each.
pub fn panel<'a>(
    state: &'a AppState,
    layout: &'a Layout,
    person: &'a Person,
) -> crate::web::shared::Fut<'a, AppResult<crate::web::shared::Panel>> {
    Box::pin(async move {
        let mine = summary(state, layout, person).await?;
        let lines = if mine.is_empty() {
            vec![format!("{ABOUT} You are in none yet.")]
        } else {
            Vec::new()
        };
        Ok(crate::web::shared::Panel {
            title: "Cohorts & networks",
            id: "cohorts",
            lines,
            items: mine
                .into_iter()
                .map(|c| crate::web::shared::PanelItem {
                    href: c.href,
                    label: c.name,
                    notes: c.notes,
                })
                .collect(),
            link: Some(("/cohorts", "All cohorts")),
        })
    })
}

/// The cohorts' hits for the portal's search: threads and resources of the cohorts the
/// reader may enter.
pub fn search<'a>(
    state: &'a AppState,
    reader: Option<&'a Person>,
    q: &'a str,
) -> crate::web::shared::Fut<'a, sqlx::Result<Vec<crate::web::shared::Hit>>> {
    Box::pin(super::search::search(state, reader, q))
}
