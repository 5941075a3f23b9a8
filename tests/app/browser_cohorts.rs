//! Cohorts in headless Chromium: the journey of joining and talking in a cohort, and the axe
//! scan of every cohort page at phone and desktop widths.

use crate::{
    cohorts::{SLUG, add, create_cohort, network},
    support::{MEMBER_PASSWORD, Page, STAFF_PASSWORD, spawn_app},
    webdriver::{Browser, Scanner, Widths, log_in},
};

/// An advisor finds an open cohort, joins it, and is in its space; a member of another city
/// finds none of it.
#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_an_advisor_joins_an_open_cohort_and_another_city_finds_none_of_it() {
    let app = spawn_app().await;
    let net = network(&app).await;
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
    // The member home lists the cohort.
    browser.goto(&app.url("/home")).await;
    let panel = browser.text("#panel-cohorts ~ .panel-items").await;
    assert!(panel.contains("Water Affordability"), "{panel}");

    let other = Browser::start(1280).await;
    log_in(&other, &app, "mayor@b.gov", MEMBER_PASSWORD).await;
    other.goto(&app.url(&format!("/cohorts/{SLUG}"))).await;
    other.wait_for_text("main h1", "Page not found").await;
    drop(net);
}

/// Every cohort page, in the states a person sees it, at 375 and 1280 pixels.
#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_every_cohort_page_passes_the_axe_scan_at_phone_and_desktop_widths() {
    let app = spawn_app().await;
    let mut scan = Scanner::new(&app, "cohorts");
    let net = network(&app).await;
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
    net.outsider
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

    let member = Widths::start().await;
    member
        .log_in(&app, "advisor@a.gov", MEMBER_PASSWORD, "/home")
        .await;
    scan.page(
        &member,
        "/home",
        "member home with a cohort",
        "Welcome, Abe Advisor",
        "Water Affordability",
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
        &format!("/cohorts/{SLUG}"),
        "cohort overview",
        "Water Affordability",
        "Your membership",
    )
    .await;
    scan.page(
        &member,
        &format!("/cohorts/{SLUG}/members"),
        "cohort members",
        "Water Affordability",
        "Abe Advisor",
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
        "/cohorts/data-leaders/requests",
        "requests",
        "Data Leaders",
        "We are rebuilding our budget dashboards.",
    )
    .await;
    scan.page(
        &facilitator,
        &format!("/cohorts/{SLUG}/members"),
        "members with the add form",
        "Water Affordability",
        "Add someone",
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
        "Remove Olga Outside from Water Affordability?",
        "Keep Olga Outside in the cohort",
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
