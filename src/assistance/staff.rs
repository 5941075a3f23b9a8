//! The staff's side: the queue (`/staff/assistance`: filters, what needs an answer first, the
//! first-answer target, counts per status, paging, CSV), the topics with what cities said of
//! the answers, and who triages new requests.

use askama::Template;
use axum::{
    Router,
    extract::Query,
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;

use super::{Request, Topic, Urgency};
use crate::{
    error::{AppError, AppResult},
    policy::{self, RequestStatus},
    request_select,
    state::AppState,
    text::csv::Csv,
    web::{
        self, FormErrors, Layout, Staff,
        form::{Field, Fields, Form},
        paging::{Numbered, PageLinks},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/assistance", get(queue))
        .route("/staff/assistance.csv", get(export))
        .route("/staff/assistance/topics", get(topics_page).post(add_topic))
        .route("/staff/assistance/topics/retire", post(retire_topic))
        .route("/staff/assistance/triagers", post(triagers))
}

/// Requests on a page of the queue.
const PAGE: i64 = 50;

/// The queue's filters, as in its address.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Filters {
    /// A status, "open" (the default: every status but resolved and closed) or "all".
    pub status: Option<String>,
    pub topic: Option<String>,
    /// A staff member's id, or "none" for requests nobody owns.
    pub owner: Option<String>,
    pub city: Option<String>,
    pub urgency: Option<String>,
    pub overdue: Option<String>,
    /// "staff" or "city": whose turn it is.
    pub waiting: Option<String>,
    pub page: Option<String>,
}

/// The filters as the query binds them: text and ids, 0 or empty for "any".
struct Bound {
    status: String,
    topic: i64,
    owner: i64,
    city: i64,
    urgency: String,
    overdue: i64,
    waiting: String,
}

impl Filters {
    fn status(&self) -> &str {
        match self.status.as_deref().map(str::trim) {
            None | Some("") => "open",
            Some(s) => s,
        }
    }

    fn bound(&self) -> AppResult<Bound> {
        let status = self.status();
        if status != "open" && status != "all" && RequestStatus::parse(status).is_none() {
            return Err(AppError::NotFound);
        }
        let id = |v: &Option<String>| -> AppResult<i64> {
            match v.as_deref().map(str::trim) {
                None | Some("") => Ok(0),
                Some(s) => s
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(AppError::NotFound),
            }
        };
        let owner = match self.owner.as_deref().map(str::trim) {
            Some("none") => -1,
            _ => id(&self.owner)?,
        };
        let urgency = self.urgency.as_deref().map(str::trim).unwrap_or_default();
        if !urgency.is_empty() && Urgency::parse(urgency).is_none() {
            return Err(AppError::NotFound);
        }
        let waiting = self.waiting.as_deref().map(str::trim).unwrap_or_default();
        if !matches!(waiting, "" | "staff" | "city") {
            return Err(AppError::NotFound);
        }
        Ok(Bound {
            waiting: waiting.to_owned(),
            status: if status == "all" {
                String::new()
            } else {
                status.to_owned()
            },
            topic: id(&self.topic)?,
            owner,
            city: id(&self.city)?,
            urgency: urgency.to_owned(),
            overdue: i64::from(self.overdue.as_deref() == Some("1")),
        })
    }

    /// The filters as an address's query, without the page.
    pub fn query(&self) -> String {
        let pairs = [
            ("status", self.status.as_deref()),
            ("topic", self.topic.as_deref()),
            ("owner", self.owner.as_deref()),
            ("city", self.city.as_deref()),
            ("urgency", self.urgency.as_deref()),
            ("overdue", self.overdue.as_deref()),
            ("waiting", self.waiting.as_deref()),
        ];
        pairs
            .iter()
            .filter_map(|(k, v)| {
                v.filter(|v| !v.trim().is_empty())
                    .map(|v| format!("{k}={}", web::url_encode(v.trim())))
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    pub fn is(&self, name: &str, value: &str) -> bool {
        let v = match name {
            "status" => Some(self.status()),
            "topic" => self.topic.as_deref(),
            "owner" => self.owner.as_deref(),
            "city" => self.city.as_deref(),
            "urgency" => self.urgency.as_deref(),
            "waiting" => self.waiting.as_deref(),
            _ => None,
        };
        v.map(str::trim) == Some(value)
    }

    pub fn overdue_only(&self) -> bool {
        self.overdue.as_deref() == Some("1")
    }
}

/// The queue's condition on `assistance_requests r`: `$1`..`$8` are the filters and now.
const WHERE: &str = "WHERE ($1 = '' OR ($1 = 'open' AND r.status NOT IN ('resolved', 'closed')) OR r.status = $1) \
     AND ($2 = 0 OR r.topic_id = $2) AND ($3 = 0 OR ($3 = -1 AND r.owner_id IS NULL) OR r.owner_id = $3) \
     AND ($4 = 0 OR r.city_id = $4) AND ($5 = '' OR r.urgency = $5) \
     AND ($6 = 0 OR (r.responded_at IS NULL AND r.status NOT IN ('resolved', 'closed') AND r.response_due < $7)) \
     AND ($8 = '' OR r.waiting_on = $8) ";

/// What needs an answer first: overdue first answers, then what waits on staff, by urgency,
/// longest waiting first; resolved and closed last.
const ORDER: &str = "ORDER BY CASE WHEN r.status IN ('resolved', 'closed') THEN 1 ELSE 0 END, \
     CASE WHEN r.responded_at IS NULL AND r.status NOT IN ('resolved', 'closed') AND r.response_due < $7 THEN 0 ELSE 1 END, \
     CASE WHEN r.waiting_on = 'staff' THEN 0 ELSE 1 END, \
     CASE r.urgency WHEN 'high' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END, \
     r.last_activity_at, r.id";

/// Binds the filters and now to `$1`..`$8` of a query on [`WHERE`].
macro_rules! bind_filters {
    ($q:expr, $b:expr, $now:expr) => {
        $q.bind(&$b.status)
            .bind($b.topic)
            .bind($b.owner)
            .bind($b.city)
            .bind(&$b.urgency)
            .bind($b.overdue)
            .bind($now)
            .bind(&$b.waiting)
    };
}

async fn found(state: &AppState, b: &Bound, now: i64) -> sqlx::Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM assistance_requests r {WHERE}");
    bind_filters!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)), b, now)
        .fetch_one(&state.pool)
        .await
}

