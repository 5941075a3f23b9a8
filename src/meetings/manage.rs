//! Staff prepare meetings at `/staff/meetings`: the meeting's information, times in the
//! venue's zone, registration window and capacity; then its registration types, questions
//! and agenda, each added and removed on the meeting's edit page. A change of time or place
//! tells every registrant, with the calendar entry updated in place.

use askama::Template;
use axum::{
    Router,
    extract::Path,
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;
use sqlx::AnyConnection;

use super::{AgendaItem, Meeting, MeetingStatus, Question, QuestionKind, RegType, roster::managed};
use crate::{
    audit,
    error::{AppError, AppResult, is_unique_violation},
    policy::{self, TypeFor},
    text::slug,
    time::Zone,
    web::{
        self, FormErrors, Layout, Staff,
        form::{Check, Field, Fields, Form},
    },
};

pub fn router() -> Router<crate::state::AppState> {
    Router::new()
        .route("/staff/meetings", get(list).post(create))
        .route("/staff/meetings/new", get(new_form))
        .route("/staff/meetings/{slug}/edit", get(edit_form).post(update))
        .route("/staff/meetings/{slug}/types", post(add_type))
        .route(
            "/staff/meetings/{slug}/types/{id}/remove",
            post(remove_type),
        )
        .route("/staff/meetings/{slug}/questions", post(add_question))
        .route(
            "/staff/meetings/{slug}/questions/{id}/remove",
            get(remove_question_form).post(remove_question),
        )
        .route("/staff/meetings/{slug}/agenda", post(add_item))
        .route(
            "/staff/meetings/{slug}/agenda/{id}/remove",
            post(remove_item),
        )
}

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    meeting: Meeting,
    registered: i64,
    waiting: i64,
}

#[derive(Template)]
#[template(path = "meetings/staff_list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
}

async fn list(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let rows = sqlx::query_as::<_, Row>(concat!(
        "SELECT ",
        crate::meeting_columns!(),
        ", (SELECT COUNT(*) FROM meeting_registrations r WHERE r.meeting_id = m.id AND r.status = 'registered') AS registered, \
         (SELECT COUNT(*) FROM meeting_registrations r WHERE r.meeting_id = m.id AND r.status = 'waiting') AS waiting \
         FROM meetings m ORDER BY m.starts_at DESC, m.id DESC"
    ))
    .fetch_all(&ctx.state.pool)
    .await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = "Meetings".to_owned();
    Ok(web::render(&ListPage { layout, rows }))
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct MeetingForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub host_city: String,
    #[serde(default)]
    pub venue: String,
    #[serde(default)]
    pub venue_address: String,
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub starts: String,
    #[serde(default)]
    pub ends: String,
    #[serde(default)]
    pub opens: String,
    #[serde(default)]
    pub closes: String,
    #[serde(default)]
    pub capacity: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub description: String,
}

pub static FIELDS: Fields = Fields(&[
    Field {
        name: "title",
        label: "the meeting's title",
        max_len: 200,
        required: true,
        lines: false,
    },
    Field {
        name: "slug",
        label: "the address",
        max_len: 80,
        required: false,
        lines: false,
    },
    Field {
        name: "host_city",
        label: "the host city",
        max_len: 120,
        required: true,
        lines: false,
    },
    Field {
        name: "venue",
        label: "the venue",
        max_len: 200,
        required: true,
        lines: false,
    },
    Field {
        name: "venue_address",
        label: "the venue's street address",
        max_len: 300,
        required: true,
        lines: false,
    },
    Field {
        name: "starts",
        label: "when it starts",
        max_len: 32,
        required: true,
        lines: false,
    },
    Field {
        name: "ends",
        label: "when it ends",
        max_len: 32,
        required: true,
        lines: false,
    },
    Field {
        name: "opens",
        label: "when registration opens",
        max_len: 32,
        required: true,
        lines: false,
    },
    Field {
        name: "closes",
        label: "when registration closes",
        max_len: 32,
        required: true,
        lines: false,
    },
    Field {
        name: "capacity",
        label: "the capacity",
        max_len: 8,
        required: false,
        lines: false,
    },
    Field {
        name: "description",
        label: "the description",
        max_len: 20_000,
        required: false,
        lines: true,
    },
]);

