//! The member home: where mayors and advisors land, what it shows, and the header that
//! error pages keep.

use crate::fixture::{Cities, Fixture, SLUG, set_city};
use crate::support::{MEMBER_PASSWORD, Page, STAFF_PASSWORD, TestApp, spawn_app};

#[tokio::test]
async fn a_mayor_lands_on_the_member_home_with_the_city_its_people_and_the_member_areas() {
    let app = spawn_app().await;
    // Another city's people (Madison's mayor) are not this city's.
    let net = Cities::new(&app).await;
    sqlx::query("UPDATE cities SET renewal_date = '2027-03-31' WHERE id = $1")
        .bind(net.city_a)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let mayor = &net.facilitator;

    mayor.post_form("/logout", &[]).await;
    let home = mayor.log_in("mayor@a.gov", MEMBER_PASSWORD).await;
    assert_eq!(home.path(), "/home");
    assert_eq!(home.h1(), "Welcome, Mayor A");
    assert_eq!(home.text("#city-heading"), "Lafayette, CO");
    assert_eq!(
        home.texts(".member-city dd")[..3],
        ["Active", "1 January 2024", "31 March 2027"]
    );
    let people = home.texts(".people-list li");
    assert_eq!(people.len(), 2, "{people:?}");
    assert!(people[0].starts_with("Mayor A") && people[0].contains("Mayor"));
    assert!(people[1].starts_with("Advisor A") && people[1].contains("Advisor"));
    assert_eq!(
        home.texts(".panel h3"),
        [
            "Cohorts & networks",
            "Annual meeting",
            "Technical assistance",
            "Publications"
        ]
    );
    assert_eq!(
        home.attr("nav.site-nav a[aria-current=page]", "href")
            .as_deref(),
        Some("/home")
    );
    assert!(
        home.has("a[href='/invitations']"),
        "the mayor can invite from home"
    );

    // A member is never asked to apply to become one.
    let front = Page::of(mayor.get("/").await).await;
    assert!(!front.has("a[href='/join']"));
    let directory = Page::of(mayor.get("/members").await).await;
    assert!(!directory.has("a[href='/join']"));
}

#[tokio::test]
async fn an_advisor_of_a_lapsed_city_sees_the_home_with_the_areas_closed() {
    let app = spawn_app().await;
    let net = Cities::new(&app).await;
    set_city(&app, net.city_a, "lapsed").await;
    let home = Page::of(net.member.get("/home").await).await;
    assert_eq!(home.status, 200);
    assert!(home.text(".notice").contains("has lapsed"));
    assert_eq!(home.texts(".member-city dd")[0], "Lapsed");
    assert!(
        home.text(".member-areas")
            .contains("open again when the membership of your city is renewed")
    );
    assert!(
        !home.has("a[href='/invitations']"),
        "an advisor does not invite"
    );
}

