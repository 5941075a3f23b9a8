//! Every route, for every role: the routes are read from the source (each `.route("…", …)`
//! call and the methods in it) and compared with the table below, which says what each role
//! gets. A route without an expected answer, or an answer that differs, fails with its name.
//! Refused requests are checked to have changed nothing.

use std::collections::{BTreeMap, BTreeSet};

use crate::fixture::{Cities, Fixture, SLUG};
use crate::news::{editor, publish};
use crate::support::{MEMBER_PASSWORD, STAFF_PASSWORD, TestApp, spawn_app};

/// What a role gets from a route, as a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// 2xx, a redirect other than to log-in, or a form back with its errors (422).
    Ok,
    /// Sent to log in.
    Login,
    /// 403: not for this person (said in the page).
    Forbidden,
    /// 404: absent, or private.
    NotFound,
    /// 410: a link no longer (or never) valid.
    Gone,
    /// 400: a choice no form offers (only a script sends one).
    Bad,
    /// Anything else, by its status: never expected.
    Other(u16),
}
use Answer::*;

/// The roles, in the order of each row's answers.
const ROLES: [&str; 6] = [
    "public",
    "advisor",
    "mayor",
    "mayor of another city",
    "mayor of a lapsed city",
    "staff",
];

/// Everyone gets the same answer.
const ALL_OK: [Answer; 6] = [Ok; 6];
/// Staff only: the others are sent to log in or told they have no access.
const STAFF: [Answer; 6] = [Login, Forbidden, Forbidden, Forbidden, Forbidden, Ok];
/// Anyone logged in.
const SIGNED_IN: [Answer; 6] = [Login, Ok, Ok, Ok, Ok, Ok];
/// Staff and mayors (their city's pages).
const MAYORS: [Answer; 6] = [Login, Forbidden, Ok, Ok, Ok, Ok];
/// Something of the first city: its mayor and staff; the others do not learn it exists.
const CITY_A: [Answer; 6] = [Login, NotFound, Ok, NotFound, NotFound, Ok];
const GONE: [Answer; 6] = [Gone; 6];
/// A cohort's space: the advisor is in it, the mayor facilitates it, the lapsed city's mayor
/// was in it before the lapse; the other city's mayor never was.
const COHORT: [Answer; 6] = [Login, Ok, Ok, NotFound, NotFound, Ok];
/// Its facilitators' pages.
const COHORT_FACILITATORS: [Answer; 6] = [Login, Forbidden, Ok, NotFound, NotFound, Ok];
/// A listed member's page in the directory, and its Contact form.
const LISTED: [Answer; 6] = [NotFound, Ok, Ok, Ok, NotFound, Ok];
/// Its staff pages (members' management).
const COHORT_STAFF: [Answer; 6] = [Login, Forbidden, Forbidden, NotFound, NotFound, Ok];

/// The member areas' pages for members: the public logs in, a lapsed city's mayor is told why
/// not.
const MEMBERS: [Answer; 6] = [Login, Ok, Ok, Ok, Forbidden, Ok];
/// A request of the first city: its people and staff; nobody else learns it exists.
const REQUEST: [Answer; 6] = [Login, Ok, Ok, NotFound, NotFound, Ok];
/// Running a request: staff; its city is told it may not, the others get the 404.
const REQUEST_STAFF: [Answer; 6] = [Login, Forbidden, Forbidden, NotFound, NotFound, Ok];
/// A registration of the first city's advisor: theirs, their mayor's and staff's.
const REGISTRATION: [Answer; 6] = [Login, Ok, Ok, NotFound, Forbidden, Ok];

/// How the body of a POST is sent: an empty form, or a multipart form with an empty title
/// (the editor's; a multipart body without any part is malformed).
#[derive(Clone, Copy, PartialEq)]
enum Body {
    Form,
    Multipart,
}

struct Row {
    method: &'static str,
    template: &'static str,
    /// Which fixture fills the path's parameters (several rows may test one route).
    fill: &'static str,
    body: Body,
    answers: [Answer; 6],
}

const fn row(
    method: &'static str,
    template: &'static str,
    fill: &'static str,
    answers: [Answer; 6],
) -> Row {
    Row {
        method,
        template,
        fill,
        body: Body::Form,
        answers,
    }
}