/// A meeting to store: a checked form, or the demo's.
pub struct Input {
    pub title: String,
    pub slug: String,
    pub host_city: String,
    pub venue: String,
    pub venue_address: String,
    pub time_zone: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub opens_at: i64,
    pub closes_at: i64,
    pub capacity: Option<i64>,
    pub status: MeetingStatus,
    pub description: String,
    pub description_html: String,
}

/// Stores a new meeting: its id, or the unique violation of a taken address.
pub async fn insert(conn: &mut AnyConnection, input: &Input, now: i64) -> sqlx::Result<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO meetings (slug, title, host_city, venue, venue_address, time_zone, starts_at, \
         ends_at, description, description_html, opens_at, closes_at, capacity, status, sequence, \
         created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, $15, $15) RETURNING id",
    )
    .bind(&input.slug)
    .bind(&input.title)
    .bind(&input.host_city)
    .bind(&input.venue)
    .bind(&input.venue_address)
    .bind(&input.time_zone)
    .bind(input.starts_at)
    .bind(input.ends_at)
    .bind(&input.description)
    .bind(&input.description_html)
    .bind(input.opens_at)
    .bind(input.closes_at)
    .bind(input.capacity)
    .bind(input.status)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    super::search::index(conn, id).await?;
    Ok(id)
}

