//! Cohorts and networks: who sees one, enters its space, writes in it and leads it, and the
//! scope every cohort list, search and email applies.

use super::{Level, NO_ACCESS, Refusal, can_use_member_areas, is_staff};
use crate::viewer::Person;

/// A cohort as the access rules see it for one person: whether it shows itself to people
/// who are not in it, whether it is archived, and the person's place in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CohortStanding {
    /// People who are not in it see that it exists (in the list of cohorts).
    pub visible: bool,
    /// Read-only, still visible to its members.
    pub archived: bool,
    /// The person is in it (as a member or a facilitator).
    pub member: bool,
    /// The person facilitates it.
    pub facilitator: bool,
    /// A facilitator invited the person, who has not answered yet.
    pub invited: bool,
    /// Staff removed the person, who may not come back by themselves.
    pub removed: bool,
}

/// Create, edit and archive cohorts, add and remove their members, export their lists.
pub fn can_manage_cohorts(person: &Person) -> bool {
    is_staff(person)
}

/// Join cohorts, or ask to: the people of an active member city, and staff.
pub fn can_join_cohorts(person: &Person) -> bool {
    can_use_member_areas(person)
}

/// See that a cohort exists (its name, description and how to join) in the list of cohorts.
pub fn can_see_cohort(person: &Person, c: CohortStanding) -> bool {
    can_use_member_areas(person)
        && (is_staff(person) || c.member || ((c.visible || c.invited) && !c.archived))
}

/// Have one calendar feed of all one's cohorts: the people of the member areas (whose feed
/// then shows only the cohorts [`can_enter_cohort`] lets them into when it is read).
pub fn can_have_cohorts_calendar(person: &Person) -> bool {
    can_use_member_areas(person)
}

/// Enter a cohort's space: its members, discussion, resources, sessions, files and calendar.
/// Everyone else, a lapsed city's people included, gets the 404 of a cohort that does not
/// exist.
pub fn can_enter_cohort(person: &Person, c: CohortStanding) -> bool {
    can_use_member_areas(person) && (is_staff(person) || c.member)
}

/// Post, reply and add resources: whoever enters the space, while it is not archived.
pub fn can_write_in_cohort(person: &Person, c: CohortStanding) -> bool {
    can_enter_cohort(person, c) && !c.archived
}

/// Approve requests, add people to an invite-only cohort, hide and restore posts, plan
/// sessions, remove resources: the cohort's facilitators and staff.
pub fn can_facilitate_cohort(person: &Person, c: CohortStanding) -> bool {
    can_enter_cohort(person, c) && (is_staff(person) || c.facilitator)
}

/// Receive a cohort's activity emails: the same people as [`can_enter_cohort`], so that no
/// email carries a cohort's content to anyone else.
pub fn can_receive_cohort_mail(person: &Person, c: CohortStanding) -> bool {
    person.is_active() && can_enter_cohort(person, c)
}

/// Remove a file or link from a cohort's resources: the person who added it (`added_it`),
/// its facilitators and staff, while the cohort is open for writing.
pub fn can_remove_cohort_resource(person: &Person, c: CohortStanding, added_it: bool) -> bool {
    can_write_in_cohort(person, c) && (added_it || can_facilitate_cohort(person, c))
}

/// What a cohort's door says of this person at this level: outside the people who may see
/// or enter it, the 404 of a cohort that does not exist; inside, why not.
pub fn cohort_door(person: &Person, c: CohortStanding, level: Level) -> Result<(), Refusal> {
    let passes = match level {
        Level::See => can_see_cohort(person, c),
        _ => can_enter_cohort(person, c),
    };
    if !passes {
        return Err(Refusal::Hidden);
    }
    let writes = matches!(level, Level::Write | Level::Steer);
    let leads = matches!(level, Level::Lead | Level::Steer);
    if writes && !can_write_in_cohort(person, c) {
        return Err(Refusal::Closed(ARCHIVED.to_owned()));
    }
    if leads && !can_facilitate_cohort(person, c) {
        return Err(Refusal::Closed(NO_ACCESS.to_owned()));
    }
    Ok(())
}

