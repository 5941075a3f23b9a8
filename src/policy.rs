//! Every access question, answered in one place. Pages, files, search, feeds and emails all
//! ask here; nothing is visible unless a rule below says so. Roles' rights live here and
//! nowhere else.

use crate::viewer::Person;

/// The roles a person can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The organization's own people, who may do everything.
    Staff,
    /// A member city's lead member; one per city at a time.
    Mayor,
    /// A trusted advisor of a member city.
    Advisor,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Mayor, Role::Advisor, Role::Staff];

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "staff" => Some(Role::Staff),
            "mayor" => Some(Role::Mayor),
            "advisor" => Some(Role::Advisor),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Mayor => "mayor",
            Role::Advisor => "advisor",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Role::Staff => "Staff",
            Role::Mayor => "Mayor",
            Role::Advisor => "Advisor",
        }
    }
    /// "the mayor", "an advisor", "a staff member": for sentences.
    pub fn phrase(self) -> &'static str {
        match self {
            Role::Staff => "a staff member",
            Role::Mayor => "the mayor",
            Role::Advisor => "an advisor",
        }
    }
    /// Whether a person in this role belongs to a member city.
    pub fn needs_city(self) -> bool {
        !matches!(self, Role::Staff)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

crate::stored_as_text!(Role);

/// Whether a person may log in: stored as the integer `people.active` (1 or 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonStatus {
    Active,
    /// Kept for the record, but can no longer log in.
    Deactivated,
}

impl PersonStatus {
    pub fn from_flag(flag: i64) -> Option<PersonStatus> {
        match flag {
            1 => Some(PersonStatus::Active),
            0 => Some(PersonStatus::Deactivated),
            _ => None,
        }
    }
    pub fn flag(self) -> i64 {
        match self {
            PersonStatus::Active => 1,
            PersonStatus::Deactivated => 0,
        }
    }
}

impl sqlx::Type<sqlx::Any> for PersonStatus {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }
    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for PersonStatus {
    fn decode(
        value: <sqlx::Any as sqlx::Database>::ValueRef<'r>,
    ) -> Result<Self, sqlx::error::BoxDynError> {
        let flag = <i64 as sqlx::Decode<sqlx::Any>>::decode(value)?;
        PersonStatus::from_flag(flag)
            .ok_or_else(|| format!("unknown person status {flag} in the database").into())
    }
}

/// A member city's membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CityStatus {
    Active,
    /// Not renewed: its people keep their accounts, the member areas are closed to them.
    Lapsed,
}

impl CityStatus {
    pub fn parse(s: &str) -> Option<CityStatus> {
        match s {
            "active" => Some(CityStatus::Active),
            "lapsed" => Some(CityStatus::Lapsed),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CityStatus::Active => "active",
            CityStatus::Lapsed => "lapsed",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            CityStatus::Active => "Active",
            CityStatus::Lapsed => "Lapsed",
        }
    }
}

impl std::fmt::Display for CityStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

crate::stored_as_text!(CityStatus);

fn role(person: &Person) -> Option<Role> {
    (person.status == PersonStatus::Active).then_some(person.role)
}

fn is_staff(person: &Person) -> bool {
    role(person) == Some(Role::Staff)
}

/// The mayor of this city (an active mayor whose city it is).
fn is_mayor_of(person: &Person, city_id: Option<i64>) -> bool {
    role(person) == Some(Role::Mayor) && city_id.is_some() && person.city_id == city_id
}

/// The staff area (dashboard and everything under `/staff`).
pub fn can_use_staff_area(person: &Person) -> bool {
    is_staff(person)
}

pub fn can_create_staff(person: &Person) -> bool {
    is_staff(person)
}

pub fn can_see_outbox(person: &Person) -> bool {
    is_staff(person)
}

pub fn can_see_audit_log(person: &Person) -> bool {
    is_staff(person)
}

/// Create and edit member cities, change their status.
pub fn can_manage_cities(person: &Person) -> bool {
    is_staff(person)
}