/// Adds a registration type at the end of the meeting's list.
pub async fn insert_type(
    conn: &mut AnyConnection,
    meeting_id: i64,
    name: &str,
    capacity: Option<i64>,
    who: TypeFor,
    fee: &str,
) -> sqlx::Result<i64> {
    let position = next_position(
        conn,
        "SELECT COALESCE(MAX(position), 0) + 1 FROM meeting_types WHERE meeting_id = $1",
        meeting_id,
    )
    .await?;
    sqlx::query_scalar(
        "INSERT INTO meeting_types (meeting_id, name, capacity, who, fee, position) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(meeting_id)
    .bind(name)
    .bind(capacity)
    .bind(who)
    .bind(fee)
    .bind(position)
    .fetch_one(conn)
    .await
}

/// Adds a question at the end of the meeting's list (`choices` one per line).
pub async fn insert_question(
    conn: &mut AnyConnection,
    meeting_id: i64,
    kind: QuestionKind,
    prompt: &str,
    choices: &str,
    required: bool,
) -> sqlx::Result<i64> {
    let position = next_position(
        conn,
        "SELECT COALESCE(MAX(position), 0) + 1 FROM meeting_questions WHERE meeting_id = $1",
        meeting_id,
    )
    .await?;
    sqlx::query_scalar(
        "INSERT INTO meeting_questions (meeting_id, kind, prompt, choices, required, position) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(meeting_id)
    .bind(kind)
    .bind(prompt)
    .bind(choices)
    .bind(i64::from(required))
    .bind(position)
    .fetch_one(conn)
    .await
}

/// An agenda item to store.
pub struct NewItem<'a> {
    pub title: &'a str,
    pub starts_at: i64,
    pub ends_at: i64,
    pub room: &'a str,
    pub speakers: &'a str,
    pub note: &'a str,
}

pub async fn insert_item(
    conn: &mut AnyConnection,
    meeting_id: i64,
    item: &NewItem<'_>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO meeting_agenda (meeting_id, title, starts_at, ends_at, room, speakers, note) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(meeting_id)
    .bind(item.title)
    .bind(item.starts_at)
    .bind(item.ends_at)
    .bind(item.room)
    .bind(item.speakers)
    .bind(item.note)
    .fetch_one(conn)
    .await
}

/// Reads a `datetime-local` field in `zone`, adding its message when it is not a time there.
fn local(check: &mut Check, name: &'static str, value: &str, zone: Option<&Zone>) -> Option<i64> {
    let value = check.text(name, value);
    let zone = zone?;
    if check.has(name) {
        return None;
    }
    match zone.parse_local(&value) {
        Ok(t) => Some(t - t.rem_euclid(60)),
        Err(message) => {
            check.add(name, message);
            None
        }
    }
}

impl MeetingForm {
    async fn check(&self) -> Result<Input, FormErrors> {
        let mut check = FIELDS.check();
        let title = check.text("title", &self.title);
        let slug = read_slug(&mut check, &self.slug, &title);
        let host_city = check.text("host_city", &self.host_city);
        let venue = check.text("venue", &self.venue);
        let venue_address = check.text("venue_address", &self.venue_address);
        let zone = Zone::parse(&self.time_zone);
        if let Err(m) = &zone {
            check.add("time_zone", format!("Choose the venue's time zone. {m}"));
        }
        let z = zone.as_ref().ok();
        let starts_at = local(&mut check, "starts", &self.starts, z);
        let ends_at = local(&mut check, "ends", &self.ends, z);
        if let (Some(a), Some(b)) = (starts_at, ends_at)
            && b <= a
        {
            check.add("ends", "The meeting must end after it starts.");
        }
        let opens_at = local(&mut check, "opens", &self.opens, z);
        let closes_at = local(&mut check, "closes", &self.closes, z);
        if let (Some(a), Some(b)) = (opens_at, closes_at)
            && b <= a
        {
            check.add("closes", "Registration must close after it opens.");
        }
        if let (Some(c), Some(e)) = (closes_at, ends_at)
            && c > e
        {
            check.add("closes", "Registration must close before the meeting ends.");
        }
        let capacity = check.text("capacity", &self.capacity);
        let capacity = if capacity.is_empty() || check.has("capacity") {
            None
        } else {
            check.number("capacity", &capacity, 1..=100_000, "Enter the capacity as a whole number from 1 to 100,000, or leave it empty for no overall limit.")
        };
        let status = MeetingStatus::parse(&self.status);
        if status.is_none() {
            check.add("status", "Choose the meeting's status.");
        }
        let description = check.markdown("description", &self.description).await;
        check.finish()?;
        let (
            Ok(zone),
            Some(starts_at),
            Some(ends_at),
            Some(opens_at),
            Some(closes_at),
            Some(status),
        ) = (zone, starts_at, ends_at, opens_at, closes_at, status)
        else {
            unreachable!("every field was read without a message");
        };
        Ok(Input {
            title,
            slug,
            host_city,
            venue,
            venue_address,
            time_zone: zone.name().to_owned(),
            starts_at,
            ends_at,
            opens_at,
            closes_at,
            capacity,
            status,
            description: description.source,
            description_html: description.html,
        })
    }

    fn kept(&self) -> MeetingForm {
        MeetingForm {
            title: FIELDS.keep("title", &self.title),
            slug: FIELDS.keep("slug", &self.slug),
            host_city: FIELDS.keep("host_city", &self.host_city),
            venue: FIELDS.keep("venue", &self.venue),
            venue_address: FIELDS.keep("venue_address", &self.venue_address),
            time_zone: self.time_zone.chars().take(64).collect(),
            starts: FIELDS.keep("starts", &self.starts),
            ends: FIELDS.keep("ends", &self.ends),
            opens: FIELDS.keep("opens", &self.opens),
            closes: FIELDS.keep("closes", &self.closes),
            capacity: FIELDS.keep("capacity", &self.capacity),
            status: self.status.chars().take(16).collect(),
            description: FIELDS.keep("description", &self.description),
        }
    }

    fn of(m: &Meeting) -> MeetingForm {
        let zone = m.zone();
        MeetingForm {
            title: m.title.clone(),
            slug: m.slug.clone(),
            host_city: m.host_city.clone(),
            venue: m.venue.clone(),
            venue_address: m.venue_address.clone(),
            time_zone: m.time_zone.clone(),
            starts: zone.field_value(m.starts_at),
            ends: zone.field_value(m.ends_at),
            opens: zone.field_value(m.opens_at),
            closes: zone.field_value(m.closes_at),
            capacity: m.capacity.map(|c| c.to_string()).unwrap_or_default(),
            status: m.status.as_str().to_owned(),
            description: m.description.clone(),
        }
    }
}

fn read_slug(check: &mut Check, typed: &str, title: &str) -> String {
    let typed = check.text("slug", typed);
    let slug = if typed.is_empty() {
        slug::slugify(title)
    } else {
        typed
    };
    if !check.has("slug") && !check.has("title") && !slug::is_valid(&slug) {
        check.add(
            "slug",
            "Use only lower-case letters, digits and hyphens for the address, for example annual-meeting-2027.",
        );
    }
    slug
}

/// The edit page's parts besides the meeting's own form.
#[derive(Default)]
struct Parts {
    types: Vec<RegType>,
    questions: Vec<Question>,
    agenda: Vec<AgendaItem>,
    /// The message of the part form that came back, with its kept values.
    part_errors: FormErrors,
    part_form: PartForm,
}

#[derive(Template)]
#[template(path = "meetings/staff_form.html")]
struct FormPage {
    layout: Layout,
    meeting: Option<Meeting>,
    form: MeetingForm,
    errors: FormErrors,
    fields: &'static Fields,
    part_fields: &'static Fields,
    statuses: [MeetingStatus; 5],
    parts: Parts,
}

impl FormPage {
    fn agenda_when(&self, item: &AgendaItem) -> String {
        let zone = self.meeting.as_ref().map(Meeting::zone).unwrap_or_default();
        crate::time::span(&zone, item.starts_at, item.ends_at)
    }
}

async fn page(
    ctx: &web::Ctx,
    meeting: Option<Meeting>,
    form: MeetingForm,
    errors: FormErrors,
    parts: Parts,
) -> AppResult<Response> {
    let mut layout = ctx.layout().await;
    layout.meta.title = match &meeting {
        Some(m) => format!("Edit {}", m.title),
        None => "New meeting".to_owned(),
    };
    let failed = !errors.is_empty() || !parts.part_errors.is_empty();
    let page = FormPage {
        layout,
        meeting,
        form,
        errors,
        fields: &FIELDS,
        part_fields: &PART_FIELDS,
        statuses: MeetingStatus::ALL,
        parts,
    };
    Ok(if failed {
        web::form::again(&page)
    } else {
        web::render(&page)
    })
}

async fn new_form(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let form = MeetingForm {
        status: MeetingStatus::Draft.as_str().to_owned(),
        time_zone: ctx.state.config.time_zone.name().to_owned(),
        ..MeetingForm::default()
    };
    page(&ctx, None, form, FormErrors::default(), Parts::default()).await
}

fn slug_taken() -> FormErrors {
    let mut errors = FormErrors::default();
    errors.add(
        "slug",
        "Another meeting has this address. Choose another one.",
    );
    errors
}

async fn create(Staff(ctx, person): Staff, Form(form): Form<MeetingForm>) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let input = match form.check().await {
        Ok(i) => i,
        Err(errors) => return page(&ctx, None, form.kept(), errors, Parts::default()).await,
    };
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let id: i64 = match insert(&mut tx, &input, now).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            tx.rollback().await?;
            return page(&ctx, None, form.kept(), slug_taken(), Parts::default()).await;
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(
        &mut tx,
        now,
        person.id,
        "meeting.created",
        audit::Subject {
            detail: &format!("{} (#{id})", input.title),
            ..audit::Subject::default()
        },
    )
    .await?;
    tx.commit().await?;
    ctx.flash(format!(
        "{} is created. Add its registration types, questions and agenda below.",
        input.title
    ))
    .await?;
    Ok(web::see_other(&format!(
        "/staff/meetings/{}/edit",
        input.slug
    )))
}