/// The expected answers. GETs run first, then POSTs in this order (log-out last); staff, who
/// may change things, ask last.
const TABLE: &[Row] = &[
    row("GET", "/", "", ALL_OK),
    row("GET", "/healthz", "", ALL_OK),
    row("GET", "/static/{*path}", "css", ALL_OK),
    row("GET", "/robots.txt", "", ALL_OK),
    row("GET", "/sitemap.xml", "", ALL_OK),
    row("GET", "/members", "", ALL_OK),
    // A listed member's page: the people of active cities and staff; the public and a
    // lapsed city's people get the 404 of a missing page, as everyone does for a person
    // who is not listed.
    row("GET", "/members/{id}", "listed", LISTED),
    row("GET", "/members/{id}", "unlisted", [NotFound; 6]),
    row("GET", "/news", "", ALL_OK),
    row("GET", "/news/feed.xml", "", ALL_OK),
    row("GET", "/search", "", ALL_OK),
    row("GET", "/news/{slug}", "published", ALL_OK),
    // The teaser for everyone; the body only for members (tested in news).
    row("GET", "/news/{slug}", "members-only", ALL_OK),
    row("GET", "/news/{slug}", "draft", [NotFound; 6]),
    row("GET", "/news/covers/{name}", "published", ALL_OK),
    row(
        "GET",
        "/news/covers/{name}",
        "members-only",
        [NotFound, Ok, Ok, Ok, NotFound, Ok],
    ),
    row("GET", "/pages/{slug}", "page", ALL_OK),
    row(
        "GET",
        "/pages/{slug}",
        "page-draft",
        [NotFound, NotFound, NotFound, NotFound, NotFound, Ok],
    ),
    row("GET", "/site/logo/{id}", "logo", ALL_OK),
    row("GET", "/join", "", ALL_OK),
    row("GET", "/join/thanks", "", ALL_OK),
    row("GET", "/login", "", ALL_OK),
    row("GET", "/password/forgot", "", ALL_OK),
    row("GET", "/password/forgot/sent", "", ALL_OK),
    row("GET", "/password/reset/{token}", "bogus", GONE),
    // Set-up links: unknown ones, like every one once a staff account exists, are absent.
    row("GET", "/setup/{token}", "bogus", [NotFound; 6]),
    row("GET", "/invite/{token}", "pending", ALL_OK),
    row("GET", "/account/email/confirm/{token}", "bogus", GONE),
    row("GET", "/account", "", SIGNED_IN),
    row("GET", "/home", "", SIGNED_IN),
    row("GET", "/people", "", MAYORS),
    row("GET", "/people/{id}", "colleague", CITY_A),
    row("GET", "/invitations", "", MAYORS),
    // The questions before a destructive action: each asks as its POST acts.
    row(
        "GET",
        "/invitations/{id}/revoke",
        "invitation",
        [Login, Forbidden, Ok, NotFound, NotFound, Ok],
    ),
    row("GET", "/people/{id}/deactivate", "colleague", CITY_A),
    row("GET", "/staff", "", STAFF),
    row("GET", "/staff/audit", "", STAFF),
    row("GET", "/staff/outbox", "", STAFF),
    row("GET", "/staff/news", "", STAFF),
    row("GET", "/staff/news/new", "", STAFF),
    row("GET", "/staff/news/{id}/edit", "published", STAFF),
    row("GET", "/staff/news/{id}/preview", "draft", STAFF),
    row("GET", "/staff/news/{id}/delete", "published", STAFF),
    row("GET", "/staff/topics", "", STAFF),
    row("GET", "/staff/topics/{id}/delete", "topic", STAFF),
    row("GET", "/staff/site/logo/delete", "", STAFF),
    row(
        "GET",
        "/staff/testimonials/{id}/delete",
        "testimonial",
        STAFF,
    ),
    row("GET", "/staff/pages/{id}/delete", "page", STAFF),
    row("GET", "/staff/pages/{id}/unpublish", "page", STAFF),
    row("GET", "/staff/news/{id}/unpublish", "published", STAFF),
    row("GET", "/staff/site", "", STAFF),
    row("GET", "/staff/pages", "", STAFF),
    row("GET", "/staff/pages/new", "", STAFF),
    row("GET", "/staff/pages/{id}/edit", "page", STAFF),
    row("GET", "/staff/cities", "", STAFF),
    row("GET", "/staff/cities/new", "", STAFF),
    row("GET", "/staff/cities/{id}", "city", STAFF),
    row("GET", "/staff/cities/{id}/edit", "city", STAFF),
    row("GET", "/staff/applications", "", STAFF),
    row("GET", "/staff/applications/{id}", "application", STAFF),
    row("GET", "/cohorts", "", [Login, Ok, Ok, Ok, Forbidden, Ok]),
    // A cohort's page: its space's overview for its members and staff, the page from outside
    // for the members of the network who may see it (the cohort is visible), a 404 for a
    // lapsed city.
    row(
        "GET",
        "/cohorts/{slug}",
        "cohort",
        [Login, Ok, Ok, Ok, NotFound, Ok],
    ),
    // A cohort's space: its members and staff; everyone else gets the 404 of a missing one.
    row("GET", "/cohorts/{slug}/members", "cohort", COHORT),
    row("GET", "/cohorts/{slug}/members.csv", "cohort", COHORT_STAFF),
    row(
        "GET",
        "/cohorts/{slug}/members/{person_id}/remove",
        "cohort-member",
        COHORT_STAFF,
    ),
    row(
        "GET",
        "/cohorts/{slug}/requests",
        "cohort",
        COHORT_FACILITATORS,
    ),
    row(
        "GET",
        "/cohorts/{slug}/request",
        "request-cohort",
        [Login, Ok, Ok, Ok, NotFound, Ok],
    ),
    row(
        "GET",
        "/cohorts/{slug}/leave",
        "cohort",
        [Login, Ok, Ok, NotFound, NotFound, NotFound],
    ),
    row("GET", "/cohorts/{slug}/discussion", "cohort", COHORT),
    row(
        "GET",
        "/cohorts/{slug}/discussion/{thread_id}",
        "thread",
        COHORT,
    ),
    // A post's own address: to the page of the thread that holds it.
    row(
        "GET",
        "/cohorts/{slug}/discussion/{thread_id}/posts/{post_id}",
        "post",
        COHORT,
    ),
    // The advisor's own post; nobody else edits it, staff included.
    row(
        "GET",
        "/cohorts/{slug}/discussion/{thread_id}/posts/{post_id}/edit",
        "post",
        [Login, Ok, Forbidden, NotFound, NotFound, Forbidden],
    ),
    row("GET", "/cohorts/{slug}/sessions", "session", COHORT),
    row(
        "GET",
        "/cohorts/{slug}/sessions/new",
        "session",
        COHORT_FACILITATORS,
    ),
    row(
        "GET",
        "/cohorts/{slug}/sessions/{session_id}/edit",
        "session",
        COHORT_FACILITATORS,
    ),
    row(
        "GET",
        "/cohorts/{slug}/sessions/{session_id}/cancel",
        "session",
        COHORT_FACILITATORS,
    ),
    row(
        "GET",
        "/cohorts/{slug}/sessions/{session_id}/calendar.ics",
        "session",
        COHORT,
    ),
    // A member's calendar feed: its secret address is the key (a calendar asks without a
    // log-in), while its owner may enter the cohort; a lapsed city's member's is gone.
    row("GET", "/cohorts/calendar/{file}", "feed", ALL_OK),
    row(
        "GET",
        "/cohorts/calendar/{file}",
        "feed-lapsed",
        [NotFound; 6],
    ),
    row(
        "GET",
        "/cohorts/calendar/{file}",
        "feed-unknown",
        [NotFound; 6],
    ),
    // A person's one feed of all their cohorts: the same, for its owner's cohorts.
    row("GET", "/cohorts/calendar/all/{file}", "all-feed", ALL_OK),
    row(
        "GET",
        "/cohorts/calendar/all/{file}",
        "all-feed-lapsed",
        [NotFound; 6],
    ),
    row(
        "GET",
        "/cohorts/calendar/all/{file}",
        "feed-unknown",
        [NotFound; 6],
    ),
    row("GET", "/cohorts/{slug}/resources", "resource", COHORT),
    row(
        "GET",
        "/cohorts/{slug}/resources/add-file",
        "resource",
        COHORT,
    ),
    row(
        "GET",
        "/cohorts/{slug}/resources/add-link",
        "resource",
        COHORT,
    ),
    row(
        "GET",
        "/cohorts/{slug}/resources/{resource_id}/file",
        "resource",
        COHORT,
    ),
    // The advisor added it: the advisor, the facilitator and staff may remove it.
    row(
        "GET",
        "/cohorts/{slug}/resources/{resource_id}/remove",
        "resource",
        COHORT,
    ),
    // Staff added this one: the advisor may not remove it; the facilitator (the mayor) does,
    // after which it is gone for staff too.
    row(
        "GET",
        "/cohorts/{slug}/resources/{resource_id}/remove",
        "doomed-resource",
        [Login, Forbidden, Ok, NotFound, NotFound, NotFound],
    ),
    row("GET", "/meetings", "", ALL_OK),
    row("GET", "/meetings/{slug}", "meeting", ALL_OK),
    row("GET", "/meetings/{slug}/calendar.ics", "meeting", ALL_OK),
    row("GET", "/meetings/{slug}/attendees", "meeting", MEMBERS),
    row("GET", "/meetings/{slug}/register", "meeting", MEMBERS),
    row("GET", "/meetings/{slug}/registration", "meeting", MEMBERS),
    // The first city's advisor's registration: theirs, their mayor's and staff's to read.
    row(
        "GET",
        "/meetings/{slug}/registrations/{id}",
        "reg",
        REGISTRATION,
    ),
    row(
        "GET",
        "/meetings/{slug}/registrations/{id}/cancel",
        "reg",
        REGISTRATION,
    ),
    row(
        "GET",
        "/meetings/{slug}/registrations/{id}/checkin.png",
        "reg",
        REGISTRATION,
    ),
    row("GET", "/assistance", "", [Login, Ok, Ok, Ok, Forbidden, Ok]),
    row(
        "GET",
        "/assistance.csv",
        "",
        [Login, Ok, Ok, Ok, Forbidden, Forbidden],
    ),
    row(
        "GET",
        "/assistance/new",
        "",
        [Login, Ok, Ok, Ok, Forbidden, Forbidden],
    ),
    row("GET", "/assistance/{id}", "areq", REQUEST),
    row("GET", "/assistance/{id}/files/{file_id}", "areq", REQUEST),
    // An internal note's file: staff only; the city gets the 404 of a missing file.
    row(
        "GET",
        "/assistance/{id}/files/{file_id}",
        "anote",
        [Login, NotFound, NotFound, NotFound, NotFound, Ok],
    ),
    row("GET", "/staff/assistance", "", STAFF),
    row("GET", "/staff/assistance.csv", "", STAFF),
    row("GET", "/staff/assistance/topics", "", STAFF),
    row("GET", "/publications", "", ALL_OK),
    row("GET", "/publications/{slug}", "pubpublic", ALL_OK),
    row("GET", "/publications/{slug}/download", "pubpublic", ALL_OK),
    // For members: the public and a lapsed city's people get the 404 of a missing one.
    row(
        "GET",
        "/publications/{slug}",
        "pubmembers",
        [NotFound, Ok, Ok, Ok, NotFound, Ok],
    ),
    row(
        "GET",
        "/publications/{slug}/download",
        "pubmembers",
        [NotFound, Ok, Ok, Ok, NotFound, Ok],
    ),
    // For the cohort: its members (the advisor, the facilitating mayor) and staff.
    row(
        "GET",
        "/publications/{slug}",
        "pubcohort",
        [NotFound, Ok, Ok, NotFound, NotFound, Ok],
    ),
    row(
        "GET",
        "/publications/{slug}/download",
        "pubcohort",
        [NotFound, Ok, Ok, NotFound, NotFound, Ok],
    ),
    row("GET", "/staff/publications", "", STAFF),
    row("GET", "/staff/publications/new", "", STAFF),
    row("GET", "/staff/publications/downloads.csv", "", STAFF),
    row(
        "GET",
        "/cohorts/{slug}/publish",
        "resource",
        COHORT_FACILITATORS,
    ),
    row(
        "GET",
        "/staff/publications/{slug}/edit",
        "pubmembers",
        STAFF,
    ),
    // The cohort's toolkit, edited from its space by its facilitator (and staff).
    row(
        "GET",
        "/cohorts/{slug}/publications/{publication}/edit",
        "cohortpub",
        COHORT_FACILITATORS,
    ),
    row("GET", "/staff/meetings", "", STAFF),
    row("GET", "/staff/meetings/new", "", STAFF),
    row("GET", "/staff/meetings/{slug}", "meeting", STAFF),
    row("GET", "/staff/meetings/{slug}/edit", "meeting", STAFF),
    row("GET", "/staff/meetings/{slug}/roster.csv", "meeting", STAFF),
    row("GET", "/staff/meetings/{slug}/badges.pdf", "meeting", STAFF),
    row("GET", "/staff/meetings/{slug}/checkin", "meeting", STAFF),
    row("GET", "/staff/meetings/{slug}/email", "meeting", STAFF),
    row(
        "GET",
        "/staff/meetings/{slug}/questions/{id}/remove",
        "mquestion",
        STAFF,
    ),
    row("GET", "/staff/meetings/{slug}/checkin/{code}", "reg", STAFF),
    row("GET", "/staff/cohorts", "", STAFF),
    row("GET", "/staff/cohorts/new", "", STAFF),
    row("GET", "/staff/cohorts/{id}/edit", "cohort-id", STAFF),
    // POSTs, each with an empty form.
    row("POST", "/login", "", ALL_OK),
    row("POST", "/password/forgot", "", ALL_OK),
    row("POST", "/password/reset/{token}", "bogus", GONE),
    row("POST", "/setup/{token}", "bogus", [NotFound; 6]),
    row("POST", "/invite/{token}", "pending", ALL_OK),
    row("POST", "/account/email/confirm/{token}", "bogus", GONE),
    row("POST", "/join", "", ALL_OK),
    row("POST", "/account/profile", "", SIGNED_IN),
    row("POST", "/account/password", "", SIGNED_IN),
    row("POST", "/account/email", "", SIGNED_IN),
    row("POST", "/account/time-zone", "", SIGNED_IN),
    row("POST", "/account/listing", "", SIGNED_IN),
    row("POST", "/account/messages", "", SIGNED_IN),
    row("POST", "/account/publications", "", SIGNED_IN),
    // An empty message comes back with its error; nothing is sent or counted.
    row("POST", "/members/{id}/contact", "listed", LISTED),
    row("POST", "/members/{id}/contact", "unlisted", [NotFound; 6]),
    row("POST", "/home/checklist/dismiss", "", SIGNED_IN),
    row(
        "POST",
        "/invitations",
        "",
        // A lapsed city's mayor is told why nothing can be sent.
        [Login, Forbidden, Ok, Ok, Forbidden, Ok],
    ),
    row(
        "POST",
        "/invitations/{id}/resend",
        "invitation",
        [Login, Forbidden, Ok, NotFound, NotFound, Ok],
    ),
    row(
        "POST",
        "/invitations/{id}/revoke",
        "invitation",
        [Login, Forbidden, Ok, NotFound, NotFound, Ok],
    ),
    row(
        "POST",
        "/people/{id}/role",
        "colleague",
        [Login, NotFound, Forbidden, NotFound, NotFound, Ok],
    ),
    row("POST", "/people/{id}/deactivate", "colleague", CITY_A),
    row("POST", "/people/{id}/reactivate", "colleague", CITY_A),
    row("POST", "/staff/outbox/{id}/retry", "outbox", STAFF),
    row("POST", "/staff/outbox/failed/retry", "", STAFF),
    Row {
        body: Body::Multipart,
        ..row("POST", "/staff/news", "", STAFF)
    },
    Row {
        body: Body::Multipart,
        ..row("POST", "/staff/news/{id}", "published", STAFF)
    },
    // The preview as one types: a fragment, stores nothing.
    row("POST", "/staff/preview", "", STAFF),
    row("POST", "/staff/news/{id}/unpublish", "doomed", STAFF),
    row("POST", "/staff/news/{id}/delete", "doomed", STAFF),
    row("POST", "/staff/topics", "", STAFF),
    row("POST", "/staff/topics/{id}", "topic", STAFF),
    row("POST", "/staff/topics/{id}/delete", "topic", STAFF),
    row("POST", "/staff/site/statement", "", STAFF),
    row("POST", "/staff/site/identity", "", STAFF),
    Row {
        body: Body::Multipart,
        ..row("POST", "/staff/site/logo", "", STAFF)
    },
    row("POST", "/staff/site/logo/delete", "", STAFF),
    row("POST", "/staff/pages", "", STAFF),
    row("POST", "/staff/pages/{id}", "page", STAFF),
    row("POST", "/staff/pages/{id}/unpublish", "doomed-page", STAFF),
    row("POST", "/staff/pages/{id}/delete", "doomed-page", STAFF),
    row("POST", "/staff/testimonials", "", STAFF),
    row("POST", "/staff/testimonials/{id}", "testimonial", STAFF),
    row(
        "POST",
        "/staff/testimonials/{id}/delete",
        "testimonial",
        STAFF,
    ),
    row("POST", "/staff/cities", "", STAFF),
    row("POST", "/staff/cities/{id}", "city", STAFF),
    // An empty choice: the organization's contact.
    row("POST", "/staff/cities/{id}/contact", "city", STAFF),
    row(
        "POST",
        "/staff/applications/{id}/approve",
        "application",
        STAFF,
    ),
    row(
        "POST",
        "/staff/applications/{id}/decline",
        "application",
        STAFF,
    ),
    // Before the other city's mayor joins the open cohort (below).
    row("POST", "/cohorts/{slug}/discussion", "cohort", COHORT),
    row(
        "POST",
        "/cohorts/{slug}/discussion/{thread_id}",
        "thread",
        COHORT,
    ),
    row(
        "POST",
        "/cohorts/{slug}/discussion/{thread_id}/posts/{post_id}/edit",
        "post",
        [Login, Ok, Forbidden, NotFound, NotFound, Forbidden],
    ),
    // The facilitator's reply: hidden, then restored, by the mayor and by staff.
    row(
        "POST",
        "/cohorts/{slug}/discussion/{thread_id}/posts/{post_id}/hide",
        "reply",
        [Login, Forbidden, Ok, NotFound, NotFound, Ok],
    ),
    row(
        "POST",
        "/cohorts/{slug}/discussion/{thread_id}/posts/{post_id}/restore",
        "reply",
        [Login, Forbidden, Ok, NotFound, NotFound, Ok],
    ),
    // Empty forms: shown again with their messages, nothing stored. (Before the other city's
    // mayor joins the open cohort below.)
    Row {
        body: Body::Multipart,
        ..row(
            "POST",
            "/cohorts/{slug}/resources/add-file",
            "resource",
            COHORT,
        )
    },
    Row {
        method: "POST",
        template: "/cohorts/{slug}/publish",
        fill: "resource",
        body: Body::Multipart,
        answers: COHORT_FACILITATORS,
    },
    Row {
        method: "POST",
        template: "/cohorts/{slug}/publications/{publication}/edit",
        fill: "cohortpub",
        body: Body::Multipart,
        answers: COHORT_FACILITATORS,
    },
    row(
        "POST",
        "/cohorts/{slug}/resources/add-link",
        "resource",
        COHORT,
    ),
    row(
        "POST",
        "/cohorts/{slug}/resources/{resource_id}/remove",
        "doomed-resource",
        [Login, Forbidden, Ok, NotFound, NotFound, NotFound],
    ),
    row(
        "POST",
        "/cohorts/{slug}/following",
        "cohort",
        [Login, Ok, Ok, NotFound, NotFound, NotFound],
    ),
    row(
        "POST",
        "/cohorts/calendar",
        "",
        [Login, Ok, Ok, Ok, Forbidden, Ok],
    ),
    row(
        "POST",
        "/cohorts/{slug}/calendar/renew",
        "cohort",
        [Login, Ok, Ok, NotFound, NotFound, NotFound],
    ),
    row(
        "POST",
        "/cohorts/{slug}/members",
        "cohort",
        [Login, Forbidden, Ok, NotFound, NotFound, Ok],
    ),
    row(
        "POST",
        "/cohorts/{slug}/members/{person_id}/role",
        "cohort-member",
        [Login, Forbidden, Forbidden, NotFound, NotFound, Bad],
    ),
    row(
        "POST",
        "/cohorts/{slug}/members/{person_id}/listing",
        "cohort-member",
        [Login, Forbidden, Forbidden, NotFound, NotFound, Bad],
    ),
    row(
        "GET",
        "/cohorts/{slug}/requests/{id}/decline",
        "request",
        [Login, NotFound, Ok, NotFound, NotFound, Ok],
    ),
    row(
        "POST",
        "/cohorts/{slug}/requests/{id}/decline",
        "request",
        [Login, NotFound, Ok, NotFound, NotFound, Ok],
    ),
    row(
        "POST",
        "/cohorts/{slug}/requests/{id}/approve",
        "request",
        [Login, NotFound, Ok, NotFound, NotFound, Ok],
    ),
    row(
        "POST",
        "/cohorts/{slug}/request",
        "request-cohort",
        [Login, Ok, Ok, Ok, NotFound, Ok],
    ),
    row(
        "POST",
        "/cohorts/{slug}/request/withdraw",
        "request-cohort",
        [Login, Ok, Ok, Ok, NotFound, Ok],
    ),
    // Without an open invitation, answering one changes nothing: told so, for those who see
    // the cohort.
    row(
        "POST",
        "/cohorts/{slug}/invitation/accept",
        "request-cohort",
        [Login, Ok, Ok, Ok, NotFound, Ok],
    ),
    row(
        "POST",
        "/cohorts/{slug}/invitation/decline",
        "request-cohort",
        [Login, Ok, Ok, Ok, NotFound, Ok],
    ),
    // Only its facilitator (the mayor) and staff enter the cohort joined by request: for
    // everyone else leaving it is a 404.
    row(
        "POST",
        "/cohorts/{slug}/leave",
        "request-cohort",
        [Login, NotFound, Ok, NotFound, NotFound, Ok],
    ),
    // Sessions: the form comes back (422) to facilitators and staff; the mayor cancels the
    // session, so staff find it cancelled already.
    row(
        "POST",
        "/cohorts/{slug}/sessions",
        "session",
        COHORT_FACILITATORS,
    ),
    row(
        "POST",
        "/cohorts/{slug}/sessions/{session_id}",
        "session",
        COHORT_FACILITATORS,
    ),
    row(
        "POST",
        "/cohorts/{slug}/sessions/{session_id}/cancel",
        "session",
        COHORT_FACILITATORS,
    ),
    row(
        "POST",
        "/cohorts/{slug}/members/{person_id}/remove",
        "cohort-member",
        COHORT_STAFF,
    ),
    row(
        "POST",
        "/cohorts/{slug}/join",
        "cohort",
        [Login, Ok, Ok, Ok, NotFound, Ok],
    ),
    // The annual meeting: an empty form comes back (422) to those who may register.
    row("POST", "/meetings/{slug}/register", "meeting", MEMBERS),
    row(
        "POST",
        "/meetings/{slug}/registrations/{id}",
        "reg",
        REGISTRATION,
    ),
    // The first city's mayor's own registration: theirs to cancel (staff find it cancelled).
    row(
        "POST",
        "/meetings/{slug}/registrations/{id}/cancel",
        "doomed-reg",
        [Login, NotFound, Ok, NotFound, Forbidden, Ok],
    ),
    Row {
        method: "POST",
        template: "/assistance/new",
        fill: "",
        body: Body::Multipart,
        answers: [Login, Ok, Ok, Ok, Forbidden, Forbidden],
    },
    row(
        "POST",
        "/assistance/follow",
        "",
        [Login, Forbidden, Ok, Ok, Forbidden, Forbidden],
    ),
    Row {
        method: "POST",
        template: "/assistance/{id}/reply",
        fill: "areq",
        body: Body::Multipart,
        answers: REQUEST,
    },
    Row {
        method: "POST",
        template: "/assistance/{id}/note",
        fill: "areq",
        body: Body::Multipart,
        answers: REQUEST_STAFF,
    },
    row("POST", "/assistance/{id}/assign", "areq", REQUEST_STAFF),
    row("POST", "/assistance/{id}/status", "areq", REQUEST_STAFF),
    row("POST", "/assistance/{id}/reopen", "areq", REQUEST),
    row(
        "POST",
        "/assistance/{id}/feedback",
        "areq",
        [Login, Ok, Ok, NotFound, NotFound, Forbidden],
    ),
    row("POST", "/staff/assistance/topics", "", STAFF),
    // A crafted topic id (none sent): the 404 of a missing topic.
    row(
        "POST",
        "/staff/assistance/topics/retire",
        "",
        [Login, Forbidden, Forbidden, Forbidden, Forbidden, NotFound],
    ),
    row("POST", "/staff/assistance/triagers", "", STAFF),
    Row {
        method: "POST",
        template: "/staff/publications/new",
        fill: "",
        body: Body::Multipart,
        answers: STAFF,
    },
    Row {
        method: "POST",
        template: "/staff/publications/{slug}/edit",
        fill: "pubmembers",
        body: Body::Multipart,
        answers: STAFF,
    },
    row(
        "POST",
        "/staff/publications/{slug}/unpublish",
        "pubmembers",
        STAFF,
    ),
    row("POST", "/staff/meetings", "", STAFF),
    row("POST", "/staff/meetings/{slug}/edit", "meeting", STAFF),
    row("POST", "/staff/meetings/{slug}/types", "meeting", STAFF),
    row("POST", "/staff/meetings/{slug}/email", "meeting", STAFF),
    row(
        "POST",
        "/staff/meetings/{slug}/types/{id}/remove",
        "mtype",
        STAFF,
    ),
    row("POST", "/staff/meetings/{slug}/questions", "meeting", STAFF),
    row(
        "POST",
        "/staff/meetings/{slug}/questions/{id}/remove",
        "mquestion",
        STAFF,
    ),
    row("POST", "/staff/meetings/{slug}/agenda", "meeting", STAFF),
    row(
        "POST",
        "/staff/meetings/{slug}/agenda/{id}/remove",
        "mitem",
        STAFF,
    ),
    row(
        "POST",
        "/staff/meetings/{slug}/checkin/{code}",
        "reg",
        STAFF,
    ),
    row(
        "POST",
        "/staff/meetings/{slug}/checkin/{code}/undo",
        "reg",
        STAFF,
    ),
    // Without a choice of payment, a 400 (no form sends one).
    row(
        "POST",
        "/staff/meetings/{slug}/registrations/{id}/payment",
        "reg",
        [Login, Forbidden, Forbidden, Forbidden, Forbidden, Bad],
    ),
    row(
        "POST",
        "/staff/meetings/{slug}/registrations/{id}/cancel",
        "doomed-reg",
        STAFF,
    ),
    row("POST", "/staff/cohorts", "", STAFF),
    row("POST", "/staff/cohorts/{id}", "cohort-id", STAFF),
    row("POST", "/logout", "", ALL_OK),
];

