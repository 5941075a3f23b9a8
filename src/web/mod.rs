//! What every page shares: the layout, the request context, forms, the client address.

pub mod assets;
pub mod confirm;
pub mod cross_site;
pub mod door;
pub mod form;
pub mod headers;
pub mod identity;
pub mod paging;
pub mod shared;
pub mod unsaved;

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{StatusCode, header, request::Parts},
    response::{Html, IntoResponse, Response},
};
use tower_sessions::Session;

use crate::{
    error::{AppError, AppResult, Trouble},
    policy,
    state::AppState,
    viewer::{self, Person},
};

const FLASH_KEY: &str = "flash";

/// Renders a page with another status than 200 (a form back with errors: 422, a throttled
/// log-in: 429); a template error stays a 500.
pub fn render_status<T: askama::Template>(status: StatusCode, page: &T) -> Response {
    let mut response = render(page);
    if response.status().is_success() {
        *response.status_mut() = status;
    }
    response
}

/// Renders a template into an HTML response; a template error is logged and becomes a 500.
pub fn render<T: askama::Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// What the base template shows around every page.
#[derive(Debug, Clone)]
pub struct Layout {
    pub org_name: String,
    pub tagline: String,
    /// The person logged in, if any.
    pub person: Option<Person>,
    /// A one-time message from the previous request (after a redirect).
    pub flash: Option<String>,
    pub css: String,
    /// The one script: moves the focus to a form's error summary (see `web::form::again`).
    pub script: String,
    pub favicon: String,
    /// The path of this page, for marking the current navigation entry.
    pub path: String,
    /// Description, canonical address and Open Graph data for the page's head.
    pub meta: Meta,
    /// The reader's time zone: times on the page are shown in it.
    pub zone: crate::time::Zone,
    /// The logo, contact lines, social links and placed pages staff set.
    pub identity: identity::Identity,
}

/// What a page tells search engines and link previews about itself.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The page's title for link previews; empty means the organization's name.
    pub title: String,
    pub description: String,
    /// The page's own absolute address, for `<link rel="canonical">` and `og:url`; empty
    /// for none. A page whose query selects what it shows (a news topic) sets its own.
    pub canonical: String,
    pub og_type: &'static str,
    /// An absolute image URL for link previews.
    pub image: Option<String>,
}

/// One entry of the main navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
}

impl Layout {
    /// The layout without a person, for error pages: it names no canonical address (an
    /// error is no page of its own); [`Ctx::layout`] names the page's.
    pub fn plain(state: &AppState) -> Self {
        Layout {
            org_name: state.config.org_name.clone(),
            tagline: state.config.org_tagline.clone(),
            person: None,
            flash: None,
            css: assets::url("portal.css"),
            script: assets::url("form.js"),
            favicon: assets::url("favicon.svg"),
            path: String::new(),
            zone: state.config.time_zone.clone(),
            meta: Meta {
                title: String::new(),
                description: state.config.org_tagline.clone(),
                canonical: String::new(),
                og_type: "website",
                image: None,
            },
            identity: identity::Identity::default(),
        }
    }

    /// The same with the stored identity: its name and tagline, when set, over the
    /// configured ones.
    pub fn with_identity(mut self, identity: identity::Identity) -> Self {
        if !identity.name.is_empty() {
            self.org_name = identity.name.clone();
        }
        if !identity.tagline.is_empty() {
            self.tagline = identity.tagline.clone();
            self.meta.description = identity.tagline.clone();
        }
        self.identity = identity;
        self
    }

    /// An instant as this reader reads it: "27 November 2026, 8:14 AM CST".
    pub fn time(&self, t: &i64) -> String {
        self.zone.time(*t)
    }

    /// An instant's date as this reader reads it: "27 November 2026".
    pub fn date(&self, t: &i64) -> String {
        self.zone.date(*t)
    }

