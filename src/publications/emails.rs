//! The email of a new publication, through the outbox in the transaction that first publishes
//! it: to the people who may read it and either follow one of its cohorts (a cohort's
//! publication) or asked for publication news on `/account`. Each recipient passes the same
//! rule as the publication's page (`policy::can_read_publication`); the publisher gets none.

use sqlx::AnyConnection;

use crate::{
    email_templates,
    error::AppResult,
    notify::{self, Email},
    policy::{self, PublicationStanding, Visibility},
    state::AppState,
    viewer::Person,
};

/// One email about a new publication.
pub struct NewPublication {
    pub org_name: String,
    pub name: String,
    pub title: String,
    pub kind: String,
    pub summary: String,
    pub link: String,
    /// Why the person gets it, and how to stop.
    pub why: String,
}
email_templates!(
    NewPublication,
    "email/publication_new.txt",
    "email/publication_new.html"
);

impl Email for NewPublication {
    const KIND: &'static str = "publication";
    fn subject(&self) -> String {
        format!("New {}: {}", self.kind.to_lowercase(), self.title)
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
}

/// Writes the emails of publication `id` unless they were written before (the first
/// publication only: an edit or a new version sends none). The number written.
pub async fn announce(
    conn: &mut AnyConnection,
    state: &AppState,
    id: i64,
    publisher: i64,
) -> AppResult<usize> {
    let now = state.clock.now();
    let first = sqlx::query(
        "UPDATE publications SET announced_at = $1 WHERE id = $2 AND status = 'published' AND announced_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if first.rows_affected() != 1 {
        return Ok(0);
    }
    let (title, slug, summary, kind, visibility): (
        String,
        String,
        String,
        super::Kind,
        Visibility,
    ) = sqlx::query_as(
        "SELECT title, slug, summary, kind, visibility FROM publications WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let base = state.config.base();
    let readers = readers(conn, id, publisher, visibility, base).await?;
    let org_name = crate::web::identity::org_name_on(conn, state).await?;
    let summary = crate::text::markdown::shorten(&crate::text::markdown::plain(&summary), 300);
    let mut written = 0;
    for (person, why) in readers {
        let email = NewPublication {
            org_name: org_name.clone(),
            name: person.name.clone(),
            title: title.clone(),
            kind: kind.label().to_owned(),
            summary: summary.clone(),
            link: format!("{base}/publications/{slug}"),
            why,
        };
        notify::enqueue(conn, state, &person.email, &email).await?;
        written += 1;
    }
    Ok(written)
}

/// Who gets the email: the people who may read the publication and follow one of its cohorts
/// or asked for publication news, the publisher aside; with why they get it.
async fn readers(
    conn: &mut AnyConnection,
    id: i64,
    publisher: i64,
    visibility: Visibility,
    base: &str,
) -> sqlx::Result<Vec<(Person, String)>> {
    // Members of its cohorts, and whether they follow the cohort.
    let members: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT m.person_id, m.following, c.name FROM cohort_members m \
         JOIN publication_cohorts pc ON pc.cohort_id = m.cohort_id \
         JOIN cohorts c ON c.id = m.cohort_id WHERE pc.publication_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let people: Vec<Person> = sqlx::query_as::<_, Person>(crate::select_people!(
        "WHERE p.active = 1 AND p.id <> $2 AND (p.publication_news = 1 OR p.id IN \
           (SELECT m.person_id FROM cohort_members m JOIN publication_cohorts pc \
            ON pc.cohort_id = m.cohort_id WHERE pc.publication_id = $1 AND m.following = 1)) \
         ORDER BY p.id"
    ))
    .bind(id)
    .bind(publisher)
    .fetch_all(&mut *conn)
    .await?;
    let wants: Vec<i64> = sqlx::query_scalar("SELECT id FROM people WHERE publication_news = 1")
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::new();
    for person in people {
        let in_cohort = members.iter().any(|(p, _, _)| *p == person.id);
        let standing = PublicationStanding {
            visibility,
            published: true,
            in_cohort,
        };
        if !policy::can_read_publication(&policy::search_scope(Some(&person)), standing) {
            continue;
        }
        let follows = members.iter().find(|(p, f, _)| *p == person.id && *f == 1);
        let why = match follows {
            Some((_, _, cohort)) if !wants.contains(&person.id) => format!(
                "You get this because you follow {cohort}; stop following it in the cohort's space."
            ),
            _ => "You asked for news of publications; change this on your account page.".to_owned(),
        };
        out.push((person, format!("{why} {base}/account")));
    }
    Ok(out)
}
