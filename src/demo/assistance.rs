//! The demo's technical assistance: a request in every status from several cities, with
//! replies from both sides, an internal note, an attachment and a city's answer on whether it
//! helped; owned by the first staff member.

use super::{Seed, cohorts::pdf, db};
use crate::{assistance, files, policy::RequestStatus, text::markdown::Rendered, viewer::Person};

const DAY: i64 = 86_400;

/// One demo request: who asked, what, where it stands, and the conversation.
struct DemoRequest {
    by: &'static str,
    topic: &'static str,
    title: &'static str,
    description: &'static str,
    urgency: &'static str,
    status: RequestStatus,
    /// Days ago it was opened.
    age: i64,
    /// (who, text): a name, or "staff".
    replies: &'static [(&'static str, &'static str)],
}

const REQUESTS: &[DemoRequest] = &[
    DemoRequest {
        by: "Morgan Ellis",
        topic: "Policy question",
        title: "Inclusionary zoning: what share have peer cities required?",
        description: "Council asks for a **comparison** of set-aside percentages and in-lieu fees in cities of our size before a March work session.",
        urgency: "high",
        status: RequestStatus::New,
        age: 0,
        replies: &[],
    },
    DemoRequest {
        by: "Luis Ortega",
        topic: "Data and evidence",
        title: "Measuring a guaranteed income pilot",
        description: "We want to design the evaluation of a 150-household pilot. Which outcome measures did other cities use?",
        urgency: "normal",
        status: RequestStatus::Triaged,
        age: 2,
        replies: &[],
    },
    DemoRequest {
        by: "Grace Kim",
        topic: "Policy question",
        title: "Building performance standard for municipal buildings",
        description: "Looking for model ordinance language and a phased timeline for our own buildings first.",
        urgency: "normal",
        status: RequestStatus::InProgress,
        age: 6,
        replies: &[
            (
                "staff",
                "Three cities in the network adopted one in the last two years. We are collecting their ordinances and will send a side-by-side.",
            ),
            (
                "Samuel Okafor",
                "Thank you. Our energy manager would like to join a call when you have it.",
            ),
        ],
    },
    DemoRequest {
        by: "Dana Whitfield",
        topic: "Grants and funding",
        title: "Safe Streets grant: local match options",
        description: "Can the local match come from a capital budget line already approved?",
        urgency: "high",
        status: RequestStatus::Waiting,
        age: 9,
        replies: &[(
            "staff",
            "Usually yes, if the line is not federal money itself. Could you send the budget page that describes the line?",
        )],
    },
    DemoRequest {
        by: "Priya Natarajan",
        topic: "Policy question",
        title: "Heat action plan: cooling centers' hours",
        description: "What hours and triggers do peers use to open cooling centers?",
        urgency: "normal",
        status: RequestStatus::Resolved,
        age: 5,
        replies: &[
            (
                "staff",
                "Most open at a heat index of 100°F and stay open until 8 PM; two keep libraries open late. The attached note compares six cities.",
            ),
            ("Priya Natarajan", "This is what we needed for the plan."),
        ],
    },
    DemoRequest {
        by: "Jamie Harkins",
        topic: "Program design",
        title: "Participatory budgeting: first-year scope",
        description: "How large should a first participatory budgeting cycle be?",
        urgency: "low",
        status: RequestStatus::Closed,
        age: 60,
        replies: &[(
            "staff",
            "Start with one district and about $250,000; the guide from last year's cohort has the timeline.",
        )],
    },
];

/// The path a request took to its status, for its history.
fn path_to(status: RequestStatus) -> &'static [RequestStatus] {
    use RequestStatus::*;
    match status {
        New => &[],
        Triaged => &[Triaged],
        InProgress => &[Triaged, InProgress],
        Waiting => &[Triaged, InProgress, Waiting],
        Resolved => &[Triaged, InProgress, Resolved],
        Closed => &[Triaged, InProgress, Resolved, Closed],
    }
}

/// Moves a new request along [`path_to`] its status, an hour a step, as staff would (the
/// last step to closed is the portal's).
async fn walk(
    tx: &mut sqlx::AnyConnection,
    id: i64,
    status: RequestStatus,
    staff: &Person,
    opened: i64,
) -> Result<(), String> {
    let mut at = opened;
    let mut from = RequestStatus::New;
    for (i, to) in path_to(status).iter().enumerate() {
        at += 3600 * (i as i64 + 1);
        let (mover, actor) = if *to == RequestStatus::Closed {
            (crate::policy::Mover::Portal, None)
        } else {
            (crate::policy::Mover::Staff, Some(staff))
        };
        assistance::transition(tx, id, (from, *to), mover, actor, at)
            .await
            .map_err(|e| e.to_string())?;
        from = *to;
    }
    Ok(())
}

