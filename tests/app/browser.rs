//! Real headless Chromium: the journeys through the forms, and an axe-core scan (WCAG 2.2 AA
//! rules) of every page at phone and desktop widths. Run by .ci/run; needs Debian's chromium,
//! chromium-driver, and axe-core from tests/browser (npm ci).

use serde_json::json;

use crate::{
    support::{MEMBER_PASSWORD, Page, STAFF_PASSWORD, TestApp, spawn_app},
    webdriver::{Browser, NARROWEST, Scanner, Widths, axe_violations, log_in},
};

#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_a_staff_member_logs_in_and_out_through_the_forms() {
    let app = spawn_app().await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let browser = Browser::start(1280).await;

    browser.goto(&app.url("/staff")).await;
    assert!(browser.current_url().await.ends_with("/login?next=/staff"));
    browser
        .type_into("#email", "ada@mayorsinnovation.org")
        .await;
    browser
        .type_into("#password", "not the right password")
        .await;
    browser.click("main button[type=submit]").await;
    assert_eq!(
        browser.text(".error-summary p").await,
        "The email or password is not right. Check both and try again."
    );

    browser.type_into("#password", STAFF_PASSWORD).await;
    browser.click("main button[type=submit]").await;
    let url = browser.wait_for_url("/staff").await;
    assert!(url.ends_with("/staff"), "{url}");
    assert_eq!(browser.text("header .who").await, "Logged in as Ada Staff");
    browser.screenshot("staff-dashboard").await;

    browser.click("header form[action='/logout'] button").await;
    assert_eq!(browser.text(".flash").await, "You have logged out.");
    browser.goto(&app.url("/staff")).await;
    assert!(
        browser
            .wait_for_url("/login?next=/staff")
            .await
            .ends_with("/login?next=/staff")
    );

    // Logging in from the log-in page itself, with nowhere asked for, leads to the staff desk.
    assert_eq!(
        log_in(&browser, &app, "ada@mayorsinnovation.org", STAFF_PASSWORD).await,
        app.url("/staff")
    );
    assert_eq!(browser.text("main h1").await, "Staff");
}

#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_the_setup_link_creates_the_first_account() {
    let app = spawn_app().await;
    let token = portal::accounts::setup::ensure_token(&app.state)
        .await
        .unwrap()
        .unwrap();
    let browser = Browser::start(1280).await;
    browser.goto(&app.url(&format!("/setup/{token}"))).await;
    browser.type_into("#name", "Grace Director").await;
    browser
        .type_into("#email", "grace@mayorsinnovation.org")
        .await;
    browser.type_into("#password", STAFF_PASSWORD).await;
    browser.click("main button[type=submit]").await;
    let url = browser.wait_for_url("/staff").await;
    assert!(url.ends_with("/staff"), "{url}");
    assert_eq!(
        browser.text(".flash").await,
        "Welcome, Grace Director. Your staff account is ready."
    );
}

#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_the_skip_link_is_the_first_thing_the_keyboard_reaches() {
    let app = spawn_app().await;
    let browser = Browser::start(1280).await;
    browser.goto(&app.url("/")).await;
    assert_eq!(browser.press_tab().await, "Skip to main content");
}

/// What the header shows now: whether "Menu" is open and shown, whether the navigation and the
/// account are shown, and whether "Menu" sits beside the brand (the header is one line).
async fn header_state(browser: &Browser) -> serde_json::Value {
    browser
        .execute(
            "const d = document.querySelector('header details.nav-fold');
             const s = d.querySelector('summary');
             const b = document.querySelector('header .brand').getBoundingClientRect();
             const r = s.getBoundingClientRect();
             return { open: d.open, menu: s.checkVisibility(),
                      list: d.querySelector('nav ul').checkVisibility(),
                      account: d.querySelector('.account').checkVisibility(),
                      oneLine: !s.checkVisibility() || (r.top < b.bottom && b.top < r.bottom) };",
            json!([]),
        )
        .await
}