/// Every (method, path) the source declares with `.route("path", get(…).post(…))`.
fn routes_in_source() -> BTreeSet<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut routes = BTreeSet::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        let mut rest = source.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            // The call's arguments, up to its closing parenthesis.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map(|(i, _)| i)
                .unwrap_or_else(|| panic!("unclosed .route( in {}", file.display()));
            let call = &rest[..end];
            let path = call
                .split('"')
                .nth(1)
                .unwrap_or_else(|| panic!("a .route( without a path in {}", file.display()));
            let mut found = false;
            for (method, name) in [
                ("GET", "get("),
                ("POST", "post("),
                ("PUT", "put("),
                ("DELETE", "delete("),
                ("PATCH", "patch("),
            ] {
                let mut from = 0;
                while let Some(i) = call[from..].find(name) {
                    let i = from + i;
                    let before = call[..i].chars().next_back();
                    if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        routes.insert((method.to_owned(), path.to_owned()));
                        found = true;
                    }
                    from = i + name.len();
                }
            }
            assert!(found, "no method found for {path} in {}", file.display());
            rest = &rest[end..];
        }
    }
    routes
}

#[test]
fn every_route_in_the_source_has_expected_answers_and_every_row_a_route() {
    let source = routes_in_source();
    let table: BTreeSet<(String, String)> = TABLE
        .iter()
        .map(|r| (r.method.to_owned(), r.template.to_owned()))
        .collect();
    let missing: Vec<_> = source.difference(&table).collect();
    let stale: Vec<_> = table.difference(&source).collect();
    assert!(
        missing.is_empty(),
        "routes without expected answers in tests/app/routes.rs: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows in tests/app/routes.rs for routes the source no longer has: {stale:?}"
    );
    assert!(
        source.len() > 70,
        "the scan found too few routes: {source:?}"
    );
}

