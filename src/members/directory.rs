//! The member directory: active member cities by state. The public sees the cities; the people
//! of active member cities and staff see, beside each city, its mayor and the advisors who
//! chose to be listed, with filters by state and size and a search (a GET form: no script).

use askama::Template;
use axum::{Router, extract::Query, response::Response, routing::get};
use serde::Deserialize;

use super::{STATES, cities::City};
use crate::{
    error::AppResult,
    policy,
    state::AppState,
    text::fold,
    web::{self, Ctx, Layout},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/members", get(show))
        .route_layer(axum::middleware::from_fn(
            crate::web::headers::public_when_anonymous,
        ))
}

pub struct StateGroup {
    pub name: &'static str,
    pub cities: Vec<City>,
}

#[derive(Template)]
#[template(path = "members/directory.html")]
struct DirectoryPage {
    layout: Layout,
    groups: Vec<StateGroup>,
    total: usize,
}

/// The size bands of the members' filter: (value, label, smallest, largest population).
pub const SIZES: [(&str, &str, i64, i64); 3] = [
    ("small", "Under 25,000", 0, 24_999),
    ("medium", "25,000 to 100,000", 25_000, 100_000),
    ("large", "Over 100,000", 100_001, i64::MAX),
];

/// The longest search kept; more is cut.
const MAX_SEARCH: usize = 100;

#[derive(Deserialize, Default)]
pub struct DirectoryQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    size: String,
    #[serde(default)]
    q: String,
}

/// A listed person as the members' directory shows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    pub id: i64,
    pub city_id: i64,
    pub name: String,
    pub title: String,
    pub role: policy::Role,
    /// The email the person chose to show; empty: none.
    pub email: String,
}

impl Listed {
    /// What the person is, after the name: the title when there is one and it names the
    /// role already ("Mayor", "Mayor of Flagstaff"), else the role and the title ("Advisor,
    /// Chief of Staff"), else the role.
    pub fn designation(&self) -> String {
        designation(self.role, &self.title)
    }
}

/// See [`Listed::designation`].
pub fn designation(role: policy::Role, title: &str) -> String {
    let title = title.trim();
    let role = role.label();
    if title.is_empty() {
        role.to_owned()
    } else if fold::search_key(title).contains(&fold::search_key(role)) {
        title.to_owned()
    } else {
        format!("{role}, {title}")
    }
}

/// A person the directory might list, with what its rule asks.
#[derive(sqlx::FromRow)]
struct Candidate {
    #[sqlx(flatten)]
    standing: policy::DirectoryStanding,
    #[sqlx(flatten)]
    listed: Listed,
}

/// The people the directory lists to this reader (as `policy::directory_lists` says, the
/// rule the person pages ask too), mayors first, then by name.
pub async fn listed_people(
    pool: &sqlx::AnyPool,
    reader: Option<&crate::viewer::Person>,
) -> AppResult<Vec<Listed>> {
    // `listed = 1` only narrows what is read: the rule decides.
    let rows = sqlx::query_as::<_, Candidate>(concat!(
        "SELECT ",
        crate::directory_standing!("p", "c"),
        ", p.id, p.city_id, p.name, p.title, \
         CASE p.shown_email_kind WHEN 'account' THEN p.email WHEN 'other' THEN p.shown_email ELSE '' END AS email \
         FROM people p JOIN cities c ON c.id = p.city_id \
         WHERE p.listed = 1 \
         ORDER BY CASE p.role WHEN 'mayor' THEN 0 ELSE 1 END, p.name, p.id"
    ))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|c| policy::directory_lists(reader, &c.standing))
        .map(|c| c.listed)
        .collect())
}

pub struct MemberCity {
    pub city: City,
    pub people: Vec<Listed>,
}

pub struct MemberGroup {
    pub name: &'static str,
    pub cities: Vec<MemberCity>,
}

#[derive(Template)]
#[template(path = "members/member_directory.html")]
struct MemberDirectoryPage {
    layout: Layout,
    groups: Vec<MemberGroup>,
    /// Cities shown after the filters, and in all.
    shown: usize,
    total: usize,
    /// The filters as understood (unknown values are ignored: shown as "any").
    state: String,
    size: String,
    q: String,
    filtered: bool,
    /// The states with a member city: the state filter's choices.
    states: Vec<(&'static str, &'static str)>,
}