/// The header's state once it has settled: the page's script follows a change of width on
/// the media query's "change" event, which comes at the next rendering step, after the new
/// width already matches; so the state is read until it is the expected one or time is up.
async fn header_settles(browser: &Browser, expected: &serde_json::Value, label: &str) {
    let started = std::time::Instant::now();
    loop {
        let state = header_state(browser).await;
        if &state == expected {
            return;
        }
        if started.elapsed() > std::time::Duration::from_secs(10) {
            assert_eq!(&state, expected, "{label}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// On a phone the header is one line, the brand and "Menu": the navigation and the account
/// are folded behind it and open by a click or from the keyboard (a <details>, which needs no
/// script). From 760 pixels up "Menu" is hidden and the navigation always shown; the page's
/// script opens the <details> there, so that what is shown is what is said to be open.
#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_on_a_phone_the_navigation_folds_behind_menu_and_opens_by_click_or_keyboard() {
    let app = spawn_app().await;
    let mut scan = Scanner::new(&app, "menu");
    let browser = Browser::start(375).await;
    browser.goto(&app.url("/news")).await;
    let folded =
        json!({"open": false, "menu": true, "list": false, "account": false, "oneLine": true});
    assert_eq!(header_state(&browser).await, folded, "folded at 375px");
    assert_eq!(browser.text("header summary").await, "Menu");

    browser.click("header summary").await;
    assert_eq!(
        header_state(&browser).await,
        json!({"open": true, "menu": true, "list": true, "account": true, "oneLine": true}),
        "opened by a click"
    );
    let links = browser.texts("header nav a").await;
    for label in ["Home", "News", "Member Cities", "Search", "Join"] {
        assert!(links.contains(&label.to_owned()), "{label} in {links:?}");
    }
    assert_eq!(browser.text("header .account a").await, "Log in");
    scan.check(&browser, "menu open", 375).await;
    browser.click("header summary").await;
    assert_eq!(
        header_state(&browser).await,
        folded,
        "closed by a second click"
    );

    // From the keyboard: after the skip link and the brand, "Menu"; Enter opens it and the
    // next Tab reaches its first link.
    browser.goto(&app.url("/news")).await;
    assert_eq!(browser.press_tab().await, "Skip to main content");
    browser.press_tab().await;
    assert_eq!(browser.press_tab().await, "Menu");
    browser.press(fantoccini::key::Key::Enter).await;
    assert_eq!(
        header_state(&browser).await["open"],
        true,
        "opened by Enter"
    );
    assert_eq!(browser.press_tab().await, "Home");

    // On the narrowest phone too, folded on one line; on a wide screen, no "Menu", and the
    // navigation and account shown and open.
    browser.goto(&app.url("/news")).await;
    browser.emulate_width(NARROWEST).await;
    header_settles(&browser, &folded, "folded at 320px").await;
    browser.emulate_width(1280).await;
    header_settles(
        &browser,
        &json!({"open": true, "menu": false, "list": true, "account": true, "oneLine": true}),
        "unfolded at 1280px",
    )
    .await;
    // Back on a phone, folded again.
    browser.emulate_width(375).await;
    header_settles(&browser, &folded, "folded again at 375px").await;
    scan.assert_none();
}

#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_a_mayor_lands_on_her_member_home_and_chooses_her_time_zone() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let city = app.insert_city("Lafayette", "CO", "active").await;
    app.invite_and_accept(
        &staff,
        "jamie@lafayetteco.gov",
        "Jamie Harkins",
        "mayor",
        city,
    )
    .await;
    let browser = Browser::start(375).await;

    // With nowhere asked for, the log-in leads to the member home.
    assert_eq!(
        log_in(&browser, &app, "jamie@lafayetteco.gov", MEMBER_PASSWORD).await,
        app.url("/home")
    );
    assert_eq!(browser.text("main h1").await, "Welcome, Jamie Harkins");
    assert_eq!(browser.text("#city-heading").await, "Lafayette, CO");
    assert_eq!(
        browser.texts(".people-list li strong").await,
        ["Jamie Harkins"]
    );
    browser.screenshot("member-home-375").await;

    // Her name in the header (under "Menu" on a phone) leads to her account, where she
    // chooses a zone of the list.
    browser.open_menu().await;
    browser.click("header .who a").await;
    assert_eq!(
        browser.wait_for_text("main h1", "Your account").await,
        "Your account"
    );
    assert_eq!(
        browser.value("#time_zone").await,
        "",
        "the default at first"
    );
    browser
        .select_option("#time_zone", "Pacific (Los Angeles)")
        .await;
    browser
        .click("form[action='/account/time-zone'] button[type=submit]")
        .await;
    let saved = "Times are now shown in America/Los_Angeles.";
    assert_eq!(browser.wait_for_text(".flash", saved).await, saved);
    assert_eq!(browser.value("#time_zone").await, "America/Los_Angeles");
    let stored: String = sqlx::query_scalar("SELECT time_zone FROM people WHERE email_norm = $1")
        .bind("jamie@lafayetteco.gov")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(stored, "America/Los_Angeles");
    browser.screenshot("account-time-zone-375").await;

    // One of every zone, further down the list; then back to the default.
    browser.select_option("#time_zone", "Europe/Lisbon").await;
    browser
        .click("form[action='/account/time-zone'] button[type=submit]")
        .await;
    let saved = "Times are now shown in Europe/Lisbon.";
    assert_eq!(browser.wait_for_text(".flash", saved).await, saved);
    assert_eq!(browser.value("#time_zone").await, "Europe/Lisbon");
    let default = browser.text("#time_zone option[value='']").await;
    assert!(default.starts_with("Default ("), "{default}");
    browser.select_option("#time_zone", &default).await;
    browser
        .click("form[action='/account/time-zone'] button[type=submit]")
        .await;
    let saved = "Times are shown in the default time zone again.";
    assert_eq!(browser.wait_for_text(".flash", saved).await, saved);
    assert_eq!(browser.value("#time_zone").await, "");

    // A log-in that was asked for a page leads there, not home.
    browser.open_menu().await;
    browser.click("header form[action='/logout'] button").await;
    let out = "You have logged out.";
    assert_eq!(browser.wait_for_text(".flash", out).await, out);
    browser.goto(&app.url("/account")).await;
    assert!(
        browser
            .wait_for_url("/login?next=/account")
            .await
            .ends_with("/login?next=/account")
    );
    browser.type_into("#email", "jamie@lafayetteco.gov").await;
    browser.type_into("#password", MEMBER_PASSWORD).await;
    browser.click("main button[type=submit]").await;
    assert_eq!(
        browser.wait_for_text("main h1", "Your account").await,
        "Your account"
    );
    assert_eq!(browser.current_url().await, app.url("/account"));
}

/// Types a date into an `<input type=date>` as a person does, in the browser's month/day/year
/// order, and checks the field holds `iso` (YYYY-MM-DD).
async fn type_date(browser: &Browser, css: &str, iso: &str) {
    let (year, rest) = iso.split_once('-').unwrap();
    let (month, day) = rest.split_once('-').unwrap();
    browser.type_into(css, &format!("{month}{day}{year}")).await;
    assert_eq!(browser.value(css).await, iso, "the date in {css}");
}

#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_a_city_its_mayor_and_an_advisor_join_by_invitation() {
    let app = spawn_app().await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let org = app.state.config.org_name.clone();

    // Staff add the city.
    let staff = Browser::start(1280).await;
    log_in(&staff, &app, "ada@mayorsinnovation.org", STAFF_PASSWORD).await;
    staff.goto(&app.url("/staff/cities/new")).await;
    assert_eq!(staff.text("main h1").await, "Add a member city");
    staff.type_into("#name", "Lafayette").await;
    staff.select_option("#state", "Colorado").await;
    staff.type_into("#population", "30,411").await;
    staff.type_into("#website", "lafayetteco.gov").await;
    staff.click("#status-active").await;
    assert!(staff.is_selected("#status-active").await);
    type_date(&staff, "#member_since", "2019-03-01").await;
    type_date(&staff, "#renewal_date", "2027-03-01").await;
    staff.click("main button[type=submit]").await;
    assert_eq!(
        staff
            .wait_for_text(".flash", "Lafayette, CO is now a member city.")
            .await,
        "Lafayette, CO is now a member city."
    );
    assert_eq!(staff.text("main h1").await, "Lafayette, CO");
    assert_eq!(
        staff.texts(".facts dd").await,
        [
            "Active",
            "30,411",
            "https://lafayetteco.gov",
            "1 March 2019",
            // Colorado lies in one zone: the city takes it.
            "America/Denver",
            "1 March 2027"
        ]
    );
    assert_eq!(
        staff.text("#people-heading + p").await,
        "No one yet. Invite the mayor first."
    );

    // Staff invite the mayor.
    staff.goto(&app.url("/invitations")).await;
    assert_eq!(staff.text("main h1").await, "Invitations");
    assert_eq!(
        staff.text("main .narrow p").await,
        "Staff invite anyone: the mayor or an advisor of a member city, or a staff member."
    );
    // Sent empty, the form says what is missing; each message leads to its field.
    staff
        .click("main form[action='/invitations'] button[type=submit]")
        .await;
    assert_eq!(
        staff
            .wait_for_text(".error-summary h2", "There is a problem")
            .await,
        "There is a problem"
    );
    assert_eq!(
        staff.texts(".error-summary li").await,
        [
            "Enter the email address.",
            "Choose the role of the person you invite."
        ]
    );
    for (message, field) in [
        ("Enter an email address.", "email"),
        ("Choose the role of the person you invite.", "role"),
    ] {
        staff
            .click(&format!(".error-summary a[href='#{field}']"))
            .await;
        assert_eq!(
            staff
                .execute("return document.activeElement.id;", json!([]))
                .await,
            field,
            "the link {message:?} leads to its field"
        );
    }
    staff.type_into("#email", "Jamie@LafayetteCO.gov").await;
    staff.type_into("#name", "Jamie Harkins").await;
    staff.click("#role-mayor").await;
    staff.select_option("#city_id", "Lafayette, CO").await;
    staff
        .click("main form[action='/invitations'] button[type=submit]")
        .await;
    assert_eq!(
        staff
            .wait_for_text(
                ".flash",
                "The invitation to Jamie@LafayetteCO.gov is on its way. The link works for 7 days."
            )
            .await,
        "The invitation to Jamie@LafayetteCO.gov is on its way. The link works for 7 days."
    );
    let row = staff.texts("tbody tr td").await;
    assert_eq!(
        row[..4],
        [
            "Jamie@LafayetteCO.gov\nJamie Harkins",
            "Mayor",
            "Lafayette, CO",
            "Ada Staff"
        ]
    );

    // The mayor, on a computer of her own, opens the link in the email and accepts.
    let link = app
        .last_mail_to("Jamie@LafayetteCO.gov")
        .await
        .link(&app.address, "/invite/");
    let mayor = Browser::start(1280).await;
    mayor.goto(&link).await;
    assert_eq!(mayor.text("main h1").await, format!("Join {org}"));
    assert_eq!(
        mayor.text("main .lead").await,
        "Ada Staff invited Jamie@LafayetteCO.gov to join as the mayor of Lafayette, CO."
    );
    assert_eq!(mayor.value("#name").await, "Jamie Harkins");
    assert!(
        mayor.texts("header .who").await.is_empty(),
        "not logged in yet"
    );
    mayor.type_into("#title", "Mayor").await;
    mayor.type_into("#password", MEMBER_PASSWORD).await;
    mayor.click("main button[type=submit]").await;
    assert_eq!(
        mayor
            .wait_for_text(
                ".flash",
                "Welcome, Jamie Harkins. You are now the mayor of Lafayette, CO."
            )
            .await,
        "Welcome, Jamie Harkins. You are now the mayor of Lafayette, CO."
    );
    // A new member starts at the member home.
    assert!(mayor.current_url().await.ends_with("/home"));
    assert_eq!(mayor.text("main h1").await, "Welcome, Jamie Harkins");
    assert_eq!(
        mayor.text("header .who").await,
        "Logged in as Jamie Harkins"
    );
    let nav = mayor.texts("header nav a").await;
    assert!(
        nav.contains(&"People".to_owned()) && nav.contains(&"Invitations".to_owned()),
        "{nav:?}"
    );

    // The mayor invites an advisor: the form offers only that, for her own city.
    mayor.click("header nav a[href='/invitations']").await;
    assert_eq!(
        mayor
            .wait_for_text(
                "main .narrow p",
                "Invite a trusted advisor to Lafayette, CO. They get an email with a link that works for 7 days."
            )
            .await,
        "Invite a trusted advisor to Lafayette, CO. They get an email with a link that works for 7 days."
    );
    assert!(mayor.texts("#role-mayor, #city_id").await.is_empty());
    mayor.type_into("#email", "sam@lafayetteco.gov").await;
    mayor
        .click("main form[action='/invitations'] button[type=submit]")
        .await;
    assert_eq!(
        mayor
            .wait_for_text(
                ".flash",
                "The invitation to sam@lafayetteco.gov is on its way. The link works for 7 days."
            )
            .await,
        "The invitation to sam@lafayetteco.gov is on its way. The link works for 7 days."
    );
    assert_eq!(
        mayor.texts("tbody tr td").await[..4],
        [
            "sam@lafayetteco.gov",
            "Advisor",
            "Lafayette, CO",
            "Jamie Harkins"
        ]
    );

    // The advisor, on a third computer, accepts.
    let link = app
        .last_mail_to("sam@lafayetteco.gov")
        .await
        .link(&app.address, "/invite/");
    let advisor = Browser::start(375).await;
    advisor.goto(&link).await;
    assert_eq!(
        advisor.text("main .lead").await,
        "Jamie Harkins invited sam@lafayetteco.gov to join as an advisor of Lafayette, CO."
    );
    assert_eq!(advisor.value("#name").await, "");
    advisor.type_into("#name", "Sam Advisor").await;
    advisor.type_into("#title", "Chief of Staff").await;
    advisor.type_into("#password", MEMBER_PASSWORD).await;
    advisor.click("main button[type=submit]").await;
    assert_eq!(
        advisor
            .wait_for_text(
                ".flash",
                "Welcome, Sam Advisor. You are now an advisor of Lafayette, CO."
            )
            .await,
        "Welcome, Sam Advisor. You are now an advisor of Lafayette, CO."
    );
    advisor.open_menu().await;
    assert_eq!(
        advisor.text("header .who").await,
        "Logged in as Sam Advisor"
    );
    let nav = advisor.texts("header nav a").await;
    assert!(
        !nav.contains(&"People".to_owned()) && !nav.contains(&"Invitations".to_owned()),
        "an advisor invites no one: {nav:?}"
    );

    // The link is spent, and both now appear where the mayor and the staff look.
    advisor.goto(&link).await;
    assert_eq!(advisor.text("main h1").await, "Link no longer valid");
    mayor.goto(&app.url("/people")).await;
    assert_eq!(mayor.text("main h1").await, "People of Lafayette, CO");
    assert_eq!(
        mayor.texts("tbody td a").await,
        ["Jamie Harkins", "Sam Advisor"]
    );
    mayor.goto(&app.url("/invitations")).await;
    assert!(
        mayor
            .texts("main > .wrap > p")
            .await
            .contains(&"No invitations are waiting.".to_owned())
    );
    staff.goto(&app.url("/staff/cities")).await;
    assert_eq!(
        staff.texts("tbody tr td").await[..4],
        ["Lafayette, CO", "30,411", "Jamie Harkins", "2"]
    );
}

/// The public pages and the first account's, in each state a person can see them, at 375 and
/// 1280 pixels (the member and staff pages are in the next test).
#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_every_page_passes_the_axe_scan_at_phone_and_desktop_widths() {
    let app = spawn_app().await;
    let mut scanner = Scanner::new(&app, "accounts");
    let axe = scanner.axe.clone();
    let token = portal::accounts::setup::ensure_token(&app.state)
        .await
        .unwrap()
        .unwrap();
    // The scanner itself finds what it should: an unlabelled field is a critical violation.
    let probe = Browser::start(1280).await;
    probe
        .goto("data:text/html,<html><body><form><input type=text></form></body></html>")
        .await;
    assert!(
        !axe_violations(&probe, &axe).await.is_empty(),
        "axe found nothing on a page with an unlabelled field"
    );
    drop(probe);

    let mut scan = async |browser: &Browser, label: &str, width: u32| {
        scanner.check(browser, label, width).await;
    };
    // Before there is any account: the public pages and the setup link.
    for width in [375, 1280] {
        let browser = Browser::start(width).await;
        browser.goto(&app.url("/")).await;
        scan(&browser, "home", width).await;
        browser.goto(&app.url("/login")).await;
        scan(&browser, "login", width).await;
        browser.click("main button[type=submit]").await;
        scan(&browser, "login with errors", width).await;
        browser.goto(&app.url(&format!("/setup/{token}"))).await;
        scan(&browser, "setup", width).await;
        browser.click("main button[type=submit]").await;
        scan(&browser, "setup with errors", width).await;
        browser.goto(&app.url("/no-such-page")).await;
        scan(&browser, "not found", width).await;
    }
    // With a staff member logged in.
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    for width in [375, 1280] {
        let browser = Browser::start(width).await;
        let landed = log_in(&browser, &app, "ada@mayorsinnovation.org", STAFF_PASSWORD).await;
        assert_eq!(landed, app.url("/staff"), "the staff land on their desk");
        scan(&browser, "staff", width).await;
        browser.goto(&app.url("/")).await;
        scan(&browser, "home logged in", width).await;
        browser.goto(&app.url(&format!("/setup/{token}"))).await;
        scan(&browser, "setup link used", width).await;
    }
    scanner.assert_none();
}