/// Send an invitation for `role` in `city_id`: staff invite anyone anywhere; a mayor invites
/// advisors to his or her own city while its membership is active; nobody else invites.
pub fn can_invite(person: &Person, invited_role: Role, city_id: Option<i64>) -> bool {
    is_staff(person)
        || (invited_role == Role::Advisor
            && is_mayor_of(person, city_id)
            && person.city_status == Some(CityStatus::Active))
}

/// Whether a person sees the invitations page and its link: staff, and a mayor (whose page
/// says why nothing can be sent while the city's membership has lapsed).
pub fn can_invite_anyone(person: &Person) -> bool {
    is_staff(person) || is_mayor_of(person, person.city_id)
}

/// Resend an invitation: whoever could send that same invitation now.
pub fn can_manage_invitation(person: &Person, invited_role: Role, city_id: Option<i64>) -> bool {
    can_invite(person, invited_role, city_id)
}

/// Withdraw an invitation: whoever manages it, and the city's mayor even while the
/// membership has lapsed (taking back is always allowed).
pub fn can_revoke_invitation(person: &Person, invited_role: Role, city_id: Option<i64>) -> bool {
    can_manage_invitation(person, invited_role, city_id)
        || (invited_role == Role::Advisor && is_mayor_of(person, city_id))
}

/// The people list: staff see everyone, a mayor the city's people.
pub fn can_list_people(person: &Person) -> bool {
    is_staff(person) || is_mayor_of(person, person.city_id)
}

/// See another person's page.
pub fn can_see_person(viewer: &Person, target: &Person) -> bool {
    is_staff(viewer) || viewer.id == target.id || is_mayor_of(viewer, target.city_id)
}

/// Deactivate or reactivate: staff anyone but themselves; a mayor the city's advisors.
pub fn can_set_active(actor: &Person, target: &Person) -> bool {
    if actor.id == target.id {
        return false;
    }
    is_staff(actor) || (is_mayor_of(actor, target.city_id) && target.role == Role::Advisor)
}

/// Change a person's role or move them to another city.
pub fn can_change_role_or_city(actor: &Person, target: &Person) -> bool {
    is_staff(actor) && actor.id != target.id
}

/// The member areas (cohorts, meetings, assistance, publications): staff, and the people of
/// an active member city.
pub fn can_use_member_areas(person: &Person) -> bool {
    match role(person) {
        Some(Role::Staff) => true,
        Some(_) => person.city_status == Some(CityStatus::Active),
        None => false,
    }
}

/// A member whose city's membership has lapsed: the pages say so, and whom to contact.
pub fn membership_lapsed(person: &Person) -> bool {
    role(person).is_some_and(Role::needs_city) && person.city_status == Some(CityStatus::Lapsed)
}

/// Read the body of a members-only post (pages, feed, search, sitemap): the same people
/// as the member areas.
pub fn can_read_members_news(person: &Person) -> bool {
    can_use_member_areas(person)
}

/// See a news post's cover picture (on pages and at its address): publishers always (drafts
/// and scheduled posts, in the editor and previews); anyone else only once the post is out
/// (`out`: published and its time come), and for a members-only post only its readers.
pub fn can_see_post_picture(viewer: Option<&Person>, out: bool, members_only: bool) -> bool {
    viewer.is_some_and(can_publish)
        || (out && (!members_only || viewer.is_some_and(can_read_members_news)))
}

/// Write, publish and delete news; manage topics, testimonials, the home page's statement.
pub fn can_publish(person: &Person) -> bool {
    is_staff(person)
}

/// Review applications to become a member city.
pub fn can_review_applications(person: &Person) -> bool {
    is_staff(person)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_statuses_are_only_the_known_words() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("Staff"), None);
        assert_eq!(Role::parse("owner"), None);
        assert_eq!(Role::parse(""), None);
        assert_eq!(CityStatus::parse("active"), Some(CityStatus::Active));
        assert_eq!(CityStatus::parse("lapsed"), Some(CityStatus::Lapsed));
        assert_eq!(CityStatus::parse("pending"), None);
        assert_eq!(PersonStatus::from_flag(1), Some(PersonStatus::Active));
        assert_eq!(PersonStatus::from_flag(0), Some(PersonStatus::Deactivated));
        assert_eq!(PersonStatus::from_flag(2), None);
    }
}