impl Seed<'_> {
    /// The demo's requests, each indexed for search as the portal would.
    pub(super) async fn assistance(&self) -> Result<(), String> {
        let staff: Person = sqlx::query_as(crate::select_people!(
            "WHERE p.role = 'staff' ORDER BY p.id LIMIT 1"
        ))
        .fetch_one(&self.state.pool)
        .await
        .map_err(db)?;
        for r in REQUESTS {
            self.request(r, &staff).await?;
        }
        Ok(())
    }

    async fn request(&self, r: &DemoRequest, staff: &Person) -> Result<(), String> {
        let by = self.person_named(r.by).await?;
        let opened = self.now - r.age * DAY - 3 * 3600;
        let due = self.state.config.time_zone.add_business_days(opened, 2);
        let text = Rendered::now(r.description);
        // Stored before the write begins (the store writes on a connection of its own).
        let file = if r.status == RequestStatus::Resolved {
            let bytes = pdf(
                "Cooling centers in six cities",
                &["Hours, triggers and staffing, by city."],
            );
            Some(
                files::store_bytes(
                    &self.state.pool,
                    self.now,
                    &assistance::RULES,
                    "cooling-centers.pdf",
                    &bytes,
                )
                .await
                .map_err(|e| e.to_string())?,
            )
        } else {
            None
        };
        let mut people = Vec::new();
        for (who, _) in r.replies {
            people.push(if *who == "staff" {
                staff.clone()
            } else {
                self.person_named(who).await?
            });
        }
        let mut tx = self.state.begin_write().await.map_err(db)?;
        let topic: i64 = sqlx::query_scalar("SELECT id FROM assistance_topics WHERE name = $1")
            .bind(r.topic)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO assistance_requests (city_id, opened_by, topic_id, title, description, \
             description_html, urgency, needed_by, status, owner_id, created_at, response_due, \
             last_activity_at, submission) VALUES ($1, $2, $3, $4, $5, $6, $7, '', 'new', $8, $9, $10, $9, $11) \
             RETURNING id",
        )
        .bind(by.city_id)
        .bind(by.id)
        .bind(topic)
        .bind(r.title)
        .bind(&text.source)
        .bind(&text.html)
        .bind(r.urgency)
        .bind((r.status != RequestStatus::New).then_some(staff.id))
        .bind(opened)
        .bind(due)
        .bind(format!("demo-{}", r.title))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let what = format!("{} opened the request.", by.name);
        assistance::record(&mut tx, id, Some(by.id), &what, opened)
            .await
            .map_err(db)?;
        walk(&mut tx, id, r.status, staff, opened).await?;
        self.conversation(&mut tx, id, r, (&people, &by), (opened, file))
            .await?;
        assistance::index(&mut tx, id).await.map_err(db)?;
        tx.commit().await.map_err(db)
    }

    /// The replies, an internal note on the request in progress, the resolved one's file and
    /// its city's answer.
    async fn conversation(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
        r: &DemoRequest,
        (people, by): (&[Person], &Person),
        (opened, file): (i64, Option<files::StoredFile>),
    ) -> Result<(), String> {
        let staff = people.iter().find(|p| p.role == crate::policy::Role::Staff);
        for (i, ((_, body), author)) in r.replies.iter().zip(people).enumerate() {
            let at = opened + DAY * (i as i64 + 1) / 2;
            let text = Rendered::now(body);
            let reply: i64 = sqlx::query_scalar(
                "INSERT INTO assistance_replies (request_id, author_id, internal, body, body_html, created_at, submission) \
                 VALUES ($1, $2, 0, $3, $4, $5, $6) RETURNING id",
            )
            .bind(id)
            .bind(author.id)
            .bind(&text.source)
            .bind(&text.html)
            .bind(at)
            .bind(format!("demo-{i}"))
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            if let Some(file) = file.as_ref().filter(|_| i == 0) {
                assistance::attach(tx, id, Some((reply, false)), file, author.id, at)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            sqlx::query("UPDATE assistance_requests SET last_activity_at = $1, responded_at = COALESCE(responded_at, CASE WHEN $2 = 1 THEN $1 END) WHERE id = $3")
                .bind(at)
                .bind((author.role == crate::policy::Role::Staff) as i64)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        if let Some(staff) = staff.filter(|_| r.status == RequestStatus::InProgress) {
            let note = Rendered::now(
                "Internal: their energy manager left last month; go through the mayor's office.",
            );
            sqlx::query(
                "INSERT INTO assistance_replies (request_id, author_id, internal, body, body_html, created_at, submission) \
                 VALUES ($1, $2, 1, $3, $4, $5, 'demo-note')",
            )
            .bind(id)
            .bind(staff.id)
            .bind(&note.source)
            .bind(&note.html)
            .bind(opened + DAY)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        if r.status == RequestStatus::Resolved {
            sqlx::query(
                "INSERT INTO assistance_feedback (request_id, person_id, helped, comment, at) VALUES ($1, $2, 'yes', $3, $4)",
            )
            .bind(id)
            .bind(by.id)
            .bind("The comparison went straight into our heat plan.")
            .bind(opened + 2 * DAY)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        Ok(())
    }
}