/// What every route is tried with, on the fixture network: the values of its parameters,
/// and a client per role.
struct Arguments {
    values: BTreeMap<&'static str, String>,
    /// One client per role, logged in (the public's is not), following no redirects.
    clients: Vec<reqwest::Client>,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn logged_in(app: &TestApp, email: &str, password: &str) -> reqwest::Client {
    let c = client();
    let r = c
        .post(app.url("/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{email} could not log in");
    c
}

/// A picture of its own (the store keeps one copy of equal pictures): `blue` tells them apart.
fn png(width: u32, height: u32, blue: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, blue])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

async fn scalar(app: &TestApp, sql: &'static str, bind: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .bind(bind.to_owned())
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

async fn cover_of(app: &TestApp, post_id: i64) -> String {
    let (hash, widths): (String, String) = sqlx::query_as(
        "SELECT i.hash, i.widths FROM posts p JOIN images i ON i.id = p.cover_image_id WHERE p.id = $1",
    )
    .bind(post_id)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    let width = widths.split(',').next().unwrap().trim().to_owned();
    format!("{hash}-{width}.jpg")
}

async fn arguments(app: &TestApp) -> Arguments {
    let net = Fixture::new(app).await;
    let (staff, mayor, a) = (&net.staff, &net.facilitator, net.city_a);
    let cohorts = cohort_arguments(app, &net).await;
    // An invitation the first city's mayor sent, to resend and withdraw, and another staff
    // sent, to open.
    let sent = mayor
        .post_form(
            "/invitations",
            &[
                ("email", "newcomer@a.gov"),
                ("role", "advisor"),
                ("city_id", &a.to_string()),
            ],
        )
        .await;
    assert!(sent.status().is_success());
    staff
        .post_form(
            "/invitations",
            &[
                ("email", "guest@a.gov"),
                ("role", "advisor"),
                ("city_id", &a.to_string()),
            ],
        )
        .await;
    let link = app
        .last_mail_to("guest@a.gov")
        .await
        .link(&app.address, "/invite/");
    let token = link.rsplit('/').next().unwrap().to_owned();
    let invitation = scalar(
        app,
        "SELECT id FROM invitations WHERE email = $1",
        "newcomer@a.gov",
    )
    .await;

    let published = {
        let page = editor(
            staff,
            "/staff/news",
            &[
                ("title", "Open Streets"),
                ("body", "Everyone may read this."),
                ("cover_alt", "A street"),
                ("action", "publish"),
            ],
            Some(("street.png", png(1200, 800, 40))),
        )
        .await;
        assert_eq!(page.text(".flash"), "“Open Streets” is published.");
        scalar(app, "SELECT id FROM posts WHERE title = $1", "Open Streets").await
    };
    let members_only = {
        let page = editor(
            staff,
            "/staff/news",
            &[
                ("title", "Budget Notes"),
                ("body", "For members."),
                ("excerpt", "Notes."),
                ("members_only", "1"),
                ("cover_alt", "A ledger"),
                ("action", "publish"),
            ],
            Some(("ledger.png", png(1200, 800, 200))),
        )
        .await;
        assert_eq!(page.text(".flash"), "“Budget Notes” is published.");
        scalar(app, "SELECT id FROM posts WHERE title = $1", "Budget Notes").await
    };
    editor(
        staff,
        "/staff/news",
        &[
            ("title", "Unfinished"),
            ("body", "Draft."),
            ("action", "draft"),
        ],
        None,
    )
    .await;
    let draft = scalar(app, "SELECT id FROM posts WHERE title = $1", "Unfinished").await;
    let doomed = publish(staff, "Doomed", "To be unpublished and deleted.", &[]).await;
    staff
        .post_form("/staff/topics", &[("name", "Transit")])
        .await;
    let topic = scalar(app, "SELECT id FROM topics WHERE name = $1", "Transit").await;
    let testimonial: i64 = sqlx::query_scalar(
        "INSERT INTO testimonials (quote, name, title, city, active, created_at) \
         VALUES ('We learned a lot.', 'Pat Doe', 'Mayor', 'Elgin, IL', 1, 0) RETURNING id",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    let page = |slug: &'static str, status: &'static str| async move {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO pages (slug, title, body, placement, position, status, created_at, updated_at) \
             VALUES ($1, $1, 'Text.', 'footer', 0, $2, 0, 0) RETURNING id",
        )
        .bind(slug)
        .bind(status)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
    };
    let about = page("about-us", "published").await;
    page("privacy", "draft").await;
    let doomed_page = page("doomed", "published").await;
    let logo = portal::files::store_bytes(
        &app.state.pool,
        0,
        &portal::site::LOGO,
        "logo.png",
        &png(40, 20, 9),
    )
    .await
    .unwrap();
    assert!(portal::site::set_logo(&app.state, logo.id).await.unwrap());
    let application: i64 = sqlx::query_scalar(
        "INSERT INTO applications (city_name, state, population, mayor_name, mayor_email, contact_name, \
           contact_title, contact_email, contact_phone, reason, status, client_ip, created_at) \
         VALUES ('Ames', 'IA', 66000, 'Mayor Ames', 'mayor@ames.gov', 'Clerk', 'Clerk', 'clerk@ames.gov', \
           '', 'To learn.', 'pending', '127.0.0.1', 0) RETURNING id",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    let outbox: i64 = sqlx::query_scalar("SELECT MIN(id) FROM outbox")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let slug = |title: &'static str| async move {
        sqlx::query_scalar::<_, String>("SELECT slug FROM posts WHERE title = $1")
            .bind(title)
            .fetch_one(&app.state.pool)
            .await
            .unwrap()
    };

    let mut values = BTreeMap::new();
    values.insert("css", portal::web::assets::url("portal.css"));
    values.insert("city", a.to_string());
    values.insert(
        "colleague",
        scalar(
            app,
            "SELECT id FROM people WHERE email = $1",
            "colleague@a.gov",
        )
        .await
        .to_string(),
    );
    // The colleague (whom no role of the table is) is listed in the directory; the other
    // city's mayor is not.
    sqlx::query("UPDATE people SET listed = 1 WHERE email = 'colleague@a.gov'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    for (key, email) in [("listed", "colleague@a.gov"), ("unlisted", "mayor@b.gov")] {
        values.insert(
            key,
            scalar(app, "SELECT id FROM people WHERE email = $1", email)
                .await
                .to_string(),
        );
    }
    values.insert("invitation", invitation.to_string());
    values.insert("pending", token);
    values.insert("bogus", "0123456789abcdef0123456789abcdef".to_owned());
    values.insert("published", published.to_string());
    values.insert("published/slug", slug("Open Streets").await);
    values.insert("published/cover", cover_of(app, published).await);
    values.insert("members-only", members_only.to_string());
    values.insert("members-only/slug", slug("Budget Notes").await);
    values.insert("members-only/cover", cover_of(app, members_only).await);
    values.insert("draft", draft.to_string());
    values.insert("draft/slug", slug("Unfinished").await);
    values.insert("doomed", doomed.to_string());
    values.insert("topic", topic.to_string());
    values.insert("testimonial", testimonial.to_string());
    values.insert("page", about.to_string());
    values.insert("page/slug", "about-us".to_owned());
    values.insert("page-draft/slug", "privacy".to_owned());
    values.insert("doomed-page", doomed_page.to_string());
    values.insert("logo", logo.id.to_string());
    values.insert("application", application.to_string());
    values.insert("outbox", outbox.to_string());
    values.extend(cohorts);
    values.extend(meeting_fixture(app).await);
    values.extend(assistance_fixture(app).await);
    values.extend(publication_fixture(app).await);

    let clients = vec![
        client(),
        logged_in(app, "advisor@a.gov", MEMBER_PASSWORD).await,
        logged_in(app, "mayor@a.gov", MEMBER_PASSWORD).await,
        logged_in(app, "mayor@b.gov", MEMBER_PASSWORD).await,
        logged_in(app, "mayor@c.gov", MEMBER_PASSWORD).await,
        logged_in(app, "grace@mayorsinnovation.org", STAFF_PASSWORD).await,
    ];
    Arguments { values, clients }
}

/// The fixture's two cohorts of the first city's mayor: the open one, with the first city's
/// advisor and colleague and the lapsed city's mayor (who joined before the lapse) in it, and
/// the one joined by request, with the colleague's request waiting.
async fn cohort_arguments(app: &TestApp, net: &Fixture) -> Vec<(&'static str, String)> {
    let staff = &net.staff;
    let open = SLUG;
    let asked = net.request_cohort().await;
    let person = |email: &'static str| async move {
        scalar(app, "SELECT id FROM people WHERE email = $1", email).await
    };
    let colleague = person("colleague@a.gov").await;
    let request: i64 = sqlx::query_scalar(
        "INSERT INTO cohort_requests (cohort_id, person_id, message, status, created_at)          VALUES ((SELECT id FROM cohorts WHERE slug = $2), $1, 'Please.', 'pending', 0) RETURNING id",
    )
    .bind(colleague)
    .bind(asked)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    let id = scalar(app, "SELECT id FROM cohorts WHERE slug = $1", open).await;
    let advisor = person("advisor@a.gov").await;
    let grace = person("grace@mayorsinnovation.org").await;
    let resource = add_resource_file(app, id, advisor, "Rate study", b"%PDF-1.4 rates").await;
    let doomed = add_resource_file(app, id, grace, "Old notes", b"year,rate\n2020,1.5\n").await;
    let starts = crate::cohorts_sessions::in_days(30);
    let r = staff
        .post_form(
            &format!("/cohorts/{open}/sessions"),
            &[
                ("title", "Rates and tiers"),
                ("starts", &starts),
                ("duration", "60"),
                ("time_zone", "America/Chicago"),
                ("call_url", "https://meet.example.org/water"),
                ("notes", "Bring your rate tables."),
            ],
        )
        .await;
    assert_eq!(r.status(), 200, "the session was not planned");
    let session = scalar(
        app,
        "SELECT id FROM cohort_sessions WHERE title = $1",
        "Rates and tiers",
    )
    .await;
    // The feed of a member whom no role of the table renews or removes before asking.
    // A secret set as the portal sets one: only its digest is stored.
    let token = |email: &'static str| async move {
        let secret = portal::secret::generate();
        sqlx::query(
            "UPDATE cohort_members SET calendar_token = $1 \
             WHERE person_id = (SELECT id FROM people WHERE email = $2)",
        )
        .bind(portal::secret::digest(&secret))
        .bind(email)
        .execute(&app.state.pool)
        .await
        .unwrap();
        secret
    };
    let feed = format!("{}.ics", token("colleague@a.gov").await);
    let feed_lapsed = format!("{}.ics", token("mayor@c.gov").await);
    let all_token = |email: &'static str| async move {
        let secret = portal::secret::generate();
        sqlx::query("UPDATE people SET cohorts_calendar_token = $1 WHERE email = $2")
            .bind(portal::secret::digest(&secret))
            .bind(email)
            .execute(&app.state.pool)
            .await
            .unwrap();
        format!("{secret}.ics")
    };
    let all_feed = all_token("colleague@a.gov").await;
    let all_feed_lapsed = all_token("mayor@c.gov").await;
    // A thread by the advisor, with a reply by the mayor who facilitates.
    let now = app.state.clock.now();
    let advisor = person("advisor@a.gov").await;
    let mayor = person("mayor@a.gov").await;
    let thread: i64 = sqlx::query_scalar(
        "INSERT INTO cohort_threads (cohort_id, author_id, title, created_at, last_post_at) \
         VALUES ($1, $2, 'Shut-off moratoriums', $3, $3) RETURNING id",
    )
    .bind(id)
    .bind(advisor)
    .bind(now)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    let mut posts = Vec::new();
    for (author, body) in [
        (advisor, "Who paused shut-offs?"),
        (mayor, "We did, in March."),
    ] {
        let post: i64 = sqlx::query_scalar(
            "INSERT INTO cohort_posts (thread_id, author_id, body, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(thread)
        .bind(author)
        .bind(body)
        .bind(now)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
        posts.push(post);
    }
    vec![
        ("thread/slug", open.to_owned()),
        ("thread/thread", thread.to_string()),
        ("post/slug", open.to_owned()),
        ("post/thread", thread.to_string()),
        ("post/post", posts[0].to_string()),
        ("reply/slug", open.to_owned()),
        ("reply/thread", thread.to_string()),
        ("reply/post", posts[1].to_string()),
        ("session/slug", open.to_owned()),
        ("session/session", session.to_string()),
        ("feed/file", feed),
        ("feed-lapsed/file", feed_lapsed),
        ("all-feed/file", all_feed),
        ("all-feed-lapsed/file", all_feed_lapsed),
        (
            "feed-unknown/file",
            "0123456789abcdef0123456789abcdef.ics".to_owned(),
        ),
        ("resource/slug", open.to_owned()),
        ("resource/resource", resource.to_string()),
        ("doomed-resource/slug", open.to_owned()),
        ("doomed-resource/resource", doomed.to_string()),
        ("cohort-id", id.to_string()),
        ("cohort/slug", open.to_owned()),
        ("cohort-member/slug", open.to_owned()),
        ("cohort-member/person", colleague.to_string()),
        ("request-cohort/slug", asked.to_owned()),
        ("request/slug", asked.to_owned()),
        ("request", request.to_string()),
    ]
}

