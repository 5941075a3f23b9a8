//! The annual meeting: staff prepare a meeting (`manage`: its information, agenda,
//! registration types and questions); everyone reads its page (`public`); members register,
//! change their answers and cancel (`register`), with capacity and the waitlist kept exact
//! under concurrency (`places`); staff run the roster, payments and check-in (`roster`), with
//! the check-in QR code (`checkin`) and name badges to print (`badges`).
//! Emails go through the outbox (`emails`).

pub mod badges;
pub mod calendar;
pub mod checkin;
pub mod emails;
pub mod home;
pub mod manage;
pub mod message;
pub mod places;
pub mod public;
pub mod register;
pub mod roster;
pub mod search;

use axum::Router;
use sqlx::AnyConnection;

use crate::{
    db::Flag,
    policy::{self, MeetingStanding, RegistrationStanding, TypeFor},
    state::AppState,
    time::Zone,
    viewer::Person,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(public::router())
        .merge(register::router())
        .merge(manage::router())
        .merge(roster::router())
        .merge(checkin::router())
        .merge(badges::router())
}

/// Where a meeting stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingStatus {
    /// Staff are preparing it; nobody else sees it.
    Draft,
    /// Announced; registration between its opening and closing times.
    Open,
    /// Announced; registration closed.
    Closed,
    Cancelled,
    /// Held.
    Past,
}
crate::stored_as_text!(MeetingStatus { Draft = "draft", Open = "open", Closed = "closed", Cancelled = "cancelled", Past = "past" });

impl MeetingStatus {
    pub const ALL: [MeetingStatus; 5] = [
        MeetingStatus::Draft,
        MeetingStatus::Open,
        MeetingStatus::Closed,
        MeetingStatus::Cancelled,
        MeetingStatus::Past,
    ];
    pub fn label(self) -> &'static str {
        match self {
            MeetingStatus::Draft => "Draft: only staff see it",
            MeetingStatus::Open => "Open: registration between its opening and closing times",
            MeetingStatus::Closed => "Closed: announced, registration closed",
            MeetingStatus::Cancelled => "Cancelled",
            MeetingStatus::Past => "Past: held",
        }
    }
}

crate::stored_as_text!(TypeFor { Members = "members", Mayors = "mayors", Advisors = "advisors", Staff = "staff" });

/// What kind of answer a question takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionKind {
    Text,
    /// One of its choices.
    Choice,
    /// Any of its choices.
    Choices,
    YesNo,
}
crate::stored_as_text!(QuestionKind { Text = "text", Choice = "choice", Choices = "choices", YesNo = "yesno" });

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegStatus {
    Registered,
    /// On the waitlist, in the order of `waiting_since`.
    Waiting,
    Cancelled,
}
crate::stored_as_text!(RegStatus { Registered = "registered", Waiting = "waiting", Cancelled = "cancelled" });

impl RegStatus {
    pub fn label(self) -> &'static str {
        match self {
            RegStatus::Registered => "Registered",
            RegStatus::Waiting => "On the waitlist",
            RegStatus::Cancelled => "Cancelled",
        }
    }
}

/// Whether a registration's fee is settled (money is handled outside the portal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payment {
    Due,
    Paid,
    Waived,
}
crate::stored_as_text!(Payment { Due = "due", Paid = "paid", Waived = "waived" });

