//! Headless Chromium for the browser tests: Debian's chromedriver started on a free port, a
//! `fantoccini` session on it with the capabilities below, the few waits the tests share (a page
//! may still be loading when a test looks at it), the log-in through the form, and the one
//! scanner both browser suites use (axe-core from tests/browser injected into the page, the fit
//! to the screen's width, pictures loaded). Nothing is downloaded.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use base64::Engine as _;
use fantoccini::{
    Client, ClientBuilder, Locator,
    actions::{InputSource, KeyAction, KeyActions},
    elements::Element,
    key::Key,
    wd::{Capabilities, WebDriverCompatibleCommand},
};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use crate::support::TestApp;

/// How long a test waits for a page to show what it expects, and how often it looks.
const PATIENCE: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(100);

/// One headless Chromium, with the chromedriver that drives it; both end when it is dropped.
pub struct Browser {
    client: Client,
    /// The screen's width and height, as emulated.
    width: u32,
    driver: Child,
    /// chromedriver's address and the session's id, to end the session from `Drop`.
    driver_addr: String,
    session: String,
    profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session makes chromedriver close Chromium: killing chromedriver alone would
        // leave Chromium and its renderers running, orphaned, after every test. fantoccini ends
        // the session from a task of its own once the client is dropped, but a test's runtime
        // may stop before that task runs, so the session is ended here, blocking (a Drop
        // cannot await).
        end_session(&self.driver_addr, &self.session);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// DELETE /session/{id}; chromedriver answers once Chromium has quit.
fn end_session(addr: &str, session: &str) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        let _ = stream.read_to_end(&mut Vec::new());
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Headless Chromium, `width` pixels wide, on a fresh profile, with nothing that reaches out to
/// the network on its own.
/// The screen's height for a width: a phone's is shorter.
fn height_for(width: u32) -> u32 {
    if width < 500 { 800 } else { 900 }
}

fn capabilities(chromium: &str, width: u32, profile: &std::path::Path) -> Capabilities {
    // Chromium's windows are at least 500 pixels wide: narrower viewports are emulated.
    let height = height_for(width);
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "mobileEmulation": {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0}},
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--lang=en-US",
                format!("--user-data-dir={}", profile.display()),
                format!("--window-size={width},900"),
            ]
        }
    });
    match caps {
        Value::Object(map) => map,
        _ => unreachable!(),
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session `width` pixels wide.
    pub async fn start(width: u32) -> Browser {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        assert!(
            std::path::Path::new(&chromedriver).exists()
                && std::path::Path::new(&chromium).exists(),
            "the browser tests need Debian's chromium and chromium-driver: apt-get install chromium chromium-driver"
        );
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            // American English, whatever the machine's: dates are typed month/day/year.
            .env("LANG", "en_US.UTF-8")
            .env("LANGUAGE", "en_US")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver_addr = format!("127.0.0.1:{port}");
        for _ in 0..100 {
            if std::net::TcpStream::connect(&driver_addr).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = std::env::temp_dir().join(format!("portal-chromium-{port}"));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities(&chromium, width, &profile))
            .connect(&format!("http://{driver_addr}"))
            .await
            .unwrap_or_else(|e| panic!("a WebDriver session on chromedriver: {e}"));
        let session = client
            .session_id()
            .await
            .unwrap()
            .expect("a WebDriver session id");
        Browser {
            client,
            width,
            driver,
            driver_addr,
            session,
            profile,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    pub async fn current_url(&self) -> String {
        self.client.current_url().await.unwrap().to_string()
    }

    /// Waits up to ten seconds for the address to end with `suffix`; returns the address.
    pub async fn wait_for_url(&self, suffix: &str) -> String {
        let mut url = self.current_url().await;
        let started = std::time::Instant::now();
        while !url.ends_with(suffix) && started.elapsed() < PATIENCE {
            tokio::time::sleep(POLL).await;
            url = self.current_url().await;
        }
        url
    }

    /// Waits up to ten seconds for the text of the first element matching `css` to be
    /// `expected`; returns the text last seen.
    pub async fn wait_for_text(&self, css: &str, expected: &str) -> String {
        self.wait_for_text_where(css, |t| t == expected).await
    }

    /// Waits up to ten seconds for the text of the first element matching `css` to contain
    /// `part`; returns the text last seen.
    pub async fn wait_for_text_containing(&self, css: &str, part: &str) -> String {
        self.wait_for_text_where(css, |t| t.contains(part)).await
    }

    async fn wait_for_text_where(&self, css: &str, done: impl Fn(&str) -> bool) -> String {
        let mut seen = format!("<no element {css}>");
        let started = std::time::Instant::now();
        loop {
            // The element may go with the page that held it between finding and reading it.
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
            {
                seen = text;
                if done(&seen) {
                    return seen;
                }
            }
            if started.elapsed() >= PATIENCE {
                return seen;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The first element matching `css`, waiting up to ten seconds for it.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .every(POLL)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        self.find(css)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
    }

    /// Chooses the option labelled `label` in the `<select>` matching `select_css`, by clicking
    /// it as a person would, and checks it is chosen. (fantoccini's `select_by_label` builds an
    /// XPath from the label, which an apostrophe breaks.)
    pub async fn select_option(&self, select_css: &str, label: &str) {
        self.find(select_css).await;
        let options = self
            .client
            .find_all(Locator::Css(&format!("{select_css} option")))
            .await
            .unwrap();
        let mut seen = Vec::new();
        for option in options {
            let text = option.text().await.unwrap().trim().to_owned();
            if text == label {
                option.click().await.unwrap();
                assert_eq!(
                    self.execute(
                        "const s = document.querySelector(arguments[0]); return s.options[s.selectedIndex].text;",
                        json!([select_css]),
                    )
                    .await
                    .as_str(),
                    Some(label),
                    "clicking the option did not choose it"
                );
                return;
            }
            seen.push(text);
        }
        panic!("no option {label:?} in {select_css}: {seen:?}");
    }

    /// The current value of a form field (what a person typed or chose).
    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// Whether a checkbox or radio button is checked, or an option selected.
    pub async fn is_selected(&self, css: &str) -> bool {
        self.find(css).await.is_selected().await.unwrap()
    }

    /// The text of every element matching `css` now (no waiting).
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for element in self.client.find_all(Locator::Css(css)).await.unwrap() {
            out.push(element.text().await.unwrap());
        }
        out
    }

    /// The text of the first element matching `css`, waiting for it.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Runs `script` in the page with `args` (a JSON array); returns what it returns.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.client
            .execute(script, array(args))
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// Runs `script`, which calls its last argument with its answer; returns that answer.
    pub async fn execute_async(&self, script: &str, args: Value) -> Value {
        self.client
            .execute_async(script, array(args))
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// Presses a key, as a person at the keyboard would, on what has the focus.
    pub async fn press(&self, key: Key) {
        let key = char::from(key);
        let keys = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.client.perform_actions(keys).await.unwrap();
    }

    /// Opens the header's "Menu" if the screen is narrow enough to fold it (on a wide screen
    /// "Menu" is hidden and what it folds is shown), so that its links can be clicked.
    pub async fn open_menu(&self) {
        let folded = self
            .execute(
                "const s = document.querySelector('header summary.nav-toggle');
                 return !!s && s.checkVisibility() && !s.parentElement.open;",
                json!([]),
            )
            .await;
        if folded.as_bool() == Some(true) {
            self.click("header summary.nav-toggle").await;
        }
    }

    /// Makes the screen `width` pixels wide (an emulated phone's, whatever the window's), and
    /// waits until the page is laid out for it.
    pub async fn emulate_width(&self, width: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height_for(width), "deviceScaleFactor": 1.0, "mobile": true}),
        )
        .await;
        let started = std::time::Instant::now();
        while started.elapsed() < PATIENCE {
            let laid_out = self
                .execute(
                    "return matchMedia('(width: ' + arguments[0] + 'px)').matches;",
                    json!([width]),
                )
                .await;
            if laid_out.as_bool() == Some(true) {
                return;
            }
            tokio::time::sleep(POLL).await;
        }
        panic!("the page was not laid out for {width} pixels");
    }

    /// Presses Tab and returns the focused element's text, for keyboard checks.
    pub async fn press_tab(&self) -> String {
        self.press(Key::Tab).await;
        self.execute(
            "return document.activeElement.textContent.trim();",
            json!([]),
        )
        .await
        .as_str()
        .unwrap_or("")
        .to_owned()
    }

    /// Saves a PNG of the whole page, beyond the screen's height, when BROWSER_SCREENSHOTS
    /// names a folder.
    pub async fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("BROWSER_SCREENSHOTS") else {
            return;
        };
        // WebDriver's screenshot stops at the screen's edge: Chromium's own command goes on.
        let metrics = self.cdp("Page.getLayoutMetrics", json!({})).await;
        let size = &metrics["cssContentSize"];
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true, "clip": {
                    "x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1
                }}),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
    }

    /// A Chrome DevTools Protocol command, through chromedriver's extension to WebDriver.
    async fn cdp(&self, cmd: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }
}

