//! Who finds what in the portal's one search: the same questions as the doors of the things
//! found, asked once per reader and bound into the search's SQL (`search::find`), so that no
//! result, snippet or count shows what the reader may not open.

use super::{Person, can_ask_for_assistance, can_read_members_news, cohort_scope, is_staff};

/// The reader's scopes, as numbers to bind (0: no).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchScope {
    /// Staff find every document.
    pub all: i64,
    /// Documents for members (members-only news and publications).
    pub members: i64,
    /// The city whose documents (its assistance requests) the reader finds; 0: none.
    pub city: i64,
    /// Whether the reader enters cohorts at all, and who they are (their memberships).
    pub cohorts: i64,
    pub person: i64,
}

pub fn search_scope(reader: Option<&Person>) -> SearchScope {
    let Some(p) = reader else {
        return SearchScope {
            all: 0,
            members: 0,
            city: 0,
            cohorts: 0,
            person: 0,
        };
    };
    let cohorts = cohort_scope(Some(p));
    SearchScope {
        all: i64::from(is_staff(p)),
        members: i64::from(can_read_members_news(p)),
        city: if can_ask_for_assistance(p) {
            p.city_id.unwrap_or(0)
        } else {
            0
        },
        cohorts: cohorts.open,
        person: p.id,
    }
}

/// SQL condition: the document `d` is one the scope bound at `$all`… finds.
#[macro_export]
macro_rules! search_admits {
    ($all:literal, $members:literal, $city:literal, $cohorts:literal, $person:literal) => {
        concat!(
            "(",
            $all,
            " = 1 OR EXISTS (SELECT 1 FROM search_access a WHERE a.doc_id = d.id AND (\
             a.scope = 'public' OR (a.scope = 'members' AND ",
            $members,
            " = 1) \
             OR (a.scope = 'city' AND ",
            $city,
            " <> 0 AND a.scope_id = ",
            $city,
            ") \
             OR (a.scope = 'cohort' AND ",
            $cohorts,
            " = 1 AND EXISTS (SELECT 1 FROM cohort_members m \
                 WHERE m.cohort_id = a.scope_id AND m.person_id = ",
            $person,
            ")))))"
        )
    };
}