/// The annual meeting, open for registration, with a type, a question, an agenda item, and
/// the registrations of the first city's advisor and mayor.
async fn meeting_fixture(app: &TestApp) -> Vec<(&'static str, String)> {
    let now = app.state.clock.now();
    let pool = &app.state.pool;
    let meeting: i64 = sqlx::query_scalar(
        "INSERT INTO meetings (slug, title, host_city, venue, venue_address, time_zone, starts_at, ends_at, \
         description, description_html, opens_at, closes_at, capacity, status, sequence, created_at, updated_at) \
         VALUES ('annual-meeting', 'Annual Meeting', 'Lafayette, CO', 'Center', '1 Main St', 'America/Denver', \
         $1, $2, '', '', $3, $4, NULL, 'open', 0, $3, $3) RETURNING id",
    )
    .bind(now + 60 * 86_400)
    .bind(now + 62 * 86_400)
    .bind(now - 86_400)
    .bind(now + 30 * 86_400)
    .fetch_one(pool)
    .await
    .unwrap();
    let one = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .bind(meeting)
            .fetch_one(pool)
            .await
            .unwrap()
    };
    let mtype = one("INSERT INTO meeting_types (meeting_id, name, capacity, who, fee, position) VALUES ($1, 'Member', NULL, 'members', '', 1) RETURNING id").await;
    let question = one("INSERT INTO meeting_questions (meeting_id, kind, prompt, choices, required, position) VALUES ($1, 'text', 'Dietary needs', '', 0, 1) RETURNING id").await;
    let item = one("INSERT INTO meeting_agenda (meeting_id, title, starts_at, ends_at, room, speakers, note) VALUES ($1, 'Opening', 0, 3600, '', '', '') RETURNING id").await;
    let mut regs = Vec::new();
    for email in ["advisor@a.gov", "mayor@a.gov"] {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO meeting_registrations (meeting_id, type_id, person_id, name, name_folded, email, organization, \
             city_id, status, listed, payment, checkin_code, uid, sequence, created_at, updated_at) \
             SELECT $1, $2, p.id, p.name, lower(p.name), p.email, '', p.city_id, 'registered', 1, 'due', $3, $4, 0, $5, $5 \
             FROM people p WHERE p.email = $6 RETURNING id",
        )
        .bind(meeting)
        .bind(mtype)
        .bind(format!("code{}", email.len() + email.find('@').unwrap()))
        .bind(format!("uid-{email}"))
        .bind(now)
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap();
        regs.push(id);
    }
    let code: String =
        sqlx::query_scalar("SELECT checkin_code FROM meeting_registrations WHERE id = $1")
            .bind(regs[0])
            .fetch_one(pool)
            .await
            .unwrap();
    let slug = "annual-meeting".to_owned();
    vec![
        ("meeting/slug", slug.clone()),
        ("reg/slug", slug.clone()),
        ("reg", regs[0].to_string()),
        ("reg/code", code),
        ("doomed-reg/slug", slug.clone()),
        ("doomed-reg", regs[1].to_string()),
        ("mtype/slug", slug.clone()),
        ("mtype", mtype.to_string()),
        ("mquestion/slug", slug.clone()),
        ("mquestion", question.to_string()),
        ("mitem/slug", slug),
        ("mitem", item.to_string()),
    ]
}

