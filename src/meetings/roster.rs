//! Staff run a meeting from its roster, `/staff/meetings/{slug}`: counts against capacity per
//! type, the registrations filtered (type, status, city, payment) and searched by name, paged
//! in name order; the CSV of every registration with its answers; payment marked paid, waived
//! or due; a registration cancelled for someone; and check-in at the door from a phone, by
//! the QR code's address (only staff can use it) or by name.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query},
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;

use super::{Meeting, Payment, RegStatus, RegType, Registration, places::Counts};
use crate::{
    error::{AppError, AppResult},
    policy,
    text::csv::Csv,
    web::{
        self, Layout, Staff,
        form::Form,
        paging::{Numbered, PageLinks},
    },
};

pub fn router() -> Router<crate::state::AppState> {
    Router::new()
        .route("/staff/meetings/{slug}", get(roster))
        .route("/staff/meetings/{slug}/roster.csv", get(export))
        .route(
            "/staff/meetings/{slug}/registrations/{id}/payment",
            post(payment),
        )
        .route(
            "/staff/meetings/{slug}/registrations/{id}/cancel",
            post(cancel),
        )
        .route("/staff/meetings/{slug}/checkin", get(checkin_search))
        .route(
            "/staff/meetings/{slug}/checkin/{code}",
            get(checkin_page).post(check_in),
        )
        .route("/staff/meetings/{slug}/checkin/{code}/undo", post(undo))
        .route(
            "/staff/meetings/{slug}/email",
            get(super::message::form).post(super::message::send),
        )
}

/// A roster's rows per page.
pub const PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    pub q: String,
    #[serde(default, rename = "type")]
    pub type_id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub payment: String,
    pub page: Option<String>,
}

/// The filters as SQL binds: each `None` leaves its condition out.
pub(super) struct Bound {
    pub(super) q: Option<String>,
    pub(super) type_id: Option<i64>,
    pub(super) status: Option<RegStatus>,
    pub(super) city: Option<i64>,
    pub(super) payment: Option<Payment>,
}

impl Filters {
    /// The filters read; a value no form offers is a 400.
    pub(super) fn bound(&self) -> AppResult<Bound> {
        let bad = |what: &str| AppError::BadRequest(format!("The roster has no such {what}."));
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        Ok(Bound {
            q: opt(&self.q).map(|q| name_key(&q)),
            type_id: opt(&self.type_id)
                .map(|v| v.parse().map_err(|_| bad("type")))
                .transpose()?,
            status: opt(&self.status)
                .map(|v| RegStatus::parse(&v).ok_or_else(|| bad("status")))
                .transpose()?,
            city: opt(&self.city)
                .map(|v| v.parse().map_err(|_| bad("city")))
                .transpose()?,
            payment: opt(&self.payment)
                .map(|v| Payment::parse(&v).ok_or_else(|| bad("payment")))
                .transpose()?,
        })
    }

    /// The query string of these filters (for the pager and the CSV link).
    pub(super) fn query(&self) -> String {
        serde_urlencoded::to_string(
            [
                ("q", self.q.as_str()),
                ("type", self.type_id.as_str()),
                ("status", self.status.as_str()),
                ("city", self.city.as_str()),
                ("payment", self.payment.as_str()),
            ]
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .collect::<Vec<_>>(),
        )
        .unwrap_or_default()
    }
}

/// The longest name searched for, in the roster and at the door.
const SEARCH_MAX: usize = 100;

/// A name searched for, folded as names are stored, without the characters `LIKE` reads as
/// wildcards.
fn name_key(q: &str) -> String {
    crate::text::fold::search_key(&q.chars().take(SEARCH_MAX).collect::<String>())
        .chars()
        .filter(|c| !matches!(c, '%' | '_' | '\\'))
        .collect()
}

/// The condition of the filters, with `$1` the meeting and `$2`…`$6` the filters (NULL: any).
macro_rules! roster_where {
    () => {
        " WHERE r.meeting_id = $1 AND ($2 IS NULL OR r.name_folded LIKE '%' || $2 || '%') \
          AND ($3 IS NULL OR r.type_id = $3) AND ($4 IS NULL OR r.status = $4) \
          AND ($5 IS NULL OR r.city_id = $5) AND ($6 IS NULL OR r.payment = $6) "
    };
}

/// A registration as the roster shows it.
#[derive(sqlx::FromRow)]
pub struct Line {
    #[sqlx(flatten)]
    pub r: Registration,
    pub type_name: String,
    pub city: String,
    /// The person's title ("Mayor"), empty for a registration without an account.
    pub title: String,
}

