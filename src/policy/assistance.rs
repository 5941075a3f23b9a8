//! Technical assistance: a request belongs to its city. Who may ask, who reads and answers a
//! request, who runs it, which status follows which, and who is told.

use super::{Level, NO_ACCESS, Refusal, Role, can_use_member_areas, is_staff, role};
use crate::viewer::Person;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RequestStatus {
    New,
    /// A staff owner is assigned.
    Triaged,
    InProgress,
    /// The staff asked the city something.
    Waiting,
    Resolved,
    Closed,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 6] = [
        RequestStatus::New,
        RequestStatus::Triaged,
        RequestStatus::InProgress,
        RequestStatus::Waiting,
        RequestStatus::Resolved,
        RequestStatus::Closed,
    ];

    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::New => "New",
            RequestStatus::Triaged => "Triaged",
            RequestStatus::InProgress => "In progress",
            RequestStatus::Waiting => "Waiting on the city",
            RequestStatus::Resolved => "Resolved",
            RequestStatus::Closed => "Closed",
        }
    }

    /// Still being worked on (not resolved or closed).
    pub fn is_open(self) -> bool {
        !matches!(self, RequestStatus::Resolved | RequestStatus::Closed)
    }
}

/// Who moves a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mover {
    Staff,
    /// One of the city's people.
    City,
    /// The portal itself (the close after 14 days).
    Portal,
}

/// Whether a request may go from `from` to `to`, moved by `by`. New becomes triaged only by
/// an owner's assignment (which staff make); the city moves a request only back to work (its
/// reply while waiting, or reopening a resolved one); only the portal closes a resolved
/// request, 14 days on, and nothing reopens a closed one.
pub fn may_move(from: RequestStatus, to: RequestStatus, by: Mover) -> bool {
    use RequestStatus::*;
    match by {
        Mover::Staff => matches!(
            (from, to),
            (New, Triaged)
                | (Triaged, InProgress)
                | (InProgress, Waiting)
                | (Waiting, InProgress)
                | (Triaged | InProgress | Waiting, Resolved)
                | (Resolved, InProgress)
                | (Resolved, Closed)
        ),
        Mover::City => matches!((from, to), (Waiting, InProgress) | (Resolved, InProgress)),
        Mover::Portal => matches!((from, to), (Resolved, Closed)),
    }
}

/// Days after its resolution when a request the city did not reopen closes.
pub const CLOSES_AFTER_DAYS: i64 = 14;

/// Business days the staff have for a first answer.
pub const FIRST_RESPONSE_BUSINESS_DAYS: i64 = 2;

/// A request as the rules see it, for one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestStanding {
    /// The request is of the person's own city.
    pub own_city: bool,
}

/// Ask the staff for help: the people (mayor or advisors) of an active member city.
pub fn can_ask_for_assistance(person: &Person) -> bool {
    can_use_member_areas(person) && matches!(role(person), Some(Role::Mayor | Role::Advisor))
}

/// Run the requests: the queue, owners, statuses, internal notes, topics.
pub fn can_run_assistance(person: &Person) -> bool {
    is_staff(person)
}

/// The door of a request: staff at every level; the people of its city, while the city is
/// active, read it and write in it (reply, add files, say whether it helped); running it
/// (`Lead`, `Steer`: notes, owners, statuses) is the staff's, said to the city's people in
/// the page. Everyone else gets the 404 of a request that does not exist.
pub fn request_door(person: &Person, r: RequestStanding, level: Level) -> Result<(), Refusal> {
    if can_run_assistance(person) {
        return Ok(());
    }
    if !(r.own_city && can_ask_for_assistance(person)) {
        return Err(Refusal::Hidden);
    }
    match level {
        Level::See | Level::Enter | Level::Write => Ok(()),
        Level::Lead | Level::Steer => Err(Refusal::Closed(NO_ACCESS.to_owned())),
    }
}

/// Find requests in the portal's search: their city's people (their own city's), staff (all).
pub fn can_find_requests(person: &Person) -> bool {
    can_ask_for_assistance(person) || can_run_assistance(person)
}

/// Follow every request of the city by email: its mayor.
pub fn can_follow_city_requests(person: &Person) -> bool {
    can_ask_for_assistance(person) && role(person) == Some(Role::Mayor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{CityStatus, PersonStatus};
    use RequestStatus::*;

    fn person(role: Role, city: Option<CityStatus>) -> Person {
        Person {
            id: 1,
            email: "a@example.org".into(),
            name: "A".into(),
            title: String::new(),
            role,
            status: PersonStatus::Active,
            city_id: city.map(|_| 7),
            city_name: None,
            city_state: None,
            city_status: city,
            time_zone: String::new(),
            city_time_zone: None,
        }
    }

    #[test]
    fn only_the_transitions_that_make_sense_are_allowed() {
        assert!(may_move(New, Triaged, Mover::Staff));
        assert!(!may_move(New, InProgress, Mover::Staff));
        assert!(!may_move(New, Triaged, Mover::City));
        assert!(may_move(Waiting, InProgress, Mover::City));
        assert!(may_move(Resolved, InProgress, Mover::City));
        assert!(!may_move(InProgress, Resolved, Mover::City));
        for to in RequestStatus::ALL {
            assert!(!may_move(Closed, to, Mover::Staff), "closed to {to:?}");
            assert!(!may_move(Closed, to, Mover::City), "closed to {to:?}");
        }
        assert!(may_move(Resolved, Closed, Mover::Portal));
        assert!(!may_move(InProgress, Closed, Mover::Portal));
    }

    #[test]
    fn a_request_is_its_citys_and_the_staffs_and_nobody_elses() {
        let own = RequestStanding { own_city: true };
        let other = RequestStanding { own_city: false };
        let mayor = person(Role::Mayor, Some(CityStatus::Active));
        let advisor = person(Role::Advisor, Some(CityStatus::Active));
        let lapsed = person(Role::Mayor, Some(CityStatus::Lapsed));
        let staff = person(Role::Staff, None);
        for level in [Level::Enter, Level::Write] {
            assert_eq!(request_door(&mayor, own, level), Ok(()));
            assert_eq!(request_door(&advisor, own, level), Ok(()));
            assert_eq!(request_door(&mayor, other, level), Err(Refusal::Hidden));
            assert_eq!(request_door(&lapsed, own, level), Err(Refusal::Hidden));
            assert_eq!(request_door(&staff, other, level), Ok(()));
        }
        assert!(matches!(
            request_door(&advisor, own, Level::Steer),
            Err(Refusal::Closed(_))
        ));
        assert!(can_follow_city_requests(&mayor));
        assert!(!can_follow_city_requests(&advisor));
        assert!(!can_ask_for_assistance(&staff));
    }
}