/// Three publications with a file each: public, for members, for the open cohort.
async fn publication_fixture(app: &TestApp) -> Vec<(&'static str, String)> {
    let pool = &app.state.pool;
    let mut out = Vec::new();
    for (key, slug, visibility) in [
        ("pubpublic/slug", "public-report", "public"),
        ("pubmembers/slug", "members-brief", "members"),
        ("pubcohort/slug", "cohort-toolkit", "cohorts"),
    ] {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO publications (slug, title, published_on, kind, visibility, status, created_by, created_at, updated_at) \
             SELECT $1, $1, '2026-11-30', 'brief', $2, 'published', id, 0, 0 FROM people WHERE email = 'grace@mayorsinnovation.org' RETURNING id",
        )
        .bind(slug)
        .bind(visibility)
        .fetch_one(pool)
        .await
        .unwrap();
        if visibility == "cohorts" {
            sqlx::query("INSERT INTO publication_cohorts (publication_id, cohort_id) SELECT $1, id FROM cohorts WHERE slug = $2")
                .bind(id)
                .bind(SLUG)
                .execute(pool)
                .await
                .unwrap();
        }
        let file = portal::files::store_bytes(
            pool,
            0,
            &portal::publications::RULES,
            "p.pdf",
            b"%PDF-1.4 x",
        )
        .await
        .unwrap();
        let mut conn = pool.acquire().await.unwrap();
        assert!(portal::files::attach(&mut conn, file.id).await.unwrap());
        sqlx::query(
            "INSERT INTO publication_files (publication_id, file_id, version, added_by, added_at, text_status) \
             SELECT $1, $2, 1, id, 0, 'none' FROM people WHERE email = 'grace@mayorsinnovation.org'",
        )
        .bind(id)
        .bind(file.id)
        .execute(&mut *conn)
        .await
        .unwrap();
        out.push((key, slug.to_owned()));
    }
    out.push(("cohortpub/slug", SLUG.to_owned()));
    out.push(("cohortpub/publication", "cohort-toolkit".to_owned()));
    out
}