async fn rows(
    state: &AppState,
    b: &Bound,
    now: i64,
    page: Option<(i64, i64)>,
) -> sqlx::Result<Vec<Request>> {
    let limit = page.map_or(String::new(), |(size, offset)| {
        format!(" LIMIT {size} OFFSET {offset}")
    });
    // The page's ids first, from the table alone, then their rows with what they join: a deep
    // page does not join the rows it skips.
    let sql = format!(
        "{}WHERE r.id IN (SELECT r.id FROM assistance_requests r {WHERE}{ORDER}{limit}) {ORDER}",
        request_select!("")
    );
    bind_filters!(
        sqlx::query_as::<_, Request>(sqlx::AssertSqlSafe(sql)),
        b,
        now
    )
    .fetch_all(&state.pool)
    .await
}

/// Requests per status, and overdue first answers, over the whole queue.
async fn counts(state: &AppState, now: i64) -> sqlx::Result<(Vec<(RequestStatus, i64)>, i64)> {
    let per: Vec<(RequestStatus, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM assistance_requests GROUP BY status")
            .fetch_all(&state.pool)
            .await?;
    let counts = RequestStatus::ALL
        .iter()
        .map(|s| (*s, per.iter().find(|(p, _)| p == s).map_or(0, |(_, n)| *n)))
        .collect();
    let overdue: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM assistance_requests WHERE responded_at IS NULL \
         AND status NOT IN ('resolved', 'closed') AND response_due < $1",
    )
    .bind(now)
    .fetch_one(&state.pool)
    .await?;
    Ok((counts, overdue))
}

#[derive(Template)]
#[template(path = "assistance/queue.html")]
struct QueuePage {
    layout: Layout,
    requests: Vec<Request>,
    found: i64,
    counts: Vec<(RequestStatus, i64)>,
    overdue: i64,
    filters: Filters,
    topics: Vec<Topic>,
    staff: Vec<(i64, String)>,
    cities: Vec<(i64, String)>,
    urgencies: [Urgency; 3],
    statuses: [RequestStatus; 6],
    links: PageLinks,
    query: String,
    now: i64,
    triagers: Vec<(i64, String, bool)>,
}

impl QueuePage {
    pub fn late(&self, r: &Request) -> bool {
        r.overdue(self.now)
    }
}

async fn choices(state: &AppState) -> sqlx::Result<(Vec<(i64, String)>, Vec<(i64, String)>)> {
    let staff = sqlx::query_as(
        "SELECT id, name FROM people WHERE role = 'staff' AND active = 1 ORDER BY name, id",
    )
    .fetch_all(&state.pool)
    .await?;
    let cities = sqlx::query_as(
        "SELECT c.id, c.name || ', ' || c.state FROM cities c \
         WHERE c.id IN (SELECT DISTINCT city_id FROM assistance_requests) ORDER BY 2",
    )
    .fetch_all(&state.pool)
    .await?;
    Ok((staff, cities))
}

