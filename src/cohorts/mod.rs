//! Cohorts and networks: small groups of mayors, advisors and staff working on one theme for a
//! season. Staff create them (`manage`); members find, join or ask to join them (`directory`);
//! inside a cohort's space (`space`) its members talk (`discussion`), share files and links
//! (`resources`) and meet (`sessions`, with calendar files in `ics`). Everything in a space is
//! private: a person who may not enter it gets the 404 of a cohort that does not exist, from
//! the door (`web::door`: `Inside<Access>`, `Writing<Access>`, …) that every space handler
//! names.

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

use crate::state::AppState;
use sqlx::AnyConnection;

use crate::{
    db::Flag,
    policy::{self, CohortStanding, Level, Refusal},
    viewer::Person,
    web::door::{Room, TokenDoor},
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
crate::stored_as_text!(JoinPolicy { Open = "open", Request = "request", Invite = "invite" });

/// Whether a cohort is running or kept as a read-only record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CohortStatus {
    Active,
    Archived,
}

impl CohortStatus {
    pub fn label(self) -> &'static str {
        match self {
            CohortStatus::Active => "Active",
            CohortStatus::Archived => "Archived",
        }
    }
}
crate::stored_as_text!(CohortStatus { Active = "active", Archived = "archived" });

/// A person's place in a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRole {
    Member,
    Facilitator,
}

impl MemberRole {
    pub fn label(self) -> &'static str {
        match self {
            MemberRole::Member => "Member",
            MemberRole::Facilitator => "Facilitator",
        }
    }
}
crate::stored_as_text!(MemberRole { Member = "member", Facilitator = "facilitator" });

/// Where a request to join stands: waiting, or decided once by a guarded transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    Pending,
    Approved,
    Declined,
    /// Taken back by the person who asked.
    Withdrawn,
}

crate::stored_as_text!(RequestStatus { Pending = "pending", Approved = "approved", Declined = "declined", Withdrawn = "withdrawn" });

impl crate::db::Status for RequestStatus {
    const TRANSITION: &'static str = "UPDATE cohort_requests SET status = $1, decided_at = $4, decided_by = $5 \
         WHERE id = $2 AND status = $3";
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Cohort {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub topic: String,
    pub description: String,
    pub join_policy: JoinPolicy,
    /// People who are not in it see that it exists.
    pub visible: Flag,
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
    /// Gets the cohort's activity emails.
    pub following: Flag,
}

/// A cohort as one person may use it: the cohort, the person's membership if any, and what
/// the policy says of the two. Only the door ([`Room`]) makes one, so a handler that reads a
/// cohort's private things has passed it.
#[derive(Debug, Clone)]
pub struct Access {
    pub cohort: Cohort,
    pub membership: Option<Membership>,
    pub standing: CohortStanding,
    /// Private: only the door makes an `Access`.
    #[expect(
        dead_code,
        reason = "a seal: it is there to be impossible to name elsewhere"
    )]
    sealed: Sealed,
}

/// Makes [`Access`] constructible in this module only.
#[derive(Debug, Clone, Copy)]
struct Sealed;

impl Access {
    pub fn can_write(&self, person: &Person) -> bool {
        policy::can_write_in_cohort(person, self.standing)
    }
    pub fn can_facilitate(&self, person: &Person) -> bool {
        policy::can_facilitate_cohort(person, self.standing)
    }
}

/// A cohort with the person's membership columns (NULL outside it) and open invitations.
#[derive(sqlx::FromRow)]
struct Found {
    #[sqlx(flatten)]
    cohort: Cohort,
    role: Option<MemberRole>,
    joined_at: Option<i64>,
    following: Option<Flag>,
    invitations: i64,
    removals: i64,
}

impl Room for Access {
    const KEY: &'static str = "slug";