/// A request of the first city, opened by its advisor, with a file of its own and an
/// internal note's file.
async fn assistance_fixture(app: &TestApp) -> Vec<(&'static str, String)> {
    let pool = &app.state.pool;
    let request: i64 = sqlx::query_scalar(
        "INSERT INTO assistance_requests (city_id, opened_by, topic_id, title, description, description_html, \
         urgency, needed_by, status, created_at, response_due, last_activity_at, submission) \
         SELECT p.city_id, p.id, (SELECT MIN(id) FROM assistance_topics), 'Lead lines', 'Help', '<p>Help</p>', \
         'normal', '', 'new', 0, 0, 0, 'k' FROM people p WHERE p.email = 'advisor@a.gov' RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let mut files = Vec::new();
    for internal in [0, 1] {
        let file =
            portal::files::store_bytes(pool, 0, &portal::assistance::RULES, "f.pdf", b"%PDF-1.4 x")
                .await
                .unwrap();
        let mut conn = pool.acquire().await.unwrap();
        assert!(portal::files::attach(&mut conn, file.id).await.unwrap());
        sqlx::query(
            "INSERT INTO assistance_files (request_id, reply_id, internal, file_id, added_by, created_at) \
             VALUES ($1, NULL, $2, $3, (SELECT id FROM people WHERE email = 'advisor@a.gov'), 0)",
        )
        .bind(request)
        .bind(internal)
        .bind(file.id)
        .execute(&mut *conn)
        .await
        .unwrap();
        files.push(file.id.to_string());
    }
    vec![
        ("areq", request.to_string()),
        ("areq/file_id", files[0].clone()),
        ("anote", request.to_string()),
        ("anote/file_id", files[1].clone()),
    ]
}

/// A file among a cohort's resources, added by `person`, stored as the upload stores it.
pub async fn add_resource_file(
    app: &TestApp,
    cohort_id: i64,
    person: i64,
    title: &str,
    bytes: &[u8],
) -> i64 {
    let file = portal::files::store_bytes(
        &app.state.pool,
        0,
        &portal::cohorts::resources::RULES,
        "file.pdf",
        bytes,
    )
    .await
    .unwrap();
    let mut conn = app.state.pool.acquire().await.unwrap();
    assert!(portal::files::attach(&mut conn, file.id).await.unwrap());
    sqlx::query_scalar(
        "INSERT INTO cohort_resources (cohort_id, title, note, file_id, added_by, created_at) \
         VALUES ($1, $2, '', $3, $4, 0) RETURNING id",
    )
    .bind(cohort_id)
    .bind(title)
    .bind(file.id)
    .bind(person)
    .fetch_one(&mut *conn)
    .await
    .unwrap()
}

/// The path of a row, its parameters filled from the fixture.
fn path_of(row: &Row, fx: &Arguments) -> String {
    let value = |key: String| {
        fx.values
            .get(key.as_str())
            .unwrap_or_else(|| panic!("no fixture {key} for {}", row.template))
            .clone()
    };
    if row.template == "/static/{*path}" {
        return value(row.fill.to_owned());
    }
    let mut path = row.template.to_owned();
    for (placeholder, key) in [
        ("{slug}", format!("{}/slug", row.fill)),
        ("{name}", format!("{}/cover", row.fill)),
        ("{token}", row.fill.to_owned()),
        ("{id}", row.fill.to_owned()),
        ("{person_id}", format!("{}/person", row.fill)),
        ("{file}", format!("{}/file", row.fill)),
        ("{resource_id}", format!("{}/resource", row.fill)),
        ("{session_id}", format!("{}/session", row.fill)),
        ("{thread_id}", format!("{}/thread", row.fill)),
        ("{post_id}", format!("{}/post", row.fill)),
        ("{code}", format!("{}/code", row.fill)),
        ("{file_id}", format!("{}/file_id", row.fill)),
        ("{publication}", format!("{}/publication", row.fill)),
    ] {
        if path.contains(placeholder) {
            path = path.replace(placeholder, &value(key));
        }
    }
    assert!(!path.contains('{'), "no way to fill {}", row.template);
    path
}

fn category(response: &reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match status {
        300..=399 if location.starts_with("/login") => Login,
        200..=399 | 422 => Ok,
        403 => Forbidden,
        404 => NotFound,
        410 => Gone,
        400 => Bad,
        s => Other(s),
    }
}

/// What the tables a request might change hold, to show a refused request changed nothing.
async fn snapshot(app: &TestApp) -> Vec<Vec<String>> {
    let queries: [&'static str; 31] = [
        "SELECT CAST(id AS TEXT) || '|' || slug || '|' || status || '|' || CAST(updated_at AS TEXT) FROM publications ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || CAST(publication_id AS TEXT) || '|' || CAST(version AS TEXT) FROM publication_files ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || status || '|' || COALESCE(CAST(owner_id AS TEXT), '') || '|' || CAST(last_activity_at AS TEXT) FROM assistance_requests ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || CAST(internal AS TEXT) || '|' || body FROM assistance_replies ORDER BY id",
        "SELECT CAST(request_id AS TEXT) || '|' || helped FROM assistance_feedback ORDER BY request_id",
        "SELECT CAST(id AS TEXT) || '|' || name || '|' || CAST(retired AS TEXT) FROM assistance_topics ORDER BY id",
        "SELECT CAST(person_id AS TEXT) FROM assistance_followers UNION ALL SELECT 't' || CAST(person_id AS TEXT) FROM assistance_triagers",
        "SELECT CAST(id AS TEXT) || '|' || slug || '|' || status || '|' || CAST(updated_at AS TEXT) FROM meetings ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || name FROM meeting_types ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || prompt FROM meeting_questions ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || status || '|' || payment || '|' || CAST(listed AS TEXT) || '|' || COALESCE(CAST(checked_in_at AS TEXT), '') || '|' || CAST(updated_at AS TEXT) FROM meeting_registrations ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || slug || '|' || status || '|' || CAST(updated_at AS TEXT) FROM pages ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || slug || '|' || title || '|' || status || '|' || COALESCE(CAST(publish_at AS TEXT), '') || '|' || CAST(updated_at AS TEXT) FROM posts ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || email || '|' || name || '|' || title || '|' || role || '|' || CAST(active AS TEXT) || '|' || COALESCE(CAST(city_id AS TEXT), '') || '|' || time_zone || '|' || CAST(listed AS TEXT) || '|' || CAST(accepts_messages AS TEXT) FROM people ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || name || '|' || status FROM cities ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || CAST(expires_at AS TEXT) || '|' || COALESCE(CAST(accepted_at AS TEXT), '') || '|' || COALESCE(CAST(revoked_at AS TEXT), '') FROM invitations ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || status FROM applications ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || name FROM topics ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || quote || '|' || CAST(active AS TEXT) FROM testimonials ORDER BY id",
        "SELECT key || '|' || value FROM settings ORDER BY key",
        "SELECT CAST(id AS TEXT) || '|' || status FROM outbox ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || action FROM audit_log ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || slug || '|' || name || '|' || status || '|' || CAST(updated_at AS TEXT) FROM cohorts ORDER BY id",
        "SELECT CAST(cohort_id AS TEXT) || '|' || CAST(person_id AS TEXT) || '|' || role || '|' || CAST(following AS TEXT) || '|' || calendar_token || '|' || COALESCE(CAST(listed_override AS TEXT), '') FROM cohort_members ORDER BY cohort_id, person_id",
        "SELECT CAST(id AS TEXT) || '|' || status FROM cohort_requests ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || title || '|' || CAST(last_post_at AS TEXT) || '|' || COALESCE(CAST(hidden_at AS TEXT), '') FROM cohort_threads ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || body || '|' || COALESCE(CAST(edited_at AS TEXT), '') || '|' || COALESCE(CAST(hidden_at AS TEXT), '') FROM cohort_posts ORDER BY id",
        "SELECT CAST(thread_id AS TEXT) || '|' || CAST(person_id AS TEXT) || '|' || CAST(read_at AS TEXT) FROM cohort_reads ORDER BY thread_id, person_id",
        "SELECT CAST(id AS TEXT) || '|' || title FROM cohort_resources ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || title || '|' || CAST(sequence AS TEXT) || '|' || CAST(cancelled AS TEXT) FROM cohort_sessions ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || CAST(sender_id AS TEXT) || '|' || CAST(delivered AS TEXT) FROM member_messages ORDER BY id",
    ];
    let mut out = Vec::new();
    for q in queries {
        out.push(
            sqlx::query_scalar::<_, String>(q)
                .fetch_all(&app.state.pool)
                .await
                .unwrap(),
        );
    }
    out
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_table_says_and_refusals_change_nothing() {
    let app = spawn_app().await;
    let fx = arguments(&app).await;
    let mut wrong = Vec::new();
    for (role, client) in ROLES.iter().zip(&fx.clients) {
        let i = ROLES.iter().position(|r| r == role).unwrap();
        for row in TABLE {
            let path = path_of(row, &fx);
            let expected = row.answers[i];
            let before = if expected == Ok {
                None
            } else {
                Some(snapshot(&app).await)
            };
            let request = match (row.method, row.body) {
                ("GET", _) => client.get(app.url(&path)),
                (_, Body::Form) => client.post(app.url(&path)).form(&[] as &[(&str, &str)]),
                (_, Body::Multipart) => client
                    .post(app.url(&path))
                    .multipart(reqwest::multipart::Form::new().text("title", "")),
            };
            let response = request.send().await.unwrap();
            let got = category(&response);
            if got != expected {
                wrong.push(format!(
                    "{} {path} ({}) as {role}: expected {expected:?}, got {got:?}",
                    row.method, row.template
                ));
            }
            if let Some(before) = before
                && snapshot(&app).await != before
            {
                wrong.push(format!(
                    "{} {path} as {role} was refused but changed something",
                    row.method
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn a_member_asking_for_a_staff_page_is_told_they_have_no_access_and_the_public_to_log_in() {
    let app = spawn_app().await;
    let net = Cities::new(&app).await;
    let mayor = &net.facilitator;
    for path in ["/staff", "/staff/news", "/staff/cities", "/staff/audit"] {
        let page = crate::support::Page::of(mayor.get(path).await).await;
        assert_eq!(page.status, 403, "{path}");
        assert_eq!(page.h1(), "Not allowed", "{path}");
        assert!(
            page.text("main")
                .contains("You do not have access to this page."),
            "{path}: {}",
            page.text("main")
        );
        // The person stays logged in, in the page's header.
        assert_eq!(page.text("header .who strong"), "Mayor A");
        let public = app.visitor().get(path).await;
        assert_eq!(
            public.url().path(),
            "/login",
            "{path}: the public is sent to log in"
        );
        assert_eq!(public.url().query(), Some(format!("next={path}").as_str()));
    }
}
