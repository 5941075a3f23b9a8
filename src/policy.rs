//! Every access question, answered in one place. Pages, files, search, feeds and emails all
//! ask here; nothing is visible unless a rule below says so.

use crate::accounts::Person;

/// The roles a person can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The organization's own people, who may do everything.
    Staff,
    /// A member city's lead member.
    Mayor,
    /// A trusted advisor of a member city.
    Advisor,
}

impl Role {
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
}

fn is_active_staff(person: &Person) -> bool {
    person.active == 1 && Role::parse(&person.role) == Some(Role::Staff)
}

/// The staff area (dashboard and everything under `/staff`).
pub fn can_use_staff_area(person: &Person) -> bool {
    is_active_staff(person)
}

/// Who may create another staff account from within the portal.
pub fn can_create_staff(person: &Person) -> bool {
    is_active_staff(person)
}
