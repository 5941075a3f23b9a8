//! `/search`: one list of everything the reader may open that matches, with its kind, a
//! highlighted snippet and its date; filtered by kind, best match or newest first, a page at
//! a time by cursor.

use askama::Template;
use axum::{Router, extract::Query, response::Response, routing::get};
use serde::Deserialize;

use super::{Cursor, Found, KINDS, Order, label};
use crate::{
    error::AppResult,
    policy,
    state::AppState,
    web::{self, Ctx, Layout, url_encode},
};

/// Results on a page.
pub const PAGE: i64 = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/search", get(search_page))
        .route_layer(axum::middleware::from_fn(
            web::headers::public_when_anonymous,
        ))
}

#[derive(Deserialize, Default)]
struct SearchQuery {
    q: Option<String>,
    kind: Option<String>,
    sort: Option<String>,
    after: Option<String>,
}

/// A link of the page's filters: its words, its address, whether it is the one shown.
struct Choice {
    label: &'static str,
    href: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "search/search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    /// The kind shown ("" for every kind) and the order ("" or "new").
    kind: String,
    sort: String,
    kinds: Vec<Choice>,
    orders: Vec<Choice>,
    found: Vec<Found>,
    next: Option<String>,
    /// Whether this page follows another (a "First results" link).
    later: bool,
    searched: bool,
}

impl SearchPage {
    fn candidates(&self) -> i64 {
        super::sqlite::CANDIDATES
    }

    fn newest_href(&self) -> String {
        href(&self.q, &self.kind, "new", None)
    }

    fn first_href(&self) -> String {
        href(&self.q, &self.kind, &self.sort, None)
    }

    fn kind_words(&self) -> &'static str {
        if self.kind.is_empty() {
            "Everything"
        } else {
            label(&self.kind)
        }
    }
}

/// The kinds of things this reader may have to find: what everyone reads, and the member
/// areas the policy opens to them.
fn kinds_for(reader: Option<&crate::viewer::Person>) -> Vec<&'static str> {
    let scope = policy::search_scope(reader);
    KINDS
        .iter()
        .copied()
        .filter(|k| match *k {
            "thread" | "resource" => scope.all == 1 || scope.cohorts == 1,
            "request" => scope.all == 1 || scope.city != 0,
            _ => true,
        })
        .collect()
}

fn href(q: &str, kind: &str, sort: &str, after: Option<&str>) -> String {
    let mut out = format!("/search?q={}", url_encode(q));
    if !kind.is_empty() {
        out.push_str(&format!("&kind={kind}"));
    }
    if !sort.is_empty() {
        out.push_str(&format!("&sort={sort}"));
    }
    if let Some(after) = after {
        out.push_str(&format!("&after={}", url_encode(after)));
    }
    out
}

async fn search_page(ctx: Ctx, Query(query): Query<SearchQuery>) -> AppResult<Response> {
    // The same cleaning as every form: no control character reaches the query or the page.
    let q: String = web::form::clean(&query.q.unwrap_or_default(), false)
        .value
        .chars()
        .take(2000)
        .collect();
    let reader = ctx.person.as_ref();
    let offered = kinds_for(reader);
    let kind = query
        .kind
        .as_deref()
        .and_then(|k| offered.iter().find(|o| **o == k).copied())
        .unwrap_or("");
    let (order, sort) = match query.sort.as_deref() {
        Some("new") => (Order::Newest, "new"),
        _ => (Order::Best, ""),
    };
    let after = query.after.as_deref().and_then(Cursor::parse);
    let searched = !q.trim().is_empty();
    let results = if searched {
        let kinds = [kind];
        super::find(
            &ctx.state,
            reader,
            &super::Query {
                q: &q,
                kinds: if kind.is_empty() { &[] } else { &kinds },
                order,
                after,
                limit: PAGE,
            },
        )
        .await?
    } else {
        super::Results::default()
    };
    let kinds = std::iter::once("")
        .chain(offered)
        .map(|k| Choice {
            label: if k.is_empty() { "Everything" } else { label(k) },
            href: href(&q, k, sort, None),
            current: k == kind,
        })
        .collect();
    let orders = [("", "Best match"), ("new", "Newest first")]
        .into_iter()
        .map(|(s, words)| Choice {
            label: words,
            href: href(&q, kind, s, None),
            current: s == sort,
        })
        .collect();
    let mut layout = ctx.layout().await;
    layout.meta.title = if searched {
        format!("Search: {}", q.chars().take(60).collect::<String>())
    } else {
        "Search".to_owned()
    };
    Ok(web::render(&SearchPage {
        layout,
        next: results
            .next
            .map(|c| href(&q, kind, sort, Some(&c.encode()))),
        later: after.is_some(),
        q,
        kind: kind.to_owned(),
        sort: sort.to_owned(),
        kinds,
        orders,
        found: results.found,
        searched,
    }))
}
