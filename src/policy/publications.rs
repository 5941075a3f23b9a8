//! Publications: staff publish; who reads one follows its visibility (everyone, the people of
//! active member cities, or the members of its cohorts), the same scope as the search's
//! ([`super::SearchScope`]); a draft is staff's alone. Anyone else gets the 404 of a
//! publication that does not exist, on its page, its download and in search.

use super::{Person, SearchScope, is_staff};

/// Who a publication is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Members,
    Cohorts,
}

impl Visibility {
    pub const ALL: [Visibility; 3] = [Visibility::Public, Visibility::Members, Visibility::Cohorts];
    pub fn label(self) -> &'static str {
        match self {
            Visibility::Public => "Everyone (public)",
            Visibility::Members => "Members: the people of member cities",
            Visibility::Cohorts => "The members of chosen cohorts",
        }
    }
}

/// Publish, edit, replace the file of, and unpublish publications: staff.
pub fn can_publish_publications(person: &Person) -> bool {
    is_staff(person)
}

/// Publish for a cohort (from its space): staff for any; a facilitator for the cohorts they
/// lead (`leads_it`) while their city is active. Only for the cohort's members, never for
/// members at large or the public.
pub fn can_publish_for_cohort(person: &Person, leads_it: bool) -> bool {
    is_staff(person) || (leads_it && super::can_use_member_areas(person))
}

/// Edit, and add versions to, a publication from a cohort's space: a published one for
/// cohorts only, every one of which the person leads (`leads_all`: facilitators of them all,
/// or staff), while their city is active. A publication also for another cohort, and a draft
/// (staff's alone to read), are staff's to edit.
pub fn can_edit_cohort_publication(person: &Person, (leads_all, published): (bool, bool)) -> bool {
    leads_all && published && (is_staff(person) || super::can_use_member_areas(person))
}

/// A publication as the rules see it, for one reader.
#[derive(Debug, Clone, Copy)]
pub struct PublicationStanding {
    pub visibility: Visibility,
    pub published: bool,
    /// The reader is a member of one of its cohorts.
    pub in_cohort: bool,
}

/// Whether the reader of this scope may read (and download) the publication.
pub fn can_read_publication(scope: &SearchScope, p: PublicationStanding) -> bool {
    if scope.all == 1 {
        return true;
    }
    p.published
        && match p.visibility {
            Visibility::Public => true,
            Visibility::Members => scope.members == 1,
            Visibility::Cohorts => scope.cohorts == 1 && p.in_cohort,
        }
}

/// SQL condition: the publication `p` is one the scope bound at `$all`… may read.
#[macro_export]
macro_rules! publication_readable {
    ($all:literal, $members:literal, $cohorts:literal, $person:literal) => {
        concat!(
            "(",
            $all,
            " = 1 OR (p.status = 'published' AND (p.visibility = 'public' \
             OR (p.visibility = 'members' AND ",
            $members,
            " = 1) \
             OR (p.visibility = 'cohorts' AND ",
            $cohorts,
            " = 1 AND EXISTS (SELECT 1 FROM publication_cohorts pc \
                 JOIN cohort_members m ON m.cohort_id = pc.cohort_id \
                 WHERE pc.publication_id = p.id AND m.person_id = ",
            $person,
            ")))))"
        )
    };
}