/// What a person inside an archived cohort is told when they try to change something.
pub const ARCHIVED: &str =
    "This cohort is archived: it can be read, but nothing in it can be changed.";

/// Why this person may not join (or ask to join) a cohort they see, if they may not: a
/// person outside the member areas, or an archived cohort.
pub fn cohort_join_refusal(person: &Person, c: CohortStanding) -> Option<&'static str> {
    if !can_join_cohorts(person) {
        Some(NO_ACCESS)
    } else if c.archived {
        Some("This cohort is archived: nobody joins it any more.")
    } else if c.removed && !c.invited && !is_staff(person) {
        Some("You were removed from this cohort. Its facilitators or staff can invite you again.")
    } else {
        None
    }
}

/// Plan, change and cancel sessions: facilitators and staff, while the cohort is open.
pub fn can_plan_cohort_sessions(person: &Person, c: CohortStanding) -> bool {
    can_facilitate_cohort(person, c) && can_write_in_cohort(person, c)
}

/// See hidden threads and posts (to restore them): facilitators and staff.
pub fn can_see_hidden_cohort_posts(person: &Person, c: CohortStanding) -> bool {
    can_facilitate_cohort(person, c)
}

/// How long after posting its author may edit a post, in seconds.
pub const COHORT_EDIT_WINDOW: i64 = 30 * 60;

/// Why this person may not edit a post now, if they may not: only its author, while the
/// cohort is open, the post not hidden, and within [`COHORT_EDIT_WINDOW`] of posting.
pub fn cohort_edit_refusal(
    person: &Person,
    c: CohortStanding,
    author_id: i64,
    hidden: bool,
    posted_at: i64,
    now: i64,
) -> Option<&'static str> {
    if !can_write_in_cohort(person, c) {
        Some(ARCHIVED)
    } else if author_id != person.id {
        Some("You can edit only your own posts.")
    } else if hidden {
        Some("This post is hidden by a facilitator: it cannot be edited.")
    } else if now >= posted_at + COHORT_EDIT_WINDOW {
        Some(
            "A post can be edited for 30 minutes after it is posted, and this one was posted longer ago. Reply in the thread to add or correct something.",
        )
    } else {
        None
    }
}

/// Edit a post: see [`cohort_edit_refusal`].
pub fn can_edit_cohort_post(
    person: &Person,
    c: CohortStanding,
    author_id: i64,
    hidden: bool,
    posted_at: i64,
    now: i64,
) -> bool {
    cohort_edit_refusal(person, c, author_id, hidden, posted_at, now).is_none()
}

/// Add a person to a cohort: staff add anyone who may join cohorts; a facilitator who is
/// not staff only invites (the person accepts first), and only people who may join. The
/// answer is the same whatever makes `target` unfit, so that the form tells a facilitator
/// nothing about accounts they may not know of.
pub fn can_add_to_cohort(actor: &Person, c: CohortStanding, target: &Person) -> bool {
    can_bring_into_cohort(actor, c) && can_join_cohorts(target)
}

/// Bring people into a cohort (the add form on its members page): its facilitators and
/// staff, while it is open.
pub fn can_bring_into_cohort(actor: &Person, c: CohortStanding) -> bool {
    can_facilitate_cohort(actor, c) && can_write_in_cohort(actor, c)
}

/// Whether a facilitator's adding is an invitation the person accepts, rather than adding
/// them at once (staff add directly).
pub fn cohort_adding_invites(actor: &Person) -> bool {
    !can_manage_cohorts(actor)
}

/// Whether a cohort's members list shows this member to this reader: staff see everyone;
/// everyone else sees the members in good standing (their city active) who are listed (a
/// staff override, else the member's own choice; people who never chose are not listed).
pub fn cohort_lists_member(
    reader: &Person,
    good_standing: bool,
    own_choice: bool,
    staff_override: Option<bool>,
) -> bool {
    can_manage_cohorts(reader) || (good_standing && staff_override.unwrap_or(own_choice))
}

