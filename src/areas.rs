//! The member areas, in one list: what each shows on the member home. A new area adds its
//! entry here, and the member home (`home::member`) does not change; what it finds in the
//! portal's one search it writes to the index (`search::put`). The member home leads with
//! what needs the person now ([`NOW`]): each source of it is listed here too.

use crate::{
    error::AppResult,
    members::contact::StaffContact,
    policy,
    state::AppState,
    viewer::Person,
    web::{
        Layout,
        shared::{Fut, Panel},
    },
};

/// What the member home knows when it asks an area for its part.
pub struct Home<'a> {
    pub state: &'a AppState,
    pub layout: &'a Layout,
    pub person: &'a Person,
    /// Whom the person asks: their city's staff contact, else the organization.
    pub contact: &'a StaffContact,
}

/// Fills an area's panel for this person.
pub type PanelFn = for<'a> fn(&'a Home<'a>) -> Fut<'a, AppResult<Panel>>;

/// Fills one part of "For you now", or `None` when nothing waits there.
pub type NowFn = for<'a> fn(&'a Home<'a>) -> Fut<'a, AppResult<Option<Panel>>>;

/// One member area.
pub struct Area {
    /// The `id` stem of its panel and results.
    pub id: &'static str,
    pub title: &'static str,
    /// What the area is, shown where its panel cannot be filled (a lapsed city's people) or
    /// while it is still to come.
    pub about: &'static str,
    pub panel: Option<PanelFn>,
    /// For an area not built yet: what is known meanwhile, and what to ask the staff
    /// contact for instead (the panel links their email).
    pub interim: Option<Interim>,
}

/// What an area not built yet offers meanwhile.
pub struct Interim {
    /// What is known now ("The next annual meeting is not announced yet.").
    pub known: &'static str,
    /// The words of the link to the staff contact's email: "Ask … for help".
    pub ask: &'static str,
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

    /// The panel of an area not built yet: that it is not, what is known, and the staff
    /// contact to write to meanwhile.
    fn to_come(&self, interim: &Interim, contact: &StaffContact) -> Panel {
        let mut lines = vec![self.about.to_owned(), interim.known.to_owned()];
        let link = if contact.has_email() {
            Some((
                contact.mailto(),
                format!("{} {} ({})", interim.ask, contact.name, contact.email),
            ))
        } else {
            lines.push(format!("Meanwhile, ask the staff of {}.", contact.name));
            None
        };
        Panel {
            title: self.title,
            id: self.id,
            lines,
            items: Vec::new(),
            link,
        }
    }
}

/// One source of what needs the person now.
pub struct Now {
    /// Who may have something there (the source is not asked for anyone else).
    pub may: fn(&Person) -> bool,
    pub fill: NowFn,
}

/// What needs the person now, in the order the member home leads with it: the next
/// sessions, threads with new posts, requests waiting for a facilitator, the invitations
/// the city's mayor has sent, news for members.
pub const NOW: &[Now] = &[
    Now {
        may: policy::can_join_cohorts,
        fill: crate::cohorts::home::next_sessions,
    },
    Now {
        may: policy::can_join_cohorts,
        fill: crate::cohorts::home::new_threads,
    },
    Now {
        may: policy::can_join_cohorts,
        fill: crate::cohorts::home::requests,
    },
    Now {
        may: policy::can_invite_advisors,
        fill: crate::members::invitations::waiting_on_home,
    },
    Now {
        may: policy::can_read_members_news,
        fill: crate::news::for_members_on_home,
    },
];

/// The parts of "For you now" that hold something for this person, in order.
pub async fn now(home: &Home<'_>) -> AppResult<Vec<Panel>> {
    let mut parts = Vec::new();
    for source in NOW {
        if !(source.may)(home.person) {
            continue;
        }
        if let Some(part) = (source.fill)(home).await? {
            parts.push(part);
        }
    }
    Ok(parts)
}

/// Every member area, in the order the member home shows them.
pub const AREAS: &[Area] = &[
    Area {
        id: "cohorts",
        title: "Cohorts & networks",
        about: crate::cohorts::home::ABOUT,
        panel: Some(crate::cohorts::home::panel),
        interim: None,
    },
    Area {
        id: "meeting",
        title: "Annual meeting",
        about: crate::meetings::home::ABOUT,
        panel: Some(crate::meetings::home::panel),
        interim: None,
    },
    Area {
        id: "assistance",
        title: "Technical assistance",
        about: crate::assistance::home::ABOUT,
        panel: Some(crate::assistance::home::panel),
        interim: None,
    },
    Area {
        id: "publications",
        title: "Publications",
        about: crate::publications::home::ABOUT,
        panel: Some(crate::publications::home::panel),
        interim: None,
    },
];

/// The member home's panels for this person: each area's own, what an area not built yet
/// offers meanwhile, or its description for people to whom the areas are closed (nothing of
/// them is read).
pub async fn panels(home: &Home<'_>) -> AppResult<Vec<Panel>> {
    let open = policy::can_use_member_areas(home.person);
    let mut panels = Vec::with_capacity(AREAS.len());
    for area in AREAS {
        panels.push(match (area.panel, &area.interim) {
            _ if !open => area.described(),
            (Some(fill), _) => fill(home).await?,
            (None, Some(interim)) => area.to_come(interim, home.contact),
            (None, None) => area.described(),
        });
    }
    Ok(panels)
}