    /// The same date as ISO 8601, for `<time datetime="…">`: "2026-11-27".
    pub fn iso_date(&self, t: &i64) -> String {
        self.zone.iso_date(*t)
    }

    /// A stored calendar date ("2026-11-27") written as every date is: "27 November 2026".
    pub fn civil_date(&self, iso: &str) -> String {
        crate::time::long_date(iso)
    }

    pub fn is_staff(&self) -> bool {
        self.person.as_ref().is_some_and(policy::can_use_staff_area)
    }

    /// The main navigation for whoever is looking, as the policy allows.
    pub fn nav(&self) -> Vec<NavItem> {
        let item = |href, label| NavItem { href, label };
        let mut items = vec![
            item("/", "Home"),
            item("/news", "News"),
            item("/members", "Member Cities"),
            item("/search", "Search"),
        ];
        if self.person.is_none() {
            items.push(item("/join", "Join"));
        }
        if let Some(p) = &self.person {
            if !policy::can_use_staff_area(p) {
                items.insert(
                    1,
                    NavItem {
                        href: "/home",
                        label: "Member home",
                    },
                );
            }
            if policy::can_join_cohorts(p) {
                items.push(NavItem {
                    href: "/cohorts",
                    label: "Cohorts",
                });
            }
            if policy::can_list_people(p) {
                items.push(NavItem {
                    href: "/people",
                    label: "People",
                });
            }
            if policy::can_invite_anyone(p) {
                items.push(NavItem {
                    href: "/invitations",
                    label: "Invitations",
                });
            }
            if policy::can_use_staff_area(p) {
                items.push(NavItem {
                    href: "/staff",
                    label: "Staff",
                });
            }
        }
        items
    }

    /// For a member whose city's membership has lapsed: what that means and whom to ask.
    pub fn lapsed_notice(&self) -> Option<String> {
        let p = self
            .person
            .as_ref()
            .filter(|p| policy::membership_lapsed(p))?;
        Some(lapsed_message(p, &self.org_name))
    }

    /// `aria-current="page"` for the navigation entry of this page.
    pub fn current(&self, href: &str) -> &'static str {
        let here = if href == "/" {
            self.path == "/"
        } else {
            self.path.starts_with(href)
        };
        if here { "page" } else { "false" }
    }
}

/// Who was logged in, carried on an error response to the error page renderer, which runs
/// outside the session layer, so that an error page keeps the person's header.
#[derive(Clone)]
pub struct ErrorViewer(pub Person);

/// Middleware inside the session layer: puts the logged-in person on error responses that
/// are not pages yet. Costs a query only when something went wrong, and none when the
/// database cannot be reached (the page would wait on it a second time).
pub async fn viewer_on_errors(
    axum::extract::State(state): axum::extract::State<AppState>,
    session: Session,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let unreadable = request.extensions().get::<Trouble>().is_some();
    let mut response = next.run(request).await;
    let status = response.status();
    if (status.is_client_error() || status.is_server_error())
        && !unreadable
        && response.extensions().get::<Trouble>() != Some(&Trouble::Unreachable)
        && !response.headers().contains_key(header::CONTENT_TYPE)
        && let Ok(Some(id)) = session.get::<i64>(viewer::SESSION_PERSON).await
        && let Ok(Some(person)) = viewer::find_active(&state.pool, id).await
    {
        response.extensions_mut().insert(ErrorViewer(person));
    }
    response
}

