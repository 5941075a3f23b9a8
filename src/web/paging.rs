//! Paging for every list. Mostly by cursor: a page is read in index order from a cursor, the
//! (sort key, id) of the row it continues from, never by skipping rows, so page 200 costs
//! what page 1 costs. Addresses carry the cursor as `?after=` (further down the list) or
//! `?before=` (back up it); readers see it as an opaque token.
//!
//! A list query reads `request.limit()` rows (one more than a page, to learn whether more
//! follow) on the side of `request.bound()` that `request.direction` names, and
//! [`Page::from_rows`] makes the page and its links from them. For a list ordered by
//! `(key DESC, id DESC)`:
//!
//! ```sql
//! -- Direction::Forward
//! WHERE (key, id) < ($1, $2) ORDER BY key DESC, id DESC LIMIT $3
//! -- Direction::Backward
//! WHERE (key, id) > ($1, $2) ORDER BY key ASC, id ASC LIMIT $3
//! ```
//!
//! and the other way round for a list ordered `ASC`.
//!
//! [`Numbered`] pages serve the few bounded lists read like a book (a thread) or ordered by
//! text. Both kinds of pager are drawn by the `pager` and `numbered_pager` macros of
//! `templates/macros.html`.

use serde::Deserialize;

use crate::error::AppError;

/// The query of a page of a list paged by cursor: `?after=` or `?before=`.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub after: Option<String>,
    pub before: Option<String>,
}

impl PageQuery {
    /// The page this query asks for; see [`Request::from_query`].
    pub fn request(&self, order: Order, size: i64) -> Result<Request, AppError> {
        Request::from_query(self.after.as_deref(), self.before.as_deref(), order, size)
    }
}

/// A position in a list ordered by (sort key, id): the row a page continues from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The sort key: a time, a count, a rank.
    pub key: i64,
    /// The row's id, which breaks ties between equal keys.
    pub id: i64,
}

impl Cursor {
    pub fn new(key: i64, id: i64) -> Cursor {
        Cursor { key, id }
    }

    /// The cursor as an address carries it: "1795788840-42".
    pub fn encode(&self) -> String {
        format!("{}-{}", self.key, self.id)
    }

    /// Reads an encoded cursor; anything else is `None`. The key may be negative (a time
    /// before 1970), the id may not.
    pub fn parse(s: &str) -> Option<Cursor> {
        let (key, id) = s.rsplit_once('-')?;
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Cursor {
            key: key.parse().ok()?,
            id: id.parse().ok()?,
        })
    }
}

/// How a list is ordered by (sort key, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Largest key first: newest first, for lists of times.
    Descending,
    Ascending,
}

/// Which way a page reads from its cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The rows after the cursor in list order: the next page.
    Forward,
    /// The rows before the cursor in list order: the previous page. Read in reverse order
    /// (nearest the cursor first) and turned round by [`Page::from_rows`].
    Backward,
}

/// The page an address asks for.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    /// None for the first page.
    pub cursor: Option<Cursor>,
    pub direction: Direction,
    pub order: Order,
    /// Rows on a full page.
    pub size: i64,
}

impl Request {
    /// The first page of a list.
    pub fn first(order: Order, size: i64) -> Request {
        Request {
            cursor: None,
            direction: Direction::Forward,
            order,
            size,
        }
    }

    /// The page that `?after=` or `?before=` asks for (`after` wins when both are given); a
    /// cursor that cannot be read is a page that does not exist: 404.
    pub fn from_query(
        after: Option<&str>,
        before: Option<&str>,
        order: Order,
        size: i64,
    ) -> Result<Request, AppError> {
        let read = |s: &str| Cursor::parse(s).ok_or(AppError::NotFound);
        let (cursor, direction) = match (after, before) {
            (Some(a), _) => (Some(read(a)?), Direction::Forward),
            (None, Some(b)) => (Some(read(b)?), Direction::Backward),
            (None, None) => (None, Direction::Forward),
        };
        Ok(Request {
            cursor,
            direction,
            order,
            size,
        })
    }

    /// Whether this is the first page (no cursor).
    pub fn is_first(&self) -> bool {
        self.cursor.is_none()
    }

    /// Rows to read: one more than a page, to learn whether another page follows.
    pub fn limit(&self) -> i64 {
        self.size + 1
    }

    /// The (key, id) the query compares against. For the first page, a bound beyond every
    /// row, so that one query shape serves every page.
    pub fn bound(&self) -> Cursor {
        self.cursor.unwrap_or(match self.order {
            Order::Descending => Cursor::new(i64::MAX, i64::MAX),
            Order::Ascending => Cursor::new(i64::MIN, i64::MIN),
        })
    }

    /// Whether the query reads toward larger (key, id): `(key, id) > bound ORDER BY … ASC`.
    /// Otherwise it reads `(key, id) < bound ORDER BY … DESC`.
    pub fn reads_ascending(&self) -> bool {
        matches!(
            (self.order, self.direction),
            (Order::Ascending, Direction::Forward) | (Order::Descending, Direction::Backward)
        )
    }
}

