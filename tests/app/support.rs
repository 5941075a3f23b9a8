//! The test harness: a fresh database and a real server on a random port for each test,
//! on SQLite, or on PostgreSQL when TEST_POSTGRES_URL is set.

use std::{net::SocketAddr, path::PathBuf};

use portal::{config::Config, db, state::AppState};
use scraper::{Html, Selector};
use sqlx::{Connection, Executor, postgres::PgConnection};

/// A new random name part.
fn random_suffix() -> String {
    portal::accounts::tokens::generate()[..12].to_owned()
}

pub struct TestDb {
    pub url: String,
    dir: PathBuf,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The PostgreSQL server to test against, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A database of this test's own: an SQLite file, or a new PostgreSQL database.
pub async fn test_db() -> TestDb {
    let dir = std::env::temp_dir().join(format!("portal-test-{}", random_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = match postgres_url() {
        Some(base) => create_pg_database(&base).await,
        None => format!("sqlite://{}?mode=rwc", dir.join("portal.db").display()),
    };
    TestDb { url, dir }
}

/// Creates `portal_test_<unix time>_<random>`, after dropping those left by runs over an hour old.
pub async fn create_pg_database(base: &str) -> String {
    let mut admin = PgConnection::connect(base)
        .await
        .expect("TEST_POSTGRES_URL does not accept connections");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let old: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'portal_test_%'")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    for name in old {
        let created = name
            .split('_')
            .nth(2)
            .and_then(|t| t.parse::<i64>().ok())
            .unwrap_or(0);
        if now - created > 3600 {
            let _ = admin
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .await;
        }
    }
    let name = format!("portal_test_{now}_{}", random_suffix());
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .await
        .unwrap();
    let (prefix, _) = base.split('?').next().unwrap().rsplit_once('/').unwrap();
    format!("{prefix}/{name}")
}

pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub state: AppState,
    /// A browser-like client: keeps cookies, follows redirects.
    pub client: reqwest::Client,
    pub db: TestDb,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app with a configuration changed by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_with_routes(adjust, axum::Router::new()).await
}

/// Starts the app with more routes, inside all its layers (`portal::app_with_routes`).
pub async fn spawn_app_with_routes(
    adjust: impl FnOnce(&mut Config),
    routes: axum::Router<AppState>,
) -> TestApp {
    let db = test_db().await;
    let (address, state) = serve_on(&db, adjust, routes).await;
    TestApp {
        address,
        state,
        client: new_client(),
        db,
    }
}

/// A server of its own (pool, state, port) on the database `db`, migrated.
async fn serve_on(
    db: &TestDb,
    adjust: impl FnOnce(&mut Config),
    routes: axum::Router<AppState>,
) -> (String, AppState) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let address = format!("http://{addr}");
    let mut config = Config::for_database(&db.url, db.dir.clone());
    config.base_url = address.clone();
    adjust(&mut config);
    let (pool, backend) = db::open_with(&db.url, config.lock_wait()).await.unwrap();
    db::migrate(&pool, backend).await.unwrap();
    let state = AppState::new(pool, backend, config);
    let app = portal::app_with_routes(state.clone(), routes);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    (address, state)
}

/// Another instance of the portal on the same database, as several servers share one
/// PostgreSQL database: its own pool, memory and port, and a data folder of its own, so
/// that it shares nothing with the first but the database.
pub struct Instance {
    pub address: String,
    pub state: AppState,
    _dir: TestDbDir,
}

struct TestDbDir(PathBuf);

impl Drop for TestDbDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Instance {
    pub fn visitor(&self) -> Visitor {
        Visitor {
            client: new_client(),
            address: self.address.clone(),
        }
    }
}