    async fn find(
        conn: &mut AnyConnection,
        person: &Person,
        key: &str,
    ) -> sqlx::Result<Option<Self>> {
        // One statement, so one snapshot: the membership and an open invitation are read
        // together (an invitation accepted meanwhile is a membership, never neither).
        let Some(row) = sqlx::query_as::<_, Found>(concat!(
            "SELECT ",
            cohort_columns!("c"),
            ", m.role, m.joined_at, m.following, \
             (SELECT COUNT(*) FROM cohort_invitations i WHERE i.cohort_id = c.id \
               AND i.person_id = $2 AND i.status = 'pending') AS invitations, \
             (SELECT COUNT(*) FROM cohort_removals x WHERE x.cohort_id = c.id \
               AND x.person_id = $2) AS removals \
             FROM cohorts c LEFT JOIN cohort_members m ON m.cohort_id = c.id AND m.person_id = $2 \
             WHERE c.slug = $1"
        ))
        .bind(key)
        .bind(person.id)
        .fetch_optional(conn)
        .await?
        else {
            return Ok(None);
        };
        let membership = match (row.role, row.joined_at, row.following) {
            (Some(role), Some(joined_at), Some(following)) => Some(Membership {
                role,
                joined_at,
                following,
            }),
            _ => None,
        };
        let standing = CohortStanding {
            invited: membership.is_none() && row.invitations > 0,
            removed: membership.is_none() && row.removals > 0,
            ..standing(&row.cohort, membership.as_ref())
        };
        Ok(Some(Access {
            cohort: row.cohort,
            membership,
            standing,
            sealed: Sealed,
        }))
    }

    fn judge(&self, person: &Person, level: Level) -> Result<(), Refusal> {
        policy::cohort_door(person, self.standing, level)
    }

    fn key(&self) -> &str {
        &self.cohort.slug
    }
}

/// The secret address of a member's calendar feed of a cohort: found by the digest of its
/// secret (only the digest is stored), for the person whose feed it is.
pub struct Feed {
    pub cohort: Cohort,
    standing: CohortStanding,
}

impl TokenDoor for Feed {
    const KEY: &'static str = "file";
    const SUFFIX: &'static str = ".ics";

    async fn find_by_digest(
        conn: &mut AnyConnection,
        digest: &str,
    ) -> sqlx::Result<Option<(Self, i64)>> {
        let found: Option<(i64, i64)> = sqlx::query_as(
            "SELECT cohort_id, person_id FROM cohort_members WHERE calendar_token = $1",
        )
        .bind(digest)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((cohort_id, person_id)) = found else {
            return Ok(None);
        };
        let Some(cohort) = by_id(conn, cohort_id).await? else {
            return Ok(None);
        };
        let membership = membership(conn, cohort_id, person_id).await?;
        let standing = standing(&cohort, membership.as_ref());
        Ok(Some((Feed { cohort, standing }, person_id)))
    }

    fn admits(&self, person: &Person) -> bool {
        person.is_active() && policy::can_enter_cohort(person, self.standing)
    }
}

/// A person's one feed of all their cohorts, opened by its secret address.
pub struct AllFeeds;

impl TokenDoor for AllFeeds {
    const KEY: &'static str = "file";
    const SUFFIX: &'static str = ".ics";

    async fn find_by_digest(
        conn: &mut AnyConnection,
        digest: &str,
    ) -> sqlx::Result<Option<(Self, i64)>> {
        let person: Option<i64> =
            sqlx::query_scalar("SELECT id FROM people WHERE cohorts_calendar_token = $1")
                .bind(digest)
                .fetch_optional(&mut *conn)
                .await?;
        Ok(person.map(|id| (AllFeeds, id)))
    }

    fn admits(&self, person: &Person) -> bool {
        person.is_active() && policy::can_have_cohorts_calendar(person)
    }
}

