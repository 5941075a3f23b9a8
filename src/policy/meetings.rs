//! The annual meeting: who sees a meeting, who registers whom and with which type, who reads
//! and changes a registration, who sees the attendee list, and who runs the meeting.

use super::{Role, can_use_member_areas, is_mayor_of, is_staff, role};
use crate::viewer::Person;

/// Where a meeting stands, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetingStanding {
    /// Staff are still preparing it: nobody else learns it exists.
    pub draft: bool,
    /// Registration is open now (the meeting is open, and now is between its opening and
    /// closing times).
    pub registration_open: bool,
}

/// Who may take a registration type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeFor {
    /// Mayors and advisors (and staff).
    Members,
    Mayors,
    Advisors,
    /// Only staff give it (to guests, speakers, themselves).
    Staff,
}

/// Create, edit and run meetings: the roster, payments, check-in, badges.
pub fn can_manage_meetings(person: &Person) -> bool {
    is_staff(person)
}

/// See a meeting's page (its information, agenda and places left): anyone once staff have
/// announced it; a draft only staff.
pub fn can_see_meeting(viewer: Option<&Person>, m: MeetingStanding) -> bool {
    !m.draft || viewer.is_some_and(is_staff)
}

/// Register for a meeting at all: the people of an active member city, and staff. (Staff also
/// register after the closing time.)
pub fn can_register_for_meetings(person: &Person) -> bool {
    can_use_member_areas(person)
}

/// Register now: while registration is open, or staff at any time.
pub fn can_register_now(person: &Person, m: MeetingStanding) -> bool {
    can_register_for_meetings(person) && !m.draft && (m.registration_open || is_staff(person))
}

/// Register `target` (a person of the portal, as found): oneself, an advisor of one's own
/// city for its mayor, anyone for staff. Never another city's people.
pub fn can_register_person(actor: &Person, target: &Person) -> bool {
    if !can_register_for_meetings(actor) || !can_register_for_meetings(target) {
        return false;
    }
    actor.id == target.id
        || is_staff(actor)
        || (is_mayor_of(actor, target.city_id) && role(target) == Some(Role::Advisor))
}

/// Register a guest without an account (name, email, organization): staff.
pub fn can_register_guests(person: &Person) -> bool {
    is_staff(person)
}

/// Whether a type may be given to a person of this role (`None`: a guest) by this actor.
pub fn can_take_type(actor: &Person, registrant: Option<Role>, t: TypeFor) -> bool {
    if is_staff(actor) {
        return true;
    }
    matches!(
        (t, registrant),
        (
            TypeFor::Members,
            Some(Role::Mayor | Role::Advisor | Role::Staff)
        ) | (TypeFor::Mayors, Some(Role::Mayor))
            | (TypeFor::Advisors, Some(Role::Advisor))
    )
}

/// A registration as the rules see it for one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationStanding {
    /// The registration is the person's own.
    pub own: bool,
    /// The registrant's city (NULL for staff and guests).
    pub city_id: Option<i64>,
    /// The registrant is an advisor (whom the city's mayor may register and manage).
    pub advisor: bool,
    /// The registration's closing time has passed.
    pub closed: bool,
}

/// Read a registration (its type, place, answers): the registrant, the mayor of the
/// registrant's city for its advisors, staff. Everyone else gets the 404 of a registration
/// that does not exist.
pub fn can_read_registration(person: &Person, r: RegistrationStanding) -> bool {
    can_register_for_meetings(person)
        && (r.own || is_staff(person) || (r.advisor && is_mayor_of(person, r.city_id)))
}

/// Change its answers or cancel it: those who read it, until registration closes (staff at
/// any time).
pub fn can_change_registration(person: &Person, r: RegistrationStanding) -> bool {
    can_read_registration(person, r) && (!r.closed || is_staff(person))
}

/// The attendee list (the registered people who agreed to appear on it): the people of the
/// member areas.
pub fn can_see_attendees(person: &Person) -> bool {
    can_use_member_areas(person)
}

/// SQL condition on a registration `$r` (with its person `$p` LEFT JOINed) for the attendee
/// list: registered, and agreed to be listed.
#[macro_export]
macro_rules! listed_attendee {
    ($r:literal) => {
        concat!($r, ".status = 'registered' AND ", $r, ".listed = 1")
    };
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    const OPEN: MeetingStanding = MeetingStanding {
        draft: false,
        registration_open: true,
    };
    const CLOSED: MeetingStanding = MeetingStanding {
        draft: false,
        registration_open: false,
    };
    const DRAFT: MeetingStanding = MeetingStanding {
        draft: true,
        registration_open: false,
    };

    #[test]
    fn a_draft_meeting_is_seen_by_staff_only() {
        assert!(can_see_meeting(None, OPEN));
        assert!(!can_see_meeting(None, DRAFT));
        assert!(!can_see_meeting(Some(&mayor()), DRAFT));
        assert!(can_see_meeting(Some(&staff()), DRAFT));
    }

    #[test]
    fn members_register_while_open_staff_always_and_lapsed_cities_never() {
        assert!(can_register_now(&mayor(), OPEN));
        assert!(!can_register_now(&mayor(), CLOSED));
        assert!(can_register_now(&staff(), CLOSED));
        assert!(!can_register_now(&lapsed_mayor(), OPEN));
        assert!(!can_register_now(&staff(), DRAFT));
    }

    #[test]
    fn a_mayor_registers_the_citys_advisors_and_never_another_citys() {
        assert!(can_register_person(&mayor(), &advisor()));
        assert!(can_register_person(&mayor(), &mayor()));
        assert!(!can_register_person(&mayor(), &other_advisor()));
        assert!(!can_register_person(&advisor(), &mayor()));
        assert!(!can_register_person(&mayor(), &other_mayor()));
        assert!(can_register_person(&staff(), &other_advisor()));
        assert!(!can_register_person(&staff(), &lapsed_advisor()));
    }

    #[test]
    fn types_are_taken_by_the_roles_they_are_for() {
        let (m, a) = (Some(Role::Mayor), Some(Role::Advisor));
        assert!(can_take_type(&mayor(), m, TypeFor::Mayors));
        assert!(!can_take_type(&mayor(), a, TypeFor::Mayors));
        assert!(can_take_type(&mayor(), a, TypeFor::Advisors));
        assert!(!can_take_type(&mayor(), m, TypeFor::Staff));
        assert!(can_take_type(&staff(), None, TypeFor::Staff));
        assert!(can_take_type(&advisor(), a, TypeFor::Members));
    }

    #[test]
    fn a_registration_is_read_by_its_person_the_citys_mayor_for_advisors_and_staff() {
        let advisors = RegistrationStanding {
            own: false,
            city_id: advisor().city_id,
            advisor: true,
            closed: false,
        };
        assert!(can_read_registration(&mayor(), advisors));
        assert!(!can_read_registration(&other_mayor(), advisors));
        assert!(!can_read_registration(
            &advisor(),
            RegistrationStanding {
                advisor: false,
                ..advisors
            }
        ));
        assert!(can_read_registration(&staff(), advisors));
        let closed = RegistrationStanding {
            closed: true,
            own: true,
            ..advisors
        };
        assert!(!can_change_registration(&advisor(), closed));
        assert!(can_change_registration(&staff(), closed));
    }
}