async fn queue(Staff(ctx, person): Staff, Query(filters): Query<Filters>) -> AppResult<Response> {
    web::permit(policy::can_run_assistance(&person))?;
    let state = &ctx.state;
    let now = state.clock.now();
    let bound = filters.bound()?;
    let found = found(state, &bound, now).await?;
    let page = Numbered::from_query(filters.page.as_deref(), PAGE)?
        .unwrap_or(Numbered::first(PAGE))
        .check(found)?;
    let requests = rows(state, &bound, now, Some((PAGE, page.offset()))).await?;
    let (counts, overdue) = counts(state, now).await?;
    let topics = super::topics(&mut *state.pool.acquire().await?).await?;
    let (staff, cities) = choices(state).await?;
    let chosen: Vec<i64> = sqlx::query_scalar("SELECT person_id FROM assistance_triagers")
        .fetch_all(&state.pool)
        .await?;
    let triagers = staff
        .iter()
        .map(|(id, name)| (*id, name.clone(), chosen.contains(id)))
        .collect();
    let query = filters.query();
    let base = if query.is_empty() {
        "/staff/assistance".to_owned()
    } else {
        format!("/staff/assistance?{query}")
    };
    let mut layout = ctx.layout().await;
    layout.meta.title = "Assistance queue".to_owned();
    Ok(web::render(&QueuePage {
        layout,
        links: page.links(&base, found),
        requests,
        found,
        counts,
        overdue,
        filters,
        topics,
        staff,
        cities,
        urgencies: Urgency::ALL,
        statuses: RequestStatus::ALL,
        query,
        now,
        triagers,
    }))
}

/// The queue as filtered, as a spreadsheet: the requests' facts, never a reply or a note.
async fn export(Staff(ctx, person): Staff, Query(filters): Query<Filters>) -> AppResult<Response> {
    web::permit(policy::can_run_assistance(&person))?;
    let state = &ctx.state;
    let now = state.clock.now();
    let bound = filters.bound()?;
    let all = rows(state, &bound, now, None).await?;
    let zone = &state.config.time_zone;
    let mut csv = Csv::new([
        "Id",
        "Title",
        "City",
        "Topic",
        "Urgency",
        "Status",
        "Owner",
        "Opened",
        "Opened by",
        "First answer due",
        "First answer",
        "Overdue",
        "Last activity",
        "Needed by",
        "Link",
    ]);
    for r in &all {
        csv.row([
            r.id.to_string(),
            r.title.clone(),
            r.city_label(),
            r.topic.clone(),
            r.urgency.short().to_owned(),
            r.status.label().to_owned(),
            r.owner_name.clone().unwrap_or_default(),
            zone.time(r.created_at),
            r.opened_by_name.clone(),
            zone.time(r.response_due),
            r.responded_at.map(|t| zone.time(t)).unwrap_or_default(),
            if r.overdue(now) { "yes" } else { "no" }.to_owned(),
            zone.time(r.last_activity_at),
            r.needed_by.clone(),
            format!("{}{}", state.config.base(), r.href()),
        ]);
    }
    Ok(csv.download("assistance-requests.csv"))
}

pub static TOPIC_FIELDS: Fields = Fields(&[Field {
    name: "name",
    label: "the topic's name",
    max_len: 100,
    required: true,
    lines: false,
}]);

/// A topic with how many requests it had and what cities said of the answers.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TopicRow {
    pub id: i64,
    pub name: String,
    pub retired: crate::db::Flag,
    pub requests: i64,
    pub yes: i64,
    pub partly: i64,
    pub no: i64,
}

#[derive(Template)]
#[template(path = "assistance/topics.html")]
struct TopicsPage {
    layout: Layout,
    topics: Vec<TopicRow>,
    comments: Vec<(String, String, String, i64)>,
    name: String,
    errors: FormErrors,
    fields: &'static Fields,
}

#[derive(Debug, Default, Deserialize)]
struct TopicForm {
    #[serde(default)]
    name: String,
}