impl MemberDirectoryPage {
    fn max_search(&self) -> usize {
        MAX_SEARCH
    }
    fn is_state(&self, code: &str) -> bool {
        self.state == code
    }
    fn is_size(&self, value: &str) -> bool {
        self.size == value
    }
    fn sizes(&self) -> &'static [(&'static str, &'static str, i64, i64)] {
        &SIZES
    }
}

async fn show(
    ctx: Ctx,
    query: Result<Query<DirectoryQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Response> {
    let cities = sqlx::query_as::<_, City>(crate::select_cities!(
        "WHERE status = 'active' ORDER BY name"
    ))
    .fetch_all(&ctx.state.pool)
    .await?;
    if ctx
        .person
        .as_ref()
        .is_some_and(policy::can_see_member_directory)
    {
        // An unreadable query is no filter, as an unknown value is.
        let query = query.map(|Query(q)| q).unwrap_or_default();
        return member_directory(ctx, cities, query).await;
    }
    let total = cities.len();
    let mut groups: Vec<StateGroup> = STATES
        .iter()
        .map(|(code, name)| StateGroup {
            name,
            cities: cities
                .iter()
                .filter(|c| c.state == *code)
                .cloned()
                .collect(),
        })
        .filter(|g| !g.cities.is_empty())
        .collect();
    groups.sort_by_key(|g| g.name);
    let mut layout = ctx.layout().await;
    layout.meta.title = "Member Cities".to_owned();
    layout.meta.description = format!(
        "The {total} member cities of {}, by state.",
        layout.org_name
    );
    Ok(web::render(&DirectoryPage {
        layout,
        groups,
        total,
    }))
}

/// The members' directory: the cities with their listed people, filtered.
async fn member_directory(
    ctx: Ctx,
    cities: Vec<City>,
    query: DirectoryQuery,
) -> AppResult<Response> {
    let people = listed_people(&ctx.state.pool, ctx.person.as_ref()).await?;
    let total = cities.len();
    let state = STATES
        .iter()
        .find(|(code, _)| *code == query.state)
        .map_or("", |(code, _)| code);
    let size = SIZES.iter().find(|(value, ..)| *value == query.size);
    let q: String = query.q.trim().chars().take(MAX_SEARCH).collect();
    let needle = fold::search_key(&q);
    let found = |text: &str| fold::search_key(text).contains(&needle);

    let mut shown = 0;
    let mut groups: Vec<MemberGroup> = Vec::new();
    for (code, name) in STATES {
        if !state.is_empty() && state != *code {
            continue;
        }
        let mut group = MemberGroup {
            name,
            cities: Vec::new(),
        };
        for city in cities.iter().filter(|c| c.state == *code) {
            if size.is_some_and(|(_, _, lo, hi)| city.population < *lo || city.population > *hi) {
                continue;
            }
            let mut listed: Vec<Listed> = people
                .iter()
                .filter(|p| p.city_id == city.id)
                .cloned()
                .collect();
            // A city found by its name shows all its people; one found by its people's
            // names or titles, only those.
            if !needle.is_empty() && !found(&city.name) {
                listed.retain(|p| found(&p.name) || found(&p.title));
            }
            if needle.is_empty() || found(&city.name) || !listed.is_empty() {
                group.cities.push(MemberCity {
                    city: city.clone(),
                    people: listed,
                });
            }
        }
        if !group.cities.is_empty() {
            shown += group.cities.len();
            groups.push(group);
        }
    }
    groups.sort_by_key(|g| g.name);
    let mut layout = ctx.layout().await;
    layout.meta.title = "Member Cities".to_owned();
    Ok(web::render(&MemberDirectoryPage {
        layout,
        groups,
        shown,
        total,
        state: state.to_owned(),
        size: size.map_or("", |(value, ..)| value).to_owned(),
        filtered: !q.is_empty() || !state.is_empty() || size.is_some(),
        q,
        states: STATES
            .iter()
            .filter(|(code, _)| cities.iter().any(|c| c.state == *code))
            .copied()
            .collect(),
    }))
}