async fn person_id(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM people WHERE email_norm = $1")
        .bind(email)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

/// Every member and staff page, and every page a link in an email opens, in each state a
/// person can see it, at 375 and 1280 pixels; every page also fits a 320-pixel screen.
#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_every_member_and_staff_page_passes_the_axe_scan_at_phone_and_desktop_widths() {
    let app = spawn_app().await;
    let mut scan = Scanner::new(&app, "accounts");
    let org = app.state.config.org_name.clone();
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let staff = Widths::start().await;
    staff
        .log_in(&app, "ada@mayorsinnovation.org", STAFF_PASSWORD, "/staff")
        .await;
    let send_invitation = "main form[action='/invitations'] button[type=submit]";

    // Before there are cities, members, invitations or emails.
    scan.page(&staff, "/staff", "staff", "Staff", "Staff accounts")
        .await;
    scan.page(
        &staff,
        "/staff/cities",
        "cities empty",
        "Member cities",
        "There are no member cities yet.",
    )
    .await;
    scan.page(
        &staff,
        "/staff/cities/new",
        "city form",
        "Add a member city",
        "Membership",
    )
    .await;
    scan.clicked(
        &staff,
        "/staff/cities/new",
        "main button[type=submit]",
        "city form with errors",
        "Add a member city",
        "There is a problem",
    )
    .await;
    scan.page(
        &staff,
        "/invitations",
        "invitations staff empty",
        "Invitations",
        "No invitations are waiting.",
    )
    .await;
    scan.clicked(
        &staff,
        "/invitations",
        send_invitation,
        "invitations staff with errors",
        "Invitations",
        "There is a problem",
    )
    .await;
    scan.page(
        &staff,
        "/staff/outbox",
        "outbox empty",
        "Outbox",
        "No emails here.",
    )
    .await;
    scan.page(
        &staff,
        "/staff/audit",
        "audit empty",
        "Audit log",
        "Nothing has been recorded yet.",
    )
    .await;

    // A city with its mayor and advisors (one deactivated), a lapsed city with its mayor,
    // their emails sent, then invitations waiting (one expired) and an email that failed.
    let grace = app.staff_visitor().await;
    let created = Page::of(
        grace
            .post_form(
                "/staff/cities",
                &[
                    ("name", "Lafayette"),
                    ("state", "CO"),
                    ("population", "30411"),
                    ("website", "https://lafayetteco.gov"),
                    ("status", "active"),
                    ("member_since", "2019-03-01"),
                    ("renewal_date", "2027-03-01"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(created.h1(), "Lafayette, CO");
    let city: i64 = created.path().rsplit('/').next().unwrap().parse().unwrap();
    let mayor = app
        .invite_and_accept(
            &grace,
            "jamie@lafayetteco.gov",
            "Jamie Harkins",
            "mayor",
            city,
        )
        .await;
    app.invite_and_accept(
        &mayor,
        "sam@lafayetteco.gov",
        "Sam Advisor",
        "advisor",
        city,
    )
    .await;
    app.invite_and_accept(&mayor, "lee@lafayetteco.gov", "Lee Former", "advisor", city)
        .await;
    let (jamie, sam, lee) = (
        person_id(&app, "jamie@lafayetteco.gov").await,
        person_id(&app, "sam@lafayetteco.gov").await,
        person_id(&app, "lee@lafayetteco.gov").await,
    );
    let done = Page::of(
        mayor
            .post_form(&format!("/people/{lee}/deactivate"), &[])
            .await,
    )
    .await;
    assert_eq!(
        done.text(".flash"),
        "Lee Former is deactivated and logged out everywhere."
    );
    let madison = app.insert_city("Madison", "WI", "lapsed").await;
    app.invite_and_accept(
        &grace,
        "satya@cityofmadison.com",
        "Satya Rhodes",
        "mayor",
        madison,
    )
    .await;
    app.invite_and_accept(
        &grace,
        "ravi@cityofmadison.com",
        "Ravi Okoro",
        "advisor",
        madison,
    )
    .await;
    assert!(app.deliver_mail().await >= 5);

    let (city, madison) = (city.to_string(), madison.to_string());
    for (who, form) in [
        (
            &mayor,
            [
                ("email", "pat@lafayetteco.gov"),
                ("name", "Pat Planner"),
                ("role", "advisor"),
                ("city_id", city.as_str()),
            ],
        ),
        (
            &grace,
            [
                ("email", "lin@mayorsinnovation.org"),
                ("name", "Lin Staff"),
                ("role", "staff"),
                ("city_id", ""),
            ],
        ),
        (
            &grace,
            [
                ("email", "kim@cityofmadison.com"),
                ("name", ""),
                ("role", "advisor"),
                ("city_id", madison.as_str()),
            ],
        ),
    ] {
        let sent = Page::of(who.post_form("/invitations", &form).await).await;
        assert_eq!(sent.path(), "/invitations", "{form:?}");
    }
    sqlx::query("UPDATE invitations SET expires_at = 0 WHERE email_norm = 'kim@cityofmadison.com'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let failed: i64 =
        sqlx::query_scalar("SELECT MAX(id) FROM outbox WHERE to_addr = 'lin@mayorsinnovation.org'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    sqlx::query(
        "UPDATE outbox SET status = 'failed', last_error = '550 refused', attempts = 8 WHERE id = $1",
    )
    .bind(failed)
    .execute(&app.state.pool)
    .await
    .unwrap();

    // What the staff see.
    scan.page(
        &staff,
        "/staff",
        "staff with two staff accounts",
        "Staff",
        "Grace Staff",
    )
    .await;
    scan.page(
        &staff,
        "/staff/cities",
        "cities",
        "Member cities",
        "Jamie Harkins",
    )
    .await;
    scan.page(
        &staff,
        &format!("/staff/cities/{city}"),
        "city",
        "Lafayette, CO",
        "Sam Advisor",
    )
    .await;
    scan.page(
        &staff,
        &format!("/staff/cities/{city}/edit"),
        "city edit form",
        "Edit Lafayette",
        "Save city",
    )
    .await;
    scan.page(
        &staff,
        &format!("/staff/cities/{madison}"),
        "city lapsed",
        "Madison, WI",
        "Lapsed",
    )
    .await;
    scan.page(&staff, "/people", "people staff", "People", "Satya Rhodes")
        .await;
    scan.page(
        &staff,
        &format!("/people/{jamie}"),
        "person staff",
        "Jamie Harkins",
        "Role and city",
    )
    .await;
    scan.page(
        &staff,
        &format!("/people/{lee}"),
        "person deactivated staff",
        "Lee Former",
        "Reactivate Lee Former",
    )
    .await;
    scan.page(
        &staff,
        "/invitations",
        "invitations staff",
        "Invitations",
        "Expired",
    )
    .await;
    let pat: i64 =
        sqlx::query_scalar("SELECT id FROM invitations WHERE email_norm = 'pat@lafayetteco.gov'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    scan.page(
        &staff,
        &format!("/invitations/{pat}/revoke"),
        "invitation revoke",
        "Revoke the invitation to pat@lafayetteco.gov?",
        "Once revoked",
    )
    .await;
    scan.page(
        &staff,
        &format!("/people/{jamie}/deactivate"),
        "person deactivate staff",
        "Deactivate Jamie Harkins?",
        "logged out everywhere",
    )
    .await;
    scan.clicked(
        &staff,
        "/invitations",
        send_invitation,
        "invitations staff with errors and waiting",
        "Invitations",
        "There is a problem",
    )
    .await;
    scan.page(
        &staff,
        "/staff/outbox?status=pending",
        "outbox waiting",
        "Outbox",
        "pat@lafayetteco.gov",
    )
    .await;
    scan.page(
        &staff,
        "/staff/outbox?status=sent",
        "outbox sent",
        "Outbox",
        "satya@cityofmadison.com",
    )
    .await;
    scan.page(
        &staff,
        "/staff/outbox?status=failed",
        "outbox failed",
        "Outbox",
        "550 refused",
    )
    .await;
    scan.page(
        &staff,
        "/staff/audit",
        "audit",
        "Audit log",
        "accepted invitation",
    )
    .await;
    scan.page(&staff, "/account", "account staff", "Your account", "Staff")
        .await;
    scan.clicked(
        &staff,
        "/account",
        "form[action='/account/password'] button[type=submit]",
        "account with errors",
        "Your account",
        "There is a problem",
    )
    .await;
    drop(staff);

    // What the mayor sees. She
    // lands on her member home.
    let mayors = Widths::start().await;
    mayors
        .log_in(&app, "jamie@lafayetteco.gov", MEMBER_PASSWORD, "/home")
        .await;
    scan.page(
        &mayors,
        "/home",
        "member home mayor",
        "Welcome, Jamie Harkins",
        "Your first steps",
    )
    .await;
    scan.page(&mayors, "/", "home mayor", "", "").await;
    scan.page(
        &mayors,
        "/people",
        "people mayor",
        "People of Lafayette, CO",
        "Sam Advisor",
    )
    .await;
    scan.page(
        &mayors,
        &format!("/people/{sam}"),
        "person mayor",
        "Sam Advisor",
        "Deactivate Sam Advisor",
    )
    .await;
    scan.page(
        &mayors,
        &format!("/people/{sam}/deactivate"),
        "person deactivate mayor",
        "Deactivate Sam Advisor?",
        "Nothing they wrote is deleted.",
    )
    .await;
    scan.page(
        &mayors,
        &format!("/people/{lee}"),
        "person deactivated mayor",
        "Lee Former",
        "Reactivate Lee Former",
    )
    .await;
    scan.page(
        &mayors,
        "/invitations",
        "invitations mayor",
        "Invitations",
        "pat@lafayetteco.gov",
    )
    .await;
    scan.clicked(
        &mayors,
        "/invitations",
        send_invitation,
        "invitations mayor with errors",
        "Invitations",
        "There is a problem",
    )
    .await;
    scan.page(
        &mayors,
        "/account",
        "account mayor",
        "Your account",
        "Show and enter times in",
    )
    .await;
    // A zone the app does not know (a form left open across an update of the zones, or one
    // sent by hand) comes back with its message next to the choice.
    for (width, browser) in &mayors.0 {
        browser.goto(&app.url("/account")).await;
        browser
            .execute(
                "document.querySelector('#time_zone option:checked').value = 'Mars/Olympus_Mons';",
                json!([]),
            )
            .await;
        browser
            .click("form[action='/account/time-zone'] button[type=submit]")
            .await;
        Scanner::expect(
            browser,
            "account time zone with errors",
            *width,
            "Your account",
            "“Mars/Olympus_Mons” is not a time zone we know.",
        )
        .await;
        let error = browser.text("#time_zone-error").await;
        assert_eq!(
            error.split_whitespace().collect::<Vec<_>>().join(" "),
            "Error: “Mars/Olympus_Mons” is not a time zone we know."
        );
        scan.check(browser, "account time zone with errors", *width)
            .await;
    }
    drop(mayors);

    // The mayor and an advisor of a city whose membership lapsed.
    let lapsed = Widths::start().await;
    lapsed
        .log_in(&app, "satya@cityofmadison.com", MEMBER_PASSWORD, "/home")
        .await;
    scan.page(
        &lapsed,
        "/home",
        "member home lapsed mayor",
        "Welcome, Satya Rhodes",
        "To renew the membership of Madison, WI, write to",
    )
    .await;
    scan.page(
        &lapsed,
        "/",
        "home lapsed",
        "",
        "The membership of Madison, WI has lapsed.",
    )
    .await;
    drop(lapsed);
    let advisor = Widths::start().await;
    advisor
        .log_in(&app, "ravi@cityofmadison.com", MEMBER_PASSWORD, "/home")
        .await;
    scan.page(
        &advisor,
        "/home",
        "member home lapsed advisor",
        "Welcome, Ravi Okoro",
        "The member areas open again when the membership of your city is renewed.",
    )
    .await;
    scan.page(
        &advisor,
        "/account",
        "account lapsed advisor",
        "Your account",
        "Show and enter times in",
    )
    .await;
    drop(advisor);

    // The pages the links in emails open, for someone not logged in.
    let stranger = Widths::start().await;
    let invitation = app
        .last_mail_to("pat@lafayetteco.gov")
        .await
        .link(&app.address, "/invite/");
    let join = format!("Join {org}");
    scan.page(
        &stranger,
        &invitation,
        "invitation",
        &join,
        "Jamie Harkins invited pat@lafayetteco.gov",
    )
    .await;
    scan.clicked(
        &stranger,
        &invitation,
        "main button[type=submit]",
        "invitation with errors",
        &join,
        "There is a problem",
    )
    .await;
    scan.page(
        &stranger,
        "/invite/not-a-real-invitation",
        "invitation not valid",
        "Link no longer valid",
        "This invitation link is not valid.",
    )
    .await;
    scan.page(
        &stranger,
        "/password/forgot",
        "forgot",
        "Forgot your password?",
        "Send me a link",
    )
    .await;
    scan.clicked(
        &stranger,
        "/password/forgot",
        "main button[type=submit]",
        "forgot with errors",
        "Forgot your password?",
        "There is a problem",
    )
    .await;
    for (width, browser) in &stranger.0 {
        browser.goto(&app.url("/password/forgot")).await;
        browser
            .type_into("#email", "ada@mayorsinnovation.org")
            .await;
        browser.click("main button[type=submit]").await;
        Scanner::expect(
            browser,
            "forgot sent",
            *width,
            "Check your email",
            "The link works for one hour.",
        )
        .await;
        assert!(
            browser
                .current_url()
                .await
                .ends_with("/password/forgot/sent")
        );
        scan.check(browser, "forgot sent", *width).await;
    }
    let reset = app
        .last_mail_to("ada@mayorsinnovation.org")
        .await
        .link(&app.address, "/password/reset/");
    scan.page(
        &stranger,
        &reset,
        "reset",
        "Choose a new password",
        "ada@mayorsinnovation.org",
    )
    .await;
    scan.clicked(
        &stranger,
        &reset,
        "main button[type=submit]",
        "reset with errors",
        "Choose a new password",
        "There is a problem",
    )
    .await;
    scan.page(
        &stranger,
        "/password/reset/not-a-real-link",
        "reset not valid",
        "Link no longer valid",
        "/password/forgot",
    )
    .await;
    let changed = Page::of(
        grace
            .post_form(
                "/account/email",
                &[
                    ("new_email", "grace@cityofmadison.com"),
                    ("email_password", STAFF_PASSWORD),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(changed.path(), "/account");
    let confirm = app
        .last_mail_to("grace@cityofmadison.com")
        .await
        .link(&app.address, "/account/email/confirm/");
    scan.page(
        &stranger,
        &confirm,
        "confirm email",
        "Confirm your new email address",
        "grace@cityofmadison.com",
    )
    .await;

    scan.assert_none();
}