/// The request as a handler sees it: state, session, and who is logged in.
pub struct Ctx {
    pub state: AppState,
    pub session: Session,
    pub person: Option<Person>,
    pub path: String,
    pub query: Option<String>,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, m)| AppError::internal(m))?;
        // A session the database could not give is not a log-out: the person would be sent
        // to log in and lose what they sent. The request answers 503 (and its form comes back,
        // see `unsaved`). The session layer's `keep_alive` found it first.
        if let Some(trouble) = parts.extensions.get::<Trouble>() {
            return Err(AppError::Trouble(
                *trouble,
                "the session could not be read".to_owned(),
            ));
        }
        let person = match session.get::<i64>(viewer::SESSION_PERSON).await {
            Ok(Some(id)) => viewer::find_active(&state.pool, id).await?,
            Ok(None) => None,
            Err(e) if crate::error::session_trouble(&e).is_some() => {
                return Err(AppError::session(e));
            }
            // A session that cannot be decoded is treated as no session.
            Err(_) => None,
        };
        Ok(Ctx {
            state: state.clone(),
            session,
            person,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
        })
    }
}

impl Ctx {
    /// The layout for this page, taking the flash message out of the session.
    pub async fn layout(&self) -> Layout {
        // Removing marks the session changed, and a changed session is written: look first, so
        // that a page without a message costs no write.
        let flash = match self.session.get::<String>(FLASH_KEY).await {
            Ok(Some(_)) => self
                .session
                .remove::<String>(FLASH_KEY)
                .await
                .ok()
                .flatten(),
            _ => None,
        };
        let plain = Layout::plain(&self.state).with_identity(identity::load(&self.state).await);
        Layout {
            zone: match &self.person {
                Some(p) => p.zone(&plain.zone),
                None => plain.zone.clone(),
            },
            person: self.person.clone(),
            flash,
            path: self.path.clone(),
            // The address of this page, without its query: a search, a form's `next` or a
            // paging cursor does not make another page.
            meta: Meta {
                canonical: format!("{}{}", self.state.config.base(), self.path),
                ..plain.meta
            },
            ..plain
        }
    }

    /// The logged-in person, or a redirect to the log-in page that comes back here. Handlers
    /// state this in their signature instead ([`SignedIn`], [`Member`], [`Staff`]).
    fn require_person(&self) -> AppResult<&Person> {
        self.person.as_ref().ok_or_else(|| {
            let next = match &self.query {
                Some(q) => format!("{}?{q}", self.path),
                None => self.path.clone(),
            };
            AppError::LoginRequired { next }
        })
    }

    /// Leaves a message for the next page this person sees.
    pub async fn flash(&self, message: impl Into<String>) -> AppResult<()> {
        self.session
            .insert(FLASH_KEY, message.into())
            .await
            .map_err(AppError::session)
    }
}

pub use crate::policy::NO_ACCESS;

/// A handler for anyone: [`Ctx`] is the viewer, with the person if someone is logged in.
pub type Viewer = Ctx;

/// A handler for any logged-in person (their own account, member home): the request and the
/// person. Anonymous visitors are sent to log in and come back.
pub struct SignedIn(pub Ctx, pub Person);

/// A handler for the people of an active member city, and staff. Anonymous visitors are sent
/// to log in; the person of a lapsed city is told why the page is closed to them (403).
pub struct Member(pub Ctx, pub Person);

/// A handler for staff. Anonymous visitors are sent to log in; anyone else is told they have
/// no access (403): a staff page's existence is no secret.
pub struct Staff(pub Ctx, pub Person);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let person = ctx.require_person()?.clone();
        Ok(SignedIn(ctx, person))
    }
}

impl FromRequestParts<AppState> for Member {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let SignedIn(ctx, person) = SignedIn::from_request_parts(parts, state).await?;
        if policy::can_use_member_areas(&person) {
            return Ok(Member(ctx, person));
        }
        let org_name = identity::org_name(state).await;
        Err(member_refusal(&person, &org_name)
            .unwrap_or_else(|| AppError::NoAccess(NO_ACCESS.to_owned())))
    }
}

/// Why this person may not use the member areas, if they may not.
fn member_refusal(person: &Person, org_name: &str) -> Option<AppError> {
    if policy::can_use_member_areas(person) {
        None
    } else if policy::membership_lapsed(person) {
        Some(AppError::NoAccess(lapsed_message(person, org_name)))
    } else {
        Some(AppError::NoAccess(NO_ACCESS.to_owned()))
    }
}

