//! Cohorts and networks: small groups of mayors, advisors and staff working on one theme for a
//! season. Staff create them (`manage`); members find, join or ask to join them (`directory`);
//! inside a cohort's space (`space`) its members talk (`discussion`), share files and links
//! (`resources`) and meet (`sessions`, with calendar files in `ics`). Everything in a space is
//! private: a person who may not enter it gets the 404 of a cohort that does not exist, from
//! [`enter`], which every space handler calls first.

pub mod directory;
pub mod discussion;
pub mod emails;
pub mod home;
pub mod manage;
pub mod overview;
pub mod resources;
pub mod search;
pub mod sessions;
pub mod space;

use axum::Router;
use sqlx::AnyConnection;

use crate::{
    error::{AppError, AppResult},
    policy::{self, CohortStanding},
    state::AppState,
    viewer::Person,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(directory::router())
        .merge(space::router())
        .merge(discussion::router())
        .merge(sessions::router())
        .merge(resources::router())
        .merge(manage::router())
}

/// How people come into a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinPolicy {
    /// Any member joins at once.
    Open,
    /// A facilitator approves each request.
    Request,
    /// Staff and facilitators add people.
    Invite,
}

impl JoinPolicy {
    pub const ALL: [JoinPolicy; 3] = [JoinPolicy::Open, JoinPolicy::Request, JoinPolicy::Invite];

    pub fn parse(s: &str) -> Option<JoinPolicy> {
        match s {
            "open" => Some(JoinPolicy::Open),
            "request" => Some(JoinPolicy::Request),
            "invite" => Some(JoinPolicy::Invite),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            JoinPolicy::Open => "open",
            JoinPolicy::Request => "request",
            JoinPolicy::Invite => "invite",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            JoinPolicy::Open => "Open: any member joins at once",
            JoinPolicy::Request => "By request: a facilitator approves",
            JoinPolicy::Invite => "Invitation only: staff and facilitators add people",
        }
    }
    pub fn short(self) -> &'static str {
        match self {
            JoinPolicy::Open => "Open",
            JoinPolicy::Request => "By request",
            JoinPolicy::Invite => "Invitation only",
        }
    }
}
crate::stored_as_text!(JoinPolicy);

/// Whether a cohort is running or kept as a read-only record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CohortStatus {
    Active,
    Archived,
}

impl CohortStatus {
    pub fn parse(s: &str) -> Option<CohortStatus> {
        match s {
            "active" => Some(CohortStatus::Active),
            "archived" => Some(CohortStatus::Archived),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CohortStatus::Active => "active",
            CohortStatus::Archived => "archived",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            CohortStatus::Active => "Active",
            CohortStatus::Archived => "Archived",
        }
    }
}
crate::stored_as_text!(CohortStatus);

/// A person's place in a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRole {
    Member,
    Facilitator,
}

impl MemberRole {
    pub fn parse(s: &str) -> Option<MemberRole> {
        match s {
            "member" => Some(MemberRole::Member),
            "facilitator" => Some(MemberRole::Facilitator),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Member => "member",
            MemberRole::Facilitator => "facilitator",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            MemberRole::Member => "Member",
            MemberRole::Facilitator => "Facilitator",
        }
    }
}
crate::stored_as_text!(MemberRole);

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Cohort {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub topic: String,
    pub description: String,
    pub join_policy: JoinPolicy,
    pub visible: i64,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub status: CohortStatus,
}

/// The columns of [`Cohort`], for queries built from fixed fragments.
#[macro_export]
macro_rules! cohort_columns {
    ($t:literal) => {
        concat!(
            $t,
            ".id, ",
            $t,
            ".slug, ",
            $t,
            ".name, ",
            $t,
            ".topic, ",
            $t,
            ".description, ",
            $t,
            ".join_policy, ",
            $t,
            ".visible, ",
            $t,
            ".starts_on, ",
            $t,
            ".ends_on, ",
            $t,
            ".status"
        )
    };
}

impl Cohort {
    pub fn is_archived(&self) -> bool {
        self.status == CohortStatus::Archived
    }

    /// "1 March 2026 – 30 June 2026", "from 1 March 2026", or empty.
    pub fn season(&self) -> String {
        let show = |d: &Option<String>| d.as_deref().map(crate::time::long_date);
        match (show(&self.starts_on), show(&self.ends_on)) {
            (Some(a), Some(b)) => format!("{a} – {b}"),
            (Some(a), None) => format!("From {a}"),
            (None, Some(b)) => format!("Until {b}"),
            (None, None) => String::new(),
        }
    }

    pub fn href(&self) -> String {
        format!("/cohorts/{}", self.slug)
    }
}

/// A person's membership row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Membership {
    pub role: MemberRole,
    pub joined_at: i64,
    pub following: i64,
    pub calendar_token: String,
}

/// A cohort as one person may use it: the cohort, the person's membership if any, and what
/// the policy says of the two.
#[derive(Debug, Clone)]
pub struct Access {
    pub cohort: Cohort,
    pub membership: Option<Membership>,
    pub standing: CohortStanding,
}

impl Access {
    pub fn can_write(&self, person: &Person) -> bool {
        policy::can_write_in_cohort(person, self.standing)
    }
    pub fn can_facilitate(&self, person: &Person) -> bool {
        policy::can_facilitate_cohort(person, self.standing)
    }
}

fn standing(cohort: &Cohort, membership: Option<&Membership>) -> CohortStanding {
    CohortStanding {
        visible: cohort.visible == 1,
        archived: cohort.is_archived(),
        member: membership.is_some(),
        facilitator: membership.is_some_and(|m| m.role == MemberRole::Facilitator),
    }
}

