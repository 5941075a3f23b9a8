//! The members' directory: who is listed, to whom, and who may write to whom through it.

use super::{CityStatus, PersonStatus, Refusal, Role, can_see_member_directory};
use crate::viewer::Person;

/// A person as the directory's rule sees them, read with [`directory_standing!`].
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DirectoryStanding {
    pub person_id: i64,
    pub role: Role,
    /// Stored as the integer `active`.
    #[sqlx(rename = "active")]
    pub status: PersonStatus,
    /// The person chose to be listed (`people.listed`).
    pub listed: crate::db::Flag,
    pub city_status: Option<CityStatus>,
    /// Other members may write to the person (`people.accepts_messages`).
    pub accepts_messages: crate::db::Flag,
}

/// The columns of a [`DirectoryStanding`], of the person `$p` and the city `$c` (LEFT
/// JOINed).
#[macro_export]
macro_rules! directory_standing {
    ($p:literal, $c:literal) => {
        concat!(
            $p,
            ".id AS person_id, ",
            $p,
            ".role, ",
            $p,
            ".active, ",
            $p,
            ".listed, ",
            $c,
            ".status AS city_status, ",
            $p,
            ".accepts_messages"
        )
    };
}

/// Whether the members' directory lists this person to this reader, on its list and with a
/// page of their own: only to readers who see the members' directory, and only mayors and
/// advisors who chose to be listed, can log in, and whose city is an active member. Everyone
/// else, and everyone to any other reader, is the 404 of a page that does not exist. The
/// directory's list and the person's page both ask here.
pub fn directory_lists(reader: Option<&Person>, target: &DirectoryStanding) -> bool {
    reader.is_some_and(can_see_member_directory)
        && target.listed.get()
        && target.status == PersonStatus::Active
        && matches!(target.role, Role::Mayor | Role::Advisor)
        && target.city_status == Some(CityStatus::Active)
}

/// Whether the sender may send a message to a listed person through the directory's Contact
/// form: anyone the person is listed to, but not to themselves. Whether the person accepts
/// messages is not a refusal: the sender is told "sent" either way, so that the form reveals
/// nothing of the person's choice (see [`relays_message`]).
pub fn contact_door(sender: &Person, target: &DirectoryStanding) -> Result<(), Refusal> {
    if !directory_lists(Some(sender), target) {
        Err(Refusal::Hidden)
    } else if sender.id == target.person_id {
        Err(Refusal::Closed(
            "This is you: the form writes to other members.".to_owned(),
        ))
    } else {
        Ok(())
    }
}

/// Whether the person's page offers the Contact form to this reader.
pub fn offers_contact(reader: &Person, target: &DirectoryStanding) -> bool {
    contact_door(reader, target).is_ok() && target.accepts_messages.get()
}

/// Whether a message sent through the form is relayed by email: only to people who accept
/// messages (the others' senders are told it was sent, and nothing is).
pub fn relays_message(target: &DirectoryStanding) -> bool {
    target.accepts_messages.get()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    fn standing(p: &Person, listed: bool) -> DirectoryStanding {
        DirectoryStanding {
            person_id: p.id,
            role: p.role,
            status: p.status,
            listed: crate::db::Flag(listed),
            city_status: p.city_status,
            accepts_messages: crate::db::Flag(true),
        }
    }

    #[test]
    fn the_directory_lists_listed_people_of_active_cities_to_members_and_staff_only() {
        let listed = standing(&other_advisor(), true);
        for reader in [staff(), mayor(), advisor(), other_mayor()] {
            assert!(directory_lists(Some(&reader), &listed), "{:?}", reader.role);
        }
        for reader in [lapsed_mayor(), lapsed_advisor(), inactive(mayor())] {
            assert!(!directory_lists(Some(&reader), &listed));
        }
        assert!(!directory_lists(None, &listed));
        assert!(!directory_lists(
            Some(&mayor()),
            &standing(&other_advisor(), false)
        ));
        assert!(!directory_lists(
            Some(&mayor()),
            &standing(&inactive(other_advisor()), true)
        ));
        assert!(!directory_lists(
            Some(&mayor()),
            &standing(&lapsed_advisor(), true)
        ));
        assert!(!directory_lists(Some(&mayor()), &standing(&staff(), true)));
    }

    #[test]
    fn members_write_to_listed_people_but_not_to_themselves_and_a_refusal_to_receive_is_silent() {
        let target = standing(&other_advisor(), true);
        assert_eq!(contact_door(&mayor(), &target), Ok(()));
        assert!(matches!(
            contact_door(&other_advisor(), &target),
            Err(Refusal::Closed(_))
        ));
        assert_eq!(contact_door(&lapsed_mayor(), &target), Err(Refusal::Hidden));
        let closed = DirectoryStanding {
            accepts_messages: crate::db::Flag(false),
            ..target.clone()
        };
        assert_eq!(contact_door(&mayor(), &closed), Ok(()));
        assert!(offers_contact(&mayor(), &target));
        assert!(!offers_contact(&mayor(), &closed));
        assert!(relays_message(&target));
        assert!(!relays_message(&closed));
    }
}