async fn parts_of(conn: &mut AnyConnection, meeting_id: i64) -> AppResult<Parts> {
    Ok(Parts {
        types: super::types(conn, meeting_id).await?,
        questions: super::questions(conn, meeting_id).await?,
        agenda: super::agenda(conn, meeting_id).await?,
        ..Parts::default()
    })
}

async fn edit_form(Staff(ctx, person): Staff, Path(slug): Path<String>) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    let parts = parts_of(&mut *ctx.state.pool.acquire().await?, meeting.id).await?;
    let form = MeetingForm::of(&meeting);
    page(&ctx, Some(meeting), form, FormErrors::default(), parts).await
}

async fn update(
    Staff(ctx, person): Staff,
    Path(slug): Path<String>,
    Form(form): Form<MeetingForm>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let before = managed(&ctx, &slug).await?;
    let input = match form.check().await {
        Ok(i) => i,
        Err(errors) => {
            let parts = parts_of(&mut *ctx.state.pool.acquire().await?, before.id).await?;
            return page(&ctx, Some(before), form.kept(), errors, parts).await;
        }
    };
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    super::places::lock(&mut tx, ctx.state.backend, before.id).await?;
    let Some(current) = super::by_slug(&mut tx, &slug).await? else {
        return Err(AppError::NotFound);
    };
    let moved = current.starts_at != input.starts_at
        || current.ends_at != input.ends_at
        || current.venue != input.venue
        || current.venue_address != input.venue_address
        || current.host_city != input.host_city;
    let cancelled =
        input.status == MeetingStatus::Cancelled && current.status != MeetingStatus::Cancelled;
    if current.slug != input.slug && has_registrations(&mut tx, current.id).await? {
        tx.rollback().await?;
        let parts = parts_of(&mut *ctx.state.pool.acquire().await?, before.id).await?;
        let mut errors = FormErrors::default();
        errors.add("slug", "The address stays while people are registered: the links in their emails and calendars lead to it.");
        return page(&ctx, Some(before), form.kept(), errors, parts).await;
    }
    move_agenda(&mut tx, &current, &input).await?;
    let result = save(&mut tx, current.id, &input, moved || cancelled, now).await;
    match result {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            tx.rollback().await?;
            let parts = parts_of(&mut *ctx.state.pool.acquire().await?, before.id).await?;
            return page(&ctx, Some(before), form.kept(), slug_taken(), parts).await;
        }
        Err(e) => return Err(e.into()),
    }
    let Some(meeting) = super::by_id(&mut tx, current.id).await? else {
        return Err(AppError::NotFound);
    };
    let told = tell_of_change(&mut tx, &ctx.state, &meeting, cancelled, moved).await?;
    audit::record(
        &mut tx,
        now,
        person.id,
        "meeting.updated",
        audit::Subject {
            detail: &format!("{} (#{})", meeting.title, meeting.id),
            ..audit::Subject::default()
        },
    )
    .await?;
    tx.commit().await?;
    let mut message = format!("{} is saved.", meeting.title);
    if told > 0 {
        message.push_str(&format!(
            " {told} registrant{} will get an email about the change.",
            if told == 1 { "" } else { "s" }
        ));
    }
    ctx.flash(message).await?;
    Ok(web::see_other(&format!(
        "/staff/meetings/{}/edit",
        meeting.slug
    )))
}