/// SQL condition: [`cohort_lists_member`], for a list read a page at a time. `$all` is bound
/// to 1 when the reader manages cohorts; `$m` is the membership row, `$p` the person, `$c`
/// their city (LEFT JOINed: staff have none and stand well).
#[macro_export]
macro_rules! cohort_member_listed {
    ($all:literal, $m:literal, $p:literal, $c:literal) => {
        concat!(
            "(",
            $all,
            " = 1 OR (COALESCE(",
            $c,
            ".status, 'active') = 'active' AND COALESCE(",
            $m,
            ".listed_override, ",
            $p,
            ".listed) = 1))"
        )
    };
}

/// SQL condition: the members a cohort's members list counts for the reader (`$all` as in
/// [`cohort_member_listed!`]): the people of a lapsed city are out of the cohort until
/// renewal, and only staff count them.
#[macro_export]
macro_rules! cohort_member_counted {
    ($all:literal, $c:literal) => {
        concat!(
            "(",
            $all,
            " = 1 OR COALESCE(",
            $c,
            ".status, 'active') = 'active')"
        )
    };
}

/// What of the cohorts a person reaches, as every cohort query applies it (the list of
/// cohorts, the member home, search, email recipients), so that a list and the door never
/// disagree: bound to placeholders of fixed SQL fragments ([`cohort_entered!`],
/// [`cohort_seen!`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CohortScope {
    /// The person, whose membership rows count; 0 for nobody.
    pub person: i64,
    /// 1 when the member areas are open to the person at all.
    pub open: i64,
    /// 1 when the person enters every cohort (staff).
    pub all: i64,
}

/// The cohort scope of this reader (`None`: the public, who reach no cohort).
pub fn cohort_scope(reader: Option<&Person>) -> CohortScope {
    match reader {
        Some(p) => CohortScope {
            person: p.id,
            open: i64::from(can_use_member_areas(p)),
            all: i64::from(can_use_member_areas(p) && is_staff(p)),
        },
        None => CohortScope {
            person: 0,
            open: 0,
            all: 0,
        },
    }
}

/// SQL condition: the cohorts a [`CohortScope`] enters, as [`can_enter_cohort`] says. `$m`
/// is the alias of the person's membership row, LEFT JOINed (`… AND m.person_id = $person`);
/// `$open` and `$all` the placeholders bound to the scope's fields.
#[macro_export]
macro_rules! cohort_entered {
    ($m:literal, $open:literal, $all:literal) => {
        concat!(
            "(",
            $open,
            " = 1 AND (",
            $all,
            " = 1 OR ",
            $m,
            ".person_id IS NOT NULL))"
        )
    };
}