/// One page of a list, in list order, with the cursors of its neighbours.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the previous page ends (`?before=`), when there is one.
    pub previous: Option<Cursor>,
    /// Where the next page starts (`?after=`), when there is one.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// The page from the rows a query read for `request` (up to `request.limit()`, in
    /// reading order), given each row's cursor.
    pub fn from_rows(
        request: &Request,
        mut rows: Vec<T>,
        cursor_of: impl Fn(&T) -> Cursor,
    ) -> Page<T> {
        let more = rows.len() as i64 > request.size;
        rows.truncate(request.size.max(0) as usize);
        if request.direction == Direction::Backward {
            rows.reverse();
        }
        let first = rows.first().map(&cursor_of);
        let last = rows.last().map(&cursor_of);
        let (previous, next) = match request.direction {
            // Read forward from a cursor: the row of that cursor comes before this page.
            Direction::Forward => (first.filter(|_| !request.is_first()), last.filter(|_| more)),
            // Read backward from a cursor: the row of that cursor comes after this page.
            Direction::Backward => (first.filter(|_| more), last),
        };
        Page {
            items: rows,
            previous,
            next,
        }
    }

    pub fn has_previous(&self) -> bool {
        self.previous.is_some()
    }

    pub fn has_next(&self) -> bool {
        self.next.is_some()
    }

    /// The address of the previous page: `base` ("/staff/audit", "/news?topic=water") with
    /// its cursor.
    pub fn previous_href(&self, base: &str) -> Option<String> {
        self.previous.map(|c| href(base, "before", c))
    }

    /// The address of the next page.
    pub fn next_href(&self, base: &str) -> Option<String> {
        self.next.map(|c| href(base, "after", c))
    }

    /// The addresses of the previous and next pages of a list that shares its page with
    /// another, under its own names (`?past_before=`, `?past_after=`).
    pub fn hrefs_named(&self, base: &str, before: &str, after: &str) -> [Option<String>; 2] {
        [
            self.previous.map(|c| href(base, before, c)),
            self.next.map(|c| href(base, after, c)),
        ]
    }
}

fn href(base: &str, name: &str, cursor: Cursor) -> String {
    let joint = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joint}{name}={}", cursor.encode())
}

/// Numbered pages, for a list read like a book rather than scrolled: a thread's posts, oldest
/// first, whose pages keep their numbers as replies are added, so that "the page holding post
/// 71" and "the last page" can be named and linked; and lists ordered by text (a cohort's
/// members by name), which a cursor of (number, id) cannot follow. Such lists are bounded (a
/// thread, a cohort), so reading a page with `LIMIT $size OFFSET $offset` stays cheap.
/// Addresses carry the page as `?page=N`, the first page without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numbered {
    /// From 1.
    pub number: i64,
    /// Rows on a full page.
    pub size: i64,
}

impl Numbered {
    /// The page `?page=` asks for, `None` when it is not given; anything but a number from 1
    /// is a page that does not exist: 404 (as beyond the last page, see [`Numbered::check`]).
    pub fn from_query(page: Option<&str>, size: i64) -> Result<Option<Numbered>, AppError> {
        let Some(page) = page else { return Ok(None) };
        match page.parse::<i64>() {
            Ok(number) if number >= 1 && page.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(Some(Numbered { number, size }))
            }
            _ => Err(AppError::NotFound),
        }
    }

    pub fn first(size: i64) -> Numbered {
        Numbered { number: 1, size }
    }

    /// The page holding the row at `position` (0 for the first row of the list).
    pub fn holding(position: i64, size: i64) -> Numbered {
        Numbered {
            number: position.max(0) / size + 1,
            size,
        }
    }

    /// The last page of a list of `total` rows (the first, for an empty list).
    pub fn last(total: i64, size: i64) -> Numbered {
        Numbered::holding(total - 1, size)
    }

    /// Rows before this page: the query's `OFFSET`.
    pub fn offset(&self) -> i64 {
        (self.number - 1).saturating_mul(self.size)
    }

    /// The page if a list of `total` rows has it (the first always, even empty); 404 otherwise.
    pub fn check(self, total: i64) -> Result<Numbered, AppError> {
        if self.number == 1 || self.offset() < total {
            Ok(self)
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The links of this page of a list of `total` rows, under `base` ("/cohorts/x/members").
    pub fn links(&self, base: &str, total: i64) -> PageLinks {
        let count = Numbered::last(total, self.size).number;
        let at = |n: i64| numbered_href(base, n);
        PageLinks {
            number: self.number,
            count,
            previous: (self.number > 1).then(|| at(self.number - 1)),
            next: (self.number < count).then(|| at(self.number + 1)),
            pages: (1..=count)
                .map(|n| PageLink {
                    number: n,
                    href: at(n),
                    current: n == self.number,
                })
                .collect(),
        }
    }
}

/// The address of page `number` of the list at `base`: the first page is `base` itself.
pub fn numbered_href(base: &str, number: i64) -> String {
    if number <= 1 {
        return base.to_owned();
    }
    let joint = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joint}page={number}")
}

