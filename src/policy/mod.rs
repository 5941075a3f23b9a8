//! Every access question, answered in one place. Pages, files, search, feeds and emails all
//! ask here; nothing is visible unless a rule below says so. Roles' rights live here and
//! nowhere else.

mod assistance;
mod cohorts;
mod meetings;
mod members;
mod news;
pub mod posting;
mod publications;
mod search;

pub use assistance::*;
pub use cohorts::*;
pub use meetings::*;
pub use members::*;
pub use news::*;
pub use publications::*;
pub use search::*;

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

crate::stored_as_text!(Role { Staff = "staff", Mayor = "mayor", Advisor = "advisor" });

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

crate::stored_as_text!(CityStatus { Active = "active", Lapsed = "lapsed" });

/// What a logged-in person without the right to a page is told (a 403 in the error page).
pub const NO_ACCESS: &str = "You do not have access to this page. It is kept for people with another role in the network (the staff, or a city's mayor for their city); your account does not include it. If you think you need it, ask the staff.";

/// How far a person goes into a thing of a member area (a cohort, a meeting, a request):
/// every area's door asks its rules at one of these levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Sees that it exists, from outside (to join or ask).
    See,
    /// Reads what is inside.
    Enter,
    /// Changes what is inside (posts, adds, registers).
    Write,
    /// Leads it (facilitators, organizers), reading only.
    Lead,
    /// Leads it and changes it.
    Steer,
}

/// Why a person may not pass a door.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The same as a thing that does not exist (404).
    Hidden,
    /// The person is inside but may not do this, and is told why (403).
    Closed(String),
}

/// SQL condition: the person `$p` (with the city `$c`, LEFT JOINed) may use the member areas
/// now, as [`can_use_member_areas`] says: active, and staff or of an active city. A fixed
/// fragment, for lists of people (email recipients) that must agree with the doors.
#[macro_export]
macro_rules! member_areas_open {
    ($p:literal, $c:literal) => {
        concat!(
            "(",
            $p,
            ".active = 1 AND (",
            $p,
            ".role = 'staff' OR ",
            $c,
            ".status = 'active'))"
        )
    };
}

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

