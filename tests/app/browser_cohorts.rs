//! Cohorts in headless Chromium: the journey of joining and talking in a cohort, and the axe
//! scan of every cohort page at phone and desktop widths.

use crate::{
    fixture::{Fixture, SLUG, add, create_cohort},
    support::{MEMBER_PASSWORD, Page, STAFF_PASSWORD, spawn_app},
    webdriver::{Browser, Scanner, Widths, log_in},
};

/// An advisor finds an open cohort, joins it, and is in its space; a member of another city
/// finds none of it.
#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_an_advisor_joins_an_open_cohort_and_another_city_finds_none_of_it() {
    let app = spawn_app().await;
    let net = Fixture::with(&app).outsider().build().await;
    let browser = Browser::start(1280).await;
    log_in(&browser, &app, "outsider@a.gov", MEMBER_PASSWORD).await;
    browser.click("header nav a[href='/cohorts']").await;
    browser.wait_for_text("main h1", "Cohorts & networks").await;
    browser
        .click(&format!("form[action='/cohorts/{SLUG}/join'] button"))
        .await;
    browser
        .wait_for_text("main h1", "Water Affordability")
        .await;
    assert_eq!(
        browser.text(".flash").await,
        "You are a member of Water Affordability."
    );
    // She starts a thread.
    browser
        .click(&format!("nav a[href='/cohorts/{SLUG}/discussion']"))
        .await;
    browser.type_into("#title", "Shut-off moratoria").await;
    browser
        .type_into(
            "#body",
            "Has anyone **paused** water shut-offs this winter?",
        )
        .await;
    browser
        .click("form[action$='/discussion'] button[type=submit]")
        .await;
    browser
        .wait_for_text("#thread-heading", "Shut-off moratoria")
        .await;
    assert_eq!(browser.text(".post .post-body strong").await, "paused");
    let thread = browser.current_url().await;

    // Another member of the cohort answers it, in a browser of his own.
    let colleague = Browser::start(375).await;
    log_in(&colleague, &app, "advisor@a.gov", MEMBER_PASSWORD).await;
    colleague.goto(&app.url("/home")).await;
    let new = colleague.text("#now-threads li").await;
    assert!(new.starts_with("Shut-off moratoria"), "{new}");
    colleague.goto(&thread).await;
    colleague
        .wait_for_text("#thread-heading", "Shut-off moratoria")
        .await;
    colleague
        .type_into("#body", "Yes: from December to March, with a payment plan.")
        .await;
    colleague.click("main form button[type=submit]").await;
    colleague
        .wait_for_text_containing(".post:last-child", "with a payment plan")
        .await;
    // She gets the reply by email, and sees it on the thread.
    let mail = app.last_mail_to("outsider@a.gov").await;
    assert!(
        mail.subject.contains("Shut-off moratoria"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("from December to March"));
    browser.goto(&thread).await;
    browser
        .wait_for_text_containing(".post:last-child", "with a payment plan")
        .await;

    let other = Browser::start(1280).await;
    log_in(&other, &app, "mayor@b.gov", MEMBER_PASSWORD).await;
    other.goto(&app.url(&format!("/cohorts/{SLUG}"))).await;
    other
        .wait_for_text_containing(".cohort-outside", "Open to join")
        .await;
    other
        .goto(&app.url(&format!("/cohorts/{SLUG}/discussion")))
        .await;
    other.wait_for_text("main h1", "Page not found").await;
    drop(net);
}