/// What the person of a lapsed member city is told, on every page and when refused.
pub fn lapsed_message(person: &Person, org_name: &str) -> String {
    format!(
        "The membership of {} has lapsed. The member areas are closed until it is renewed; to renew, contact the staff of {}.",
        person.city_label(),
        org_name
    )
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let SignedIn(ctx, person) = SignedIn::from_request_parts(parts, state).await?;
        permit(policy::can_use_staff_area(&person))?;
        Ok(Staff(ctx, person))
    }
}

/// Ok when the policy allows, otherwise the 403 "You do not have access to this page.": for
/// a finer rule than a handler's extractor states (publishing, a mayor's own city).
pub fn permit(allowed: bool) -> AppResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::NoAccess(NO_ACCESS.to_owned()))
    }
}

/// The client's address: the socket's peer, or, when the portal is configured to trust its
/// proxy, the last X-Forwarded-For entry: the one that proxy added. Earlier entries are
/// whatever the client sent, and a client that sends its own header would choose its address.
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.config.trust_proxy
            && let Some(forwarded) = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
            && let Some(last) = forwarded.rsplit(',').next()
            && let Ok(ip) = last.trim().parse::<std::net::IpAddr>()
        {
            return Ok(ClientIp(ip.to_string()));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_else(|| "unknown".to_owned());
        Ok(ClientIp(peer))
    }
}

/// Messages for a form, each tied to the field it is about.
#[derive(Debug, Default, Clone)]
pub struct FormErrors(Vec<(std::borrow::Cow<'static, str>, String)>);

impl FormErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field.into(), message.into()));
    }
    /// A message about a field whose name is made at run time (a meeting's question `q12`).
    pub fn add_named(&mut self, field: String, message: impl Into<String>) {
        self.0.push((field.into(), message.into()));
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn all(&self) -> &[(std::borrow::Cow<'static, str>, String)] {
        &self.0
    }
}

/// 12345 -> "12,345"
pub fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Percent-encodes a string for a query parameter.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A local path to return to after logging in; anything else (another site, `//host`) is refused.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_control() || c.is_whitespace())
                && n.len() < 2000 =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// A 303 redirect, the answer to a successful form POST.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// The years a date typed into a form may have; anything outside is a slip of the keyboard
/// (or a probe), refused with [`years_message`] next to the field.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// The message next to a date field whose year is outside [`YEARS`].
pub fn years_message(what: &str) -> String {
    format!(
        "Enter {what} with a year between {} and {}.",
        YEARS.start(),
        YEARS.end()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(role: &str, city_status: Option<&str>) -> Person {
        Person {
            id: 1,
            email: "p@example.org".to_owned(),
            name: "P".to_owned(),
            title: String::new(),
            role: crate::policy::Role::parse(role).unwrap(),
            status: crate::policy::PersonStatus::Active,
            city_id: city_status.map(|_| 7),
            city_name: city_status.map(|_| "Dubuque".to_owned()),
            city_state: city_status.map(|_| "IA".to_owned()),
            city_status: city_status.and_then(crate::policy::CityStatus::parse),
            time_zone: String::new(),
            city_time_zone: None,
        }
    }

    #[test]
    fn the_member_extractor_admits_staff_and_active_cities_and_tells_a_lapsed_city_why_not() {
        assert!(member_refusal(&person("staff", None), "MIP").is_none());
        assert!(member_refusal(&person("advisor", Some("active")), "MIP").is_none());
        match member_refusal(&person("mayor", Some("lapsed")), "MIP") {
            Some(AppError::NoAccess(m)) => assert_eq!(
                m,
                "The membership of Dubuque, IA has lapsed. The member areas are closed until it is renewed; to renew, contact the staff of MIP."
            ),
            other => panic!("{other:?}"),
        }
    }
}
