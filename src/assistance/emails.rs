//! The assistance emails, through the outbox in the transaction of the change: a new request
//! to the staff who triage, an assignment to its owner, a staff reply or a change of status to
//! the city's people on the request, a city reply to the owner. Each names the request and
//! links to it; what it quotes is a public reply, never an internal note (the callers pass
//! only public text, and a note sends no email).

use sqlx::AnyConnection;

use super::Request;
use crate::{
    email_templates,
    error::AppResult,
    notify::{self, Email},
    state::AppState,
};

/// What happened, in the email's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Happened {
    /// To the staff who triage.
    Opened,
    /// To the owner.
    Assigned,
    /// A reply: from the staff to the city, or from the city to the owner.
    Replied,
    /// A change of status, to the city.
    Moved,
    /// Resolved, to the city: with the question whether it helped.
    Resolved,
}

/// One assistance email.
pub struct Notice {
    pub org_name: String,
    pub name: String,
    pub happened: Happened,
    pub request_title: String,
    pub city: String,
    pub status: String,
    /// Who did it.
    pub actor: String,
    /// The public text quoted (a reply, the description), plain.
    pub quoted: String,
    pub link: String,
}
email_templates!(
    Notice,
    "email/assistance_notice.txt",
    "email/assistance_notice.html"
);

impl Notice {
    pub fn heading(&self) -> String {
        match self.happened {
            Happened::Opened => format!("{} asks for help: {}", self.city, self.request_title),
            Happened::Assigned => format!(
                "{} assigned you a request: {}",
                self.actor, self.request_title
            ),
            Happened::Replied => format!("{} replied to “{}”.", self.actor, self.request_title),
            Happened::Moved => format!("“{}” is now {}.", self.request_title, self.status),
            Happened::Resolved => format!("“{}” is resolved.", self.request_title),
        }
    }
    pub fn asks_feedback(&self) -> bool {
        self.happened == Happened::Resolved
    }
}

impl Email for Notice {
    const KIND: &'static str = "assistance";
    fn subject(&self) -> String {
        let what = match self.happened {
            Happened::Opened => "New request",
            Happened::Assigned => "Assigned to you",
            Happened::Replied => "New reply",
            Happened::Moved => "Status changed",
            Happened::Resolved => "Resolved",
        };
        format!(
            "{what}: {} (request {})",
            self.request_title,
            self.link.rsplit('/').next().unwrap_or_default()
        )
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
}

/// A person to write to.
#[derive(sqlx::FromRow)]
struct To {
    id: i64,
    name: String,
    email: String,
}

/// The staff who triage: those chosen at `/staff/assistance/settings`, else every staff member.
async fn triagers(conn: &mut AnyConnection) -> sqlx::Result<Vec<To>> {
    let chosen = sqlx::query_as::<_, To>(
        "SELECT p.id, p.name, p.email FROM assistance_triagers t JOIN people p ON p.id = t.person_id \
         WHERE p.active = 1 AND p.role = 'staff' ORDER BY p.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    if !chosen.is_empty() {
        return Ok(chosen);
    }
    sqlx::query_as::<_, To>(
        "SELECT id, name, email FROM people WHERE active = 1 AND role = 'staff' ORDER BY id",
    )
    .fetch_all(conn)
    .await
}

/// The city's people on the request, while they may still read it: its opener, everyone of
/// the city who replied, and the city's mayor when they follow all its requests.
async fn city_people(conn: &mut AnyConnection, r: &Request) -> sqlx::Result<Vec<To>> {
    sqlx::query_as::<_, To>(concat!(
        "SELECT p.id, p.name, p.email FROM people p JOIN cities c ON c.id = p.city_id \
         WHERE p.city_id = $2 AND p.role IN ('mayor', 'advisor') AND ",
        crate::member_areas_open!("p", "c"),
        " AND (p.id = $3 \
           OR p.id IN (SELECT author_id FROM assistance_replies WHERE request_id = $1 AND internal = 0) \
           OR (p.role = 'mayor' AND p.id IN (SELECT person_id FROM assistance_followers))) \
         ORDER BY p.id"
    ))
    .bind(r.id)
    .bind(r.city_id)
    .bind(r.opened_by)
    .fetch_all(conn)
    .await
}

/// The owner, when active; else the triagers.
async fn owner_or_triagers(conn: &mut AnyConnection, r: &Request) -> sqlx::Result<Vec<To>> {
    if let Some(owner) = r.owner_id {
        let found = sqlx::query_as::<_, To>(
            "SELECT id, name, email FROM people WHERE id = $1 AND active = 1 AND role = 'staff'",
        )
        .bind(owner)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(owner) = found {
            return Ok(vec![owner]);
        }
    }
    triagers(conn).await
}

/// Whom an event concerns.
#[derive(Debug, Clone, Copy)]
pub enum Audience {
    Triagers,
    /// The owner (or the triagers while there is none).
    Owner,
    City,
}

/// Writes the emails of `happened` on request `r` to `audience`, leaving out `actor` (who
/// did it, and knows).
pub async fn tell(
    conn: &mut AnyConnection,
    state: &AppState,
    r: &Request,
    (happened, audience): (Happened, Audience),
    actor: (i64, &str),
    quoted: &str,
) -> AppResult<()> {
    let people = match audience {
        Audience::Triagers => triagers(conn).await?,
        Audience::Owner => owner_or_triagers(conn, r).await?,
        Audience::City => city_people(conn, r).await?,
    };
    let org_name = crate::web::identity::org_name_on(conn, state).await?;
    for to in people.into_iter().filter(|p| p.id != actor.0) {
        let notice = Notice {
            org_name: org_name.clone(),
            name: to.name,
            happened,
            request_title: r.title.clone(),
            city: r.city_label(),
            status: r.status.label().to_lowercase(),
            actor: actor.1.to_owned(),
            quoted: quoted.chars().take(4000).collect(),
            link: format!("{}/assistance/{}", state.config.base(), r.id),
        };
        notify::enqueue(conn, state, &to.email, &notice).await?;
    }
    Ok(())
}
