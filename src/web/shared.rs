//! What every member area gives the shared pages: a panel on the member home and hits in the
//! portal's one search. Areas fill these shapes and register in `crate::areas`; the member
//! home and the search page read that one list.

use std::{future::Future, pin::Pin};

/// A boxed future borrowing its arguments, for the functions areas register.
pub type Fut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One member area's panel on the member home.
pub struct Panel {
    /// The heading.
    pub title: &'static str,
    /// The `id` stem of the section.
    pub id: &'static str,
    /// What the area holds for this person now, or what is coming.
    pub lines: Vec<String>,
    /// Things of the area for this person (their cohorts, …), each a link with notes.
    pub items: Vec<PanelItem>,
    /// The way into the area once it exists (its address, its words), or meanwhile what to
    /// do instead (a `mailto:` link to the staff contact).
    pub link: Option<(String, String)>,
}

/// One thing in a panel: a link, and what is new about it.
pub struct PanelItem {
    pub href: String,
    pub label: String,
    pub notes: Vec<String>,
}
