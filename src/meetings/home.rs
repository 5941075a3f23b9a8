//! The annual meeting on the member home: the next meeting, the person's registration (or
//! number on the waitlist) and, for a mayor, the city's registrations with a way to register
//! an advisor.

use crate::{
    areas::Home,
    error::AppResult,
    policy::Role,
    web::shared::{Fut, Panel, PanelItem},
};

/// What the panel says of the area.
pub const ABOUT: &str = "The network's yearly gathering of mayors and advisors in a host city.";

/// One registration of the city, for its mayor.
#[derive(sqlx::FromRow)]
struct CityRow {
    id: i64,
    name: String,
    status: String,
}

pub fn panel<'a>(home: &'a Home<'a>) -> Fut<'a, AppResult<Panel>> {
    Box::pin(async move {
        let state = home.state;
        let mut conn = state.pool.acquire().await?;
        let now = state.clock.now();
        let Some(meeting) = super::next(&mut conn, now).await? else {
            return Ok(Panel {
                title: "Annual meeting",
                id: "meeting",
                lines: vec![format!("{ABOUT} The next one is not announced yet: its date and place will be here once staff announce them.")],
                items: Vec::new(),
                link: Some(("/meetings".to_owned(), "Past meetings".to_owned())),
            });
        };
        let mut lines = vec![format!("{} · {}", meeting.when(), meeting.place())];
        let mine = super::own_registration(&mut conn, meeting.id, home.person.id).await?;
        let mut items = Vec::new();
        match &mine {
            Some(r) => {
                let status = match super::places::waitlist_number(&mut conn, r).await? {
                    Some(n) => format!("You are number {n} on the waitlist."),
                    None => "You are registered.".to_owned(),
                };
                items.push(PanelItem {
                    href: format!("{}/registrations/{}", meeting.href(), r.id),
                    label: "Your registration".to_owned(),
                    notes: vec![status],
                });
            }
            None => lines.push(match meeting.closed_because(now) {
                Some(why) => why,
                None => "You are not registered yet.".to_owned(),
            }),
        }
        if home.person.role == Role::Mayor {
            let city: Vec<CityRow> = sqlx::query_as(
                "SELECT id, name, status FROM meeting_registrations WHERE meeting_id = $1 \
                 AND city_id = $2 AND status <> 'cancelled' AND (person_id IS NULL OR person_id <> $3) ORDER BY name, id",
            )
            .bind(meeting.id)
            .bind(home.person.city_id)
            .bind(home.person.id)
            .fetch_all(&mut *conn)
            .await?;
            for r in city {
                items.push(PanelItem {
                    href: format!("{}/registrations/{}", meeting.href(), r.id),
                    label: r.name,
                    notes: vec![if r.status == "waiting" { "On the waitlist".to_owned() } else { "Registered".to_owned() }],
                });
            }
        }
        let link = if meeting.registration_open(now) && (mine.is_none() || home.person.role == Role::Mayor) {
            let words = if mine.is_none() { "Register" } else { "Register an advisor" };
            Some((format!("{}/register", meeting.href()), format!("{words} for {}", meeting.title)))
        } else {
            Some((meeting.href(), meeting.title.clone()))
        };
        Ok(Panel {
            title: "Annual meeting",
            id: "meeting",
            lines,
            items,
            link,
        })
    })
}