/// Invite advisors to one's own city now: its mayor, while the membership is active (the
/// member home offers it and lists the invitations waiting; a lapsed city's home does not).
pub fn can_invite_advisors(person: &Person) -> bool {
    can_invite(person, Role::Advisor, person.city_id) && !is_staff(person)
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

/// The members' directory (each city's listed mayor and advisors): the same people as the
/// member areas. Everyone else, a lapsed city's people included, sees the public directory.
pub fn can_see_member_directory(person: &Person) -> bool {
    can_use_member_areas(person)
}

/// A member whose city's membership has lapsed: the pages say so, and whom to contact.
pub fn membership_lapsed(person: &Person) -> bool {
    role(person).is_some_and(Role::needs_city) && person.city_status == Some(CityStatus::Lapsed)
}

/// Write, publish and delete news; manage topics, testimonials, the home page's statement.
pub fn can_publish(person: &Person) -> bool {
    is_staff(person)
}

/// Write, publish and place the organization's simple pages (About us, Privacy, …).
pub fn can_edit_pages(person: &Person) -> bool {
    is_staff(person)
}

/// Read a page that is still a draft.
pub fn can_read_draft_page(viewer: Option<&Person>) -> bool {
    viewer.is_some_and(can_edit_pages)
}

/// Review applications to become a member city.
pub fn can_review_applications(person: &Person) -> bool {
    is_staff(person)
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! The people every policy test judges.
    use super::*;

    pub const OWN: i64 = 1;
    pub const OTHER: i64 = 2;

    pub fn person(id: i64, role: Role, city: Option<i64>, city_status: &str) -> Person {
        Person {
            id,
            email: format!("p{id}@example.org"),
            name: format!("Person {id}"),
            title: String::new(),
            role,
            status: PersonStatus::Active,
            city_id: city,
            city_name: city.map(|c| format!("City {c}")),
            city_state: city.map(|_| "WI".to_owned()),
            city_status: city.and_then(|_| CityStatus::parse(city_status)),
            time_zone: String::new(),
            city_time_zone: None,
        }
    }
    pub fn staff() -> Person {
        person(1, Role::Staff, None, "")
    }
    pub fn mayor() -> Person {
        person(2, Role::Mayor, Some(OWN), "active")
    }
    pub fn advisor() -> Person {
        person(3, Role::Advisor, Some(OWN), "active")
    }
    pub fn other_mayor() -> Person {
        person(4, Role::Mayor, Some(OTHER), "active")
    }
    pub fn other_advisor() -> Person {
        person(5, Role::Advisor, Some(OTHER), "active")
    }
    pub fn lapsed_mayor() -> Person {
        person(6, Role::Mayor, Some(OWN), "lapsed")
    }
    pub fn lapsed_advisor() -> Person {
        person(7, Role::Advisor, Some(OWN), "lapsed")
    }
    pub fn inactive(mut p: Person) -> Person {
        p.status = PersonStatus::Deactivated;
        p
    }
}

#[cfg(test)]
mod tests {
    use super::{fixtures::*, *};

    #[test]
    fn only_active_staff_use_the_staff_area_and_its_pages() {
        let rules: [fn(&Person) -> bool; 7] = [
            can_use_staff_area,
            can_create_staff,
            can_see_outbox,
            can_see_audit_log,
            can_manage_cities,
            can_publish,
            can_review_applications,
        ];
        for rule in rules {
            assert!(rule(&staff()));
            for p in [
                mayor(),
                advisor(),
                other_mayor(),
                lapsed_mayor(),
                lapsed_advisor(),
                inactive(staff()),
            ] {
                assert!(!rule(&p), "{:?} ({:?})", p.role, p.city_status);
            }
        }
    }

    #[test]
    fn member_areas_are_for_staff_and_people_of_active_cities_only() {
        for p in [staff(), mayor(), advisor(), other_mayor(), other_advisor()] {
            assert!(can_use_member_areas(&p), "{:?}", p.role);
            assert!(can_read_members_news(&p), "{:?}", p.role);
            assert!(can_see_member_directory(&p), "{:?}", p.role);
            assert!(!membership_lapsed(&p), "{:?}", p.role);
        }
        for p in [lapsed_mayor(), lapsed_advisor()] {
            assert!(!can_use_member_areas(&p));
            assert!(!can_read_members_news(&p));
            assert!(!can_see_member_directory(&p));
            assert!(membership_lapsed(&p));
        }
        for p in [inactive(mayor()), inactive(staff())] {
            assert!(!can_use_member_areas(&p));
            assert!(!can_see_member_directory(&p));
            assert!(!membership_lapsed(&p));
        }
    }

    #[test]
    fn a_mayor_invites_advisors_to_their_own_active_city_only() {
        assert!(can_invite(&mayor(), Role::Advisor, Some(OWN)));
        assert!(!can_invite(&mayor(), Role::Advisor, Some(OTHER)));
        assert!(!can_invite(&mayor(), Role::Mayor, Some(OWN)));
        assert!(!can_invite(&mayor(), Role::Staff, None));
        assert!(!can_invite(&lapsed_mayor(), Role::Advisor, Some(OWN)));
        assert!(!can_invite(&advisor(), Role::Advisor, Some(OWN)));
        assert!(!can_invite(&inactive(mayor()), Role::Advisor, Some(OWN)));
        for (role, city) in [
            (Role::Staff, None),
            (Role::Mayor, Some(OTHER)),
            (Role::Advisor, Some(OWN)),
        ] {
            assert!(can_invite(&staff(), role, city));
            assert!(can_manage_invitation(&staff(), role, city));
            assert!(can_revoke_invitation(&staff(), role, city));
        }
    }

    #[test]
    fn the_member_home_offers_inviting_to_the_mayor_of_an_active_city_only() {
        assert!(can_invite_advisors(&mayor()));
        assert!(can_invite_advisors(&other_mayor()));
        assert!(!can_invite_advisors(&lapsed_mayor()));
        assert!(!can_invite_advisors(&advisor()));
        assert!(!can_invite_advisors(&inactive(mayor())));
        assert!(!can_invite_advisors(&staff()));
    }

    #[test]
    fn the_invitations_page_is_for_staff_and_mayors_even_lapsed_ones() {
        assert!(can_invite_anyone(&staff()));
        assert!(can_invite_anyone(&mayor()));
        assert!(can_invite_anyone(&lapsed_mayor()));
        assert!(!can_invite_anyone(&advisor()));
        assert!(!can_invite_anyone(&lapsed_advisor()));
        assert!(!can_invite_anyone(&inactive(mayor())));
    }

    #[test]
    fn a_lapsed_mayor_may_withdraw_but_not_resend_their_citys_invitations() {
        assert!(can_manage_invitation(&mayor(), Role::Advisor, Some(OWN)));
        assert!(!can_manage_invitation(
            &lapsed_mayor(),
            Role::Advisor,
            Some(OWN)
        ));
        assert!(can_revoke_invitation(
            &lapsed_mayor(),
            Role::Advisor,
            Some(OWN)
        ));
        assert!(!can_revoke_invitation(
            &lapsed_mayor(),
            Role::Mayor,
            Some(OWN)
        ));
        assert!(!can_revoke_invitation(&mayor(), Role::Advisor, Some(OTHER)));
        assert!(!can_revoke_invitation(&advisor(), Role::Advisor, Some(OWN)));
    }

    #[test]
    fn people_are_listed_and_seen_by_staff_their_own_mayor_and_themselves() {
        assert!(can_list_people(&staff()));
        assert!(can_list_people(&mayor()));
        assert!(can_list_people(&lapsed_mayor()));
        assert!(!can_list_people(&advisor()));
        assert!(!can_list_people(&inactive(mayor())));

        assert!(can_see_person(&staff(), &other_advisor()));
        assert!(can_see_person(&mayor(), &advisor()));
        assert!(can_see_person(&lapsed_mayor(), &advisor()));
        assert!(!can_see_person(&mayor(), &other_advisor()));
        assert!(!can_see_person(&mayor(), &staff()));
        assert!(can_see_person(&advisor(), &advisor()));
        assert!(!can_see_person(&advisor(), &mayor()));
        assert!(!can_see_person(&other_mayor(), &advisor()));
    }

    #[test]
    fn staff_deactivate_anyone_but_themselves_and_mayors_their_citys_advisors() {
        assert!(can_set_active(&staff(), &mayor()));
        assert!(!can_set_active(&staff(), &staff()));
        assert!(can_set_active(&mayor(), &advisor()));
        assert!(!can_set_active(&mayor(), &mayor()));
        assert!(!can_set_active(&mayor(), &other_advisor()));
        assert!(!can_set_active(&other_mayor(), &advisor()));
        assert!(!can_set_active(&advisor(), &mayor()));
        assert!(!can_set_active(&mayor(), &lapsed_mayor()));

        assert!(can_change_role_or_city(&staff(), &advisor()));
        assert!(!can_change_role_or_city(&staff(), &staff()));
        assert!(!can_change_role_or_city(&mayor(), &advisor()));
    }

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