const LINE_SELECT: &str = concat!(
    "SELECT ",
    crate::registration_columns!(),
    ", t.name AS type_name, COALESCE(c.name || ', ' || c.state, r.organization) AS city, \
     COALESCE(p.title, '') AS title \
     FROM meeting_registrations r JOIN meeting_types t ON t.id = r.type_id \
     LEFT JOIN cities c ON c.id = r.city_id LEFT JOIN people p ON p.id = r.person_id",
    roster_where!(),
    "ORDER BY r.name_folded, r.id"
);

pub(super) async fn lines(
    conn: &mut sqlx::AnyConnection,
    meeting_id: i64,
    b: &Bound,
    page: Option<(i64, i64)>,
) -> sqlx::Result<Vec<Line>> {
    let (limit, offset) = page.unwrap_or((i64::MAX, 0));
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LINE_SELECT} LIMIT $7 OFFSET $8"
    )))
    .bind(meeting_id)
    .bind(b.q.as_deref())
    .bind(b.type_id)
    .bind(b.status)
    .bind(b.city)
    .bind(b.payment)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await
}

async fn total(conn: &mut sqlx::AnyConnection, meeting_id: i64, b: &Bound) -> sqlx::Result<i64> {
    sqlx::query_scalar(concat!(
        "SELECT COUNT(*) FROM meeting_registrations r",
        roster_where!()
    ))
    .bind(meeting_id)
    .bind(b.q.as_deref())
    .bind(b.type_id)
    .bind(b.status)
    .bind(b.city)
    .bind(b.payment)
    .fetch_one(conn)
    .await
}

/// One type's counts on the roster.
pub struct TypeCount {
    pub t: RegType,
    pub registered: i64,
    pub waiting: i64,
    pub totals: Totals,
}

/// Counts over a type, or the whole meeting.
#[derive(sqlx::FromRow, Default, Clone, Copy)]
pub struct Totals {
    pub cancelled: i64,
    pub checked_in: i64,
    pub paid: i64,
    pub due: i64,
}

#[derive(Template)]
#[template(path = "meetings/roster.html")]
struct RosterPage {
    layout: Layout,
    meeting: Meeting,
    counts: Counts,
    per_type: Vec<TypeCount>,
    totals: Totals,
    cities: Vec<(i64, String)>,
    filters: Filters,
    lines: Vec<Line>,
    found: i64,
    links: PageLinks,
    query: String,
    q_max: usize,
    payments: [Payment; 3],
}

/// Each type's counts, and their sums.
async fn type_counts(
    conn: &mut sqlx::AnyConnection,
    meeting_id: i64,
    counts: &Counts,
) -> sqlx::Result<(Vec<TypeCount>, Totals)> {
    let by_type: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT type_id, COALESCE(SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN checked_in_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'registered' AND payment = 'paid' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'registered' AND payment = 'due' THEN 1 ELSE 0 END), 0) \
         FROM meeting_registrations WHERE meeting_id = $1 GROUP BY type_id",
    )
    .bind(meeting_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut totals = Totals::default();
    let per_type: Vec<TypeCount> = super::types(&mut *conn, meeting_id)
        .await?
        .into_iter()
        .map(|t| {
            let (registered, waiting) = counts.of_type(t.id);
            let of = by_type
                .iter()
                .find(|row| row.0 == t.id)
                .map(|&(_, cancelled, checked_in, paid, due)| Totals {
                    cancelled,
                    checked_in,
                    paid,
                    due,
                })
                .unwrap_or_default();
            totals.cancelled += of.cancelled;
            totals.checked_in += of.checked_in;
            totals.paid += of.paid;
            totals.due += of.due;
            TypeCount {
                t,
                registered,
                waiting,
                totals: of,
            }
        })
        .collect();
    Ok((per_type, totals))
}

pub(super) async fn managed(ctx: &web::Ctx, slug: &str) -> AppResult<Meeting> {
    super::by_slug(&mut *ctx.state.pool.acquire().await?, slug)
        .await?
        .ok_or(AppError::NotFound)
}

async fn roster(
    Staff(ctx, person): Staff,
    Path(slug): Path<String>,
    Query(filters): Query<Filters>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    let bound = filters.bound()?;
    let mut conn = ctx.state.pool.acquire().await?;
    let found = total(&mut conn, meeting.id, &bound).await?;
    let page = Numbered::from_query(filters.page.as_deref(), PAGE)?
        .unwrap_or(Numbered::first(PAGE))
        .check(found)?;
    let lines = lines(&mut conn, meeting.id, &bound, Some((PAGE, page.offset()))).await?;
    let counts = super::places::counts(&mut conn, meeting.id).await?;
    let (per_type, totals) = type_counts(&mut conn, meeting.id, &counts).await?;
    let cities: Vec<(i64, String)> = sqlx::query_as(
        "SELECT DISTINCT c.id, c.name || ', ' || c.state FROM meeting_registrations r \
         JOIN cities c ON c.id = r.city_id WHERE r.meeting_id = $1 ORDER BY 2",
    )
    .bind(meeting.id)
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    let query = filters.query();
    let base = if query.is_empty() {
        format!("/staff/meetings/{}", meeting.slug)
    } else {
        format!("/staff/meetings/{}?{query}", meeting.slug)
    };
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Roster: {}", meeting.title);
    Ok(web::render(&RosterPage {
        layout,
        links: page.links(&base, found),
        meeting,
        counts,
        per_type,
        totals,
        cities,
        filters,
        lines,
        found,
        query,
        q_max: SEARCH_MAX,
        payments: Payment::ALL,
    }))
}

