//! A small W3C WebDriver client for Debian's chromedriver and chromium: just what the
//! browser tests use (no crate downloads a driver here, and this keeps the tree lean).

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::{Value, json};

pub struct Browser {
    http: reqwest::Client,
    base: String,
    driver: Child,
    profile: std::path::PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session makes chromedriver close Chromium. Killing chromedriver alone
        // would leave Chromium and its renderers running, orphaned, after every test.
        if let Some((addr, path)) = self
            .base
            .strip_prefix("http://")
            .and_then(|rest| rest.split_once('/'))
        {
            end_session(addr, &format!("/{path}"));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// DELETE /session/{id}, blocking (a Drop cannot await): chromedriver answers once Chromium
/// has quit.
fn end_session(addr: &str, path: &str) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "DELETE {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        let _ = stream.read_to_end(&mut Vec::new());
    }
}

pub struct Element(String);

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = std::env::temp_dir().join(format!("portal-chromium-{port}"));
        // Chromium's windows are at least 500 pixels wide: narrower viewports are emulated.
        let emulation =
            json!({"deviceMetrics": {"width": width, "height": 800, "pixelRatio": 1.0}});
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "mobileEmulation": if width < 500 { emulation } else { json!({"deviceMetrics": {"width": width, "height": 900, "pixelRatio": 1.0}}) },
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--hide-scrollbars", "--lang=en-US",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={width},900"),
                ]
            }
        }}});
        let mut browser = Browser {
            http,
            base,
            driver,
            profile,
        };
        let created = browser.call("POST", "/session", caps).await;
        let id = created["sessionId"]
            .as_str()
            .expect("a WebDriver session")
            .to_owned();
        browser.base = format!("{}/session/{id}", browser.base);
        browser
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        self.try_call(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// A WebDriver command; its error (say, an element gone with the page that held it) as text.
    async fn try_call(&self, method: &str, path: &str, body: Value) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self.http.post(&url).json(&body),
        };
        let response: Value = request.send().await.unwrap().json().await.unwrap();
        if let Some(error) = response["value"].get("error") {
            return Err(format!(
                "WebDriver {method} {path}: {error} {}",
                response["value"]["message"]
            ));
        }
        Ok(response["value"].clone())
    }

    pub async fn goto(&self, url: &str) {
        self.call("POST", "/url", json!({ "url": url })).await;
    }

    pub async fn current_url(&self) -> String {
        self.call("GET", "/url", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Waits up to ten seconds for the address to end with `suffix`; returns the address.
    pub async fn wait_for_url(&self, suffix: &str) -> String {
        let mut url = self.current_url().await;
        for _ in 0..100 {
            if url.ends_with(suffix) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            url = self.current_url().await;
        }
        url
    }

    /// Waits up to ten seconds for the text of the first element matching `css` to be
    /// `expected` (the next page may still be loading); returns the text last seen.
    pub async fn wait_for_text(&self, css: &str, expected: &str) -> String {
        self.wait_for_text_where(css, |t| t == expected).await
    }

    /// Waits up to ten seconds for the text of the first element matching `css` to contain
    /// `part`; returns the text last seen.
    pub async fn wait_for_text_containing(&self, css: &str, part: &str) -> String {
        self.wait_for_text_where(css, |t| t.contains(part)).await
    }

    async fn wait_for_text_where(&self, css: &str, done: impl Fn(&str) -> bool) -> String {
        let body = json!({"using": "css selector", "value": css});
        let mut seen = format!("<no element {css}>");
        for _ in 0..100 {
            if let Ok(found) = self.try_call("POST", "/element", body.clone()).await
                && let Some(id) = found[ELEMENT_KEY].as_str()
                && let Ok(text) = self
                    .try_call("GET", &format!("/element/{id}/text"), Value::Null)
                    .await
            {
                seen = text.as_str().unwrap_or("").to_owned();
                if done(&seen) {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        seen
    }

    /// The first element matching `css`, waiting up to ten seconds for it (a page may still load).
    pub async fn find(&self, css: &str) -> Element {
        let body = json!({"using": "css selector", "value": css});
        for _ in 0..100 {
            let url = format!("{}/elements", self.base);
            let found: Value = self
                .http
                .post(&url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if found["value"].as_array().is_some_and(|a| !a.is_empty()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let v = self.call("POST", "/element", body).await;
        Element(
            v[ELEMENT_KEY]
                .as_str()
                .unwrap_or_else(|| panic!("no element {css}: {v}"))
                .to_owned(),
        )
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.call(
            "POST",
            &format!("/element/{}/value", e.0),
            json!({ "text": text }),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.call("POST", &format!("/element/{}/click", e.0), json!({}))
            .await;
    }

    /// Chooses the option labelled `label` in the `<select>` matching `select_css`, by clicking
    /// it as a person would.
    pub async fn select_option(&self, select_css: &str, label: &str) {
        self.find(select_css).await;
        let options = self
            .call(
                "POST",
                "/elements",
                json!({"using": "css selector", "value": format!("{select_css} option")}),
            )
            .await;
        let mut seen = Vec::new();
        for option in options.as_array().into_iter().flatten() {
            let id = option[ELEMENT_KEY].as_str().unwrap();
            let text = self
                .call("GET", &format!("/element/{id}/text"), Value::Null)
                .await;
            let text = text.as_str().unwrap_or("").trim().to_owned();
            if text == label {
                self.call("POST", &format!("/element/{id}/click"), json!({}))
                    .await;
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
        let e = self.find(css).await;
        self.call(
            "GET",
            &format!("/element/{}/property/value", e.0),
            Value::Null,
        )
        .await
        .as_str()
        .unwrap_or("")
        .to_owned()
    }

    /// Whether a checkbox or radio button is checked, or an option selected.
    pub async fn is_selected(&self, css: &str) -> bool {
        let e = self.find(css).await;
        self.call("GET", &format!("/element/{}/selected", e.0), Value::Null)
            .await
            .as_bool()
            .unwrap_or(false)
    }

    /// The text of every element matching `css` now (no waiting).
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let found = self
            .call(
                "POST",
                "/elements",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        let mut out = Vec::new();
        for e in found.as_array().into_iter().flatten() {
            let id = e[ELEMENT_KEY].as_str().unwrap();
            let text = self
                .call("GET", &format!("/element/{id}/text"), Value::Null)
                .await;
            out.push(text.as_str().unwrap_or("").to_owned());
        }
        out
    }

    pub async fn text(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.call("GET", &format!("/element/{}/text", e.0), Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": args }),
        )
        .await
    }

    pub async fn execute_async(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/async",
            json!({ "script": script, "args": args }),
        )
        .await
    }

    /// Sends Tab and returns the focused element's text, for keyboard checks.
    pub async fn press_tab(&self) -> String {
        let actions = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": "\u{E004}"}, {"type": "keyUp", "value": "\u{E004}"}
        ]}]});
        self.call("POST", "/actions", actions).await;
        self.execute(
            "return document.activeElement.textContent.trim();",
            json!([]),
        )
        .await
        .as_str()
        .unwrap_or("")
        .to_owned()
    }

    /// A Chrome DevTools Protocol command, through chromedriver.
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.call(
            "POST",
            "/goog/cdp/execute",
            json!({ "cmd": cmd, "params": params }),
        )
        .await
    }

    /// Saves a PNG of the whole page when BROWSER_SCREENSHOTS names a folder.
    pub async fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("BROWSER_SCREENSHOTS") else {
            return;
        };
        // The whole page, not just the viewport: Chromium's own command, through chromedriver.
        let metrics = self.cdp("Page.getLayoutMetrics", json!({})).await;
        let size = &metrics["cssContentSize"];
        let data = self
            .cdp(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true, "clip": {
                    "x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1
                }}),
            )
            .await;
        let bytes = base64_decode(data["data"].as_str().unwrap());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/{name}.png"), bytes).unwrap();
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        } as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