/// SQL condition: the cohorts a [`CohortScope`] sees in the list, as [`can_see_cohort`]
/// says: those it enters, and the active ones that are visible or to which the person
/// (`$person`) is invited. `$c` is the cohort's alias.
#[macro_export]
macro_rules! cohort_seen {
    ($c:literal, $m:literal, $person:literal, $open:literal, $all:literal) => {
        concat!(
            "(",
            $crate::cohort_entered!($m, $open, $all),
            " OR (",
            $open,
            " = 1 AND ",
            $c,
            ".status = 'active' AND (",
            $c,
            ".visible = 1 OR EXISTS (\
             SELECT 1 FROM cohort_invitations i WHERE i.cohort_id = ",
            $c,
            ".id AND i.person_id = ",
            $person,
            " AND i.status = 'pending'))))"
        )
    };
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn a_cohorts_space_is_for_its_members_and_staff_and_closes_when_the_city_lapses() {
        let outside = CohortStanding {
            visible: true,
            ..CohortStanding::default()
        };
        let inside = CohortStanding {
            member: true,
            ..outside
        };
        let facilitating = CohortStanding {
            facilitator: true,
            ..inside
        };
        // Staff enter every cohort; members only their own; a lapsed city's member none.
        assert!(can_enter_cohort(&staff(), outside));
        assert!(can_enter_cohort(&advisor(), inside));
        assert!(!can_enter_cohort(&advisor(), outside));
        assert!(!can_enter_cohort(&lapsed_advisor(), inside));
        assert!(!can_enter_cohort(&inactive(advisor()), inside));
        assert!(!can_receive_cohort_mail(&lapsed_mayor(), facilitating));
        // A hidden cohort is not seen by people outside it.
        let hidden = CohortStanding {
            visible: false,
            ..outside
        };
        assert!(!can_see_cohort(&other_mayor(), hidden));
        assert!(can_see_cohort(&other_mayor(), outside));
        assert!(can_see_cohort(&staff(), hidden));
        assert!(!can_see_cohort(&lapsed_mayor(), outside));
        // An archived cohort is read-only and no longer offered to people outside it.
        let archived = CohortStanding {
            archived: true,
            ..facilitating
        };
        assert!(can_enter_cohort(&mayor(), archived));
        assert!(!can_write_in_cohort(&mayor(), archived));
        assert!(!can_see_cohort(
            &other_advisor(),
            CohortStanding {
                archived: true,
                ..outside
            }
        ));
        // Facilitating is for facilitators and staff.
        assert!(can_facilitate_cohort(&mayor(), facilitating));
        assert!(!can_facilitate_cohort(&advisor(), inside));
        assert!(can_facilitate_cohort(&staff(), outside));
        assert!(!can_facilitate_cohort(&lapsed_mayor(), facilitating));
        // Joining: people of active cities and staff.
        assert!(can_join_cohorts(&advisor()));
        assert!(can_join_cohorts(&staff()));
        assert!(!can_join_cohorts(&lapsed_advisor()));
        assert!(can_manage_cohorts(&staff()) && !can_manage_cohorts(&mayor()));
    }

    #[test]
    fn the_cohort_door_hides_from_outsiders_and_tells_insiders_why() {
        let inside = CohortStanding {
            visible: true,
            member: true,
            ..CohortStanding::default()
        };
        let archived = CohortStanding {
            archived: true,
            ..inside
        };
        assert_eq!(cohort_door(&advisor(), inside, Level::Enter), Ok(()));
        assert_eq!(cohort_door(&advisor(), inside, Level::Write), Ok(()));
        assert_eq!(
            cohort_door(&advisor(), inside, Level::Lead),
            Err(Refusal::Closed(NO_ACCESS.to_owned()))
        );
        assert_eq!(
            cohort_door(&advisor(), archived, Level::Write),
            Err(Refusal::Closed(ARCHIVED.to_owned()))
        );
        assert_eq!(
            cohort_door(&lapsed_advisor(), inside, Level::Enter),
            Err(Refusal::Hidden)
        );
        let outside = CohortStanding {
            member: false,
            ..inside
        };
        assert_eq!(cohort_door(&other_advisor(), outside, Level::See), Ok(()));
        assert_eq!(
            cohort_door(&other_advisor(), outside, Level::Enter),
            Err(Refusal::Hidden)
        );
        assert_eq!(cohort_door(&staff(), outside, Level::Steer), Ok(()));
        let facilitating = CohortStanding {
            facilitator: true,
            ..inside
        };
        assert_eq!(cohort_door(&mayor(), facilitating, Level::Steer), Ok(()));
        assert!(can_plan_cohort_sessions(&mayor(), facilitating));
        assert!(!can_plan_cohort_sessions(
            &mayor(),
            CohortStanding {
                archived: true,
                ..facilitating
            }
        ));
    }

    #[test]
    fn a_post_is_edited_by_its_author_for_thirty_minutes_only() {
        let inside = CohortStanding {
            member: true,
            ..CohortStanding::default()
        };
        let me = advisor();
        assert!(can_edit_cohort_post(
            &me,
            inside,
            me.id,
            false,
            1_000,
            1_000 + 29 * 60
        ));
        assert!(!can_edit_cohort_post(
            &me,
            inside,
            me.id,
            false,
            1_000,
            1_000 + 30 * 60
        ));
        assert!(!can_edit_cohort_post(
            &me,
            inside,
            me.id + 1,
            false,
            1_000,
            1_001
        ));
        assert!(!can_edit_cohort_post(
            &me, inside, me.id, true, 1_000, 1_001
        ));
    }

    #[test]
    fn facilitators_add_only_people_who_may_join_and_staff_add_without_inviting() {
        let facilitating = CohortStanding {
            member: true,
            facilitator: true,
            ..CohortStanding::default()
        };
        assert!(can_add_to_cohort(&mayor(), facilitating, &other_advisor()));
        assert!(!can_add_to_cohort(
            &mayor(),
            facilitating,
            &lapsed_advisor()
        ));
        assert!(!can_add_to_cohort(
            &mayor(),
            facilitating,
            &inactive(other_advisor())
        ));
        assert!(!can_add_to_cohort(
            &advisor(),
            CohortStanding {
                facilitator: false,
                ..facilitating
            },
            &other_advisor()
        ));
        assert!(cohort_adding_invites(&mayor()));
        assert!(!cohort_adding_invites(&staff()));
    }

    #[test]
    fn members_see_listed_members_in_good_standing_and_staff_see_everyone() {
        assert!(cohort_lists_member(&advisor(), true, true, None));
        assert!(!cohort_lists_member(&advisor(), true, false, None));
        assert!(cohort_lists_member(&advisor(), true, false, Some(true)));
        assert!(!cohort_lists_member(&advisor(), true, true, Some(false)));
        assert!(!cohort_lists_member(&advisor(), false, true, None));
        assert!(cohort_lists_member(&staff(), false, false, None));
    }

    #[test]
    fn the_cohort_scope_matches_the_door_and_its_fragments_are_fixed_sql() {
        assert_eq!(
            cohort_scope(Some(&staff())),
            CohortScope {
                person: staff().id,
                open: 1,
                all: 1
            }
        );
        assert_eq!(cohort_scope(Some(&advisor())).all, 0);
        assert_eq!(cohort_scope(Some(&advisor())).open, 1);
        assert_eq!(cohort_scope(Some(&lapsed_advisor())).open, 0);
        assert_eq!(cohort_scope(Some(&inactive(staff()))).open, 0);
        assert_eq!(cohort_scope(None).open, 0);
        assert_eq!(
            crate::cohort_entered!("m", "$2", "$3"),
            "($2 = 1 AND ($3 = 1 OR m.person_id IS NOT NULL))"
        );
        assert_eq!(
            crate::cohort_seen!("c", "m", "$1", "$2", "$3"),
            "(($2 = 1 AND ($3 = 1 OR m.person_id IS NOT NULL)) OR ($2 = 1 AND c.status = 'active' AND (c.visible = 1 OR EXISTS (SELECT 1 FROM cohort_invitations i WHERE i.cohort_id = c.id AND i.person_id = $1 AND i.status = 'pending'))))"
        );
        // An invitation shows a hidden cohort to the person invited, until archived.
        let hidden = CohortStanding::default();
        assert!(!can_see_cohort(&other_advisor(), hidden));
        let invited = CohortStanding {
            invited: true,
            ..hidden
        };
        assert!(can_see_cohort(&other_advisor(), invited));
        assert!(!can_enter_cohort(&other_advisor(), invited));
        assert!(!can_see_cohort(&lapsed_advisor(), invited));
        assert!(!can_see_cohort(
            &other_advisor(),
            CohortStanding {
                archived: true,
                ..invited
            }
        ));
        assert_eq!(
            crate::member_areas_open!("p", "pc"),
            "(p.active = 1 AND (p.role = 'staff' OR pc.status = 'active'))"
        );
    }
}