impl TestApp {
    /// Starts a second instance on this app's database.
    pub async fn second_instance(&self) -> Instance {
        let dir = std::env::temp_dir().join(format!("portal-test-{}", random_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let data_dir = dir.clone();
        let (address, state) = serve_on(
            &self.db,
            move |c| c.data_dir = data_dir,
            axum::Router::new(),
        )
        .await;
        Instance {
            address,
            state,
            _dir: TestDbDir(dir),
        }
    }
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

pub const STAFF_PASSWORD: &str = "lantern river council otter";

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// A staff account made the way `portal create-staff` makes it.
    pub async fn create_staff(&self, email: &str, name: &str) -> i64 {
        portal::accounts::setup::create_staff(&self.state, email, name, STAFF_PASSWORD)
            .await
            .unwrap()
    }

    pub async fn log_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }

    /// Creates a staff account and logs this client in as that person.
    pub async fn log_in_as_new_staff(&self) -> i64 {
        let id = self
            .create_staff("ada@mayorsinnovation.org", "Ada Staff")
            .await;
        let page = Page::of(
            self.log_in("ada@mayorsinnovation.org", STAFF_PASSWORD)
                .await,
        )
        .await;
        assert_eq!(page.text("header .who strong"), "Ada Staff");
        id
    }
}

/// A page as a person sees it: status, final address, and the parsed document.
pub struct Page {
    pub status: u16,
    pub url: String,
    pub html: Html,
}

impl Page {
    pub async fn of(response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let url = response.url().to_string();
        let body = response.text().await.unwrap();
        Page {
            status,
            url,
            html: Html::parse_document(&body),
        }
    }

    pub fn path(&self) -> String {
        let u = reqwest::Url::parse(&self.url).unwrap();
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        }
    }

    /// The text of every element matching the selector, whitespace folded.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let sel = Selector::parse(selector).unwrap();
        self.html
            .select(&sel)
            .map(|e| {
                e.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// The text of the first element matching the selector; panics when there is none.
    pub fn text(&self, selector: &str) -> String {
        self.texts(selector)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no element matches {selector:?}"))
    }

    pub fn has(&self, selector: &str) -> bool {
        !self.texts(selector).is_empty()
    }

    pub fn attr(&self, selector: &str, attr: &str) -> Option<String> {
        let sel = Selector::parse(selector).unwrap();
        self.html
            .select(&sel)
            .next()
            .and_then(|e| e.value().attr(attr))
            .map(str::to_owned)
    }

    pub fn h1(&self) -> String {
        self.text("main h1")
    }
}

/// An email as the outbox holds it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    /// The Reply-To address; empty: none.
    pub reply_to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The parts beside the text and HTML, in their order.
    pub parts: Vec<MailPart>,
}

/// A part of an email beside its text and HTML, as the outbox holds it.
#[derive(Debug, Clone)]
pub struct MailPart {
    pub filename: String,
    pub content_type: String,
    pub body: Vec<u8>,
    /// `file`, `alternative` or `inline`.
    pub role: String,
    /// Empty unless inline.
    pub content_id: String,
}

impl Mail {
    /// The part of this file name; panics when there is none.
    pub fn part(&self, filename: &str) -> &MailPart {
        self.parts
            .iter()
            .find(|p| p.filename == filename)
            .unwrap_or_else(|| panic!("no part {filename} in {:?}", self.parts))
    }

    /// The first link in the text part that starts with `base + path_prefix`.
    pub fn link(&self, base: &str, path_prefix: &str) -> String {
        let start = format!("{base}{path_prefix}");
        self.text
            .split_whitespace()
            .find(|w| w.starts_with(&start))
            .unwrap_or_else(|| panic!("no link to {start} in:\n{}", self.text))
            .to_owned()
    }
}

impl TestApp {
    /// Every email in the outbox, oldest first.
    pub async fn outbox(&self) -> Vec<Mail> {
        let rows: Vec<(i64, String, String, String, String, String)> = sqlx::query_as(
            "SELECT id, to_addr, reply_to, subject, text_body, html_body FROM outbox ORDER BY id",
        )
        .fetch_all(&self.state.pool)
        .await
        .unwrap();
        let parts: Vec<(i64, String, String, Vec<u8>, String, String)> = sqlx::query_as(
            "SELECT outbox_id, filename, content_type, body, role, content_id FROM outbox_parts \
             ORDER BY outbox_id, position",
        )
        .fetch_all(&self.state.pool)
        .await
        .unwrap();
        rows.into_iter()
            .map(|(id, to, reply_to, subject, text, html)| Mail {
                to,
                reply_to,
                subject,
                text,
                html,
                parts: parts
                    .iter()
                    .filter(|p| p.0 == id)
                    .map(
                        |(_, filename, content_type, body, role, content_id)| MailPart {
                            filename: filename.clone(),
                            content_type: content_type.clone(),
                            body: body.clone(),
                            role: role.clone(),
                            content_id: content_id.clone(),
                        },
                    )
                    .collect(),
            })
            .collect()
    }