fn array(args: Value) -> Vec<Value> {
    match args {
        Value::Array(args) => args,
        other => panic!("script arguments are a JSON array, not {other}"),
    }
}

/// chromedriver's `POST /session/{id}/goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// axe-core's script, from tests/browser (npm ci), or AXE_CORE_JS.
pub fn axe_source() -> String {
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

/// Runs axe (WCAG 2.0, 2.1 and 2.2 A and AA rules, and axe's best practices) on the page in the
/// browser; prints every violation and returns the serious and critical ones, described.
pub async fn axe_violations(browser: &Browser, axe: &str) -> Vec<String> {
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

/// Waits up to ten seconds for every picture in `main` to be loaded (scrolling down the page,
/// as lazy pictures load only near the screen); returns each picture's alt text and whether it
/// was loaded.
pub async fn pictures(browser: &Browser) -> Vec<(String, bool)> {
    let script = "const imgs = [...document.querySelectorAll('main img')];
         imgs.forEach(i => { if (!(i.complete && i.naturalWidth > 0)) i.scrollIntoView(); });
         return imgs.map(i => [i.getAttribute('alt') || '', i.complete && i.naturalWidth > 0]);";
    let mut seen = Vec::new();
    let started = std::time::Instant::now();
    while started.elapsed() < PATIENCE {
        let found = browser.execute(script, json!([])).await;
        seen = found
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().to_owned(), p[1].as_bool().unwrap()))
            .collect();
        if seen.iter().all(|(_, loaded)| *loaded) {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    browser.execute("window.scrollTo(0, 0);", json!([])).await;
    seen
}

/// Logs in through the form and waits for the header to name the person; returns the address
/// the log-in led to.
pub async fn log_in(browser: &Browser, app: &TestApp, email: &str, password: &str) -> String {
    browser.goto(&app.url("/login")).await;
    browser.type_into("#email", email).await;
    browser.type_into("#password", password).await;
    browser.click("main button[type=submit]").await;
    browser.find("header .who").await;
    browser.current_url().await
}

/// How much wider than a screen `width` pixels wide the page is, and which elements make it
/// so; nothing if it fits (what is inside a scroller of its own, like a wide table, may be
/// wider). The width is measured against the screen's, not the page's own: an emulated phone
/// widens its viewport to a page too wide for it, as phones zoom out, and the page would then
/// seem to fit.
pub async fn overflow(browser: &Browser, width: u32) -> Option<String> {
    browser
        .execute(
            "const w = arguments[0];
                 const extra = Math.max(document.documentElement.scrollWidth, window.innerWidth) - w;
                 if (extra <= 0) return null;
                 const scrolls = e => {
                     for (let a = e.parentElement; a; a = a.parentElement) {
                         if (!['visible', 'clip'].includes(getComputedStyle(a).overflowX)) return true;
                     }
                     return false;
                 };
                 const wide = [...document.body.querySelectorAll('*')].filter(e =>
                     !scrolls(e) && e.getBoundingClientRect().right > w + 0.5
                     && (!e.parentElement || e.parentElement.getBoundingClientRect().right <= w + 0.5));
                 return extra + 'px wider than the screen, because of: '
                     + wide.slice(0, 3).map(e => e.tagName.toLowerCase()
                         + (e.className ? '.' + [...e.classList].join('.') : '')
                         + ' ' + JSON.stringify(e.textContent.trim().slice(0, 40))).join(', ');",
            json!([width]),
        )
        .await
        .as_str()
        .map(str::to_owned)
}

/// One person's browsers, one per screen width.
pub struct Widths(pub Vec<(u32, Browser)>);

/// The narrowest screen the pages must fit without scrolling sideways (WCAG's reflow at 320
/// CSS pixels): every page the scanner checks is also measured there, the first browser to
/// check it narrowed for the measure; axe scans at the wider widths.
pub const NARROWEST: u32 = 320;

impl Widths {
    /// A phone's width and a desktop's.
    pub async fn start() -> Widths {
        Widths::start_at(&[375, 1280]).await
    }

    pub async fn start_at(widths: &[u32]) -> Widths {
        let mut browsers = Vec::new();
        for &width in widths {
            browsers.push((width, Browser::start(width).await));
        }
        Widths(browsers)
    }

    /// Logs in at every width and checks where the log-in led (staff to /staff, members to
    /// /home).
    pub async fn log_in(&self, app: &TestApp, email: &str, password: &str, lands_on: &str) {
        for (width, browser) in &self.0 {
            let landed = log_in(browser, app, email, password).await;
            assert_eq!(
                landed,
                app.url(lands_on),
                "where {email} lands after logging in at {width}px"
            );
        }
    }
}

/// Runs axe on pages, checks they fit the screen and their pictures load, saves their
/// screenshots (BROWSER_SCREENSHOTS), and keeps what failed for one report at the end.
pub struct Scanner {
    pub axe: String,
    base: String,
    /// Screenshots' names begin with it, to keep each suite's apart.
    prefix: &'static str,
    failures: Vec<String>,
    /// The page last checked for fit at the narrowest width, to check each page there once.
    fitted: String,
}

impl Scanner {
    pub fn new(app: &TestApp, prefix: &'static str) -> Scanner {
        Scanner {
            axe: axe_source(),
            base: app.address.clone(),
            prefix,
            failures: Vec::new(),
            fitted: String::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// Checks the page the browser shows now: its pictures load; it fits the screen's width and
    /// the narrowest screen's (nothing scrolls sideways but what is inside a scroller of its
    /// own, like a wide table; see `overflow`); and, from a phone's width up, axe finds no
    /// serious or critical violation.
    pub async fn check(&mut self, browser: &Browser, label: &str, width: u32) {
        for (alt, loaded) in pictures(browser).await {
            if !loaded {
                self.failures.push(format!(
                    "{label} at {width}px: the picture {alt:?} did not load"
                ));
            }
        }
        if width > NARROWEST {
            for v in axe_violations(browser, &self.axe).await {
                self.failures.push(format!("{label} at {width}px: {v}"));
            }
        }
        if let Some(overflow) = overflow(browser, width).await {
            self.failures
                .push(format!("{label} at {width}px: the page is {overflow}"));
        }
        // Every page fits the narrowest screen too: the first browser to check a page (a
        // phone's, as a rule) is narrowed to it for the measure, then widened back.
        if self.fitted != label {
            self.fitted = label.to_owned();
            if width != NARROWEST {
                browser.emulate_width(NARROWEST).await;
                let narrow = overflow(browser, NARROWEST).await;
                browser.emulate_width(browser.width).await;
                if let Some(overflow) = narrow {
                    self.failures
                        .push(format!("{label} at {NARROWEST}px: the page is {overflow}"));
                }
            }
        }
        browser
            .screenshot(&format!(
                "{}-{}-{width}",
                self.prefix,
                label.replace(['/', ' '], "_")
            ))
            .await;
    }

    /// Waits for the page meant: its heading (unless `h1` is empty), and `shows` in its main
    /// text.
    pub async fn expect(browser: &Browser, label: &str, width: u32, h1: &str, shows: &str) {
        if !h1.is_empty() {
            assert_eq!(
                browser.wait_for_text("main h1", h1).await,
                h1,
                "{label} at {width}px"
            );
        }
        let main = browser.wait_for_text_containing("main", shows).await;
        assert!(
            main.contains(shows),
            "{label} at {width}px does not show {shows:?}:\n{main}"
        );
    }

    /// Opens `path` (or a whole link) at every width, checks it is the page meant, and checks
    /// it.
    pub async fn page(&mut self, who: &Widths, path: &str, label: &str, h1: &str, shows: &str) {
        let url = self.url(path);
        for (width, browser) in &who.0 {
            browser.goto(&url).await;
            Self::expect(browser, label, *width, h1, shows).await;
            self.check(browser, label, *width).await;
        }
    }

    /// Opens `path` at every width, clicks `button` (sending its form as it is) or a link, and
    /// checks the page it leads to, which must show `shows`.
    pub async fn clicked(
        &mut self,
        who: &Widths,
        path: &str,
        button: &str,
        label: &str,
        h1: &str,
        shows: &str,
    ) {
        let url = self.url(path);
        for (width, browser) in &who.0 {
            browser.goto(&url).await;
            browser.click(button).await;
            Self::expect(browser, label, *width, h1, shows).await;
            self.check(browser, label, *width).await;
        }
    }

    /// Fails the test with every violation found, if any.
    pub fn assert_none(&self) {
        assert!(
            self.failures.is_empty(),
            "serious or critical accessibility violations, pictures not loaded, or pages wider than the screen:\n{}",
            self.failures.join("\n")
        );
    }
}