/// Tells the registrants what a save changed (a cancellation, a new time or place) and gives
/// a larger capacity's places to the waiting: how many registrants were told.
async fn tell_of_change(
    tx: &mut AnyConnection,
    state: &crate::state::AppState,
    meeting: &Meeting,
    cancelled: bool,
    moved: bool,
) -> AppResult<usize> {
    Ok(if cancelled {
        super::emails::meeting_cancelled(tx, state, meeting).await?
    } else {
        // A larger capacity gives its places to the waiting.
        let promoted = super::places::promote(tx, state, meeting).await?;
        super::emails::promoted(tx, state, meeting, &promoted).await?;
        if moved {
            super::emails::meeting_changed(tx, state, meeting).await?
        } else {
            0
        }
    })
}

/// Writes the meeting's new values; `bump`: its calendar entries change (SEQUENCE).
async fn save(
    conn: &mut AnyConnection,
    id: i64,
    input: &Input,
    bump: bool,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE meetings SET slug = $1, title = $2, host_city = $3, venue = $4, venue_address = $5, \
         time_zone = $6, starts_at = $7, ends_at = $8, description = $9, description_html = $10, \
         opens_at = $11, closes_at = $12, capacity = $13, status = $14, \
         sequence = sequence + $15, updated_at = $16 WHERE id = $17",
    )
    .bind(&input.slug)
    .bind(&input.title)
    .bind(&input.host_city)
    .bind(&input.venue)
    .bind(&input.venue_address)
    .bind(&input.time_zone)
    .bind(input.starts_at)
    .bind(input.ends_at)
    .bind(&input.description)
    .bind(&input.description_html)
    .bind(input.opens_at)
    .bind(input.closes_at)
    .bind(input.capacity)
    .bind(input.status)
    .bind(i64::from(bump))
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    super::search::index(conn, id).await
}