impl Payment {
    pub const ALL: [Payment; 3] = [Payment::Due, Payment::Paid, Payment::Waived];
    pub fn label(self) -> &'static str {
        match self {
            Payment::Due => "Due",
            Payment::Paid => "Paid",
            Payment::Waived => "Waived",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Meeting {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub host_city: String,
    pub venue: String,
    pub venue_address: String,
    pub time_zone: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub description: String,
    pub description_html: String,
    pub opens_at: i64,
    pub closes_at: i64,
    pub capacity: Option<i64>,
    pub status: MeetingStatus,
    pub sequence: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The columns of [`Meeting`].
#[macro_export]
macro_rules! meeting_columns {
    () => {
        "m.id, m.slug, m.title, m.host_city, m.venue, m.venue_address, m.time_zone, m.starts_at, \
         m.ends_at, m.description, m.description_html, m.opens_at, m.closes_at, m.capacity, \
         m.status, m.sequence, m.created_at, m.updated_at"
    };
}

impl Meeting {
    pub fn zone(&self) -> Zone {
        Zone::of_stored(Some(&self.time_zone))
    }

    pub fn href(&self) -> String {
        format!("/meetings/{}", self.slug)
    }

    /// Registration is open at `now`.
    pub fn registration_open(&self, now: i64) -> bool {
        self.status == MeetingStatus::Open && self.opens_at <= now && now < self.closes_at
    }

    pub fn standing(&self, now: i64) -> MeetingStanding {
        MeetingStanding {
            draft: self.status == MeetingStatus::Draft,
            registration_open: self.registration_open(now),
        }
    }

    /// "14–16 May 2027" style dates in the venue's zone, with the place.
    pub fn when(&self) -> String {
        crate::time::span(&self.zone(), self.starts_at, self.ends_at)
    }

    /// "Lafayette, CO · Lafayette Event Center"
    pub fn place(&self) -> String {
        [self.host_city.as_str(), self.venue.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// Why registration is not open now, in words, or `None` when it is.
    pub fn closed_because(&self, now: i64) -> Option<String> {
        let zone = self.zone();
        match self.status {
            MeetingStatus::Open if now < self.opens_at => Some(format!(
                "Registration opens on {}.",
                zone.time(self.opens_at)
            )),
            MeetingStatus::Open if now >= self.closes_at => Some(format!(
                "Registration closed on {}.",
                zone.time(self.closes_at)
            )),
            MeetingStatus::Open => None,
            MeetingStatus::Draft => Some("Registration is not open yet.".to_owned()),
            MeetingStatus::Closed => Some("Registration is closed.".to_owned()),
            MeetingStatus::Cancelled => Some("This meeting is cancelled.".to_owned()),
            MeetingStatus::Past => Some("This meeting has taken place.".to_owned()),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegType {
    pub id: i64,
    pub meeting_id: i64,
    pub name: String,
    pub capacity: Option<i64>,
    pub who: TypeFor,
    pub fee: String,
    pub position: i64,
}

impl RegType {
    /// "Mayors", "Advisors", … : who may take it, for the page.
    pub fn for_whom(&self) -> &'static str {
        match self.who {
            TypeFor::Members => "Mayors and advisors",
            TypeFor::Mayors => "Mayors",
            TypeFor::Advisors => "Advisors",
            TypeFor::Staff => "Given by staff",
        }
    }

    /// Why a person may not take it, in a sentence: "The type “Mayor” is for mayors."
    pub fn refusal(&self) -> String {
        match self.who {
            TypeFor::Staff => format!(
                "The type “{}” is given by staff only: choose another.",
                self.name
            ),
            _ => format!(
                "The type “{}” is for {}: choose another.",
                self.name,
                self.for_whom().to_lowercase()
            ),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Question {
    pub id: i64,
    pub meeting_id: i64,
    pub kind: QuestionKind,
    pub prompt: String,
    pub choices: String,
    pub required: Flag,
    pub position: i64,
}

impl Question {
    pub fn choice_list(&self) -> Vec<&str> {
        self.choices
            .lines()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect()
    }
    /// The form field's name.
    pub fn field(&self) -> String {
        format!("q{}", self.id)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgendaItem {
    pub id: i64,
    pub meeting_id: i64,
    pub title: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub room: String,
    pub speakers: String,
    pub note: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Registration {
    pub id: i64,
    pub meeting_id: i64,
    pub type_id: i64,
    pub person_id: Option<i64>,
    pub name: String,
    pub email: String,
    pub organization: String,
    pub city_id: Option<i64>,
    pub status: RegStatus,
    pub waiting_since: Option<i64>,
    pub listed: Flag,
    pub payment: Payment,
    pub checked_in_at: Option<i64>,
    pub checkin_code: String,
    pub uid: String,
    pub sequence: i64,
    pub registered_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The columns of [`Registration`].
#[macro_export]
macro_rules! registration_columns {
    () => {
        "r.id, r.meeting_id, r.type_id, r.person_id, r.name, r.email, r.organization, r.city_id, \
         r.status, r.waiting_since, r.listed, r.payment, r.checked_in_at, r.checkin_code, r.uid, \
         r.sequence, r.registered_by, r.created_at, r.updated_at"
    };
}

/// A meeting by its address, or `None`.
pub async fn by_slug(conn: &mut AnyConnection, slug: &str) -> sqlx::Result<Option<Meeting>> {
    sqlx::query_as(concat!(
        "SELECT ",
        meeting_columns!(),
        " FROM meetings m WHERE m.slug = $1"
    ))
    .bind(slug)
    .fetch_optional(conn)
    .await
}

/// A meeting by its id (inside a transaction, where its address may have changed meanwhile).
pub async fn by_id(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<Meeting>> {
    sqlx::query_as(concat!(
        "SELECT ",
        meeting_columns!(),
        " FROM meetings m WHERE m.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A meeting this viewer may see, by its address: drafts only for staff; the 404 of a missing
/// meeting otherwise.
pub async fn visible(
    state: &AppState,
    viewer: Option<&Person>,
    slug: &str,
) -> crate::error::AppResult<Meeting> {
    let mut conn = state.pool.acquire().await?;
    let meeting = by_slug(&mut conn, slug)
        .await?
        .filter(|m| policy::can_see_meeting(viewer, m.standing(state.clock.now())))
        .ok_or(crate::error::AppError::NotFound)?;
    Ok(meeting)
}

pub async fn types(conn: &mut AnyConnection, meeting_id: i64) -> sqlx::Result<Vec<RegType>> {
    sqlx::query_as(
        "SELECT id, meeting_id, name, capacity, who, fee, position FROM meeting_types \
         WHERE meeting_id = $1 ORDER BY position, id",
    )
    .bind(meeting_id)
    .fetch_all(conn)
    .await
}

pub async fn questions(conn: &mut AnyConnection, meeting_id: i64) -> sqlx::Result<Vec<Question>> {
    sqlx::query_as(
        "SELECT id, meeting_id, kind, prompt, choices, required, position FROM meeting_questions \
         WHERE meeting_id = $1 ORDER BY position, id",
    )
    .bind(meeting_id)
    .fetch_all(conn)
    .await
}

pub async fn agenda(conn: &mut AnyConnection, meeting_id: i64) -> sqlx::Result<Vec<AgendaItem>> {
    sqlx::query_as(
        "SELECT id, meeting_id, title, starts_at, ends_at, room, speakers, note FROM meeting_agenda \
         WHERE meeting_id = $1 ORDER BY starts_at, id",
    )
    .bind(meeting_id)
    .fetch_all(conn)
    .await
}

/// A registration by id within a meeting.
pub async fn registration(
    conn: &mut AnyConnection,
    meeting_id: i64,
    id: i64,
) -> sqlx::Result<Option<Registration>> {
    sqlx::query_as(concat!(
        "SELECT ",
        registration_columns!(),
        " FROM meeting_registrations r WHERE r.meeting_id = $1 AND r.id = $2"
    ))
    .bind(meeting_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// This person's registration that counts (registered or waiting), if any.
pub async fn own_registration(
    conn: &mut AnyConnection,
    meeting_id: i64,
    person_id: i64,
) -> sqlx::Result<Option<Registration>> {
    sqlx::query_as(concat!(
        "SELECT ",
        registration_columns!(),
        " FROM meeting_registrations r WHERE r.meeting_id = $1 AND r.person_id = $2 \
         AND r.status <> 'cancelled'"
    ))
    .bind(meeting_id)
    .bind(person_id)
    .fetch_optional(conn)
    .await
}

/// How the rules see registration `r` for `person`, at `now`, in `meeting`.
pub async fn standing_of(
    conn: &mut AnyConnection,
    person: &Person,
    meeting: &Meeting,
    r: &Registration,
    now: i64,
) -> sqlx::Result<RegistrationStanding> {
    let advisor = match r.person_id {
        Some(id) => {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM people WHERE id = $1 AND role = 'advisor'",
            )
            .bind(id)
            .fetch_one(conn)
            .await?
                > 0
        }
        None => false,
    };
    Ok(RegistrationStanding {
        own: r.person_id == Some(person.id),
        city_id: r.city_id,
        advisor,
        closed: now >= meeting.closes_at || meeting.status != MeetingStatus::Open,
    })
}

/// The next meeting people can see (not a draft, not past), for the home page.
pub async fn next(conn: &mut AnyConnection, now: i64) -> sqlx::Result<Option<Meeting>> {
    sqlx::query_as(concat!(
        "SELECT ",
        meeting_columns!(),
        " FROM meetings m WHERE m.status IN ('open', 'closed') AND m.ends_at > $1 \
         ORDER BY m.starts_at LIMIT 1"
    ))
    .bind(now)
    .fetch_optional(conn)
    .await
}
