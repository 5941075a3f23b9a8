//! Real headless Chromium: the journeys through the forms, and an axe-core scan (WCAG 2.2 AA
//! rules) of every page at phone and desktop widths. Run by .ci/run; needs Debian's chromium,
//! chromium-driver, and axe-core from tests/browser (npm ci).

use serde_json::{Value, json};

use crate::{
    support::{STAFF_PASSWORD, TestApp, spawn_app},
    webdriver::Browser,
};

fn axe_source() -> String {
    let path = std::env::var("AXE_CORE_JS").unwrap_or_else(|_| {
        format!(
            "{}/tests/browser/node_modules/axe-core/axe.min.js",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("axe-core is needed at {path} ({e}): run npm ci --prefix tests/browser")
    })
}

/// Runs axe on the page in the browser; returns the serious and critical violations, described.
async fn axe_violations(browser: &Browser, axe: &str) -> Vec<String> {
    browser.execute(axe, json!([])).await;
    let result = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })
               .then(r => done(JSON.stringify(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) })))))
               .catch(e => done('ERROR ' + e));",
            json!([]),
        )
        .await;
    let text = result.as_str().unwrap();
    assert!(!text.starts_with("ERROR"), "axe failed: {text}");
    let violations: Vec<Value> = serde_json::from_str(text).unwrap();
    violations
        .iter()
        .inspect(|v| {
            eprintln!(
                "axe: {} ({}) {} at {}",
                v["id"], v["impact"], v["help"], v["nodes"]
            )
        })
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            format!(
                "{} ({}): {} at {}",
                v["id"], v["impact"], v["help"], v["nodes"]
            )
        })
        .collect()
}

async fn log_in(browser: &Browser, app: &TestApp, email: &str) {
    browser.goto(&app.url("/login")).await;
    browser.type_into("#email", email).await;
    browser.type_into("#password", STAFF_PASSWORD).await;
    browser.click("main button[type=submit]").await;
    browser.find("header .who").await;
}

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

/// Every page that exists, in each state a person can see it, at 375 and 1280 pixels.
#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_every_page_passes_the_axe_scan_at_phone_and_desktop_widths() {
    let axe = axe_source();
    let app = spawn_app().await;
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

    let mut failures = Vec::new();
    let mut scan = async |browser: &Browser, label: &str, width: u32| {
        for v in axe_violations(browser, &axe).await {
            failures.push(format!("{label} at {width}px: {v}"));
        }
        browser
            .screenshot(&format!("{}-{width}", label.replace(['/', ' '], "_")))
            .await;
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
        log_in(&browser, &app, "ada@mayorsinnovation.org").await;
        scan(&browser, "home logged in", width).await;
        browser.goto(&app.url("/staff")).await;
        scan(&browser, "staff", width).await;
        browser.goto(&app.url(&format!("/setup/{token}"))).await;
        scan(&browser, "setup link used", width).await;
    }
    assert!(
        failures.is_empty(),
        "serious or critical accessibility violations:\n{}",
        failures.join("\n")
    );
}