#[tokio::test]
async fn staff_land_on_their_desk_and_visitors_are_asked_to_log_in() {
    let app = spawn_app().await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let visitor = app.visitor();
    let login = Page::of(visitor.get("/home").await).await;
    assert_eq!(login.path(), "/login?next=/home");

    let desk = visitor
        .log_in("ada@mayorsinnovation.org", STAFF_PASSWORD)
        .await;
    assert_eq!(desk.path(), "/staff");
    assert_eq!(Page::of(visitor.get("/home").await).await.path(), "/staff");
    // Asked for a page, log-in returns there instead.
    visitor.post_form("/logout", &[]).await;
    let back = Page::of(
        visitor
            .post_form(
                "/login",
                &[
                    ("email", "ada@mayorsinnovation.org"),
                    ("password", STAFF_PASSWORD),
                    ("next", "/news"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(back.path(), "/news");
}

#[tokio::test]
async fn an_error_page_keeps_the_logged_in_header() {
    let app = spawn_app().await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let visitor = app.visitor();
    visitor
        .log_in("ada@mayorsinnovation.org", STAFF_PASSWORD)
        .await;
    for path in [
        "/no/such/page",
        "/news/no-such-post",
        "/staff/cities/999999",
    ] {
        let page = Page::of(visitor.get(path).await).await;
        assert_eq!(page.status, 404, "{path}");
        assert_eq!(page.text("header .who strong"), "Ada Staff", "{path}");
        assert!(!page.has("header a[href='/login']"), "{path}");
    }
    let anonymous = Page::of(app.visitor().get("/no/such/page").await).await;
    assert!(anonymous.has("header a[href='/login']"));
}

/// A January 14th still to come, at 11:00 on Chicago's clock: standard time on both coasts.
fn next_january_at_eleven() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let year: i32 = portal::time::utc_date(now)[..4].parse().unwrap();
    format!("{}-01-14T11:00", year + 1)
}

async fn id_of(app: &TestApp, sql: &'static str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_member_home_leads_with_what_needs_the_person_now_and_keeps_membership_facts_below() {
    let app = &spawn_app().await;
    // The first city keeps Eastern time; its mayor facilitates the open cohort, its advisor
    // is in it, and the cohort by request is the mayor's too.
    let p = Fixture::new(app).await;
    sqlx::query("UPDATE cities SET time_zone = 'America/New_York', renewal_date = '2031-06-30' WHERE id = $1")
        .bind(p.city_a)
        .execute(&app.state.pool)
        .await
        .unwrap();
    p.request_cohort().await;
    // A session at 11:00 in Chicago, planned by the facilitator.
    let starts = next_january_at_eleven();
    let planned = Page::of(
        p.facilitator
            .post_form(
                &format!("/cohorts/{SLUG}/sessions"),
                &[
                    ("title", "Rates and tiers"),
                    ("starts", &starts),
                    ("duration", "60"),
                    ("time_zone", "America/Chicago"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(
        planned.status,
        200,
        "{:?}",
        planned.texts(".error-summary li")
    );
    let session = id_of(
        app,
        "SELECT id FROM cohort_sessions WHERE title = $1",
        "Rates and tiers",
    )
    .await;
    // A thread the mayor read, then two replies he has not.
    p.member
        .post_form(
            "/cohorts/water-affordability/discussion",
            &[("title", "Rate design"), ("body", "Tiered rates?")],
        )
        .await;
    let thread = id_of(
        app,
        "SELECT id FROM cohort_threads WHERE title = $1",
        "Rate design",
    )
    .await;
    let thread_path = format!("/cohorts/water-affordability/discussion/{thread}");
    app.state.clock.advance(60);
    p.facilitator.get(&thread_path).await;
    app.state.clock.advance(60);
    for body in ["Yes, three tiers.", "And a lifeline rate."] {
        p.member.post_form(&thread_path, &[("body", body)]).await;
        app.state.clock.advance(60);
    }
    let first_unread = id_of(
        app,
        "SELECT id FROM cohort_posts WHERE body = $1",
        "Yes, three tiers.",
    )
    .await;
    // A request to join, an invitation the mayor sent, news for members, a staff contact.
    p.member
        .post_form("/cohorts/data-leaders/request", &[("message", "Please.")])
        .await;
    let city = p.city_a.to_string();
    p.facilitator
        .post_form(
            "/invitations",
            &[
                ("email", "newcomer@a.gov"),
                ("role", "advisor"),
                ("city_id", &city),
            ],
        )
        .await;
    crate::news::publish(
        &p.staff,
        "Members' briefing on water rates",
        "For members.",
        &[("members_only", "1")],
    )
    .await;
    let grace = id_of(
        app,
        "SELECT id FROM people WHERE email = $1",
        "grace@mayorsinnovation.org",
    )
    .await;
    let saved = Page::of(
        p.staff
            .post_form(
                &format!("/staff/cities/{}/contact", p.city_a),
                &[("staff_contact", &grace.to_string())],
            )
            .await,
    )
    .await;
    assert_eq!(
        saved.text(".flash"),
        "Grace Staff is the staff contact of Lafayette."
    );

    let home = Page::of(p.facilitator.get("/home").await).await;
    // What needs him leads; the checklist, the city's facts and the areas follow.
    assert_eq!(
        home.texts("main h2"),
        [
            "For you now",
            "Your first steps",
            "Lafayette, CO",
            "Member areas"
        ]
    );
    assert_eq!(
        home.texts(".now h3"),
        [
            "Your next sessions",
            "New in your discussions",
            "Requests waiting for your answer",
            "Invitations waiting for an answer",
            "News for members",
            "Your staff contact"
        ]
    );
    // The session, linked, at the Eastern hour.
    let item = home.text("#now-sessions li");
    assert!(item.starts_with("Rates and tiers"), "{item}");
    assert!(item.contains(", 12:00 PM EST – 1:00 PM EST"), "{item}");
    assert!(item.ends_with("Water Affordability"), "{item}");
    assert_eq!(
        home.attr("#now-sessions li a", "href").unwrap(),
        format!("/cohorts/water-affordability/sessions#session-{session}")
    );
    // The thread, as a link to the first post he has not read.
    assert_eq!(home.text("#now-threads li a"), "Rate design");
    assert_eq!(
        home.attr("#now-threads li a", "href").unwrap(),
        format!("{thread_path}#post-{first_unread}")
    );
    assert!(
        home.text("#now-threads li")
            .ends_with("Water Affordability · 2 new posts")
    );
    let target = Page::of(p.facilitator.get(&thread_path).await).await;
    assert!(target.has(&format!("#post-{first_unread} .badge.new")));
    assert_eq!(
        home.text("#now-requests li a"),
        "1 request to join Data Leaders waiting for your answer"
    );
    assert_eq!(
        home.attr("#now-requests li a", "href").as_deref(),
        Some("/cohorts/data-leaders/requests")
    );
    assert_eq!(home.text("#now-invitations li a"), "newcomer@a.gov");
    assert_eq!(
        home.text("#now-news li a"),
        "Members' briefing on water rates"
    );
    assert_eq!(
        home.text("#now-contact a"),
        "Grace Staff (grace@mayorsinnovation.org)"
    );
    assert_eq!(
        home.attr("#now-contact a", "href").as_deref(),
        Some("mailto:grace@mayorsinnovation.org")
    );
    // Read, the thread leaves; the renewal date is among the facts below.
    p.facilitator.get(&thread_path).await;
    let home = Page::of(p.facilitator.get("/home").await).await;
    assert!(!home.has("#now-threads"));
    assert_eq!(home.texts(".member-city dd")[2], "30 June 2031");
    // The advisor's home has none of the mayor's parts.
    let theirs = Page::of(p.member.get("/home").await).await;
    assert!(!theirs.has("#now-requests") && !theirs.has("#now-invitations"));
}

#[tokio::test]
async fn a_home_with_nothing_waiting_says_so_and_names_the_organizations_contact() {
    let app = spawn_app().await;
    let net = Cities::new(&app).await;
    let (staff, mayor) = (&net.staff, &net.facilitator);
    let home = Page::of(mayor.get("/home").await).await;
    assert_eq!(
        home.text(".now-nothing"),
        "Nothing is waiting for you: no session coming up, no new post in your cohorts."
    );
    // No email set for the organization: its staff, by name.
    assert_eq!(
        home.text("#now-contact p"),
        "For questions, help and what is coming, write to the staff of Mayors Innovation Project."
    );
    staff
        .post_form(
            "/staff/site/identity",
            &[
                ("org_name", ""),
                ("org_tagline", ""),
                ("contact_email", "hello@mayorsinnovation.org"),
                ("address", ""),
                ("social", ""),
            ],
        )
        .await;
    let home = Page::of(mayor.get("/home").await).await;
    assert_eq!(home.text("#now-contact h3"), "Whom to ask");
    assert_eq!(
        home.attr("#now-contact a", "href").as_deref(),
        Some("mailto:hello@mayorsinnovation.org")
    );
    // A staff contact who leaves the staff gives way to the organization's again.
    let grace = id_of(
        &app,
        "SELECT id FROM people WHERE email = $1",
        "grace@mayorsinnovation.org",
    )
    .await;
    sqlx::query("UPDATE cities SET staff_contact_id = $1 WHERE id = $2")
        .bind(grace)
        .bind(net.city_a)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let home = Page::of(mayor.get("/home").await).await;
    assert_eq!(home.text("#now-contact h3"), "Your staff contact");
    sqlx::query("UPDATE people SET active = 0 WHERE id = $1")
        .bind(grace)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let home = Page::of(mayor.get("/home").await).await;
    assert_eq!(
        home.attr("#now-contact a", "href").as_deref(),
        Some("mailto:hello@mayorsinnovation.org")
    );
}

#[tokio::test]
async fn each_member_areas_panel_leads_into_the_area_even_when_it_is_empty() {
    let app = spawn_app().await;
    let p = Cities::new(&app).await;
    let grace = id_of(
        &app,
        "SELECT id FROM people WHERE email = $1",
        "grace@mayorsinnovation.org",
    )
    .await;
    p.staff
        .post_form(
            &format!("/staff/cities/{}/contact", p.city_a),
            &[("staff_contact", &grace.to_string())],
        )
        .await;
    let home = Page::of(p.facilitator.get("/home").await).await;
    // Publications are built: the newest the person may read (none yet), and the way to all.
    let publications = "section.panel[aria-labelledby='panel-publications']";
    assert!(home.text(publications).contains("None is published yet."));
    assert_eq!(
        home.attr(&format!("{publications} a"), "href").as_deref(),
        Some("/publications")
    );
    // Technical assistance is built: the city's open requests, and the button to ask.
    let assistance = "section.panel[aria-labelledby='panel-assistance']";
    assert!(
        home.text(assistance)
            .contains("Your city has no open request.")
    );
    assert_eq!(
        home.attr(&format!("{assistance} a"), "href").as_deref(),
        Some("/assistance/new")
    );
    // The annual meeting is built: until one is announced, its panel says so and leads to
    // its page.
    let meeting = "section.panel[aria-labelledby='panel-meeting']";
    assert!(
        home.text(meeting)
            .contains("The next one is not announced yet"),
        "{}",
        home.text(meeting)
    );
    assert_eq!(
        home.attr(&format!("{meeting} a"), "href").as_deref(),
        Some("/meetings")
    );
    // A choice no form offers (someone who is not staff) is refused, and nothing changes.
    let mayor_id = id_of(
        &app,
        "SELECT id FROM people WHERE email = $1",
        "mayor@a.gov",
    )
    .await;
    let refused = p
        .staff
        .post_form(
            &format!("/staff/cities/{}/contact", p.city_a),
            &[("staff_contact", &mayor_id.to_string())],
        )
        .await;
    assert_eq!(refused.status(), 400);
    let city_page = Page::of(p.staff.get(&format!("/staff/cities/{}", p.city_a)).await).await;
    assert_eq!(
        city_page.text("#staff_contact option[selected]"),
        "Grace Staff (grace@mayorsinnovation.org)"
    );
}

/// The checklist's steps as shown: (link's words, "Done" or "To do").
fn steps(home: &Page) -> Vec<(String, String)> {
    home.texts(".checklist-steps li a")
        .into_iter()
        .zip(home.texts(".checklist-steps .step-mark"))
        .collect()
}

#[tokio::test]
async fn the_first_steps_checklist_ticks_each_step_and_leaves_once_all_are_done() {
    let app = spawn_app().await;
    let net = Cities::new(&app).await;
    let mayor = &net.facilitator;
    let home = Page::of(mayor.get("/home").await).await;
    let todo = |s: &str| (s.to_owned(), "To do".to_owned());
    let done = |s: &str| (s.to_owned(), "Done".to_owned());
    assert_eq!(
        steps(&home),
        [
            todo("Choose your time zone"),
            todo("Choose whether to be listed in the members' directory"),
            todo("Add your title"),
        ]
    );
    assert_eq!(
        home.attr("#step-listing a", "href").as_deref(),
        Some("/account#listing-heading")
    );
    // Never chose: not yet listed, and the account page ticks neither answer.
    assert!(
        home.text("#step-listing")
            .ends_with("You are not yet listed in the members' directory: you have not chosen.")
    );
    let account = Page::of(mayor.get("/account").await).await;
    assert!(!account.has("input[name=listed][checked]"));
    assert_eq!(
        account.text("#listing-state"),
        "You are not yet listed in the members' directory: you have not chosen."
    );

    // The default zone, saved, is a choice too.
    mayor
        .post_form("/account/time-zone", &[("time_zone", "")])
        .await;
    mayor
        .post_form(
            "/account/listing",
            &[("listed", "no"), ("shown_email_kind", "none")],
        )
        .await;
    let home = Page::of(mayor.get("/home").await).await;
    assert_eq!(
        steps(&home),
        [
            done("Choose your time zone"),
            done("Choose whether to be listed in the members' directory"),
            todo("Add your title"),
        ]
    );
    assert!(
        home.text("#step-listing")
            .ends_with("You chose not to be listed in the members' directory.")
    );
    let account = Page::of(mayor.get("/account").await).await;
    assert_eq!(
        account
            .attr("input[name=listed][checked]", "value")
            .as_deref(),
        Some("no")
    );

    mayor
        .post_form(
            "/account/profile",
            &[("name", "Mayor A"), ("title", "Mayor of Lafayette")],
        )
        .await;
    let home = Page::of(mayor.get("/home").await).await;
    assert!(!home.has(".checklist"));
}

#[tokio::test]
async fn the_checklist_dismissed_once_stays_dismissed_even_when_dismissed_twenty_times_at_once() {
    let app = spawn_app().await;
    let net = Cities::new(&app).await;
    let mayor = &net.facilitator;
    let home = Page::of(mayor.get("/home").await).await;
    assert_eq!(
        home.attr(".checklist form", "action").as_deref(),
        Some("/home/checklist/dismiss")
    );
    let answers = futures_util::future::join_all(
        (0..20).map(|_| mayor.post_form("/home/checklist/dismiss", &[])),
    )
    .await;
    for answer in answers {
        let page = Page::of(answer).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.path(), "/home");
        assert!(!page.has(".checklist"));
    }
    let first: Vec<Option<i64>> =
        sqlx::query_scalar("SELECT checklist_dismissed_at FROM people WHERE email = $1")
            .bind("mayor@a.gov")
            .fetch_all(&app.state.pool)
            .await
            .unwrap();
    assert!(first[0].is_some());
    // Later dismissals keep the first time.
    app.state.clock.advance(3600);
    mayor.post_form("/home/checklist/dismiss", &[]).await;
    let again: Option<i64> =
        sqlx::query_scalar("SELECT checklist_dismissed_at FROM people WHERE email = $1")
            .bind("mayor@a.gov")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(again, first[0]);
    // Another person's checklist is still there.
    assert!(
        Page::of(net.member.get("/home").await)
            .await
            .has(".checklist")
    );
}

#[tokio::test]
async fn a_lapsed_citys_home_names_the_staff_contact_by_email_shows_the_lapse_date_and_offers_no_inviting()
 {
    let app = spawn_app().await;
    let p = Cities::new(&app).await;
    let grace = id_of(
        &app,
        "SELECT id FROM people WHERE email = $1",
        "grace@mayorsinnovation.org",
    )
    .await;
    p.staff
        .post_form(
            &format!("/staff/cities/{}/contact", p.city_a),
            &[("staff_contact", &grace.to_string())],
        )
        .await;
    // Staff mark it lapsed while its renewal date is still to come.
    sqlx::query("UPDATE cities SET renewal_date = '2031-06-30' WHERE id = $1")
        .bind(p.city_a)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let lapsed = Page::of(
        p.staff
            .post_form(
                &format!("/staff/cities/{}", p.city_a),
                &[
                    ("name", "Lafayette"),
                    ("state", "CO"),
                    ("population", "30000"),
                    ("website", ""),
                    ("status", "lapsed"),
                    ("member_since", "2024-01-01"),
                    ("renewal_date", "2031-06-30"),
                    ("time_zone", "America/New_York"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(
        lapsed.text(".flash"),
        "Lafayette, CO is saved.",
        "{:?}",
        lapsed.texts(".error-summary li")
    );
    let today = portal::time::utc_date(app.state.clock.now());
    let home = Page::of(p.facilitator.get("/home").await).await;
    assert_eq!(
        home.texts(".member-city dt"),
        ["Membership", "Member since", "Lapsed on"]
    );
    assert_eq!(
        home.texts(".member-city dd")[2],
        portal::time::long_date(&today)
    );
    assert!(!home.text(".member-city").contains("2031"));
    assert_eq!(
        home.text("#now-contact p"),
        "To renew the membership of Lafayette, CO, write to Grace Staff (grace@mayorsinnovation.org)."
    );
    assert_eq!(
        home.attr("#now-contact a", "href").as_deref(),
        Some("mailto:grace@mayorsinnovation.org")
    );
    assert!(!home.has("main a[href='/invitations']"), "no inviting");
    assert!(!home.has(".now-nothing"));
    assert!(!home.has("#now-sessions") && !home.has("#now-requests"));
    // A renewal date that has passed is the day it lapsed.
    sqlx::query("UPDATE cities SET renewal_date = '2025-06-30' WHERE id = $1")
        .bind(p.city_a)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let home = Page::of(p.facilitator.get("/home").await).await;
    assert_eq!(home.texts(".member-city dd")[2], "30 June 2025");
}