/// The CSV of the filtered registrations with every answer, one column per question.
async fn export(
    Staff(ctx, person): Staff,
    Path(slug): Path<String>,
    Query(filters): Query<Filters>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    let bound = filters.bound()?;
    let mut conn = ctx.state.pool.acquire().await?;
    let questions = super::questions(&mut conn, meeting.id).await?;
    let all = lines(&mut conn, meeting.id, &bound, None).await?;
    let answers: std::collections::HashMap<(i64, i64), String> =
        sqlx::query_as::<_, (i64, i64, String)>(
            "SELECT a.registration_id, a.question_id, a.value FROM meeting_answers a \
         JOIN meeting_registrations r ON r.id = a.registration_id WHERE r.meeting_id = $1",
        )
        .bind(meeting.id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(registration, question, value)| ((registration, question), value))
        .collect();
    drop(conn);
    let zone = meeting.zone();
    let mut header: Vec<String> = [
        "Name",
        "Email",
        "City or organization",
        "Type",
        "Status",
        "Waiting since",
        "Payment",
        "Checked in",
        "Listed",
        "Registered",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    header.extend(questions.iter().map(|q| q.prompt.clone()));
    let mut csv = Csv::new(header);
    for l in &all {
        let r = &l.r;
        let mut row = vec![
            r.name.clone(),
            r.email.clone(),
            l.city.clone(),
            l.type_name.clone(),
            r.status.label().to_owned(),
            r.waiting_since.map(|t| zone.time(t)).unwrap_or_default(),
            r.payment.label().to_owned(),
            r.checked_in_at.map(|t| zone.time(t)).unwrap_or_default(),
            if r.listed.get() { "yes" } else { "no" }.to_owned(),
            zone.time(r.created_at),
        ];
        row.extend(questions.iter().map(|q| {
            answers
                .get(&(r.id, q.id))
                .map(|v| v.replace('\n', "; "))
                .unwrap_or_default()
        }));
        csv.row(row);
    }
    Ok(csv.download(&format!("{}-registrations.csv", meeting.slug)))
}

#[derive(Deserialize)]
struct PaymentForm {
    #[serde(default)]
    payment: String,
    #[serde(default)]
    back: String,
}

async fn payment(
    Staff(ctx, person): Staff,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<PaymentForm>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    let Some(p) = Payment::parse(&form.payment) else {
        return Err(AppError::BadRequest(
            "Choose paid, waived or due.".to_owned(),
        ));
    };
    let mut tx = ctx.state.begin_write().await?;
    let done = sqlx::query(
        "UPDATE meeting_registrations SET payment = $1, updated_at = $2 WHERE id = $3 AND meeting_id = $4",
    )
    .bind(p)
    .bind(ctx.state.clock.now())
    .bind(id)
    .bind(meeting.id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    ctx.flash(format!("Payment marked {}.", p.label().to_lowercase()))
        .await?;
    Ok(web::see_other(&back_in_roster(&meeting, &form.back)))
}

/// Where to go back to in the roster (its filters kept): only an address of this roster.
fn back_in_roster(meeting: &Meeting, back: &str) -> String {
    let base = format!("/staff/meetings/{}", meeting.slug);
    if back == base || back.starts_with(&format!("{base}?")) {
        back.to_owned()
    } else {
        base
    }
}

async fn cancel(
    Staff(ctx, person): Staff,
    Path((slug, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    let cancelled = super::register::withdraw(&ctx.state, &meeting, id).await?;
    ctx.flash(if cancelled {
        "The registration is cancelled; its place went to the first person waiting, if any, and both were told."
    } else {
        "This registration was already cancelled."
    })
    .await?;
    Ok(web::see_other(&format!("/staff/meetings/{}", meeting.slug)))
}

/// A registration by its check-in code.
async fn by_code(ctx: &web::Ctx, meeting: &Meeting, code: &str) -> AppResult<Line> {
    if code.len() > 128 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AppError::NotFound);
    }
    sqlx::query_as(concat!(
        "SELECT ",
        crate::registration_columns!(),
        ", t.name AS type_name, COALESCE(c.name || ', ' || c.state, r.organization) AS city, \
         COALESCE(p.title, '') AS title \
         FROM meeting_registrations r JOIN meeting_types t ON t.id = r.type_id \
         LEFT JOIN cities c ON c.id = r.city_id LEFT JOIN people p ON p.id = r.person_id WHERE r.meeting_id = $1 AND r.checkin_code = $2"
    ))
    .bind(meeting.id)
    .bind(code)
    .fetch_optional(&ctx.state.pool)
    .await?
    .ok_or(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "meetings/checkin.html")]
struct CheckinPage {
    layout: Layout,
    meeting: Meeting,
    line: Line,
}

async fn checkin_page(
    Staff(ctx, person): Staff,
    Path((slug, code)): Path<(String, String)>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    let line = by_code(&ctx, &meeting, &code).await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Check in {}", line.r.name);
    Ok(web::render(&CheckinPage {
        layout,
        meeting,
        line,
    }))
}

async fn check_in(
    Staff(ctx, person): Staff,
    Path((slug, code)): Path<(String, String)>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    let line = by_code(&ctx, &meeting, &code).await?;
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let done = sqlx::query(
        "UPDATE meeting_registrations SET checked_in_at = $1, updated_at = $1 \
         WHERE id = $2 AND checked_in_at IS NULL AND status = 'registered'",
    )
    .bind(now)
    .bind(line.r.id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let zone = meeting.zone();
    ctx.flash(if done.rows_affected() == 1 {
        format!("{} is checked in.", line.r.name)
    } else if let Some(t) = line.r.checked_in_at {
        format!(
            "{} was already checked in at {}.",
            line.r.name,
            zone.clock(t)
        )
    } else {
        format!(
            "{} is not registered ({}): not checked in.",
            line.r.name,
            line.r.status.label().to_lowercase()
        )
    })
    .await?;
    Ok(web::see_other(&format!(
        "/staff/meetings/{}/checkin/{code}",
        meeting.slug
    )))
}

async fn undo(
    Staff(ctx, person): Staff,
    Path((slug, code)): Path<(String, String)>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    let line = by_code(&ctx, &meeting, &code).await?;
    let mut tx = ctx.state.begin_write().await?;
    sqlx::query(
        "UPDATE meeting_registrations SET checked_in_at = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(ctx.state.clock.now())
    .bind(line.r.id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    ctx.flash(format!("The check-in of {} is undone.", line.r.name))
        .await?;
    Ok(web::see_other(&format!(
        "/staff/meetings/{}/checkin/{code}",
        meeting.slug
    )))
}

#[derive(Deserialize, Default)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "meetings/checkin_search.html")]
struct SearchPage {
    layout: Layout,
    meeting: Meeting,
    q: String,
    q_max: usize,
    lines: Vec<Line>,
}

/// Check-in by name, for someone without their email at hand.
async fn checkin_search(
    Staff(ctx, person): Staff,
    Path(slug): Path<String>,
    Query(query): Query<SearchQuery>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    let q: String = query.q.trim().chars().take(SEARCH_MAX).collect();
    let lines = if q.is_empty() {
        Vec::new()
    } else {
        let bound = Bound {
            q: Some(name_key(&q)),
            type_id: None,
            status: Some(RegStatus::Registered),
            city: None,
            payment: None,
        };
        lines(
            &mut *ctx.state.pool.acquire().await?,
            meeting.id,
            &bound,
            Some((20, 0)),
        )
        .await?
    };
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Check-in: {}", meeting.title);
    Ok(web::render(&SearchPage {
        layout,
        meeting,
        q,
        q_max: SEARCH_MAX,
        lines,
    }))
}

/// What the staff desk counts of the next meeting: registrations in the last seven days,
/// people waiting, registered people whose payment is due.
pub struct DeskCounts {
    pub meeting: Meeting,
    pub this_week: i64,
    pub waiting: i64,
    pub due: i64,
}

pub async fn desk_counts(pool: &sqlx::AnyPool, now: i64) -> sqlx::Result<Option<DeskCounts>> {
    let mut conn = pool.acquire().await?;
    let Some(meeting) = super::next(&mut conn, now).await? else {
        return Ok(None);
    };
    let (this_week, waiting, due): (i64, i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN status <> 'cancelled' AND created_at >= $2 THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'waiting' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'registered' AND payment = 'due' THEN 1 ELSE 0 END), 0) \
         FROM meeting_registrations WHERE meeting_id = $1",
    )
    .bind(meeting.id)
    .bind(now - 7 * 86_400)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(DeskCounts {
        meeting,
        this_week,
        waiting,
        due,
    }))
}
