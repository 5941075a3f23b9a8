//! The staff area: the desk from which staff run the network. It shows what needs doing now,
//! each count a link to the list of exactly those items.

use askama::Template;
use axum::{Router, response::Response, routing::get};

use crate::{
    accounts::{Person, db},
    cohorts,
    error::AppResult,
    join, members, news, notify,
    state::AppState,
    web::{self, Layout, Staff},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/staff", get(dashboard))
}

/// Invitations whose link stops working within this many days are "about to expire".
pub const EXPIRING_DAYS: i64 = 2;
/// Cities whose renewal date falls within this many days are "lapsing".
pub const LAPSING_DAYS: i64 = 60;

/// One thing that may need doing: how many, what, and the list of exactly those.
pub struct Task {
    pub count: i64,
    pub label: String,
    pub href: String,
    /// How long the oldest of them has waited, when that matters.
    pub age: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/dashboard.html")]
struct Dashboard {
    layout: Layout,
    tasks: Vec<Task>,
    staff: Vec<Person>,
}

impl Dashboard {
    fn nothing_to_do(&self) -> bool {
        self.tasks.iter().all(|t| t.count == 0)
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        one.to_owned()
    } else {
        many.to_owned()
    }
}

async fn tasks(state: &AppState) -> AppResult<Vec<Task>> {
    let pool = &state.pool;
    let now = state.clock.now();
    let waiting = join::review::waiting_count(pool).await?;
    let duplicates = join::review::waiting_duplicates(pool).await?.len() as i64;
    let failed = notify::outbox::counts(pool)
        .await?
        .into_iter()
        .find(|(status, _)| *status == notify::outbox::OutboxStatus::Failed)
        .map_or(0, |(_, n)| n);
    let (drafts, scheduled) = news::waiting_counts(pool, now).await?;
    let expiring = members::invitations::expiring_count(pool, now, EXPIRING_DAYS).await?;
    let lapsing = members::cities::lapsing_count(state, LAPSING_DAYS).await?;
    let task = |count: i64, label: String, href: &str| Task {
        count,
        label,
        href: href.to_owned(),
        age: None,
    };
    let mut tasks = vec![
        task(
            waiting,
            plural(
                waiting,
                "application waiting for a decision",
                "applications waiting for a decision",
            ),
            "/staff/applications",
        ),
        task(
            duplicates,
            plural(
                duplicates,
                "of them may be a duplicate",
                "of them may be duplicates",
            ),
            "/staff/applications?duplicates=1",
        ),
        task(
            failed,
            plural(failed, "email failed", "emails failed"),
            "/staff/outbox?status=failed",
        ),
        task(
            drafts,
            plural(drafts, "draft", "drafts"),
            "/staff/news#drafts",
        ),
        task(
            scheduled,
            plural(scheduled, "post scheduled", "posts scheduled"),
            "/staff/news#scheduled",
        ),
        task(
            expiring,
            format!(
                "{} expiring within {EXPIRING_DAYS} days",
                plural(expiring, "invitation", "invitations")
            ),
            &format!("/invitations?expiring={EXPIRING_DAYS}"),
        ),
        task(
            lapsing,
            format!(
                "{} within {LAPSING_DAYS} days or overdue",
                plural(lapsing, "city's renewal due", "cities' renewals due")
            ),
            &format!("/staff/cities?lapsing={LAPSING_DAYS}"),
        ),
        requests_task(pool, now).await?,
    ];
    tasks.extend(assistance_tasks(pool, now).await?);
    tasks.extend(meeting_tasks(pool, now).await?);
    // What needs doing comes first; the rest keeps its order, muted.
    tasks.sort_by_key(|t| t.count == 0);
    Ok(tasks)
}

/// Requests to join a cohort waiting for a facilitator, with how long the oldest has waited.
async fn requests_task(pool: &sqlx::AnyPool, now: i64) -> AppResult<Task> {
    let (count, oldest) = cohorts::manage::waiting_requests(pool).await?;
    Ok(Task {
        count,
        label: plural(
            count,
            "request to join a cohort waiting",
            "requests to join a cohort waiting",
        ),
        href: "/staff/cohorts#requests".to_owned(),
        age: oldest.filter(|_| count > 0).map(|t| waited(now - t)),
    })
}

/// Assistance requests: new ones (with how long the oldest has waited), first answers
/// overdue, and requests waiting on staff, each a link to exactly those in the queue.
async fn assistance_tasks(pool: &sqlx::AnyPool, now: i64) -> AppResult<Vec<Task>> {
    let c = crate::assistance::home::desk_counts(pool, now).await?;
    Ok(vec![
        Task {
            count: c.new,
            label: plural(c.new, "new assistance request", "new assistance requests"),
            href: "/staff/assistance?status=new".to_owned(),
            age: c.oldest_new.filter(|_| c.new > 0).map(|t| waited(now - t)),
        },
        Task {
            count: c.overdue,
            label: plural(
                c.overdue,
                "assistance request's first answer overdue",
                "assistance requests' first answers overdue",
            ),
            href: "/staff/assistance?overdue=1".to_owned(),
            age: None,
        },
        Task {
            count: c.waiting_on_staff,
            label: plural(
                c.waiting_on_staff,
                "assistance request waiting on staff",
                "assistance requests waiting on staff",
            ),
            href: "/staff/assistance?waiting=staff".to_owned(),
            age: None,
        },
    ])
}

/// The next meeting's registrations this week, people waiting and payments due, each a link
/// to exactly those in its roster.
async fn meeting_tasks(pool: &sqlx::AnyPool, now: i64) -> AppResult<Vec<Task>> {
    let Some(c) = crate::meetings::roster::desk_counts(pool, now).await? else {
        return Ok(Vec::new());
    };
    let roster = format!("/staff/meetings/{}", c.meeting.slug);
    let title = &c.meeting.title;
    let task = |count: i64, label: String, href: String| Task {
        count,
        label,
        href,
        age: None,
    };
    Ok(vec![
        task(
            c.this_week,
            format!(
                "{} for {title} this week",
                plural(c.this_week, "registration", "registrations")
            ),
            roster.clone(),
        ),
        task(
            c.waiting,
            format!(
                "{} on the waitlist of {title}",
                plural(c.waiting, "person", "people")
            ),
            format!("{roster}?status=waiting"),
        ),
        task(
            c.due,
            format!("{} due for {title}", plural(c.due, "payment", "payments")),
            format!("{roster}?status=registered&payment=due"),
        ),
    ])
}

/// How long something has waited, in words: "since today", "1 day", "5 days".
fn waited(seconds: i64) -> String {
    match seconds.max(0) / 86_400 {
        0 => "oldest since today".to_owned(),
        1 => "oldest 1 day".to_owned(),
        d => format!("oldest {d} days"),
    }
}

async fn dashboard(Staff(ctx, _): Staff) -> AppResult<Response> {
    let tasks = tasks(&ctx.state).await?;
    let staff = db::list_staff(&ctx.state.pool).await?;
    Ok(web::render(&Dashboard {
        layout: ctx.layout().await,
        tasks,
        staff,
    }))
}
