//! The member areas, in one list: what each shows on the member home and finds for the
//! portal's search. A new area adds its entry here, and neither the member home
//! (`home::member`) nor the search page (`news::public`) changes.

use crate::{
    error::AppResult,
    policy,
    state::AppState,
    viewer::Person,
    web::{
        Layout,
        shared::{Fut, Hit, Panel},
    },
};

/// Fills an area's panel for this person.
pub type PanelFn = for<'a> fn(&'a AppState, &'a Layout, &'a Person) -> Fut<'a, AppResult<Panel>>;

/// Finds an area's things matching a query, in the reader's scope.
pub type SearchFn =
    for<'a> fn(&'a AppState, Option<&'a Person>, &'a str) -> Fut<'a, sqlx::Result<Vec<Hit>>>;

/// An area's part of the search page.
pub struct Search {
    /// Who may have something of the area to find (the section shows to them only).
    pub may: fn(&Person) -> bool,
    /// "your cohorts", in "Search the news and your cohorts".
    pub label: &'static str,
    /// The heading of its results: "In your cohorts".
    pub heading: &'static str,
    /// What is said when nothing matches.
    pub none: &'static str,
    pub run: SearchFn,
}

/// One member area.
pub struct Area {
    /// The `id` stem of its panel and results.
    pub id: &'static str,
    pub title: &'static str,
    /// What the area is, shown where its panel cannot be filled (a lapsed city's people) or
    /// while it is still to come.
    pub about: &'static str,
    pub panel: Option<PanelFn>,
    pub search: Option<Search>,
}

impl Area {
    /// The panel of an area that cannot be filled for this person: what the area is.
    pub fn described(&self) -> Panel {
        Panel {
            title: self.title,
            id: self.id,
            lines: vec![self.about.to_owned()],
            items: Vec::new(),
            link: None,
        }
    }
}

/// Every member area, in the order the member home shows them.
pub const AREAS: &[Area] = &[
    Area {
        id: "cohorts",
        title: "Cohorts & networks",
        about: crate::cohorts::home::ABOUT,
        panel: Some(crate::cohorts::home::panel),
        search: Some(Search {
            may: policy::can_join_cohorts,
            label: "your cohorts",
            heading: "In your cohorts",
            none: "No thread or resource of your cohorts matches.",
            run: crate::cohorts::home::search,
        }),
    },
    Area {
        id: "meeting",
        title: "Annual meeting",
        about: "Registration for the next annual meeting will open here.",
        panel: None,
        search: None,
    },
    Area {
        id: "assistance",
        title: "Technical assistance",
        about: "Ask our staff for help on a project and follow your request to its resolution. Coming soon to the portal.",
        panel: None,
        search: None,
    },
    Area {
        id: "publications",
        title: "Publications",
        about: "Reports, briefs and toolkits shared with member cities will be listed here.",
        panel: None,
        search: None,
    },
];

/// The member home's panels for this person: each area's own, or its description for
/// people to whom the areas are closed (nothing of them is read).
pub async fn panels(state: &AppState, layout: &Layout, person: &Person) -> AppResult<Vec<Panel>> {
    let open = policy::can_use_member_areas(person);
    let mut panels = Vec::with_capacity(AREAS.len());
    for area in AREAS {
        panels.push(match area.panel {
            Some(fill) if open => fill(state, layout, person).await?,
            _ => area.described(),
        });
    }
    Ok(panels)
}

/// One area's results on the search page.
pub struct Results {
    pub id: &'static str,
    pub heading: &'static str,
    pub none: &'static str,
    pub hits: Vec<Hit>,
}

/// The areas this reader may search ("your cohorts", …), for the search box's label.
pub fn searchable(reader: Option<&Person>) -> Vec<&'static str> {
    AREAS
        .iter()
        .filter_map(|a| a.search.as_ref())
        .filter(|s| reader.is_some_and(s.may))
        .map(|s| s.label)
        .collect()
}

/// Every area's hits for `q` that this reader may see, area by area.
pub async fn search(
    state: &AppState,
    reader: Option<&Person>,
    q: &str,
) -> sqlx::Result<Vec<Results>> {
    let mut out = Vec::new();
    for area in AREAS {
        let Some(s) = &area.search else { continue };
        if !reader.is_some_and(s.may) {
            continue;
        }
        out.push(Results {
            id: area.id,
            heading: s.heading,
            none: s.none,
            hits: (s.run)(state, reader, q).await?,
        });
    }
    Ok(out)
}
