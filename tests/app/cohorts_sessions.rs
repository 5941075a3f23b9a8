//! A cohort's sessions: planning, editing and cancelling them, their times in each reader's
//! zone, their calendar files and each member's secret feed (parsed as a calendar would),
//! the emails to followers, and the 404 of everyone who may not enter the cohort.

use icalendar::{Calendar, Component, EventLike};
use portal::time::Zone;
use tokio::task::JoinSet;

use crate::{
    fixture::{Fixture, SLUG},
    support::{Page, TestApp, spawn_app},
};

/// A wall-clock time `days` from now at 9:00, as a `datetime-local` field holds it.
pub fn in_days(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let day = Zone::parse("America/Chicago")
        .unwrap()
        .iso_date(now + days * 86_400);
    format!("{day}T09:00")
}

/// The session form, filled: a session of an hour in Chicago with a call link and notes.
fn session<'a>(title: &'a str, starts: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("starts", starts),
        ("duration", "60"),
        ("time_zone", "America/Chicago"),
        ("call_url", "https://meet.example.org/water"),
        (
            "notes",
            "Bring your **rate tables**.<script>alert(1)</script>",
        ),
    ]
}

/// Plans a session with this form as the facilitator; its id.
async fn plan(app: &TestApp, s: &Fixture, form: &[(&str, &str)]) -> i64 {
    let page = Page::of(
        s.facilitator
            .post_form(&format!("/cohorts/{SLUG}/sessions"), form)
            .await,
    )
    .await;
    assert_eq!(
        page.path(),
        format!("/cohorts/{SLUG}/sessions"),
        "{:?}",
        page.texts(".error-summary li")
    );
    sqlx::query_scalar("SELECT MAX(id) FROM cohort_sessions")
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

/// A calendar secret for this person's feed, set as the portal sets one (only its
/// digest stored), for people whose pages the test does not open.
async fn token_of(app: &TestApp, email: &str) -> String {
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
}

/// What the database holds for this person's calendar secret.
async fn stored_secret_of(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar(
        "SELECT m.calendar_token FROM cohort_members m JOIN people p ON p.id = m.person_id \
         WHERE p.email = $1",
    )
    .bind(email)
    .fetch_one(&app.state.pool)
    .await
    .unwrap()
}

async fn person_id(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM people WHERE email = $1")
        .bind(email)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

async fn set_zone(app: &TestApp, email: &str, zone: &str) {
    sqlx::query("UPDATE people SET time_zone = $1 WHERE email = $2")
        .bind(zone)
        .bind(email)
        .execute(&app.state.pool)
        .await
        .unwrap();
}

/// A calendar file fetched and parsed as a calendar application would.
async fn calendar(response: reqwest::Response) -> Calendar {
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let cache = response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cache.contains("no-store") && cache.contains("private"),
        "{cache}"
    );
    let body = response.text().await.unwrap();
    for line in body.split_terminator("\r\n") {
        assert!(line.len() <= 75, "a line of {} octets: {line}", line.len());
        assert!(!line.contains('\n'), "a line ends without CR: {line:?}");
    }
    assert!(body.ends_with("END:VCALENDAR\r\n"));
    body.parse().unwrap_or_else(|e| panic!("{e}\n{body}"))
}

#[tokio::test]
async fn a_session_entered_in_chicago_has_its_utc_instant_in_its_calendar_file_and_keeps_its_uid_when_changed()
 {
    let app = spawn_app().await;
    let s = Fixture::with(&app).lapse_later().build().await;
    let id = plan(&app, &s, &session("Rates and tiers", "2027-01-14T09:00")).await;
    let path = format!("/cohorts/{SLUG}/sessions/{id}/calendar.ics");

    let cal = calendar(s.member.get(&path).await).await;
    assert_eq!(cal.property_value("VERSION"), Some("2.0"));
    assert_eq!(cal.property_value("METHOD"), Some("PUBLISH"));
    assert_eq!(cal.get_name(), Some("Water Affordability"));
    let events: Vec<_> = cal.events().collect();
    assert_eq!(events.len(), 1);
    let event = events[0];
    assert_eq!(event.property_value("DTSTART"), Some("20270114T150000Z"));
    assert_eq!(event.property_value("DTEND"), Some("20270114T160000Z"));
    assert_eq!(
        event.get_summary(),
        Some("Rates and tiers (Water Affordability)")
    );
    assert_eq!(event.get_location(), Some("https://meet.example.org/water"));
    assert_eq!(event.get_url(), Some("https://meet.example.org/water"));
    assert!(
        event
            .get_description()
            .unwrap()
            .contains("Video call: https://meet.example.org/water")
    );
    assert_eq!(event.property_value("STATUS"), Some("CONFIRMED"));
    let uid = event.get_uid().unwrap().to_owned();
    assert!(uid.starts_with("cohort-session-"), "{uid}");
    assert_eq!(event.get_sequence(), Some(0));

    // An edit: another hour, in another zone. The UID stays, the SEQUENCE grows.
    let page = Page::of(
        s.facilitator
            .post_form(
                &format!("/cohorts/{SLUG}/sessions/{id}"),
                &[
                    ("title", "Rates, tiers; and shut-offs"),
                    ("starts", "2027-01-14T11:00"),
                    ("duration", "90"),
                    ("time_zone", "America/New_York"),
                    ("call_url", ""),
                    ("notes", ""),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(
        page.text(".flash"),
        "The session “Rates, tiers; and shut-offs” is saved."
    );
    let cal = calendar(s.member.get(&path).await).await;
    let event = cal.events().next().unwrap();
    assert_eq!(event.get_uid(), Some(uid.as_str()));
    assert_eq!(event.get_sequence(), Some(1));
    assert_eq!(event.property_value("DTSTART"), Some("20270114T160000Z"));
    assert_eq!(event.property_value("DTEND"), Some("20270114T173000Z"));
    assert_eq!(
        event.get_summary(),
        Some("Rates, tiers; and shut-offs (Water Affordability)")
    );
    assert_eq!(event.get_location(), None);

    // Cancelled (after its confirmation page): still there, struck, and one change more.
    let confirm = Page::of(
        s.facilitator
            .get(&format!("/cohorts/{SLUG}/sessions/{id}/cancel"))
            .await,
    )
    .await;
    assert_eq!(
        confirm.h1(),
        "Cancel the session “Rates, tiers; and shut-offs”?"
    );
    // The one confirmation page of the core, with the session's time and the way back.
    assert_eq!(
        confirm.attr(".confirm-detail time", "datetime").as_deref(),
        Some("2027-01-14T16:00:00Z")
    );
    assert_eq!(
        confirm.attr(".breadcrumb a", "href"),
        Some(format!("/cohorts/{SLUG}/sessions"))
    );
    assert_eq!(
        confirm.attr("form.actions", "action"),
        Some(format!("/cohorts/{SLUG}/sessions/{id}/cancel"))
    );
    let page = Page::of(
        s.facilitator
            .post_form(&format!("/cohorts/{SLUG}/sessions/{id}/cancel"), &[])
            .await,
    )
    .await;
    assert!(page.text(".flash").contains("is cancelled"));
    assert_eq!(
        page.text(&format!("#session-{id} .badge")),
        "Cancelled",
        "the list shows it cancelled"
    );
    assert!(!page.has(&format!("#session-{id} a[href$='/edit']")));
    let cal = calendar(s.member.get(&path).await).await;
    let event = cal.events().next().unwrap();
    assert_eq!(event.get_uid(), Some(uid.as_str()));
    assert_eq!(event.get_sequence(), Some(2));
    assert_eq!(event.property_value("STATUS"), Some("CANCELLED"));
    // A cancelled session is not changed again.
    let again = Page::of(
        s.facilitator
            .post_form(
                &format!("/cohorts/{SLUG}/sessions/{id}"),
                &session("Back on", "2027-01-15T09:00"),
            )
            .await,
    )
    .await;
    assert!(again.text(".flash").contains("can no longer be changed"));
    assert_eq!(
        count(&app, "SELECT sequence FROM cohort_sessions").await,
        2,
        "nothing was counted"
    );
}

#[tokio::test]
async fn the_feed_lists_the_cohorts_sessions_until_its_address_is_renewed_or_the_member_may_no_longer_enter()
 {
    let app = spawn_app().await;
    let s = Fixture::with(&app).lapse_later().build().await;
    plan(&app, &s, &session("Rates and tiers", &in_days(20))).await;
    plan(&app, &s, &session("Shut-offs", &in_days(50))).await;
    let feed = |token: String| format!("/cohorts/calendar/{token}.ics");
    // Anyone holding the address gets it: a calendar asks without a log-in.
    let anonymous = app.visitor();
    let advisor_feed = feed(token_of(&app, "advisor@a.gov").await);
    let cal = calendar(anonymous.get(&advisor_feed).await).await;
    let mut titles: Vec<_> = cal
        .events()
        .map(|e| e.get_summary().unwrap().to_owned())
        .collect();
    titles.sort();
    assert_eq!(
        titles,
        [
            "Rates and tiers (Water Affordability)",
            "Shut-offs (Water Affordability)"
        ]
    );
    assert_eq!(cal.get_name(), Some("Water Affordability"));

    // Renewed on the member's page: the old address is gone, the new one, shown once on
    // the page that answers, works; the database holds only its digest.
    let page = Page::of(
        s.member
            .post_form(&format!("/cohorts/{SLUG}/calendar/renew"), &[])
            .await,
    )
    .await;
    assert_eq!(anonymous.get(&advisor_feed).await.status(), 404);
    let shown = page.attr("#calendar-url", "value").unwrap();
    let renewed = shown
        .strip_prefix(&app.address)
        .expect("the address is the portal's")
        .to_owned();
    assert_ne!(renewed, advisor_feed);
    assert_eq!(anonymous.get(&renewed).await.status(), 200);
    let secret = renewed
        .trim_start_matches("/cohorts/calendar/")
        .trim_end_matches(".ics");
    let stored = stored_secret_of(&app, "advisor@a.gov").await;
    assert_eq!(stored, portal::secret::digest(secret));
    assert!(!stored.contains(secret));
    // The stored digest itself opens nothing.
    assert_eq!(
        anonymous
            .get(&format!("/cohorts/calendar/{stored}.ics"))
            .await
            .status(),
        404
    );

    // A member removed by staff.
    let colleague_feed = feed(token_of(&app, "colleague@a.gov").await);
    assert_eq!(anonymous.get(&colleague_feed).await.status(), 200);
    let colleague = person_id(&app, "colleague@a.gov").await;
    s.staff
        .post_form(&format!("/cohorts/{SLUG}/members/{colleague}/remove"), &[])
        .await;
    assert_eq!(anonymous.get(&colleague_feed).await.status(), 404);

    // A member whose city lapsed.
    let lapsing_feed = feed(token_of(&app, "mayor@c.gov").await);
    assert_eq!(anonymous.get(&lapsing_feed).await.status(), 200);
    s.lapse(&app).await;
    assert_eq!(anonymous.get(&lapsing_feed).await.status(), 404);

    // A person no longer active.
    let facilitator_feed = feed(token_of(&app, "mayor@a.gov").await);
    assert_eq!(anonymous.get(&facilitator_feed).await.status(), 200);
    sqlx::query("UPDATE people SET active = 0 WHERE email = 'mayor@a.gov'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(anonymous.get(&facilitator_feed).await.status(), 404);

    // Unknown addresses.
    for path in [
        "/cohorts/calendar/0123456789abcdef0123456789abcdef.ics".to_owned(),
        renewed.trim_end_matches(".ics").to_owned(),
        "/cohorts/calendar/.ics".to_owned(),
        "/cohorts/calendar/%27%20OR%201=1%20--.ics".to_owned(),
    ] {
        assert_eq!(anonymous.get(&path).await.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn another_citys_member_a_lapsed_member_and_the_public_find_no_session() {
    let app = spawn_app().await;
    let s = Fixture::with(&app).lapse_later().build().await;
    let id = plan(&app, &s, &session("Rates and tiers", &in_days(20))).await;
    let pages = [
        format!("/cohorts/{SLUG}/sessions"),
        format!("/cohorts/{SLUG}/sessions/new"),
        format!("/cohorts/{SLUG}/sessions/{id}/edit"),
        format!("/cohorts/{SLUG}/sessions/{id}/cancel"),
        format!("/cohorts/{SLUG}/sessions/{id}/calendar.ics"),
    ];
    assert_eq!(s.lapsed.get(&pages[0]).await.status(), 200);
    s.lapse(&app).await;
    for who in [&s.other_city, &s.lapsed] {
        for path in &pages {
            assert_eq!(who.get(path).await.status(), 404, "{path}");
        }
        for path in [
            format!("/cohorts/{SLUG}/sessions"),
            format!("/cohorts/{SLUG}/sessions/{id}"),
            format!("/cohorts/{SLUG}/sessions/{id}/cancel"),
        ] {
            let r = who
                .post_form(&path, &session("Taken over", &in_days(3)))
                .await;
            assert_eq!(r.status(), 404, "POST {path}");
        }
    }
    let public = app.visitor().get(&pages[4]).await;
    assert_eq!(public.url().path(), "/login");
    // A session of another cohort is not found through this one.
    let r = s
        .staff
        .post_form(
            "/staff/cohorts",
            &[
                ("name", "Data Leaders"),
                ("join_policy", "open"),
                ("visible", "1"),
                ("status", "active"),
                ("facilitators", "mayor@a.gov"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        s.member
            .get(&format!("/cohorts/data-leaders/sessions/{id}/calendar.ics"))
            .await
            .status(),
        404
    );
    assert_eq!(
        s.facilitator
            .get(&format!("/cohorts/data-leaders/sessions/{id}/edit"))
            .await
            .status(),
        404
    );
    // A plain member reads but does not plan.
    for path in &pages[1..4] {
        assert_eq!(s.member.get(path).await.status(), 403, "{path}");
    }
    let r = s
        .member
        .post_form(
            &format!("/cohorts/{SLUG}/sessions"),
            &session("Mine", &in_days(3)),
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cohort_sessions").await, 1);
    assert_eq!(
        count(&app, "SELECT sequence + cancelled FROM cohort_sessions").await,
        0
    );
}

#[tokio::test]
async fn a_reader_in_new_york_sees_the_time_in_their_zone_with_the_chicago_time_beside_it() {
    let app = spawn_app().await;
    let s = Fixture::with(&app).lapse_later().build().await;
    let id = plan(&app, &s, &session("Rates and tiers", "2027-01-14T09:00")).await;
    set_zone(&app, "advisor@a.gov", "America/New_York").await;
    let page = Page::of(s.member.get(&format!("/cohorts/{SLUG}/sessions")).await).await;
    let item = format!("#session-{id}");
    assert_eq!(page.text(&format!("{item} h3")), "Rates and tiers");
    assert_eq!(
        page.text(&format!("{item} .session-when time")),
        "14 January 2027, 10:00 AM EST – 11:00 AM EST"
    );
    assert_eq!(
        page.attr(&format!("{item} .session-when time"), "datetime")
            .as_deref(),
        Some("2027-01-14T15:00:00Z")
    );
    assert_eq!(
        page.text(&format!("{item} .session-own-zone")),
        "(9:00 AM CST – 10:00 AM CST in America/Chicago)"
    );
    // The call link and the notes, rendered and made safe, for the people inside.
    assert_eq!(
        page.attr(&format!("{item} .session-call a"), "href")
            .as_deref(),
        Some("https://meet.example.org/water")
    );
    assert_eq!(
        page.text(&format!("{item} .session-notes strong")),
        "rate tables"
    );
    assert!(!page.has(&format!("{item} .session-notes script")));
    assert!(!page.has(&format!("{item} a[href$='/edit']")));

    // A reader in Chicago sees Chicago's time alone.
    let page = Page::of(
        s.facilitator
            .get(&format!("/cohorts/{SLUG}/sessions"))
            .await,
    )
    .await;
    assert_eq!(
        page.text(&format!("{item} .session-when time")),
        "14 January 2027, 9:00 AM CST – 10:00 AM CST"
    );
    assert!(!page.has(&format!("{item} .session-own-zone")));
    assert!(page.has(&format!("{item} a[href$='/edit']")));
}

#[tokio::test]
async fn upcoming_sessions_come_first_then_past_ones_and_the_overview_shows_the_next_three() {
    let app = spawn_app().await;
    let s = Fixture::with(&app).lapse_later().build().await;
    let past = plan(&app, &s, &session("Kick-off", "2020-01-14T09:00")).await;
    let far = plan(&app, &s, &session("Fourth", &in_days(40))).await;
    let first = plan(&app, &s, &session("First", &in_days(10))).await;
    let second = plan(&app, &s, &session("Second", &in_days(20))).await;
    let dropped = plan(&app, &s, &session("Dropped", &in_days(15))).await;
    let third = plan(&app, &s, &session("Third", &in_days(30))).await;
    s.facilitator
        .post_form(&format!("/cohorts/{SLUG}/sessions/{dropped}/cancel"), &[])
        .await;
    let page = Page::of(s.member.get(&format!("/cohorts/{SLUG}/sessions")).await).await;
    assert_eq!(
        page.texts("#upcoming > li h3"),
        ["First", "Dropped Cancelled", "Second", "Third", "Fourth"]
    );
    assert_eq!(page.texts("#past > li h3"), ["Kick-off"]);
    assert_eq!(
        page.text(&format!("#session-{dropped} .session-status")),
        "This session is cancelled."
    );
    assert!(!page.has(&format!("#session-{dropped} .session-call")));
    assert!(page.has(&format!("#session-{past}")));

    let overview = Page::of(s.member.get(&format!("/cohorts/{SLUG}")).await).await;
    let next: Vec<String> = overview.texts(".next-sessions li a").into_iter().collect();
    assert_eq!(next, ["First", "Second", "Third"]);
    assert_eq!(
        overview.attr(".next-sessions li a", "href").as_deref(),
        Some(format!("/cohorts/{SLUG}/sessions#session-{first}").as_str())
    );
    let _ = (second, third, far);
}

#[tokio::test]
async fn emails_about_a_new_and_a_changed_session_reach_followers_who_may_enter_in_their_own_zone()
{
    let app = spawn_app().await;
    let s = Fixture::with(&app).lapse_later().build().await;
    set_zone(&app, "advisor@a.gov", "America/New_York").await;
    // The colleague stops following; the third city lapses.
    s.colleague
        .post_form(&format!("/cohorts/{SLUG}/following"), &[("follow", "0")])
        .await;
    s.lapse(&app).await;
    let id = plan(&app, &s, &session("Rates and tiers", &in_days(30))).await;
    let (starts, ends): (i64, i64) =
        sqlx::query_as("SELECT starts_at, ends_at FROM cohort_sessions WHERE id = $1")
            .bind(id)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let new_york = Zone::parse("America/New_York").unwrap();
    let chicago = Zone::parse("America/Chicago").unwrap();
    let recipients = |subject_start: &'static str| {
        let app = &app;
        async move {
            let mut to: Vec<String> = app
                .outbox()
                .await
                .into_iter()
                .filter(|m| m.subject.starts_with(subject_start))
                .map(|m| m.to)
                .collect();
            to.sort();
            to
        }
    };
    // The facilitator who planned it is not told; nor the colleague, nor the lapsed city's
    // mayor, nor staff outside the cohort.
    assert_eq!(recipients("New session").await, ["advisor@a.gov"]);
    let mail = app.last_mail_to("advisor@a.gov").await;
    assert_eq!(
        mail.subject,
        "New session in Water Affordability: Rates and tiers"
    );
    let when = portal::time::span(&new_york, starts, ends);
    let own = portal::time::own_span(&new_york, &chicago, starts, ends).unwrap();
    assert!(mail.text.contains(&when), "{when} in\n{}", mail.text);
    assert!(mail.text.contains(&own), "{own} in\n{}", mail.text);
    assert!(mail.text.contains("https://meet.example.org/water"));
    assert_eq!(
        mail.link(&app.address, "/cohorts/"),
        format!("{}/cohorts/{SLUG}/sessions", app.address)
    );
    assert!(mail.html.contains(&when));

    // Staff change it: the facilitator, who follows, is told too.
    let later = in_days(31);
    let mut changed = session("Rates and tiers", &later);
    changed[3] = ("time_zone", "America/New_York");
    let r = s
        .staff
        .post_form(&format!("/cohorts/{SLUG}/sessions/{id}"), &changed)
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        recipients("Session changed").await,
        ["advisor@a.gov", "mayor@a.gov"]
    );
    let mail = app.last_mail_to("advisor@a.gov").await;
    assert_eq!(
        mail.subject,
        "Session changed in Water Affordability: Rates and tiers"
    );
    // Now in the reader's own zone: no second time beside it.
    assert!(!mail.text.contains(" in America/"), "{}", mail.text);
    let facilitator_mail = app.last_mail_to("mayor@a.gov").await;
    assert!(
        facilitator_mail.text.contains("in America/New_York"),
        "{}",
        facilitator_mail.text
    );

    // Saving it unchanged tells nobody again; cancelling does.
    s.staff
        .post_form(&format!("/cohorts/{SLUG}/sessions/{id}"), &changed)
        .await;
    assert_eq!(recipients("Session changed").await.len(), 2);
    s.staff
        .post_form(&format!("/cohorts/{SLUG}/sessions/{id}/cancel"), &[])
        .await;
    assert_eq!(
        recipients("Session cancelled").await,
        ["advisor@a.gov", "mayor@a.gov"]
    );
    assert!(
        !app.last_mail_to("advisor@a.gov")
            .await
            .text
            .contains("meet.example.org"),
        "a cancelled session's call link is not sent"
    );
}

#[tokio::test]
async fn a_time_skipped_by_daylight_saving_and_a_call_link_that_is_not_a_web_address_are_refused() {
    let app = spawn_app().await;
    let s = Fixture::with(&app).lapse_later().build().await;
    let path = format!("/cohorts/{SLUG}/sessions");
    // 14 March 2027: in Chicago, 2:00 AM becomes 3:00 AM.
    let response = s
        .facilitator
        .post_form(&path, &session("Night owls", "2027-03-14T02:30"))
        .await;
    assert_eq!(response.status(), 422);
    let page = Page::of(response).await;
    assert!(page.text("title").starts_with("Error: "));
    assert_eq!(
        page.texts(".error-summary li"),
        [
            "2:30 AM on 14 March 2027 does not exist in America/Chicago: the clocks skip that hour for daylight saving. Choose another time."
        ]
    );
    assert_eq!(
        page.attr("#starts", "aria-invalid").as_deref(),
        Some("true")
    );
    // What was entered comes back.
    assert_eq!(page.attr("#title", "value").as_deref(), Some("Night owls"));
    assert_eq!(
        page.attr("#starts", "value").as_deref(),
        Some("2027-03-14T02:30")
    );
    assert_eq!(
        page.attr("#time_zone option[selected]", "value").as_deref(),
        Some("America/Chicago")
    );

    let starts = in_days(10);
    for link in [
        "javascript:alert(document.cookie)",
        "meet.example.org/water",
        "ftp://example.org/x",
    ] {
        let mut form = session("Rates", &starts);
        form[4] = ("call_url", link);
        let response = s.facilitator.post_form(&path, &form).await;
        assert_eq!(response.status(), 422, "{link}");
        let page = Page::of(response).await;
        assert_eq!(
            page.texts(".error-summary li"),
            [
                "Enter the video-call link as a web address starting with https:// (or http://), for example https://meet.example.org/water-cohort."
            ],
            "{link}"
        );
    }
    // An empty form says what is missing, in the form's order.
    let page = Page::of(s.facilitator.post_form(&path, &[]).await).await;
    assert_eq!(
        page.texts(".error-summary li"),
        [
            "Enter the session's title.",
            "Enter the date and time it starts.",
            "Enter its length in minutes."
        ]
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cohort_sessions").await, 0);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE subject LIKE '%session%'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn saving_a_session_without_a_change_keeps_its_sequence_and_tells_no_one() {
    let app = spawn_app().await;
    let s = Fixture::with(&app).lapse_later().build().await;
    let starts = in_days(30);
    let form = session("Rates and tiers", &starts);
    let id = plan(&app, &s, &form).await;
    let feed = format!(
        "/cohorts/calendar/{}.ics",
        token_of(&app, "advisor@a.gov").await
    );
    let calendar_app = app.visitor();
    let sequence = async || {
        let cal = calendar(calendar_app.get(&feed).await).await;
        cal.events().next().unwrap().get_sequence()
    };
    assert_eq!(sequence().await, Some(0));
    let changed_emails = async || {
        app.outbox()
            .await
            .into_iter()
            .filter(|m| m.subject.starts_with("Session changed"))
            .count()
    };

    // The same form saved twice: saved as asked, but nothing changed, so calendars are not
    // told of a new version and followers get no email.
    for _ in 0..2 {
        let page = Page::of(
            s.facilitator
                .post_form(&format!("/cohorts/{SLUG}/sessions/{id}"), &form)
                .await,
        )
        .await;
        assert_eq!(
            page.text(".flash"),
            "The session “Rates and tiers” is saved."
        );
        assert_eq!(sequence().await, Some(0));
    }
    assert_eq!(changed_emails().await, 0);

    // A real change counts once, and its followers hear of it.
    let mut longer = form.clone();
    longer[2] = ("duration", "90");
    s.facilitator
        .post_form(&format!("/cohorts/{SLUG}/sessions/{id}"), &longer)
        .await;
    assert_eq!(sequence().await, Some(1));
    assert!(changed_emails().await > 0);
}

/// Each form posted to the session's edit address at once, by its facilitator.
async fn edit_in_parallel(s: &Fixture, id: i64, forms: Vec<Vec<(String, String)>>) {
    let mut set = JoinSet::new();
    for form in forms {
        let client = s.facilitator.client.clone();
        let url = s.facilitator.url(&format!("/cohorts/{SLUG}/sessions/{id}"));
        set.spawn(async move {
            client
                .post(url)
                .form(&form)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    while let Some(status) = set.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
}

#[tokio::test]
async fn twenty_parallel_edits_count_once_each_when_they_change_the_session() {
    let app = spawn_app().await;
    let s = Fixture::with(&app).lapse_later().build().await;
    let id = plan(&app, &s, &session("Rates and tiers", &in_days(30))).await;
    let starts = in_days(31);
    let owned = |title: &str| -> Vec<(String, String)> {
        session(title, &starts)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    };
    let changed_emails = async || {
        app.outbox()
            .await
            .into_iter()
            .filter(|m| m.subject.starts_with("Session changed") && m.to == "advisor@a.gov")
            .count()
    };

    // Twenty saves of the same change: the first changed it, the other nineteen saved what
    // was there. One change counted, one email each.
    edit_in_parallel(&s, id, vec![owned("Rates, tiers and shut-offs"); 20]).await;
    assert_eq!(
        count(&app, "SELECT sequence FROM cohort_sessions").await,
        1,
        "the change counted once"
    );
    assert_eq!(changed_emails().await, 1);

    // Twenty different changes at once: each counted once.
    let forms = (0..20)
        .map(|i| owned(&format!("Rates, part {i}")))
        .collect();
    edit_in_parallel(&s, id, forms).await;
    assert_eq!(
        count(&app, "SELECT sequence FROM cohort_sessions").await,
        21,
        "each change counted once"
    );
    assert_eq!(changed_emails().await, 21);
    let uid_count = count(&app, "SELECT COUNT(DISTINCT uid) FROM cohort_sessions").await;
    assert_eq!(uid_count, 1);
}

#[tokio::test]
async fn no_cohort_may_take_the_address_of_the_calendar_feeds() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    for (name, slug) in [("Calendar", ""), ("Planning", "calendar")] {
        let response = staff
            .post_form(
                "/staff/cohorts",
                &[
                    ("name", name),
                    ("slug", slug),
                    ("join_policy", "open"),
                    ("visible", "1"),
                    ("status", "active"),
                ],
            )
            .await;
        assert_eq!(response.status(), 422, "{name}");
        let page = Page::of(response).await;
        assert_eq!(
            page.texts(".error-summary li"),
            [
                "The address “calendar” is kept for the cohorts' calendar feeds: choose another, for example calendar-cohort."
            ]
        );
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cohorts")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn a_calendar_address_from_before_digests_keeps_working_and_is_kept_as_a_digest() {
    let app = spawn_app().await;
    let s = Fixture::with(&app).lapse_later().build().await;
    plan(&app, &s, &session("Rates and tiers", &in_days(20))).await;
    // As versions before December 2026 stored it: the secret itself.
    let old = "0123456789abcdef0123456789abcdef";
    sqlx::query(
        "UPDATE cohort_members SET calendar_token = $1 \
         WHERE person_id = (SELECT id FROM people WHERE email = 'advisor@a.gov')",
    )
    .bind(old)
    .execute(&app.state.pool)
    .await
    .unwrap();
    portal::db::migrate(&app.state.pool, app.state.backend)
        .await
        .unwrap();
    assert_eq!(
        stored_secret_of(&app, "advisor@a.gov").await,
        portal::secret::digest(old)
    );
    let cal = calendar(
        app.visitor()
            .get(&format!("/cohorts/calendar/{old}.ics"))
            .await,
    )
    .await;
    assert_eq!(cal.events().count(), 1);
    // Migrating again changes nothing.
    portal::db::migrate(&app.state.pool, app.state.backend)
        .await
        .unwrap();
    assert_eq!(
        stored_secret_of(&app, "advisor@a.gov").await,
        portal::secret::digest(old)
    );
}

#[tokio::test]
async fn upcoming_and_past_sessions_are_each_shown_twenty_at_a_time_and_page_on_their_own() {
    let app = spawn_app().await;
    let s = Fixture::with(&app).lapse_later().build().await;
    // 25 sessions to come and 25 past ones, a day apart, put straight into the database as
    // planning stores them (only the lists' paging is under test here).
    let cohort: i64 = sqlx::query_scalar("SELECT id FROM cohorts WHERE slug = $1")
        .bind(SLUG)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let now = app.state.clock.now();
    for n in 1..=25_i64 {
        for (kind, starts) in [("Coming", now + n * 86_400), ("Past", now - n * 86_400)] {
            sqlx::query(
                "INSERT INTO cohort_sessions (cohort_id, uid, title, starts_at, ends_at, time_zone, \
                 call_url, notes, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 'America/Chicago', 'https://meet.example.org/w', '', $6, $6)",
            )
            .bind(cohort)
            .bind(format!("{kind}-{n}@test"))
            .bind(format!("{kind} {n:02}"))
            .bind(starts)
            .bind(starts + 3_600)
            .bind(now)
            .execute(&app.state.pool)
            .await
            .unwrap();
        }
    }
    let list = format!("/cohorts/{SLUG}/sessions");
    let titles = |p: &Page, list: &str| p.texts(&format!("#{list} > li h3"));
    let expected = |kind: &str, from: i64, to: i64| -> Vec<String> {
        (from..=to).map(|n| format!("{kind} {n:02}")).collect()
    };
    let first = Page::of(s.member.get(&list).await).await;
    assert_eq!(titles(&first, "upcoming"), expected("Coming", 1, 20));
    assert_eq!(titles(&first, "past"), expected("Past", 1, 20));
    let later = first
        .attr(
            "nav[aria-label='More upcoming sessions'] a[rel='next']",
            "href",
        )
        .unwrap();
    let older = first
        .attr("nav[aria-label='More past sessions'] a[rel='next']", "href")
        .unwrap();
    assert!(!first.has("nav[aria-label='More upcoming sessions'] a[rel='prev']"));
    // The past list pages on its own: the upcoming one stays where it was.
    let past_second = Page::of(s.member.get(&older).await).await;
    assert_eq!(titles(&past_second, "past"), expected("Past", 21, 25));
    assert_eq!(titles(&past_second, "upcoming"), expected("Coming", 1, 20));
    assert!(!past_second.has("nav[aria-label='More past sessions'] a[rel='next']"));
    let both = past_second
        .attr(
            "nav[aria-label='More upcoming sessions'] a[rel='next']",
            "href",
        )
        .unwrap();
    let both = Page::of(s.member.get(&both).await).await;
    assert_eq!(titles(&both, "upcoming"), expected("Coming", 21, 25));
    assert_eq!(titles(&both, "past"), expected("Past", 21, 25));
    let soon = Page::of(s.member.get(&later).await).await;
    assert_eq!(titles(&soon, "upcoming"), expected("Coming", 21, 25));
    let back = soon
        .attr(
            "nav[aria-label='More upcoming sessions'] a[rel='prev']",
            "href",
        )
        .unwrap();
    let back = Page::of(s.member.get(&back).await).await;
    assert_eq!(titles(&back, "upcoming"), expected("Coming", 1, 20));
    for bad in ["?after=junk", "?past_before=x-1", "?past_after=1-1"] {
        let r = s.member.get(&format!("{list}{bad}")).await;
        assert_eq!(r.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn one_feed_holds_all_the_persons_cohorts_they_may_enter_with_one_click_links_and_renews() {
    let app = spawn_app().await;
    let s = Fixture::with(&app).lapse_later().build().await;
    plan(&app, &s, &session("Rates and tiers", &in_days(20))).await;
    let r = s
        .staff
        .post_form(
            "/staff/cohorts",
            &[
                ("name", "Heat Plans"),
                ("join_policy", "open"),
                ("visible", "1"),
                ("status", "active"),
                ("facilitators", "mayor@a.gov"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    for email in ["advisor@a.gov", "mayor@c.gov"] {
        s.staff
            .post_form("/cohorts/heat-plans/members", &[("email", email)])
            .await;
    }
    let heat = Page::of(
        s.facilitator
            .post_form(
                "/cohorts/heat-plans/sessions",
                &session("Cooling centres", &in_days(30)),
            )
            .await,
    )
    .await;
    assert_eq!(heat.status, 200);
    // The sessions page offers it; the page that answers shows the address once, with
    // webcal, Google and Outlook links.
    let sessions = Page::of(s.member.get(&format!("/cohorts/{SLUG}/sessions")).await).await;
    assert_eq!(
        sessions
            .attr("form.all-cohorts-calendar", "action")
            .as_deref(),
        Some("/cohorts/calendar")
    );
    let page = Page::of(s.member.post_form("/cohorts/calendar", &[]).await).await;
    assert_eq!(page.h1(), "Your calendar address for all your cohorts");
    let url = page.attr("#calendar-url", "value").unwrap();
    assert!(url.starts_with(&format!("{}/cohorts/calendar/all/", app.address)));
    let webcal = page.attr("a.subscribe-webcal", "href").unwrap();
    assert_eq!(
        webcal,
        url.replacen("http://", "webcal://", 1)
            .replacen("https://", "webcal://", 1)
    );
    let google = page.attr("a.subscribe-google", "href").unwrap();
    let google = reqwest::Url::parse(&google).unwrap();
    assert_eq!(google.host_str(), Some("calendar.google.com"));
    assert!(google.query_pairs().any(|(k, v)| k == "cid" && v == webcal));
    let outlook = reqwest::Url::parse(&page.attr("a.subscribe-outlook", "href").unwrap()).unwrap();
    assert_eq!(outlook.host_str(), Some("outlook.live.com"));
    assert!(outlook.query_pairs().any(|(k, v)| k == "url" && v == url));

    let anonymous = app.visitor();
    let path = app.path_of(&url);
    let titles = |cal: Calendar| {
        let mut t: Vec<String> = cal
            .events()
            .map(|e| e.get_summary().unwrap().to_owned())
            .collect();
        t.sort();
        t
    };
    let cal = calendar(anonymous.get(&path).await).await;
    assert_eq!(
        titles(cal),
        [
            "Cooling centres (Heat Plans)",
            "Rates and tiers (Water Affordability)"
        ]
    );
    // Removed from one cohort: only the other is left.
    let member = person_id(&app, "advisor@a.gov").await;
    s.staff
        .post_form(&format!("/cohorts/heat-plans/members/{member}/remove"), &[])
        .await;
    let cal = calendar(anonymous.get(&path).await).await;
    assert_eq!(titles(cal), ["Rates and tiers (Water Affordability)"]);
    // Renewed: the old address answers 404, the new one works.
    let again = Page::of(s.member.post_form("/cohorts/calendar", &[]).await).await;
    let renewed = app.path_of(&again.attr("#calendar-url", "value").unwrap());
    assert_ne!(renewed, path);
    assert_eq!(anonymous.get(&path).await.status(), 404);
    assert_eq!(anonymous.get(&renewed).await.status(), 200);
    assert_eq!(
        anonymous
            .get("/cohorts/calendar/all/nope.ics")
            .await
            .status(),
        404
    );
    // A lapsed city's person: a 404, however the address was got.
    let lapsing = Page::of(s.lapsed.post_form("/cohorts/calendar", &[]).await).await;
    let lapsing_path = app.path_of(&lapsing.attr("#calendar-url", "value").unwrap());
    assert_eq!(anonymous.get(&lapsing_path).await.status(), 200);
    sqlx::query("UPDATE cities SET status = 'lapsed' WHERE id = $1")
        .bind(s.lapsed_city)
        .execute(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(anonymous.get(&lapsing_path).await.status(), 404);
    // Nobody signed out gets an address.
    let r = anonymous.post_form("/cohorts/calendar", &[]).await;
    assert!(
        r.url().path().starts_with("/login") || r.status() == 404,
        "{}",
        r.url()
    );
}

/// The calendar file attached to an email, parsed as a calendar would, with its content type.
fn attached_calendar(mail: &crate::support::Mail, filename: &str) -> (String, Calendar) {
    let part = mail.part(filename);
    assert_eq!(part.role, "file");
    let body = String::from_utf8(part.body.clone()).unwrap();
    for line in body.split_terminator("\r\n") {
        assert!(line.len() <= 75, "a line of {} octets: {line}", line.len());
    }
    (
        part.content_type.clone(),
        body.parse().unwrap_or_else(|e| panic!("{e}\n{body}")),
    )
}

#[tokio::test]
async fn session_emails_carry_the_sessions_calendar_file_published_then_cancelled() {
    let app = spawn_app().await;
    let s = Fixture::new(&app).await;
    let id = plan(&app, &s, &session("Rates and tiers", &in_days(30))).await;
    let (uid, starts): (String, i64) =
        sqlx::query_as("SELECT uid, starts_at FROM cohort_sessions WHERE id = $1")
            .bind(id)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let starts_utc = portal::text::ics::utc(starts);

    let mail = app.last_mail_to("advisor@a.gov").await;
    assert!(mail.subject.starts_with("New session"));
    assert_eq!(mail.parts.len(), 1);
    let (content_type, cal) = attached_calendar(&mail, "rates-and-tiers.ics");
    assert_eq!(content_type, "text/calendar; charset=utf-8; method=PUBLISH");
    assert_eq!(cal.property_value("METHOD"), Some("PUBLISH"));
    let events: Vec<_> = cal.events().collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].get_uid(), Some(uid.as_str()));
    assert_eq!(
        events[0].property_value("DTSTART"),
        Some(starts_utc.as_str())
    );
    assert_eq!(events[0].get_sequence(), Some(0));
    assert_eq!(events[0].property_value("STATUS"), Some("CONFIRMED"));

    // Cancelled: the same entry, withdrawn by the portal.
    s.staff
        .post_form(&format!("/cohorts/{SLUG}/sessions/{id}/cancel"), &[])
        .await;
    let mail = app.last_mail_to("advisor@a.gov").await;
    assert!(mail.subject.starts_with("Session cancelled"));
    let (content_type, cal) = attached_calendar(&mail, "rates-and-tiers.ics");
    assert_eq!(content_type, "text/calendar; charset=utf-8; method=CANCEL");
    assert_eq!(cal.property_value("METHOD"), Some("CANCEL"));
    let event = cal.events().next().unwrap();
    assert_eq!(event.get_uid(), Some(uid.as_str()));
    assert_eq!(event.property_value("DTSTART"), Some(starts_utc.as_str()));
    assert_eq!(event.property_value("STATUS"), Some("CANCELLED"));
    assert!(
        event.get_sequence().unwrap() >= 1,
        "a change calendars apply"
    );
    assert!(
        event
            .property_value("ORGANIZER")
            .is_some_and(|o| o.starts_with("mailto:")),
        "a cancellation names who cancels"
    );
}

#[tokio::test]
async fn a_session_email_sent_over_smtp_has_the_text_the_html_and_the_calendar_file() {
    let app = spawn_app().await;
    let s = Fixture::new(&app).await;
    let smtp = crate::smtp::SmtpServer::start(0).await;
    let mut config = app.state.config.clone();
    config.smtp_url = Some(smtp.url());
    let mailer = portal::notify::worker::Mailer::from_config(&config).unwrap();
    // Only the session's emails: the invitations of the set-up are sent as files first.
    app.deliver_mail().await;
    let id = plan(&app, &s, &session("Rates and tiers", &in_days(30))).await;
    let uid: String = sqlx::query_scalar("SELECT uid FROM cohort_sessions WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    portal::notify::worker::deliver_due(&app.state, &mailer, "smtp-worker")
        .await
        .unwrap();
    let received = smtp.messages();
    let message = received
        .iter()
        .find(|m| m.rcpt.iter().any(|r| r == "advisor@a.gov"))
        .expect("the session's email to the member")
        .mime();
    assert_eq!(
        message.shape(),
        "multipart/mixed[multipart/alternative[text/plain, text/html], text/calendar]"
    );
    let file = &message.parts[1];
    assert_eq!(
        file.header("content-type"),
        Some("text/calendar; charset=utf-8; method=PUBLISH")
    );
    let disposition = file.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment") && disposition.contains("rates-and-tiers.ics"),
        "{disposition}"
    );
    let cal: Calendar = String::from_utf8(file.body.clone())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(cal.events().next().unwrap().get_uid(), Some(uid.as_str()));
}