/// What the pager of a numbered page shows: "Page 2 of 13", the neighbours and every page.
#[derive(Debug, Clone)]
pub struct PageLinks {
    pub number: i64,
    pub count: i64,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub pages: Vec<PageLink>,
}

impl PageLinks {
    /// Whether there is more than one page (else no pager is shown).
    pub fn several(&self) -> bool {
        self.count > 1
    }
}

#[derive(Debug, Clone)]
pub struct PageLink {
    pub number: i64,
    pub href: String,
    pub current: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_what_they_wrote_and_refuse_anything_else() {
        for c in [
            Cursor::new(1_795_788_840, 42),
            Cursor::new(-2_208_988_800, 7),
            Cursor::new(0, 0),
        ] {
            assert_eq!(Cursor::parse(&c.encode()), Some(c));
        }
        for bad in [
            "", "garbage", "12", "12-", "-5", "12--5", "12-+5", "a-1", "1-b", "1-2-3",
        ] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }

    /// A list of ids 1..=n whose key is the id times ten, read as a database would.
    fn read(n: i64, r: &Request) -> Vec<i64> {
        let bound = r.bound();
        let mut rows: Vec<i64> = (1..=n)
            .filter(|id| {
                let at = (id * 10, *id);
                if r.reads_ascending() {
                    at > (bound.key, bound.id)
                } else {
                    at < (bound.key, bound.id)
                }
            })
            .collect();
        if !r.reads_ascending() {
            rows.reverse();
        }
        rows.truncate(r.limit() as usize);
        rows
    }

    fn page(n: i64, r: Request) -> Page<i64> {
        let rows = read(n, &r);
        Page::from_rows(&r, rows, |id| Cursor::new(id * 10, *id))
    }

    fn follow(n: i64, order: Order, href: &str) -> Page<i64> {
        let query = href.split_once('?').unwrap().1;
        let (name, value) = query.split_once('=').unwrap();
        let r = match name {
            "after" => Request::from_query(Some(value), None, order, 3),
            _ => Request::from_query(None, Some(value), order, 3),
        }
        .unwrap();
        page(n, r)
    }

    #[test]
    fn pages_go_forward_to_the_end_and_back_to_the_start_in_both_orders() {
        for (order, all) in [
            (Order::Descending, vec![7, 6, 5, 4, 3, 2, 1]),
            (Order::Ascending, vec![1, 2, 3, 4, 5, 6, 7]),
        ] {
            let first = page(7, Request::first(order, 3));
            assert_eq!(first.items, all[0..3]);
            assert!(!first.has_previous());
            let second = follow(7, order, &first.next_href("/l").unwrap());
            assert_eq!(second.items, all[3..6]);
            let third = follow(7, order, &second.next_href("/l").unwrap());
            assert_eq!(third.items, all[6..7]);
            assert!(!third.has_next());
            let back = follow(7, order, &third.previous_href("/l").unwrap());
            assert_eq!(back.items, all[3..6]);
            assert!(back.has_next());
            let start = follow(7, order, &back.previous_href("/l").unwrap());
            assert_eq!(start.items, all[0..3]);
            assert!(!start.has_previous(), "{order:?}");
        }
    }

    #[test]
    fn a_list_that_fits_on_one_page_has_no_links_and_links_keep_the_query() {
        let only = page(3, Request::first(Order::Descending, 3));
        assert_eq!(only.items, vec![3, 2, 1]);
        assert!(!only.has_next() && !only.has_previous());
        let two = page(4, Request::first(Order::Descending, 3));
        assert_eq!(
            two.next_href("/news?topic=water").unwrap(),
            "/news?topic=water&after=20-2"
        );
        assert!(Request::from_query(Some("x"), None, Order::Descending, 3).is_err());
    }

    #[test]
    fn numbered_pages_name_the_page_of_a_row_and_refuse_what_is_not_a_page() {
        assert_eq!(Numbered::holding(0, 50).number, 1);
        assert_eq!(Numbered::holding(49, 50).number, 1);
        assert_eq!(Numbered::holding(70, 50).number, 2);
        assert_eq!(Numbered::last(121, 50).number, 3);
        assert_eq!(Numbered::last(0, 50).number, 1);
        assert_eq!(Numbered::holding(70, 50).offset(), 50);
        for bad in ["abc", "0", "-1", "+2", "", "1.5", "99999999999999999999"] {
            assert!(Numbered::from_query(Some(bad), 50).is_err(), "{bad}");
        }
        let two = Numbered::from_query(Some("2"), 50).unwrap().unwrap();
        assert!(two.check(121).is_ok());
        assert!(
            Numbered::from_query(Some("4"), 50)
                .unwrap()
                .unwrap()
                .check(121)
                .is_err()
        );
        assert!(Numbered::first(50).check(0).is_ok());
        let links = two.links("/t?x=1", 121);
        assert_eq!(links.count, 3);
        assert_eq!(links.previous.as_deref(), Some("/t?x=1"));
        assert_eq!(links.next.as_deref(), Some("/t?x=1&page=3"));
        assert!(links.pages[1].current && links.several());
    }
}