async fn has_registrations(conn: &mut AnyConnection, meeting_id: i64) -> sqlx::Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM meeting_registrations WHERE meeting_id = $1")
            .bind(meeting_id)
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

/// When the venue's zone changes, the agenda keeps its wall-clock times: each item is read
/// again, as written in the old zone, in the new one (as the meeting's own times are).
async fn move_agenda(
    conn: &mut AnyConnection,
    current: &Meeting,
    input: &Input,
) -> sqlx::Result<()> {
    if current.time_zone == input.time_zone {
        return Ok(());
    }
    let (old, new) = (current.zone(), Zone::of_stored(Some(&input.time_zone)));
    let moved = |t: i64| new.parse_local(&old.field_value(t)).unwrap_or(t) + t.rem_euclid(60);
    for item in super::agenda(conn, current.id).await? {
        sqlx::query("UPDATE meeting_agenda SET starts_at = $1, ends_at = $2 WHERE id = $3")
            .bind(moved(item.starts_at))
            .bind(moved(item.ends_at))
            .bind(item.id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The forms that add a type, a question or an agenda item (one struct: their fields do not
/// overlap, and the page shows one of them back with its messages).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct PartForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub type_capacity: String,
    #[serde(default)]
    pub who: String,
    #[serde(default)]
    pub fee: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub prompt: String,
    #[serde(default)]
    pub choices: String,
    #[serde(default)]
    pub required: String,
    #[serde(default)]
    pub item_title: String,
    #[serde(default)]
    pub item_starts: String,
    #[serde(default)]
    pub item_ends: String,
    #[serde(default)]
    pub room: String,
    #[serde(default)]
    pub speakers: String,
    #[serde(default)]
    pub note: String,
}

pub static PART_FIELDS: Fields = Fields(&[
    Field {
        name: "name",
        label: "the type's name",
        max_len: 80,
        required: true,
        lines: false,
    },
    Field {
        name: "type_capacity",
        label: "the type's capacity",
        max_len: 8,
        required: false,
        lines: false,
    },
    Field {
        name: "fee",
        label: "the fee",
        max_len: 80,
        required: false,
        lines: false,
    },
    Field {
        name: "prompt",
        label: "the question",
        max_len: 300,
        required: true,
        lines: false,
    },
    Field {
        name: "choices",
        label: "the choices",
        max_len: 4000,
        required: false,
        lines: true,
    },
    Field {
        name: "item_title",
        label: "the agenda item's title",
        max_len: 200,
        required: true,
        lines: false,
    },
    Field {
        name: "item_starts",
        label: "when the item starts",
        max_len: 32,
        required: true,
        lines: false,
    },
    Field {
        name: "item_ends",
        label: "when the item ends",
        max_len: 32,
        required: true,
        lines: false,
    },
    Field {
        name: "room",
        label: "the room",
        max_len: 120,
        required: false,
        lines: false,
    },
    Field {
        name: "speakers",
        label: "the speakers",
        max_len: 500,
        required: false,
        lines: false,
    },
    Field {
        name: "note",
        label: "the note",
        max_len: 1000,
        required: false,
        lines: false,
    },
]);

/// Shows the edit page again with a part form's messages.
async fn part_again(
    ctx: &web::Ctx,
    meeting: Meeting,
    form: PartForm,
    errors: FormErrors,
) -> AppResult<Response> {
    let mut parts = parts_of(&mut *ctx.state.pool.acquire().await?, meeting.id).await?;
    parts.part_errors = errors;
    parts.part_form = PartForm {
        name: PART_FIELDS.keep("name", &form.name),
        type_capacity: PART_FIELDS.keep("type_capacity", &form.type_capacity),
        fee: PART_FIELDS.keep("fee", &form.fee),
        prompt: PART_FIELDS.keep("prompt", &form.prompt),
        choices: PART_FIELDS.keep("choices", &form.choices),
        item_title: PART_FIELDS.keep("item_title", &form.item_title),
        item_starts: PART_FIELDS.keep("item_starts", &form.item_starts),
        item_ends: PART_FIELDS.keep("item_ends", &form.item_ends),
        room: PART_FIELDS.keep("room", &form.room),
        speakers: PART_FIELDS.keep("speakers", &form.speakers),
        note: PART_FIELDS.keep("note", &form.note),
        who: form.who.chars().take(16).collect(),
        kind: form.kind.chars().take(16).collect(),
        required: form.required.chars().take(4).collect(),
    };
    let form = MeetingForm::of(&meeting);
    page(ctx, Some(meeting), form, FormErrors::default(), parts).await
}

fn back_to(meeting: &Meeting) -> Response {
    web::see_other(&format!("/staff/meetings/{}/edit", meeting.slug))
}

/// The next position in a part list.
async fn next_position(
    conn: &mut AnyConnection,
    sql: &'static str,
    meeting_id: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(sql)
        .bind(meeting_id)
        .fetch_one(conn)
        .await
}

async fn add_type(
    Staff(ctx, person): Staff,
    Path(slug): Path<String>,
    Form(form): Form<PartForm>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    let mut check = PART_FIELDS.check();
    let name = check.text("name", &form.name);
    let capacity = check.text("type_capacity", &form.type_capacity);
    let capacity = if capacity.is_empty() || check.has("type_capacity") {
        None
    } else {
        check.number("type_capacity", &capacity, 1..=100_000, "Enter the type's capacity as a whole number from 1 to 100,000, or leave it empty for no limit of its own.")
    };
    let who = TypeFor::parse(&form.who);
    if who.is_none() {
        check.add("who", "Choose who may take this type.");
    }
    let fee = check.text("fee", &form.fee);
    if let Err(errors) = check.finish() {
        return part_again(&ctx, meeting, form, errors).await;
    }
    let mut tx = ctx.state.begin_write().await?;
    let Some(who) = who else {
        unreachable!("checked above")
    };
    insert_type(&mut tx, meeting.id, &name, capacity, who, &fee).await?;
    tx.commit().await?;
    ctx.flash(format!("The type “{name}” is added.")).await?;
    Ok(back_to(&meeting))
}

async fn remove_type(
    Staff(ctx, person): Staff,
    Path((slug, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    let mut tx = ctx.state.begin_write().await?;
    super::places::lock(&mut tx, ctx.state.backend, meeting.id).await?;
    let used: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM meeting_registrations WHERE type_id = $1 AND meeting_id = $2",
    )
    .bind(id)
    .bind(meeting.id)
    .fetch_one(&mut *tx)
    .await?;
    if used > 0 {
        tx.rollback().await?;
        ctx.flash("This type has registrations, so it stays: people registered with it keep it.")
            .await?;
        return Ok(back_to(&meeting));
    }
    let done = sqlx::query("DELETE FROM meeting_types WHERE id = $1 AND meeting_id = $2")
        .bind(id)
        .bind(meeting.id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    ctx.flash("The type is removed.").await?;
    Ok(back_to(&meeting))
}

async fn add_question(
    Staff(ctx, person): Staff,
    Path(slug): Path<String>,
    Form(form): Form<PartForm>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    let mut check = PART_FIELDS.check();
    let prompt = check.text("prompt", &form.prompt);
    let kind = QuestionKind::parse(&form.kind);
    if kind.is_none() {
        check.add("kind", "Choose what kind of answer the question takes.");
    }
    let choices = check.text("choices", &form.choices);
    let listed: Vec<&str> = choices
        .lines()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if matches!(kind, Some(QuestionKind::Choice | QuestionKind::Choices))
        && listed.len() < 2
        && !check.has("choices")
    {
        check.add("choices", "Enter at least two choices, one per line.");
    }
    if listed.iter().any(|c| c.chars().count() > 200) {
        check.add("choices", "Use at most 200 characters for each choice.");
    }
    if let Err(errors) = check.finish() {
        return part_again(&ctx, meeting, form, errors).await;
    }
    let choices = match kind {
        Some(QuestionKind::Choice | QuestionKind::Choices) => listed.join("\n"),
        _ => String::new(),
    };
    let mut tx = ctx.state.begin_write().await?;
    let Some(kind) = kind else {
        unreachable!("checked above")
    };
    insert_question(
        &mut tx,
        meeting.id,
        kind,
        &prompt,
        &choices,
        form.required == "1",
    )
    .await?;
    tx.commit().await?;
    ctx.flash(format!("The question “{prompt}” is added."))
        .await?;
    Ok(back_to(&meeting))
}

/// Removing a question takes its answers with it: a page of its own says how many.
async fn remove_question_form(
    Staff(ctx, person): Staff,
    Path((slug, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    let mut conn = ctx.state.pool.acquire().await?;
    let q = super::questions(&mut conn, meeting.id)
        .await?
        .into_iter()
        .find(|q| q.id == id)
        .ok_or(AppError::NotFound)?;
    let answers: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM meeting_answers WHERE question_id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    drop(conn);
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Remove the question “{}”", q.prompt);
    let back = format!("/staff/meetings/{}/edit", meeting.slug);
    Ok(web::confirm::Confirm {
        layout,
        title: format!("Remove: the question “{}”", q.prompt),
        heading: format!("Remove the question “{}”?", q.prompt),
        explanation: match answers {
            0 => "Nobody has answered it yet.".to_owned(),
            1 => "Its one answer goes with it, from the registration and the roster's CSV."
                .to_owned(),
            n => {
                format!("Its {n} answers go with it, from the registrations and the roster's CSV.")
            }
        },
        action: format!("/staff/meetings/{}/questions/{id}/remove", meeting.slug),
        button: "Remove the question".to_owned(),
        back: back.clone(),
        back_label: "Keep it".to_owned(),
        crumb: Some((back, meeting.title.clone())),
        detail: None,
        note: None,
    }
    .render())
}

async fn remove_question(
    Staff(ctx, person): Staff,
    Path((slug, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    remove_part(
        &ctx,
        "DELETE FROM meeting_questions WHERE id = $1 AND meeting_id = $2",
        id,
        meeting.id,
    )
    .await?;
    ctx.flash("The question is removed, with its answers.")
        .await?;
    Ok(back_to(&meeting))
}

async fn add_item(
    Staff(ctx, person): Staff,
    Path(slug): Path<String>,
    Form(form): Form<PartForm>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    let zone = meeting.zone();
    let mut check = PART_FIELDS.check();
    let title = check.text("item_title", &form.item_title);
    let starts = local(&mut check, "item_starts", &form.item_starts, Some(&zone));
    let ends = local(&mut check, "item_ends", &form.item_ends, Some(&zone));
    if let (Some(a), Some(b)) = (starts, ends)
        && b <= a
    {
        check.add("item_ends", "The item must end after it starts.");
    } else if let (Some(a), Some(b)) = (starts, ends)
        && (a < meeting.starts_at || b > meeting.ends_at)
    {
        check.add(
            "item_starts",
            format!(
                "An agenda item falls within the meeting: {}.",
                meeting.when()
            ),
        );
    }
    let room = check.text("room", &form.room);
    let speakers = check.text("speakers", &form.speakers);
    let note = check.text("note", &form.note);
    if let Err(errors) = check.finish() {
        return part_again(&ctx, meeting, form, errors).await;
    }
    let (Some(starts), Some(ends)) = (starts, ends) else {
        unreachable!("both times were read without a message");
    };
    let mut tx = ctx.state.begin_write().await?;
    let item = NewItem {
        title: &title,
        starts_at: starts,
        ends_at: ends,
        room: &room,
        speakers: &speakers,
        note: &note,
    };
    insert_item(&mut tx, meeting.id, &item).await?;
    tx.commit().await?;
    ctx.flash(format!("“{title}” is added to the agenda."))
        .await?;
    Ok(back_to(&meeting))
}

/// Removes one part of a meeting (a question, an agenda item) by a fixed `DELETE` of `$1`
/// (its id) in `$2` (the meeting): the 404 of a missing part when nothing was removed.
async fn remove_part(ctx: &web::Ctx, sql: &'static str, id: i64, meeting_id: i64) -> AppResult<()> {
    let mut tx = ctx.state.begin_write().await?;
    let done = sqlx::query(sql)
        .bind(id)
        .bind(meeting_id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

async fn remove_item(
    Staff(ctx, person): Staff,
    Path((slug, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    remove_part(
        &ctx,
        "DELETE FROM meeting_agenda WHERE id = $1 AND meeting_id = $2",
        id,
        meeting.id,
    )
    .await?;
    ctx.flash("The agenda item is removed.").await?;
    Ok(back_to(&meeting))
}