async fn topics_view(ctx: &web::Ctx, name: String, errors: FormErrors) -> AppResult<Response> {
    let pool = &ctx.state.pool;
    let topics = sqlx::query_as::<_, TopicRow>(
        "SELECT t.id, t.name, t.retired, \
         (SELECT COUNT(*) FROM assistance_requests r WHERE r.topic_id = t.id) AS requests, \
         (SELECT COUNT(*) FROM assistance_feedback f JOIN assistance_requests r ON r.id = f.request_id WHERE r.topic_id = t.id AND f.helped = 'yes') AS yes, \
         (SELECT COUNT(*) FROM assistance_feedback f JOIN assistance_requests r ON r.id = f.request_id WHERE r.topic_id = t.id AND f.helped = 'partly') AS partly, \
         (SELECT COUNT(*) FROM assistance_feedback f JOIN assistance_requests r ON r.id = f.request_id WHERE r.topic_id = t.id AND f.helped = 'no') AS no \
         FROM assistance_topics t ORDER BY t.retired, t.name",
    )
    .fetch_all(pool)
    .await?;
    let comments = sqlx::query_as(
        "SELECT t.name, r.title, f.comment, r.id FROM assistance_feedback f \
         JOIN assistance_requests r ON r.id = f.request_id JOIN assistance_topics t ON t.id = r.topic_id \
         WHERE f.comment <> '' ORDER BY f.at DESC LIMIT 50",
    )
    .fetch_all(pool)
    .await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = "Assistance topics".to_owned();
    let page = TopicsPage {
        layout,
        topics,
        comments,
        name: TOPIC_FIELDS.keep("name", &name),
        errors,
        fields: &TOPIC_FIELDS,
    };
    Ok(if page.errors.is_empty() {
        web::render(&page)
    } else {
        crate::web::form::again(&page)
    })
}

async fn topics_page(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_run_assistance(&person))?;
    topics_view(&ctx, String::new(), FormErrors::default()).await
}

async fn add_topic(Staff(ctx, person): Staff, Form(form): Form<TopicForm>) -> AppResult<Response> {
    web::permit(policy::can_run_assistance(&person))?;
    let mut check = TOPIC_FIELDS.check();
    let name = check.text("name", &form.name);
    if let Err(errors) = check.finish() {
        return topics_view(&ctx, form.name, errors).await;
    }
    let mut tx = ctx.state.begin_write().await?;
    let added = sqlx::query(
        "INSERT INTO assistance_topics (name, retired) VALUES ($1, 0) ON CONFLICT (name) DO UPDATE SET retired = 0",
    )
    .bind(&name)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let _ = added;
    ctx.flash(format!("“{name}” is among the topics cities choose from."))
        .await?;
    Ok(web::see_other("/staff/assistance/topics"))
}

#[derive(Debug, Default, Deserialize)]
struct RetireForm {
    #[serde(default)]
    id: String,
}

/// A topic no longer offered; its requests keep it.
async fn retire_topic(
    Staff(ctx, person): Staff,
    Form(form): Form<RetireForm>,
) -> AppResult<Response> {
    web::permit(policy::can_run_assistance(&person))?;
    let id = form
        .id
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::NotFound)?;
    let mut tx = ctx.state.begin_write().await?;
    let name: Option<String> =
        sqlx::query_scalar("UPDATE assistance_topics SET retired = 1 WHERE id = $1 RETURNING name")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let name = name.ok_or(AppError::NotFound)?;
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assistance_topics WHERE retired = 0")
        .fetch_one(&mut *tx)
        .await?;
    if left == 0 {
        tx.rollback().await?;
        ctx.flash("Keep at least one topic for cities to choose from.")
            .await?;
        return Ok(web::see_other("/staff/assistance/topics"));
    }
    tx.commit().await?;
    ctx.flash(format!(
        "“{name}” is no longer offered; its requests keep it."
    ))
    .await?;
    Ok(web::see_other("/staff/assistance/topics"))
}

/// Who is told of new requests: the staff ticked (`triager` repeated), or everyone when none.
async fn triagers(Staff(ctx, person): Staff, body: axum::body::Bytes) -> AppResult<Response> {
    web::permit(policy::can_run_assistance(&person))?;
    let chosen: Vec<i64> = url::form_urlencoded::parse(&body)
        .filter(|(k, _)| k == "triager")
        .filter_map(|(_, v)| v.parse::<i64>().ok())
        .take(500)
        .collect();
    let mut tx = ctx.state.begin_write().await?;
    sqlx::query("DELETE FROM assistance_triagers")
        .execute(&mut *tx)
        .await?;
    for id in &chosen {
        sqlx::query(
            "INSERT INTO assistance_triagers (person_id) SELECT id FROM people \
             WHERE id = $1 AND role = 'staff' AND active = 1 ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    ctx.flash(if chosen.is_empty() {
        "Every staff member is told of new requests."
    } else {
        "The staff you chose are told of new requests."
    })
    .await?;
    Ok(web::see_other("/staff/assistance#triagers"))
}