/// Every cohort page, in the states a person sees it, at 375 and 1280 pixels.
#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_every_cohort_page_passes_the_axe_scan_at_phone_and_desktop_widths() {
    let app = spawn_app().await;
    let mut scan = Scanner::new(&app, "cohorts");
    let net = Fixture::with(&app).outsider().build().await;
    create_cohort(
        &net.staff,
        "Data Leaders",
        &[
            ("join_policy", "request"),
            ("visible", "1"),
            ("facilitators", "mayor@a.gov"),
            ("starts_on", "2027-01-10"),
            ("ends_on", "2027-06-30"),
            ("topic", "Budgets"),
        ],
    )
    .await;
    net.outsider()
        .post_form(
            "/cohorts/data-leaders/request",
            &[("message", "We are rebuilding our budget dashboards.")],
        )
        .await;
    net.member
        .post_form(
            "/account/listing",
            &[("listed", "yes"), ("shown_email_kind", "none")],
        )
        .await;
    add(&net.staff, SLUG, "outsider@a.gov").await;
    let outsider_id: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE email = 'outsider@a.gov'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let cohort_id: i64 = sqlx::query_scalar("SELECT id FROM cohorts WHERE slug = $1")
        .bind(SLUG)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();

    let posted = Page::of(
        net.member
            .post_form(
                &format!("/cohorts/{SLUG}/discussion"),
                &[
                    ("title", "Rate design"),
                    ("body", "Who has tried **tiered** rates?"),
                ],
            )
            .await,
    )
    .await;
    let thread = posted.path();
    net.facilitator
        .post_form(
            &thread,
            &[("body", "We did, in 2024. Happy to share the study.")],
        )
        .await;
    let hidden = Page::of(
        net.outsider()
            .post_form(
                &format!("/cohorts/{SLUG}/discussion"),
                &[("title", "Off topic"), ("body", "Selling a boat.")],
            )
            .await,
    )
    .await
    .path();
    let opening: i64 = sqlx::query_scalar(
        "SELECT p.id FROM cohort_posts p JOIN cohort_threads t ON t.id = p.thread_id WHERE t.title = 'Off topic'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    net.facilitator
        .post_form(&format!("{hidden}/posts/{opening}/hide"), &[])
        .await;
    let own_post: i64 = sqlx::query_scalar(
        "SELECT p.id FROM cohort_posts p JOIN cohort_threads t ON t.id = p.thread_id WHERE t.title = 'Rate design'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();

    let starts = crate::cohorts_sessions::in_days(30);
    let planned = net
        .facilitator
        .post_form(
            &format!("/cohorts/{SLUG}/sessions"),
            &[
                ("title", "Rates and tiers"),
                ("starts", &starts),
                ("duration", "60"),
                ("time_zone", "America/New_York"),
                ("call_url", "https://meet.example.org/water"),
                ("notes", "Bring your **rate tables**."),
            ],
        )
        .await;
    assert_eq!(planned.status(), 200);
    let session: i64 =
        sqlx::query_scalar("SELECT id FROM cohort_sessions WHERE title = 'Rates and tiers'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let advisor_id: i64 = sqlx::query_scalar("SELECT id FROM people WHERE email = 'advisor@a.gov'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let resource = crate::routes::add_resource_file(
        &app,
        cohort_id,
        advisor_id,
        "Rate study",
        b"%PDF-1.4 rates",
    )
    .await;

    // A long thread, in pages: 60 replies by the facilitator, a second apart (inserted
    // directly), which the member has not read.
    let long = Page::of(
        net.facilitator
            .post_form(
                &format!("/cohorts/{SLUG}/discussion"),
                &[("title", "Meter readings"), ("body", "Post one.")],
            )
            .await,
    )
    .await
    .path();
    let long_id: i64 = long.rsplit('/').next().unwrap().parse().unwrap();
    let facilitator_id: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE email = 'mayor@a.gov'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let long_start = app.state.clock.now();
    for n in 1..=60_i64 {
        sqlx::query(
            "INSERT INTO cohort_posts (thread_id, author_id, body, body_html, created_at) \
             VALUES ($1, $2, $3, $3, $4)",
        )
        .bind(long_id)
        .bind(facilitator_id)
        .bind(format!("<p>Reading number {n}.</p>"))
        .bind(long_start + n)
        .execute(&app.state.pool)
        .await
        .unwrap();
    }
    app.state.clock.advance(120);

    let member = Widths::start().await;
    member
        .log_in(&app, "advisor@a.gov", MEMBER_PASSWORD, "/home")
        .await;
    scan.page(
        &member,
        "/home",
        "member home with a cohort",
        "Welcome, Advisor A",
        "Your next sessions",
    )
    .await;
    scan.page(
        &member,
        "/cohorts",
        "cohorts list",
        "Cohorts & networks",
        "Request to join",
    )
    .await;
    scan.page(
        &member,
        "/cohorts/data-leaders",
        "a cohort seen from outside",
        "Data Leaders",
        "Request to join",
    )
    .await;
    scan.page(
        &member,
        &format!("/cohorts/{SLUG}"),
        "cohort overview",
        "Water Affordability",
        "Your membership",
    )
    .await;
    scan.clicked(
        &member,
        &format!("/cohorts/{SLUG}"),
        "form[action$='/calendar/renew'] button[type=submit]",
        "calendar address, shown once",
        "Your calendar address for Water Affordability",
        "Copy it now",
    )
    .await;
    scan.clicked(
        &member,
        &format!("/cohorts/{SLUG}"),
        "form.all-cohorts-calendar button[type=submit]",
        "one calendar address for all one's cohorts, with its links",
        "Your calendar address for all your cohorts",
        "Add to Outlook",
    )
    .await;
    scan.page(
        &member,
        &format!("/cohorts/{SLUG}/members"),
        "cohort members",
        "Water Affordability",
        "Advisor A",
    )
    .await;
    scan.page(
        &member,
        &format!("/cohorts/{SLUG}/discussion"),
        "discussion",
        "Water Affordability",
        "Rate design",
    )
    .await;
    scan.clicked(
        &member,
        &format!("/cohorts/{SLUG}/discussion"),
        "form[action$='/discussion'] button[type=submit]",
        "new thread with errors",
        "Water Affordability",
        "There is a problem",
    )
    .await;
    scan.page(
        &member,
        &thread,
        "thread with a new reply",
        "Water Affordability",
        "Happy to share the study.",
    )
    .await;
    scan.page(
        &member,
        &format!("{long}?page=1"),
        "long thread, first page, with unread replies",
        "Water Affordability",
        "First unread reply",
    )
    .await;
    scan.page(
        &member,
        &format!("{long}?page=2"),
        "long thread, last page",
        "Water Affordability",
        "Page 2 of 2",
    )
    .await;
    scan.page(
        &member,
        &format!("{thread}/posts/{own_post}/edit"),
        "edit a post",
        "Water Affordability",
        "Edit your post",
    )
    .await;
    scan.page(
        &member,
        &format!("/cohorts/{SLUG}/sessions"),
        "sessions",
        "Water Affordability",
        "Rates and tiers",
    )
    .await;
    scan.page(
        &member,
        &format!("/cohorts/{SLUG}/resources"),
        "resources",
        "Water Affordability",
        "Rate study",
    )
    .await;
    scan.page(
        &member,
        &format!("/cohorts/{SLUG}/resources/add-file"),
        "add a file",
        "Water Affordability",
        "Add the file",
    )
    .await;
    scan.clicked(
        &member,
        &format!("/cohorts/{SLUG}/resources/add-file"),
        "form[action$='/add-file'] button[type=submit]",
        "add a file with errors",
        "Water Affordability",
        "There is a problem",
    )
    .await;
    scan.page(
        &member,
        &format!("/cohorts/{SLUG}/resources/add-link"),
        "add a link",
        "Water Affordability",
        "Add the link",
    )
    .await;
    scan.page(
        &member,
        &format!("/cohorts/{SLUG}/resources/{resource}/remove"),
        "remove a resource",
        "Remove “Rate study”?",
        "Rate study",
    )
    .await;
    scan.page(
        &member,
        "/cohorts/data-leaders/request",
        "request form",
        "Ask to join Data Leaders",
        "Send my request",
    )
    .await;
    scan.clicked(
        &member,
        "/cohorts/data-leaders/request",
        "main form button[type=submit]",
        "request sent",
        "Cohorts & networks",
        "Requested",
    )
    .await;
    scan.page(
        &member,
        &format!("/cohorts/{SLUG}/leave"),
        "leave confirmation",
        "Leave Water Affordability?",
        "Stay in the cohort",
    )
    .await;

    let facilitator = Widths::start().await;
    facilitator
        .log_in(&app, "mayor@a.gov", MEMBER_PASSWORD, "/home")
        .await;
    scan.page(
        &facilitator,
        "/home",
        "member home facilitator",
        "Welcome, Mayor A",
        "Requests waiting for your answer",
    )
    .await;
    scan.page(
        &facilitator,
        &thread,
        "thread as facilitator",
        "Water Affordability",
        "Hide the thread",
    )
    .await;
    scan.page(
        &facilitator,
        &hidden,
        "hidden thread as facilitator",
        "Water Affordability",
        "Restore",
    )
    .await;
    scan.page(
        &facilitator,
        &format!("/cohorts/{SLUG}/sessions/new"),
        "new session form",
        "Plan a session of Water Affordability",
        "Plan the session",
    )
    .await;
    scan.clicked(
        &facilitator,
        &format!("/cohorts/{SLUG}/sessions/new"),
        "main form button[type=submit]",
        "new session form with errors",
        "Plan a session of Water Affordability",
        "There is a problem",
    )
    .await;
    scan.page(
        &facilitator,
        &format!("/cohorts/{SLUG}/sessions/{session}/edit"),
        "edit session form",
        "Edit the session “Rates and tiers”",
        "Save the session",
    )
    .await;
    scan.page(
        &facilitator,
        &format!("/cohorts/{SLUG}/sessions/{session}/cancel"),
        "cancel session confirmation",
        "Cancel the session “Rates and tiers”?",
        "Rates and tiers",
    )
    .await;
    scan.page(
        &facilitator,
        "/cohorts/data-leaders/requests",
        "requests",
        "Data Leaders",
        "We are rebuilding our budget dashboards.",
    )
    .await;
    let request: i64 =
        sqlx::query_scalar("SELECT r.id FROM cohort_requests r JOIN people p ON p.id = r.person_id WHERE r.status = 'pending' AND p.email = 'outsider@a.gov'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    scan.page(
        &facilitator,
        &format!("/cohorts/data-leaders/requests/{request}/decline"),
        "decline confirmation with a reason",
        "Decline Outsider A's request to join Data Leaders?",
        "Your reason (optional)",
    )
    .await;
    scan.page(
        &facilitator,
        &format!("/cohorts/{SLUG}/members"),
        "members with the invite form",
        "Water Affordability",
        "Invite someone",
    )
    .await;
    scan.clicked(
        &facilitator,
        &format!("/cohorts/{SLUG}/members"),
        "main form[action$='/members'] button[type=submit]",
        "add form with errors",
        "Water Affordability",
        "There is a problem",
    )
    .await;

    let staff = Widths::start().await;
    staff
        .log_in(&app, "grace@mayorsinnovation.org", STAFF_PASSWORD, "/staff")
        .await;
    scan.page(
        &staff,
        "/staff/cohorts",
        "staff cohorts",
        "Cohorts",
        "Data Leaders",
    )
    .await;
    scan.page(
        &staff,
        "/staff/cohorts/new",
        "new cohort form",
        "New cohort",
        "How people join",
    )
    .await;
    scan.clicked(
        &staff,
        "/staff/cohorts/new",
        "main form button[type=submit]",
        "new cohort form with errors",
        "New cohort",
        "There is a problem",
    )
    .await;
    scan.page(
        &staff,
        &format!("/staff/cohorts/{cohort_id}/edit"),
        "edit cohort form",
        "Edit Water Affordability",
        "Facilitators",
    )
    .await;
    scan.page(
        &staff,
        &format!("/cohorts/{SLUG}/members"),
        "members as staff",
        "Water Affordability",
        "Download the members as CSV",
    )
    .await;
    scan.page(
        &staff,
        &format!("/cohorts/{SLUG}/members/{outsider_id}/remove"),
        "remove confirmation",
        "Remove Outsider A from Water Affordability?",
        "Keep Outsider A in the cohort",
    )
    .await;
    scan.page(
        &staff,
        "/cohorts",
        "cohorts list as staff",
        "Cohorts & networks",
        "Staff access",
    )
    .await;
    let page = Page::of(net.staff.get("/staff/cohorts").await).await;
    assert!(page.has("table"));
    scan.assert_none();
}
