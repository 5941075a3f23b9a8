//! Technical assistance in headless Chromium: an advisor asks for help, the city's mayor
//! replies, staff assign, note, answer and resolve, and the city says it helped; every
//! assistance page, in the states people see it, passes the axe scan at phone and desktop
//! widths and fits 320 pixels; so does every publications page, and the one search, where
//! the advisor finds a brief by a phrase inside its PDF and downloads it.

use crate::{
    fixture::Fixture,
    support::{MEMBER_PASSWORD, STAFF_PASSWORD, spawn_app},
    webdriver::{Browser, Scanner, Widths, log_in},
};

#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_a_city_asks_staff_resolve_and_every_assistance_page_passes_axe() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let published = crate::publications::publish_parts(
        &net.staff,
        "/staff/publications/new",
        &[("cover_alt", "Crews replacing a lead pipe")],
        vec![
            (
                "file",
                "brief.pdf",
                portal::demo::cohorts::pdf("Lead lines", &["Where to start."]),
            ),
            (
                "cover",
                "cover.png",
                portal::demo::cover_png([20, 80, 140], [230, 210, 160], 5),
            ),
        ],
    )
    .await;
    assert!(published.has("img.publication-cover"));
    // A public report, read by anyone.
    crate::publications::publish(
        &net.staff,
        "/staff/publications/new",
        &[
            ("title", "Heat action plans"),
            ("kind", "report"),
            ("visibility", "public"),
        ],
        Some((
            "heat.pdf",
            portal::demo::cohorts::pdf("Heat", &["Cooling centers."]),
        )),
    )
    .await;
    // And a toolkit its facilitator published from the cohort's space.
    let cohort: i64 = sqlx::query_scalar("SELECT id FROM cohorts WHERE slug = $1")
        .bind(crate::fixture::SLUG)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    crate::publications::publish(
        &net.facilitator,
        &format!("/cohorts/{}/publish", crate::fixture::SLUG),
        &[
            ("title", "Shutoff toolkit"),
            ("visibility", "cohorts"),
            ("cohort", &cohort.to_string()),
        ],
        Some((
            "toolkit.pdf",
            portal::demo::cohorts::pdf("Shutoffs", &["Steps."]),
        )),
    )
    .await;
    let publication = published.path();
    let mut scan = Scanner::new(&app, "assistance");

    // The advisor asks, at a desktop's width, from the member home's button.
    let browser = Browser::start(1280).await;
    log_in(&browser, &app, "advisor@a.gov", MEMBER_PASSWORD).await;
    // She finds the brief by a phrase inside its PDF, opens it and downloads it.
    browser.goto(&format!("{}/search", app.address)).await;
    browser.type_into("main #q", "where to start").await;
    browser
        .click("main form[role=search] button[type=submit]")
        .await;
    browser
        .wait_for_text_containing(".results-heading", "Results")
        .await;
    browser.click(".result-publication h3 a").await;
    browser.wait_for_text("main h1", "Lead service lines").await;
    let got = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const link = document.querySelector('main a.button[href$=\"/download\"]');
             fetch(link.href).then(async r => {
                 const head = new Uint8Array(await r.arrayBuffer()).slice(0, 5);
                 done([r.status, new TextDecoder().decode(head), link.textContent.trim()]);
             });",
            serde_json::json!([]),
        )
        .await;
    assert_eq!(got[0], 200, "{got}");
    assert_eq!(got[1], "%PDF-", "{got}");
    assert!(
        got[2].as_str().unwrap().starts_with("Download the PDF"),
        "{got}"
    );
    browser.goto(&format!("{}/home", app.address)).await;
    browser
        .click("section[aria-labelledby='panel-assistance'] a[href='/assistance/new']")
        .await;
    browser.wait_for_text("main h1", "Ask for help").await;
    browser.select_option("#topic", "Grants and funding").await;
    browser
        .type_into("#title", "Matching funds for a Safe Streets grant")
        .await;
    browser
        .type_into(
            "#description",
            "Can the local match come from an approved capital line?",
        )
        .await;
    browser
        .select_option("#urgency", "High: a decision depends on it soon")
        .await;
    browser.click("main form button[type=submit]").await;
    browser
        .wait_for_text("main h1", "Matching funds for a Safe Streets grant")
        .await;
    let request = browser.current_url().await;
    let path = app.path_of(&request);

    // The mayor of the same city replies.
    let mayor = Browser::start(1280).await;
    log_in(&mayor, &app, "mayor@a.gov", MEMBER_PASSWORD).await;
    mayor.goto(&request).await;
    mayor
        .type_into("#body", "The council votes on March 3.")
        .await;
    mayor
        .click("form[action$='/reply'] button[type=submit]")
        .await;
    mayor.wait_for_text(".flash", "Your reply is sent.").await;

    // Staff assign, note, answer and resolve.
    let staff = Browser::start(1280).await;
    log_in(&staff, &app, "grace@mayorsinnovation.org", STAFF_PASSWORD).await;
    staff.goto(&request).await;
    staff.select_option("#owner", "Grace Staff").await;
    staff
        .click("form[action$='/assign'] button[type=submit]")
        .await;
    staff
        .wait_for_text_containing(".flash", "assigned to Grace Staff")
        .await;
    staff
        .type_into("#note", "Their finance director prefers phone calls.")
        .await;
    staff
        .click("form[action$='/note'] button[type=submit]")
        .await;
    staff
        .wait_for_text_containing(".flash", "Only staff see it")
        .await;
    staff
        .type_into("#body", "Yes, if the line is not federal money.")
        .await;
    staff
        .click("form[action$='/reply'] button[type=submit]")
        .await;
    staff.wait_for_text(".flash", "Your reply is sent.").await;
    staff.select_option("#to", "Resolved").await;
    staff
        .click("form[action$='/status'] button[type=submit]")
        .await;
    staff
        .wait_for_text(".flash", "The request is now resolved.")
        .await;

    // The advisor says it helped.
    browser.goto(&request).await;
    assert!(!browser.text("main").await.contains("finance director"));
    browser.click("input[name=helped][value=yes]").await;
    browser
        .click("form[action$='/feedback'] button[type=submit]")
        .await;
    browser
        .wait_for_text_containing(".flash", "Thank you")
        .await;

    // Every page the city sees, at both widths.
    let member = Widths::start().await;
    member
        .log_in(&app, "mayor@a.gov", MEMBER_PASSWORD, "/home")
        .await;
    let public = Widths::start().await;
    scan.page(
        &public,
        "/publications",
        "public publications",
        "Publications",
        "Heat action plans",
    )
    .await;
    scan.page(
        &public,
        "/publications/heat-action-plans",
        "a public publication",
        "Heat action plans",
        "Download the PDF",
    )
    .await;
    scan.page(
        &member,
        "/publications",
        "publications",
        "Publications",
        "Lead service lines",
    )
    .await;
    scan.page(
        &member,
        &publication,
        "a publication with its cover",
        "Lead service lines",
        "Download the PDF",
    )
    .await;
    scan.page(
        &member,
        &format!(
            "/cohorts/{}/publications/shutoff-toolkit/edit",
            crate::fixture::SLUG
        ),
        "edit a cohort publication",
        "Edit Shutoff toolkit",
        "Versions of the file",
    )
    .await;
    scan.page(
        &member,
        "/assistance",
        "list",
        "Technical assistance",
        "Matching funds",
    )
    .await;
    scan.page(
        &member,
        "/assistance/new",
        "ask",
        "Ask for help",
        "How urgent is it?",
    )
    .await;
    scan.clicked(
        &member,
        "/assistance/new",
        "main form button[type=submit]",
        "ask with errors",
        "Ask for help",
        "There is a problem",
    )
    .await;
    scan.page(
        &member,
        &path,
        "request resolved",
        "Matching funds for a Safe Streets grant",
        "Reopen the request",
    )
    .await;
    scan.page(
        &member,
        "/search?q=where+to+start",
        "search results",
        "Search",
        "Lead service lines",
    )
    .await;
    scan.page(
        &member,
        "/search?q=zzqx",
        "search without results",
        "Search",
        "No results",
    )
    .await;
    scan.page(
        &member,
        "/home",
        "home with a request",
        "",
        "Technical assistance",
    )
    .await;
    // Staff's pages.
    let desk = Widths::start().await;
    desk.log_in(&app, "grace@mayorsinnovation.org", STAFF_PASSWORD, "/staff")
        .await;
    scan.page(
        &desk,
        &path,
        "request for staff",
        "Matching funds for a Safe Streets grant",
        "Internal note",
    )
    .await;
    scan.page(
        &desk,
        "/staff/assistance?status=all",
        "queue",
        "Assistance queue",
        "Matching funds",
    )
    .await;
    scan.page(
        &desk,
        "/staff/assistance/topics",
        "topics",
        "Assistance topics",
        "Grants and funding",
    )
    .await;
    scan.page(
        &desk,
        "/staff/publications",
        "staff publications",
        "Publications",
        "Lead service lines",
    )
    .await;
    scan.page(
        &desk,
        "/staff/publications/new",
        "publish",
        "Publish",
        "Who may read it",
    )
    .await;
    scan.clicked(
        &desk,
        "/staff/publications/new",
        "main form button[type=submit]",
        "publish with errors",
        "Publish",
        "There is a problem",
    )
    .await;
    scan.page(
        &desk,
        &format!("/staff{publication}/edit"),
        "edit publication",
        "Edit Lead service lines",
        "Versions of the file",
    )
    .await;
    // The cohort's facilitator publishes from its space.
    let lead = Widths::start().await;
    lead.log_in(&app, "mayor@a.gov", MEMBER_PASSWORD, "/home")
        .await;
    scan.page(
        &lead,
        &format!("/cohorts/{}/publish", crate::fixture::SLUG),
        "publish for a cohort",
        "Publish for Water Affordability",
        "Who may read it",
    )
    .await;
    scan.assert_none();
}
