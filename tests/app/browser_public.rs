//! Real headless Chromium on the public front and its staff pages: reading the news, search,
//! the feed, applying to join; publishing a post with a cover and approving an application;
//! and an axe-core scan (WCAG 2.2 AA rules) of every page of the feature at phone and desktop
//! widths. Run by .ci/run with the rest of the browser suite.

use serde_json::json;

use crate::{
    support::{Page, STAFF_PASSWORD, TestApp, Visitor, spawn_app},
    webdriver::{Browser, Scanner, Widths, axe_violations, log_in, pictures},
};

/// Asserts every picture in `main` has loaded and has a description; returns how many there are.
async fn assert_pictures_described_and_loaded(browser: &Browser, page: &str) -> usize {
    let found = pictures(browser).await;
    for (alt, loaded) in &found {
        assert!(
            !alt.trim().is_empty(),
            "a picture on {page} has no alt text"
        );
        assert!(loaded, "the picture {alt:?} on {page} did not load");
    }
    found.len()
}

/// A file of a test's own in a folder of its own, removed when dropped: for the file field.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> TempFile {
        let dir = std::env::temp_dir().join(format!(
            "portal-upload-{}",
            &portal::accounts::tokens::generate()[..12]
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The slug of the post titled `title`.
async fn slug_of(app: &TestApp, title: &str) -> String {
    sqlx::query_scalar("SELECT slug FROM posts WHERE title = $1")
        .bind(title)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

async fn post_id(app: &TestApp, title: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM posts WHERE title = $1")
        .bind(title)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

/// Sends an application through /join as a person would (with the time a person takes, on the
/// app's clock); returns its id.
async fn apply(app: &TestApp, visitor: &Visitor, city: &str, state: &str, contact: &str) -> i64 {
    let form = Page::of(visitor.get("/join").await).await;
    let started = form.attr("input[name=started]", "value").unwrap();
    app.state.clock.advance(10);
    let sent = Page::of(
        visitor
            .post_form(
                "/join",
                &[
                    ("city_name", city),
                    ("state", state),
                    ("population", "58,200"),
                    ("mayor_name", "Terry Lindgren"),
                    ("mayor_email", "mayor@example.gov"),
                    ("contact_name", contact),
                    ("contact_title", "Chief of Staff"),
                    ("contact_email", "contact@example.gov"),
                    ("contact_phone", "217-555-0100"),
                    (
                        "reason",
                        "We want to learn from peers about housing and water.\nAnd to share what we tried.",
                    ),
                    ("website", ""),
                    ("started", &started),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(
        sent.path(),
        "/join/thanks",
        "{:?}",
        sent.texts(".error-summary")
    );
    sqlx::query_scalar("SELECT MAX(id) FROM applications")
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

/// The login the demo printed for the first person of `role`.
fn demo_login(report: &portal::demo::Report, role: &str) -> (String, String) {
    let (_, _, email, password) = report
        .logins
        .iter()
        .find(|l| l.0 == role)
        .unwrap_or_else(|| panic!("the demo made no {role}"))
        .clone();
    (email, password)
}

const HEADLINES: [&str; 5] = [
    "City Data and Pandemic Response",
    "COVID-19 and Water Affordability",
    "Announcing Healthy Babies Initiative Grant Recipients",
    "Ending Police Brutality: A Mayor's Perspective & Call to Action",
    "City Leadership in Addressing Racial Inequities",
];

const MEMBERS_ONLY: &str = "Cohort Notes: Small Cities, Big Broadband Ambitions";

#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_the_public_reads_news_searches_and_applies_to_join() {
    let app = spawn_app().await;
    portal::demo::run(&app.state, 0).await.unwrap();
    let browser = Browser::start(375).await;

    // The home page: the five headlines, each with its picture.
    browser.goto(&app.url("/")).await;
    assert_eq!(
        browser.text("main h1").await,
        "A learning network for mayors."
    );
    let mut titles = vec![browser.text(".lead-card-title").await];
    titles.extend(browser.texts(".card-grid .card-title").await);
    for headline in HEADLINES {
        assert!(
            titles.contains(&headline.to_owned()),
            "{headline} is missing from the home page: {titles:?}"
        );
    }
    let pictures = assert_pictures_described_and_loaded(&browser, "the home page").await;
    assert_eq!(
        pictures,
        titles.len() - 1,
        "every headline has its picture, but the members' notes keep theirs for members"
    );
    browser.screenshot("reader-home-375").await;

    // A headline opens its article.
    let lead = browser.text(".lead-card-title").await;
    browser.click(".lead-card-title a").await;
    assert_eq!(browser.wait_for_text("main h1", &lead).await, lead);
    assert!(
        browser
            .current_url()
            .await
            .ends_with(&format!("/news/{}", slug_of(&app, &lead).await))
    );
    assert!(!browser.text(".article .prose").await.is_empty());
    assert_eq!(
        assert_pictures_described_and_loaded(&browser, "the article").await,
        1 + browser.texts(".related .card").await.len()
            - browser.texts(".related .card .badge").await.len(),
        "the article's cover and its related public posts' pictures"
    );
    browser.screenshot("reader-article-375").await;

    // Search, from the navigation.
    browser.open_menu().await;
    browser.click("header nav a[href='/search']").await;
    assert_eq!(browser.wait_for_text("main h1", "Search").await, "Search");
    browser.type_into("#q", "water affordability").await;
    browser.click(".search-form button[type=submit]").await;
    let heading = browser
        .wait_for_text_containing(".results-heading", "result")
        .await;
    assert!(!heading.starts_with("No"), "{heading}");
    assert!(
        browser
            .wait_for_url("/search?q=water+affordability")
            .await
            .ends_with("/search?q=water+affordability")
    );
    assert_eq!(browser.value("#q").await, "water affordability");
    let found = browser.texts(".results h3").await;
    assert!(
        found.contains(&"COVID-19 and Water Affordability".to_owned()),
        "{found:?}"
    );
    assert!(
        !browser.texts(".results .snippet mark").await.is_empty(),
        "the words found are highlighted"
    );
    browser.screenshot("reader-search-375").await;
    browser.click(".results h3 a").await;
    assert_eq!(
        browser.wait_for_text("main h1", &found[0]).await,
        found[0],
        "a result opens its article"
    );

    // The news, from the home page's More News, then a topic.
    browser.goto(&app.url("/")).await;
    browser.click(".more-news a.button").await;
    assert_eq!(browser.wait_for_text("main h1", "News").await, "News");
    let all = browser.texts(".card-grid .card-title").await;
    assert_eq!(
        all.len(),
        6,
        "five headlines and the members' notes: {all:?}"
    );
    assert!(all.contains(&MEMBERS_ONLY.to_owned()));
    assert_eq!(
        assert_pictures_described_and_loaded(&browser, "News").await,
        5,
        "the members' notes keep their picture for members"
    );
    assert!(browser.texts(".pager a").await.is_empty(), "one page");
    browser
        .click(".topic-nav a[href='/news?topic=water']")
        .await;
    assert_eq!(browser.wait_for_text("main h1", "Water").await, "Water");
    assert!(browser.current_url().await.ends_with("/news?topic=water"));
    assert_eq!(
        browser.texts(".card-grid .card-title").await,
        ["COVID-19 and Water Affordability"]
    );
    assert_eq!(
        browser.text(".topic-nav a[aria-current=page]").await,
        "Water"
    );
    browser.screenshot("reader-topic-375").await;

    // The feed, which the page links to, answers in the browser too.
    browser.find("main a[href='/news/feed.xml']").await;
    let feed = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('/news/feed.xml').then(async r => {
                 const xml = new DOMParser().parseFromString(await r.text(), 'application/xml');
                 done({ status: r.status, type: r.headers.get('content-type'),
                        root: xml.documentElement.localName,
                        titles: [...xml.querySelectorAll('entry > title')].map(t => t.textContent) });
             }).catch(e => done({ error: String(e) }));",
            json!([]),
        )
        .await;
    assert_eq!(feed["status"], 200, "{feed}");
    assert_eq!(feed["type"], "application/atom+xml; charset=utf-8");
    assert_eq!(feed["root"], "feed");
    let entries: Vec<&str> = feed["titles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    for headline in HEADLINES {
        assert!(entries.contains(&headline), "{headline} not in the feed");
    }

    // Become a Member City, from the navigation, every field filled in.
    browser.open_menu().await;
    browser.click("header nav a[href='/join']").await;
    assert_eq!(
        browser
            .wait_for_text("main h1", "Become a Member City")
            .await,
        "Become a Member City"
    );
    // Sent empty, the form lists what is missing in the order of the fields, each message
    // leading to its field.
    browser
        .click("main form[action='/join'] button[type=submit]")
        .await;
    browser
        .wait_for_text(".error-summary h2", "There is a problem")
        .await;
    let links = browser
        .execute(
            "return [...document.querySelectorAll('.error-summary li a')].map(a => a.getAttribute('href'));",
            json!([]),
        )
        .await;
    assert_eq!(
        links,
        json!([
            "#city_name",
            "#state",
            "#population",
            "#mayor_name",
            "#mayor_email",
            "#contact_name",
            "#contact_title",
            "#contact_email",
            "#contact_phone",
            "#reason"
        ])
    );
    browser.click(".error-summary a[href='#state']").await;
    assert_eq!(
        browser
            .execute("return document.activeElement.id;", json!([]))
            .await,
        "state"
    );
    browser.type_into("#city_name", "Springfield").await;
    browser.select_option("#state", "Illinois").await;
    browser.type_into("#population", "114,394").await;
    browser.type_into("#mayor_name", "Misty Buscher").await;
    browser
        .type_into("#mayor_email", "mayor@springfield.il.example.gov")
        .await;
    browser.type_into("#contact_name", "Morgan Ellis").await;
    browser.type_into("#contact_title", "Chief of Staff").await;
    browser
        .type_into("#contact_email", "morgan@springfield.il.example.gov")
        .await;
    browser.type_into("#contact_phone", "217-555-0100").await;
    browser
        .type_into(
            "#reason",
            "We want to learn from peers on water affordability.\nAnd share our own work on housing.",
        )
        .await;
    browser.screenshot("reader-join-filled-375").await;
    // A person takes more than a few seconds to fill the form: so does the app's clock.
    app.state.clock.advance(10);
    browser
        .click("main form[action='/join'] button[type=submit]")
        .await;
    assert_eq!(
        browser.wait_for_text("main h1", "Thank you").await,
        "Thank you"
    );
    assert!(browser.current_url().await.ends_with("/join/thanks"));
    let mut row: (String, String, i64, String, String, String) = sqlx::query_as(
        "SELECT city_name, state, population, mayor_name, contact_phone, reason FROM applications",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    // A browser sends a text area's line breaks as CR LF.
    row.5 = row.5.replace("\r\n", "\n");
    assert_eq!(
        row,
        (
            "Springfield".to_owned(),
            "IL".to_owned(),
            114_394,
            "Misty Buscher".to_owned(),
            "217-555-0100".to_owned(),
            "We want to learn from peers on water affordability.\nAnd share our own work on housing."
                .to_owned()
        )
    );
    assert_eq!(
        app.last_mail_to("morgan@springfield.il.example.gov")
            .await
            .subject,
        "We received the application of Springfield, IL"
    );
}

#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_staff_publish_a_post_with_a_cover_and_approve_an_application() {
    let app = spawn_app().await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let browser = Browser::start(1280).await;
    log_in(&browser, &app, "ada@mayorsinnovation.org", STAFF_PASSWORD).await;

    // The editor, with a cover picture attached through the file field.
    browser.goto(&app.url("/staff/news/new")).await;
    assert_eq!(
        browser.wait_for_text("main h1", "Write a post").await,
        "Write a post"
    );
    let title = "Lead Pipes Out by 2030";
    let alt = "A gradient sky over a row of city blocks";
    browser.type_into("#title", title).await;
    browser
        .type_into(
            "#body",
            "Three member cities set a date to replace **every** lead service line.\n\n## How\n\n- Free replacement for homeowners\n- A public map of the pipes",
        )
        .await;
    // The preview follows the typing (static/editor.js), rendered by the server.
    assert_eq!(
        browser.wait_for_text("#preview-body strong", "every").await,
        "every"
    );
    assert_eq!(browser.text("#preview-body h2").await, "How");
    browser.type_into("#cover_alt", alt).await;
    let file = TempFile::new(
        "lead-pipes.png",
        &portal::demo::cover_png([30, 70, 120], [230, 200, 120], 7),
    );
    // WebDriver attaches a file by sending its absolute path to the file field.
    browser.type_into("#cover", file.0.to_str().unwrap()).await;
    assert_eq!(
        browser
            .execute(
                "return document.querySelector('#cover').files[0].name;",
                json!([])
            )
            .await,
        "lead-pipes.png"
    );
    browser.screenshot("staff-editor-filled-1280").await;
    browser.click(".editor-actions button[value=publish]").await;
    let published = format!("“{title}” is published.");
    assert_eq!(browser.wait_for_text(".flash", &published).await, published);
    let id = post_id(&app, title).await;
    assert!(
        browser
            .current_url()
            .await
            .ends_with(&format!("/staff/news/{id}/edit"))
    );
    assert_eq!(
        browser.text(".status-line strong").await,
        "Published",
        "the editor shows the post's new state"
    );
    assert_eq!(
        browser
            .execute(
                "return document.querySelector('.editor-cover').getAttribute('alt');",
                json!([])
            )
            .await,
        format!("Current cover: {alt}")
    );

    // The home page leads with it, its picture shown.
    browser.click("header nav a[href='/']").await;
    assert_eq!(
        browser.wait_for_text(".lead-card-title", title).await,
        title
    );
    assert_eq!(
        pictures(&browser).await,
        [(alt.to_owned(), true)],
        "the cover is on the home page, loaded"
    );
    browser.screenshot("home-with-new-post-1280").await;
    browser.click(".lead-card-title a").await;
    assert_eq!(browser.wait_for_text("main h1", title).await, title);
    assert_eq!(browser.text(".prose strong").await, "every");
    assert_eq!(browser.text(".prose h2").await, "How");
    assert_eq!(browser.texts(".prose li").await.len(), 2);
    assert_eq!(
        pictures(&browser).await,
        [(alt.to_owned(), true)],
        "the article shows its cover"
    );
    assert_eq!(
        browser.text(".byline").await,
        format!(
            "By Ada Staff · {}",
            app.state
                .config
                .time_zone
                .clone()
                .date(app.state.clock.now())
        )
    );

    // A city applies; the staff open the link in their email and approve.
    apply(&app, &app.visitor(), "Rockford", "IL", "Pat Okafor").await;
    let link = app
        .last_mail_to("ada@mayorsinnovation.org")
        .await
        .link(&app.address, "/staff/applications/");
    browser.goto(&link).await;
    assert_eq!(
        browser.wait_for_text("main h1", "Rockford, IL").await,
        "Rockford, IL"
    );
    assert!(
        browser
            .text(".status-line")
            .await
            .starts_with("Status: Waiting for a decision")
    );
    browser
        .click("form[action$='/approve'] button[type=submit]")
        .await;
    let approved = "Rockford, IL is approved and is an active member city. The mayor, Terry Lindgren, is invited.";
    assert_eq!(browser.wait_for_text(".flash", approved).await, approved);
    assert!(
        browser
            .text(".status-line")
            .await
            .starts_with("Status: Approved")
    );
    browser.screenshot("staff-application-approved-1280").await;
    assert!(
        app.last_mail_to("mayor@example.gov")
            .await
            .text
            .contains("as the mayor of Rockford, IL")
    );
    browser.goto(&app.url("/members")).await;
    assert_eq!(browser.texts(".city-name").await, ["Rockford"]);
}

/// Every page of the public front and of its staff side, in each state a person can see it,
/// at 375 and 1280 pixels.
#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_every_public_page_passes_the_axe_scan_at_phone_and_desktop_widths() {
    let app = spawn_app().await;
    // The five headlines and the members' notes, and 20 more: a second page of news.
    let report = portal::demo::run(&app.state, 20).await.unwrap();
    let mut scan = Scanner::new(&app, "public");
    let article = slug_of(&app, "COVID-19 and Water Affordability").await;
    let members_only = slug_of(&app, MEMBERS_ONLY).await;

    // What the public sees.
    let public = Widths::start().await;
    // The scanner finds what it should: an unlabelled field is a critical violation.
    let probe = &public.0[0].1;
    probe
        .goto("data:text/html,<html><body><form><input type=text></form></body></html>")
        .await;
    assert!(
        !axe_violations(probe, &scan.axe).await.is_empty(),
        "axe found nothing on a page with an unlabelled field"
    );
    scan.page(
        &public,
        "/",
        "home",
        "A learning network for mayors.",
        HEADLINES[0],
    )
    .await;
    scan.page(&public, "/news", "news", "News", "Older posts")
        .await;
    scan.page(
        &public,
        "/pages/about-us",
        "page about us",
        "About us",
        "We are non-partisan",
    )
    .await;
    scan.page(
        &public,
        "/news?topic=water",
        "news topic",
        "Water",
        "COVID-19 and Water Affordability",
    )
    .await;
    scan.clicked(
        &public,
        "/news",
        ".pager a[rel=next]",
        "news page 2",
        "News",
        "Newer posts",
    )
    .await;
    scan.page(
        &public,
        &format!("/news/{article}"),
        "article",
        "COVID-19 and Water Affordability",
        "Income-based rates",
    )
    .await;
    scan.page(
        &public,
        &format!("/news/{members_only}"),
        "article members only public",
        MEMBERS_ONLY,
        "Log in to read",
    )
    .await;
    scan.page(
        &public,
        "/search",
        "search empty",
        "Search",
        "Search everything you may read",
    )
    .await;
    scan.page(
        &public,
        "/search?q=water+affordability",
        "search results",
        "Search",
        "COVID-19 and Water Affordability",
    )
    .await;
    scan.page(
        &public,
        "/search?q=zebra",
        "search no results",
        "Search",
        "Nothing you may read matches.",
    )
    .await;
    scan.page(&public, "/members", "members", "Member Cities", "Colorado")
        .await;
    scan.page(
        &public,
        "/join",
        "join",
        "Become a Member City",
        "Send application",
    )
    .await;
    scan.clicked(
        &public,
        "/join",
        "main form[action='/join'] button[type=submit]",
        "join with errors",
        "Become a Member City",
        "There is a problem",
    )
    .await;
    scan.page(
        &public,
        "/join/thanks",
        "join thanks",
        "Thank you",
        "Your application is with our staff.",
    )
    .await;
    drop(public);

    // A member reads the members' notes.
    let (mayor, mayor_password) = demo_login(&report, "mayor");
    let member = Widths::start().await;
    member.log_in(&app, &mayor, &mayor_password, "/home").await;
    scan.page(
        &member,
        &format!("/news/{members_only}"),
        "article members only member",
        MEMBERS_ONLY,
        "These notes from our broadband cohort are for member cities.",
    )
    .await;
    scan.page(
        &member,
        "/",
        "home member",
        "A learning network for mayors.",
        HEADLINES[0],
    )
    .await;
    // The members' directory: each city's listed people, with filters; one shows an email
    // too long for a phone's line, which must wrap at 320 pixels.
    let priya: i64 = sqlx::query_scalar(
        "UPDATE people SET shown_email_kind = 'other', \
           shown_email = 'priya.natarajan.sustainability-manager@cityoflafayette-colorado.example.gov' \
         WHERE name = 'Priya Natarajan' RETURNING id",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    scan.page(
        &member,
        "/members",
        "members directory member",
        "Member Cities",
        "",
    )
    .await;
    scan.page(
        &member,
        "/members?size=small",
        "members directory member filtered",
        "Member Cities",
        "",
    )
    .await;
    // A listed member's page, its Contact form sent empty, and sent.
    let person = format!("/members/{priya}");
    scan.page(
        &member,
        &person,
        "member person page",
        "Priya Natarajan",
        "Contact Priya Natarajan",
    )
    .await;
    scan.clicked(
        &member,
        &person,
        "main form[action$='/contact'] button[type=submit]",
        "member person contact with errors",
        "Priya Natarajan",
        "There is a problem",
    )
    .await;
    for (width, browser) in &member.0 {
        browser.goto(&app.url(&person)).await;
        browser
            .type_into(
                "#message",
                "Hello Priya, could we talk about your heat plan?",
            )
            .await;
        browser
            .click("main form[action$='/contact'] button[type=submit]")
            .await;
        Scanner::expect(
            browser,
            "member person contact sent",
            *width,
            "Priya Natarajan",
            "Cohorts you share",
        )
        .await;
        assert_eq!(
            browser.text(".flash").await,
            "Your message to Priya Natarajan is sent."
        );
        scan.check(browser, "member person contact sent", *width)
            .await;
    }
    drop(member);

    // Applications: two for the same city (each shows the other), and one declined.
    let visitor = app.visitor();
    let first = apply(&app, &visitor, "Springfield", "IL", "Morgan Ellis").await;
    apply(&app, &visitor, "springfield", "IL", "Riley Chen").await;
    let declined = apply(&app, &visitor, "Riverton", "WY", "Sam Baker").await;
    let (staff_email, staff_password) = demo_login(&report, "staff");
    let reviewer = app.visitor();
    reviewer.log_in(&staff_email, &staff_password).await;
    let page = Page::of(
        reviewer
            .post_form(
                &format!("/staff/applications/{declined}/decline"),
                &[(
                    "message",
                    "Thank you for applying.\nWe are not taking new members this year.",
                )],
            )
            .await,
    )
    .await;
    assert!(
        page.text(".flash")
            .starts_with("The application of Riverton, WY is declined")
    );

    // What the staff see.
    let staff = Widths::start().await;
    staff
        .log_in(&app, &staff_email, &staff_password, "/staff")
        .await;
    let id = post_id(&app, "COVID-19 and Water Affordability").await;
    scan.page(
        &staff,
        "/staff/news",
        "staff news",
        "News",
        "Published (26)",
    )
    .await;
    scan.page(
        &staff,
        "/staff/news/new",
        "staff news new",
        "Write a post",
        "Cover image",
    )
    .await;
    scan.clicked(
        &staff,
        "/staff/news/new",
        ".editor-actions button[value=publish]",
        "staff news new with errors",
        "Write a post",
        "There is a problem",
    )
    .await;
    scan.page(
        &staff,
        &format!("/staff/news/{id}/edit"),
        "staff news edit",
        "Edit “COVID-19 and Water Affordability”",
        "Replace with another picture",
    )
    .await;
    // The editor's Preview button: the form again, with the body rendered beside it.
    scan.clicked(
        &staff,
        &format!("/staff/news/{id}/edit"),
        "main button[value=preview]",
        "staff news edit previewed",
        "Edit “COVID-19 and Water Affordability”",
        "Income-based rates",
    )
    .await;
    scan.page(
        &staff,
        &format!("/staff/news/{id}/preview"),
        "staff news preview",
        "COVID-19 and Water Affordability",
        "Back to the editor",
    )
    .await;
    scan.page(
        &staff,
        &format!("/staff/news/{id}/delete"),
        "staff news delete",
        "Delete “COVID-19 and Water Affordability”?",
        "Delete for good",
    )
    .await;
    scan.page(&staff, "/staff/topics", "staff topics", "Topics", "Water")
        .await;
    // The questions before a topic, a page or a testimonial is deleted or the logo removed.
    let one = |sql: &'static str| {
        let pool = app.state.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let water = one("SELECT id FROM topics WHERE name = 'Water'").await;
    scan.page(
        &staff,
        &format!("/staff/topics/{water}/delete"),
        "staff topic delete",
        "Delete the topic “Water”?",
        "no post is deleted",
    )
    .await;
    let about = one("SELECT id FROM pages WHERE slug = 'about-us'").await;
    scan.page(
        &staff,
        &format!("/staff/pages/{about}/delete"),
        "staff page delete",
        "Delete “About us”?",
        "/pages/about-us",
    )
    .await;
    scan.page(
        &staff,
        &format!("/staff/pages/{about}/unpublish"),
        "staff page unpublish",
        "Take “About us” offline?",
        "stops working for readers",
    )
    .await;
    let published = one("SELECT MIN(id) FROM posts WHERE status = 'published'").await;
    scan.page(
        &staff,
        &format!("/staff/news/{published}/unpublish"),
        "staff post unpublish",
        "",
        "goes back to the drafts",
    )
    .await;
    let testimonial = one("SELECT MIN(id) FROM testimonials").await;
    scan.page(
        &staff,
        &format!("/staff/testimonials/{testimonial}/delete"),
        "staff testimonial delete",
        "Delete the testimonial by Mayor Jamie Harkins?",
        "truly useful connections",
    )
    .await;
    scan.page(
        &staff,
        "/staff/site/logo/delete",
        "staff logo remove",
        "Remove the logo?",
        "organization's name instead",
    )
    .await;
    scan.page(
        &staff,
        "/staff/site",
        "staff site",
        "Site",
        "Add a testimonial",
    )
    .await;
    // The staff's desk, and the pages staff write.
    scan.page(&staff, "/staff", "staff desk", "Staff", "Needs doing now")
        .await;
    scan.page(&staff, "/staff/pages", "staff pages", "Pages", "About us")
        .await;
    scan.page(
        &staff,
        "/staff/pages/new",
        "staff pages new",
        "Write a page",
        "",
    )
    .await;
    let about: i64 = sqlx::query_scalar("SELECT id FROM pages WHERE slug = 'about-us'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    scan.clicked(
        &staff,
        &format!("/staff/pages/{about}/edit"),
        "main button[value=preview]",
        "staff pages edit previewed",
        "Edit “About us”",
        "cohorts and networks",
    )
    .await;
    scan.page(
        &staff,
        "/staff/applications",
        "staff applications",
        "Applications",
        "Springfield, IL",
    )
    .await;
    scan.page(
        &staff,
        "/staff/applications?status=declined",
        "staff applications declined",
        "Applications",
        "Riverton, WY",
    )
    .await;
    scan.page(
        &staff,
        &format!("/staff/applications/{first}"),
        "staff application with a duplicate",
        "Springfield, IL",
        "1 other application for Springfield, IL",
    )
    .await;
    scan.clicked(
        &staff,
        &format!("/staff/applications/{first}"),
        "form[action$='/decline'] button[type=submit]",
        "staff application decline with errors",
        "Springfield, IL",
        "There is a problem",
    )
    .await;
    scan.page(
        &staff,
        &format!("/staff/applications/{declined}"),
        "staff application declined",
        "Riverton, WY",
        "We are not taking new members this year.",
    )
    .await;
    drop(staff);

    scan.assert_none();
}