/// The cohorts this person is in and may enter now, for their feed of all their cohorts.
pub async fn entered_by(conn: &mut AnyConnection, person: &Person) -> sqlx::Result<Vec<Cohort>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT cohort_id FROM cohort_members WHERE person_id = $1 ORDER BY cohort_id",
    )
    .bind(person.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut cohorts = Vec::new();
    for id in ids {
        let Some(cohort) = by_id(conn, id).await? else {
            continue;
        };
        let membership = membership(conn, id, person.id).await?;
        if policy::can_enter_cohort(person, standing(&cohort, membership.as_ref())) {
            cohorts.push(cohort);
        }
    }
    Ok(cohorts)
}

pub(crate) fn standing(cohort: &Cohort, membership: Option<&Membership>) -> CohortStanding {
    CohortStanding {
        visible: cohort.visible.get(),
        archived: cohort.is_archived(),
        member: membership.is_some(),
        facilitator: membership.is_some_and(|m| m.role == MemberRole::Facilitator),
        invited: false,
        removed: false,
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
        "SELECT role, joined_at, following FROM cohort_members \
         WHERE cohort_id = $1 AND person_id = $2",
    )
    .bind(cohort_id)
    .bind(person_id)
    .fetch_optional(conn)
    .await
}

/// A new secret for a person's calendar feed of a cohort, and its digest to store: the
/// secret is shown once, to the person, and never stored.
pub fn calendar_secret() -> (String, String) {
    let secret = crate::secret::generate();
    let digest = crate::secret::digest(&secret);
    (secret, digest)
}

/// Adds a person to a cohort (no-op when already in it): whether they were added. Adding
/// lifts a removal: staff added them, a facilitator approved or invited them.
pub async fn add_member(
    conn: &mut AnyConnection,
    cohort_id: i64,
    person_id: i64,
    role: MemberRole,
    now: i64,
) -> sqlx::Result<bool> {
    sqlx::query("DELETE FROM cohort_removals WHERE cohort_id = $1 AND person_id = $2")
        .bind(cohort_id)
        .bind(person_id)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query(
        "INSERT INTO cohort_members (cohort_id, person_id, role, joined_at, following, calendar_token) \
         VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (cohort_id, person_id) DO NOTHING",
    )
    .bind(cohort_id)
    .bind(person_id)
    .bind(role)
    .bind(now)
    // Nobody's address until the person asks for one (which renews this).
    .bind(calendar_secret().1)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The people a cohort's activity email may go to: its members who follow it and may enter
/// it now (active, of an active city, or staff, as the door says), but for `except`.
pub async fn mail_recipients(
    conn: &mut AnyConnection,
    cohort: &Cohort,
    except: i64,
) -> sqlx::Result<Vec<Person>> {
    sqlx::query_as::<_, Person>(concat!(
        crate::select_people!("JOIN cohort_members m ON m.person_id = p.id WHERE m.cohort_id = $1 AND m.following = 1 AND p.id <> $2 AND "),
        crate::member_areas_open!("p", "c"),
        " ORDER BY p.id"
    ))
    .bind(cohort.id)
    .bind(except)
    .fetch_all(conn)
    .await
}

/// The facilitators of a cohort who may act on it now; staff when it has none.
pub async fn facilitators_to_tell(
    conn: &mut AnyConnection,
    cohort: &Cohort,
) -> sqlx::Result<Vec<Person>> {
    let mut people = sqlx::query_as::<_, Person>(concat!(
        crate::select_people!("JOIN cohort_members m ON m.person_id = p.id WHERE m.cohort_id = $1 AND m.role = 'facilitator' AND "),
        crate::member_areas_open!("p", "c"),
        " ORDER BY p.id"
    ))
    .bind(cohort.id)
    .fetch_all(&mut *conn)
    .await?;
    if people.is_empty() {
        people = sqlx::query_as::<_, Person>(crate::select_people!(
            "WHERE p.role = 'staff' AND p.active = 1 ORDER BY p.id"
        ))
        .fetch_all(conn)
        .await?;
    }
    Ok(people)
}