    /// The newest email to this address; panics when there is none.
    pub async fn last_mail_to(&self, to: &str) -> Mail {
        self.outbox()
            .await
            .into_iter()
            .rev()
            .find(|m| m.to == to)
            .unwrap_or_else(|| panic!("no email to {to}"))
    }

    /// The path of a link (drops the base), for `get` and `post_form`.
    pub fn path_of(&self, link: &str) -> String {
        link.strip_prefix(&self.address).unwrap_or(link).to_owned()
    }
}

/// Another person's browser on the same app: its own cookies.
pub struct Visitor {
    pub client: reqwest::Client,
    pub address: String,
}

impl Visitor {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }
    pub async fn log_in(&self, email: &str, password: &str) -> Page {
        Page::of(
            self.post_form("/login", &[("email", email), ("password", password)])
                .await,
        )
        .await
    }
}

pub const MEMBER_PASSWORD: &str = "prairie school budget lantern";

impl TestApp {
    pub fn visitor(&self) -> Visitor {
        Visitor {
            client: new_client(),
            address: self.address.clone(),
        }
    }

    /// A member city written straight to the database, for tests about something else.
    pub async fn insert_city(&self, name: &str, state: &str, status: &str) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO cities (name, state, population, website, status, member_since, created_at) \
             VALUES ($1, $2, 30000, '', $3, '2024-01-01', 0) RETURNING id",
        )
        .bind(name)
        .bind(state)
        .bind(status)
        .fetch_one(&self.state.pool)
        .await
        .unwrap()
    }

    /// Sends every due email with the mailer the app's configuration names.
    pub async fn deliver_mail(&self) -> usize {
        let mailer = portal::notify::worker::Mailer::from_config(&self.state.config).unwrap();
        portal::notify::worker::deliver_due(&self.state, &mailer, "test-worker")
            .await
            .unwrap()
    }

    /// Invites `email` through the form as the person logged in on `inviter`, then accepts
    /// with `name` on a new visitor, who is returned logged in.
    pub async fn invite_and_accept(
        &self,
        inviter: &Visitor,
        email: &str,
        name: &str,
        role: &str,
        city_id: i64,
    ) -> Visitor {
        let city = city_id.to_string();
        let sent = Page::of(
            inviter
                .post_form(
                    "/invitations",
                    &[("email", email), ("role", role), ("city_id", &city)],
                )
                .await,
        )
        .await;
        assert_eq!(
            sent.path(),
            "/invitations",
            "the invitation was not sent: {:?}",
            sent.texts(".error-summary li")
        );
        let link = self
            .last_mail_to(email)
            .await
            .link(&self.address, "/invite/");
        let invitee = self.visitor();
        let page = Page::of(
            invitee
                .post_form(
                    &self.path_of(&link),
                    &[("name", name), ("title", ""), ("password", MEMBER_PASSWORD)],
                )
                .await,
        )
        .await;
        assert_eq!(page.text("header .who strong"), name);
        invitee
    }

    /// The staff member logged in on a visitor of their own.
    pub async fn staff_visitor(&self) -> Visitor {
        self.create_staff("grace@mayorsinnovation.org", "Grace Staff")
            .await;
        let v = self.visitor();
        v.log_in("grace@mayorsinnovation.org", STAFF_PASSWORD).await;
        v
    }
}
