//! Who reads what of the news: members-only bodies and pictures, and the scope every news
//! query applies.

use super::{can_publish, can_use_member_areas};
use crate::viewer::Person;

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

/// What of the news a reader may see, as every news query applies it (lists, the feed,
/// search, the sitemap, the home page's cards and the article itself), so that a list and
/// an item never disagree. Posts are listed once published and their time has come (with
/// [`post_listed!`]); a members-only post's body is read only by the people
/// [`can_read_members_news`] names, decided in the query ([`post_readable!`], [`post_body!`])
/// so that the body is never loaded for a reader who may not read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostScope {
    /// Posts whose time is at or before this instant are out; bound to the `now` placeholder.
    pub now: i64,
    /// 1 when the reader may read members-only bodies, else 0; bound to the `members`
    /// placeholder.
    pub members: i64,
}

/// The news scope of this reader (`None`: the public, and every cached public page) at `now`.
pub fn post_scope(viewer: Option<&Person>, now: i64) -> PostScope {
    PostScope {
        now,
        members: i64::from(viewer.is_some_and(can_read_members_news)),
    }
}

impl PostScope {
    /// Whether this reader may read the body of a post with this members-only flag.
    pub fn can_read(&self, members_only: bool) -> bool {
        !members_only || self.members == 1
    }

    /// Whether a post, published or not, with this time is out (listed) in this scope.
    pub fn lists(&self, published: bool, publish_at: Option<i64>) -> bool {
        published && publish_at.is_some_and(|t| t <= self.now)
    }
}

/// SQL condition: the posts a [`PostScope`] lists. `$t` is the table alias (`posts` or
/// `post_topics`, which carries the same columns for its index), `$now` the placeholder
/// bound to [`PostScope::now`]. A fixed fragment: queries stay `&'static str`.
#[macro_export]
macro_rules! post_listed {
    ($t:literal, $now:literal) => {
        concat!(
            $t,
            ".status = 'published' AND ",
            $t,
            ".publish_at <= ",
            $now
        )
    };
}

/// SQL condition: the posts whose body this reader may read (search, whose snippets are
/// made of bodies; the sitemap). `$members` is the placeholder bound to
/// [`PostScope::members`].
#[macro_export]
macro_rules! post_readable {
    ($t:literal, $members:literal) => {
        concat!("(", $t, ".members_only = 0 OR ", $members, " = 1)")
    };
}

/// SQL expression: a body column as this reader may read it, empty otherwise.
#[macro_export]
macro_rules! post_body {
    ($t:literal, $column:literal, $members:literal) => {
        concat!(
            "CASE WHEN ",
            $crate::post_readable!($t, $members),
            " THEN ",
            $t,
            ".",
            $column,
            " ELSE '' END"
        )
    };
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn the_news_scope_lets_members_and_staff_read_members_only_bodies() {
        let now = 1_000;
        assert_eq!(post_scope(None, now), PostScope { now, members: 0 });
        for p in [staff(), mayor(), advisor(), other_mayor()] {
            assert_eq!(post_scope(Some(&p), now).members, 1, "{:?}", p.role);
        }
        for p in [lapsed_mayor(), lapsed_advisor(), inactive(advisor())] {
            assert_eq!(post_scope(Some(&p), now).members, 0);
        }
        let public = post_scope(None, now);
        let member = post_scope(Some(&advisor()), now);
        assert!(public.can_read(false));
        assert!(!public.can_read(true));
        assert!(member.can_read(true));
        assert!(public.lists(true, Some(now)));
        assert!(!public.lists(true, Some(now + 1)));
        assert!(!public.lists(true, None));
        assert!(!member.lists(false, Some(now - 1)));
    }

    #[test]
    fn a_post_picture_shows_where_its_post_does() {
        let members = advisor();
        let lapsed = lapsed_advisor();
        assert!(can_see_post_picture(None, true, false));
        assert!(!can_see_post_picture(None, true, true));
        assert!(!can_see_post_picture(None, false, false));
        assert!(can_see_post_picture(Some(&members), true, true));
        assert!(!can_see_post_picture(Some(&members), false, false));
        assert!(!can_see_post_picture(Some(&lapsed), true, true));
        assert!(can_see_post_picture(Some(&staff()), false, true));
    }

    #[test]
    fn the_news_fragments_are_fixed_sql() {
        assert_eq!(
            crate::post_listed!("p", "$1"),
            "p.status = 'published' AND p.publish_at <= $1"
        );
        assert_eq!(
            crate::post_body!("p", "body_html", "$3"),
            "CASE WHEN (p.members_only = 0 OR $3 = 1) THEN p.body_html ELSE '' END"
        );
    }
}