pub async fn by_slug(conn: &mut AnyConnection, slug: &str) -> sqlx::Result<Option<Cohort>> {
    sqlx::query_as::<_, Cohort>(concat!(
        "SELECT ",
        cohort_columns!("c"),
        " FROM cohorts c WHERE c.slug = $1"
    ))
    .bind(slug)
    .fetch_optional(conn)
    .await
}

pub async fn by_id(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<Cohort>> {
    sqlx::query_as::<_, Cohort>(concat!(
        "SELECT ",
        cohort_columns!("c"),
        " FROM cohorts c WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn membership(
    conn: &mut AnyConnection,
    cohort_id: i64,
    person_id: i64,
) -> sqlx::Result<Option<Membership>> {
    sqlx::query_as::<_, Membership>(
        "SELECT role, joined_at, following, calendar_token FROM cohort_members \
         WHERE cohort_id = $1 AND person_id = $2",
    )
    .bind(cohort_id)
    .bind(person_id)
    .fetch_optional(conn)
    .await
}

/// The cohort and this person's standing in it, whatever the policy says of them.
pub async fn look(
    conn: &mut AnyConnection,
    person: &Person,
    slug: &str,
) -> AppResult<Option<Access>> {
    let Some(cohort) = by_slug(conn, slug).await? else {
        return Ok(None);
    };
    let membership = membership(conn, cohort.id, person.id).await?;
    let standing = standing(&cohort, membership.as_ref());
    Ok(Some(Access {
        cohort,
        membership,
        standing,
    }))
}

/// The cohort's space as this person may enter it, or the 404 of a cohort that does not
/// exist: the one door of every page, post, file and calendar of a cohort.
pub async fn enter(state: &AppState, person: &Person, slug: &str) -> AppResult<Access> {
    let mut conn = state.pool.acquire().await?;
    match look(&mut conn, person, slug).await? {
        Some(access) if policy::can_enter_cohort(person, access.standing) => Ok(access),
        _ => Err(AppError::NotFound),
    }
}

/// [`enter`], for a change: the space must also be open for writing (not archived), else
/// the person is told why (403).
pub async fn enter_to_write(state: &AppState, person: &Person, slug: &str) -> AppResult<Access> {
    let access = enter(state, person, slug).await?;
    if !access.can_write(person) {
        return Err(AppError::NoAccess(
            "This cohort is archived: it can be read, but nothing in it can be changed.".to_owned(),
        ));
    }
    Ok(access)
}

/// [`enter`], for facilitators and staff only (403 for the cohort's other members).
pub async fn enter_to_facilitate(
    state: &AppState,
    person: &Person,
    slug: &str,
) -> AppResult<Access> {
    let access = enter(state, person, slug).await?;
    crate::web::permit(access.can_facilitate(person))?;
    Ok(access)
}

/// A new secret for a person's calendar feed of a cohort.
pub fn calendar_secret() -> String {
    crate::accounts::tokens::generate()
}

/// Adds a person to a cohort (no-op when already in it): whether they were added.
pub async fn add_member(
    conn: &mut AnyConnection,
    cohort_id: i64,
    person_id: i64,
    role: MemberRole,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO cohort_members (cohort_id, person_id, role, joined_at, following, calendar_token) \
         VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (cohort_id, person_id) DO NOTHING",
    )
    .bind(cohort_id)
    .bind(person_id)
    .bind(role)
    .bind(now)
    .bind(calendar_secret())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The people a cohort's activity email may go to: its members who follow it and may enter
/// it now (active, of an active city, or staff), but for `except`.
pub async fn mail_recipients(
    conn: &mut AnyConnection,
    cohort: &Cohort,
    except: i64,
) -> sqlx::Result<Vec<Person>> {
    let people = sqlx::query_as::<_, Person>(crate::select_people!(
        "JOIN cohort_members m ON m.person_id = p.id \
         WHERE m.cohort_id = $1 AND m.following = 1 AND p.active = 1 AND p.id <> $2 ORDER BY p.id"
    ))
    .bind(cohort.id)
    .bind(except)
    .fetch_all(&mut *conn)
    .await?;
    let mut allowed = Vec::new();
    for person in people {
        let m = membership(conn, cohort.id, person.id).await?;
        if policy::can_receive_cohort_mail(&person, standing(cohort, m.as_ref())) {
            allowed.push(person);
        }
    }
    Ok(allowed)
}

/// The facilitators of a cohort who may act on it now; staff when it has none.
pub async fn facilitators_to_tell(
    conn: &mut AnyConnection,
    cohort: &Cohort,
) -> sqlx::Result<Vec<Person>> {
    let facilitators = sqlx::query_as::<_, Person>(crate::select_people!(
        "JOIN cohort_members m ON m.person_id = p.id \
         WHERE m.cohort_id = $1 AND m.role = 'facilitator' AND p.active = 1 ORDER BY p.id"
    ))
    .bind(cohort.id)
    .fetch_all(&mut *conn)
    .await?;
    let facilitating = CohortStanding {
        member: true,
        facilitator: true,
        ..standing(cohort, None)
    };
    let mut people: Vec<Person> = facilitators
        .into_iter()
        .filter(|p| policy::can_facilitate_cohort(p, facilitating))
        .collect();
    if people.is_empty() {
        people = sqlx::query_as::<_, Person>(crate::select_people!(
            "WHERE p.role = 'staff' AND p.active = 1 ORDER BY p.id"
        ))
        .fetch_all(conn)
        .await?;
    }
    Ok(people)
}
