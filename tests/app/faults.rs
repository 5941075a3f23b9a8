//! When the database cannot be reached, is locked past the wait or has no room left: what a
//! member typed comes back with the message that nothing was saved (never a log-in redirect,
//! never a blank 500), a thread can still be read, and `/healthz` names a disk filling up.
//! The faults are injected, not waited for: a pool pointed at a port nobody listens on, a
//! lock held from another connection with a short lock wait, SQLite's `max_page_count` and a
//! `disk_full` error raised by a PostgreSQL trigger.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use portal::{config::Config, db::Backend, state::AppState};
use reqwest::multipart::{Form, Part};
use scraper::Selector;
use sqlx::{Connection, Executor, any::AnyPoolOptions};

use crate::{
    fixture::{Fixture, SLUG},
    support::{Page, TestApp, Visitor, spawn_app, spawn_app_with},
};

const UNREACHABLE: &str = "Nothing was saved yet: the portal could not reach its database. Your text is below; send it again.";

/// Serves the portal on this state (a pool of the test's making) on a random port.
async fn serve(state: AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let app = portal::app(state);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    address
}

/// The same portal with a database that refuses every connection: PostgreSQL on a port
/// nobody listens on. The visitor keeps its cookies (cookies do not depend on the port).
async fn unreachable_twin(app: &TestApp, who: &Visitor) -> Visitor {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://nobody@127.0.0.1:{port}/none");
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .acquire_timeout(Duration::from_secs(1))
        .connect_lazy(&url)
        .unwrap();
    let config: Config = app.state.config.clone();
    let address = serve(AppState::new(pool, Backend::Postgres, config)).await;
    Visitor {
        client: who.client.clone(),
        address,
    }
}

/// The fields of the form a page gives back, in order, as a browser would send them (file
/// inputs aside).
fn form_fields(page: &Page) -> Vec<(String, String)> {
    let sel = Selector::parse("form.unsaved input, form.unsaved textarea").unwrap();
    page.html
        .select(&sel)
        .filter(|e| e.value().attr("type") != Some("file"))
        .map(|e| {
            let name = e.value().attr("name").unwrap().to_owned();
            let value = if e.value().name() == "textarea" {
                e.text().collect()
            } else {
                e.value().attr("value").unwrap_or_default().to_owned()
            };
            (name, value)
        })
        .collect()
}

/// The label of the field named `name` on the page given back.
fn label_of(page: &Page, name: &str) -> String {
    let id = page
        .attr(&format!("form.unsaved [name=\"{name}\"]"), "id")
        .unwrap_or_else(|| panic!("no field {name}"));
    page.text(&format!("label[for=\"{id}\"]"))
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

/// A thread by the member; its path.
async fn thread(net: &Fixture) -> String {
    let page = Page::of(
        net.member
            .post_form(
                &format!("/cohorts/{SLUG}/discussion"),
                &[("title", "Shut-off moratoriums"), ("body", "Who has one?")],
            )
            .await,
    )
    .await;
    assert_eq!(page.status, 200, "{:?}", page.texts(".error-summary li"));
    page.path()
}

/// Every character a person may type, including a first line break (which a textarea drops
/// unless it is written twice), markup and a character outside the BMP.
const TYPED: &str = "\nOur council voted <b>yes</b> & \"no\".\r\n\r\n  Indented — 🚰 last line  ";

#[tokio::test]
async fn a_reply_sent_while_the_database_refuses_connections_comes_back_whole_and_nothing_is_stored()
 {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let path = thread(&net).await;
    let posts = count(&app, "SELECT COUNT(*) FROM cohort_posts").await;

    let twin = unreachable_twin(&app, &net.member).await;
    let page = Page::of(twin.post_form(&path, &[("body", TYPED)]).await).await;
    assert_eq!(page.status, 503, "{}", page.url);
    assert_eq!(page.path(), path, "not sent to log in");
    assert_eq!(page.text("#unsaved-message"), UNREACHABLE);
    assert_eq!(page.attr("form.unsaved", "action").unwrap(), path);
    assert_eq!(page.attr("form.unsaved", "method").unwrap(), "post");
    assert_eq!(
        form_fields(&page),
        vec![("body".to_owned(), TYPED.replace("\r\n", "\n"))],
        "every character, line breaks as a browser reads them"
    );
    assert_eq!(label_of(&page, "body"), "Body");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cohort_posts").await,
        posts
    );

    // A public page with the session cookie: 503 saying why, not a 500.
    let home = Page::of(twin.get("/").await).await;
    assert_eq!(home.status, 503);
    assert_eq!(
        home.text("main h1 + p"),
        "The portal cannot reach its database right now. Nothing was changed; try again in a moment."
    );

    // The database is back: the form given back, sent as it is, stores the reply.
    let fields = form_fields(&page);
    let sent = Page::of(net.member.post_form(&path, &pairs(&fields)).await).await;
    assert_eq!(sent.status, 200, "{:?}", sent.texts(".error-summary li"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cohort_posts").await,
        posts + 1
    );
    let stored: String =
        sqlx::query_scalar("SELECT body FROM cohort_posts ORDER BY id DESC LIMIT 1")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert!(stored.contains("Our council voted <b>yes</b> & \"no\"."));
    assert!(stored.contains("Indented — 🚰 last line"));
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// Another connection takes the lock that `table`'s writes need and keeps it: SQLite's write
/// lock, or on PostgreSQL an EXCLUSIVE lock on the table (reads go on).
async fn hold_lock(app: &TestApp, table: &str) -> sqlx::AnyConnection {
    let mut other = sqlx::AnyConnection::connect(&app.db.url).await.unwrap();
    match app.state.backend {
        Backend::Postgres => {
            other.execute("BEGIN").await.unwrap();
            other
                .execute(sqlx::AssertSqlSafe(format!(
                    "LOCK TABLE {table} IN EXCLUSIVE MODE"
                )))
                .await
                .unwrap();
        }
        Backend::Sqlite => {
            other.execute("BEGIN IMMEDIATE").await.unwrap();
        }
    }
    other
}

#[tokio::test]
async fn a_log_in_during_a_held_lock_comes_back_with_the_email_and_never_the_password() {
    let app = spawn_app_with(|c| c.db_lock_wait_ms = 300).await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let mut other = hold_lock(&app, "login_failures").await;
    let visitor = app.visitor();
    let page = Page::of(
        visitor
            .post_form(
                "/login",
                &[
                    ("email", "ada@mayorsinnovation.org"),
                    ("password", crate::support::STAFF_PASSWORD),
                    ("next", "/staff"),
                ],
            )
            .await,
    )
    .await;
    other.execute("ROLLBACK").await.unwrap();
    assert_eq!(page.status, 503);
    assert_eq!(page.path(), "/login");
    assert_eq!(page.text("#unsaved-message"), UNREACHABLE);
    assert_eq!(
        form_fields(&page),
        vec![
            ("email".to_owned(), "ada@mayorsinnovation.org".to_owned()),
            ("password".to_owned(), String::new()),
            ("next".to_owned(), "/staff".to_owned()),
        ]
    );
    assert_eq!(
        page.attr("form.unsaved [name=password]", "type").as_deref(),
        Some("password")
    );
    assert!(
        !page.html.html().contains(crate::support::STAFF_PASSWORD),
        "the password is never sent back"
    );

    // Sent again with the password typed again: logged in, and taken where they were going.
    let mut fields = form_fields(&page);
    fields[1].1 = crate::support::STAFF_PASSWORD.to_owned();
    let page = Page::of(visitor.post_form("/login", &pairs(&fields)).await).await;
    assert_eq!(page.text("header .who strong"), "Ada Staff");
    assert_eq!(page.path(), "/staff");
}

#[tokio::test]
async fn a_thread_opens_at_once_while_a_lock_held_elsewhere_keeps_its_reading_from_being_written() {
    let app = spawn_app_with(|c| c.db_lock_wait_ms = 2_000).await;
    let net = Fixture::new(&app).await;
    let path = thread(&net).await;
    let mut other = hold_lock(&app, "cohort_reads").await;
    let started = Instant::now();
    let page = Page::of(net.facilitator.get(&path).await).await;
    let took = started.elapsed();
    other.execute("ROLLBACK").await.unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(page.text("#thread-heading"), "Shut-off moratoriums");
    assert!(
        took < Duration::from_millis(1_500),
        "the page waited on the write: {took:?}"
    );

    // With the lock gone the reading is written again, as the page is shown.
    let page = Page::of(net.facilitator.get(&path).await).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM cohort_reads r JOIN people p ON p.id = r.person_id \
             WHERE p.email_norm = 'mayor@a.gov'"
        )
        .await,
        1
    );
}

/// Makes the database full from now on, for the writes of `table` at least: on SQLite the
/// file may not grow past its size (`max_page_count`, set on every connection of the pool,
/// which then fails with SQLITE_FULL as a full disk does); on PostgreSQL a trigger raises
/// `disk_full` (53100), the error a full disk gives.
async fn fill_up(app: &TestApp, table: &str) {
    match app.state.backend {
        Backend::Sqlite => {
            let mut held = Vec::new();
            for _ in 0..8 {
                held.push(app.state.pool.acquire().await.unwrap());
            }
            for conn in &mut held {
                let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
                    .fetch_one(&mut **conn)
                    .await
                    .unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "PRAGMA max_page_count = {pages}"
                )))
                .execute(&mut **conn)
                .await
                .unwrap();
            }
        }
        Backend::Postgres => {
            let mut conn = sqlx::postgres::PgConnection::connect(&app.db.url)
                .await
                .unwrap();
            conn.execute(
                "CREATE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' \
                 USING ERRCODE = 'disk_full'; END $$",
            )
            .await
            .unwrap();
            conn.execute(sqlx::AssertSqlSafe(format!(
                "CREATE TRIGGER test_disk_full BEFORE INSERT ON {table} \
                 FOR EACH ROW EXECUTE FUNCTION test_disk_full()"
            )))
            .await
            .unwrap();
        }
    }
}

#[tokio::test]
async fn an_upload_to_a_full_disk_says_storage_is_full_and_gives_the_text_back() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    fill_up(&app, "file_chunks").await;
    let note = "Line one\r\nLine two: the 2027 figures";
    let form = Form::new()
        .text("title", "Budget 2027")
        .part(
            "file",
            Part::bytes(b"%PDF-1.7\n".repeat(120_000))
                .file_name("budget.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        )
        .text("note", note);
    let path = format!("/cohorts/{SLUG}/resources/add-file");
    let response = net
        .member
        .client
        .post(net.member.url(&path))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let page = Page::of(response).await;
    assert_eq!(page.status, 507, "{}", page.html.html());
    assert_eq!(
        page.text("#unsaved-message"),
        "Nothing was saved yet: the portal's storage is full. Your text is below; keep a copy and send it again later, once the people who run the portal have made room."
    );
    assert_eq!(page.h1(), "Not saved yet");
    assert_eq!(
        page.attr("form.unsaved", "enctype").as_deref(),
        Some("multipart/form-data")
    );
    assert_eq!(
        form_fields(&page),
        vec![
            ("title".to_owned(), "Budget 2027".to_owned()),
            ("note".to_owned(), note.replace("\r\n", "\n")),
        ]
    );
    assert_eq!(label_of(&page, "file"), "File: choose “budget.pdf” again");
    assert_eq!(
        page.attr("form.unsaved [name=file]", "type").as_deref(),
        Some("file")
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cohort_resources").await,
        0
    );
}

#[tokio::test]
async fn healthz_answers_503_when_the_data_folder_has_less_room_than_the_setting() {
    let app = spawn_app_with(|c| c.min_free_mb = u64::MAX / (1024 * 1024)).await;
    let page = Page::of(app.get("/healthz").await).await;
    assert_eq!(page.status, 503);
    let said = page.text("main h1 + p");
    assert!(said.starts_with("Storage is nearly full: "), "{said}");
    assert!(said.contains("MB free for "), "{said}");
    assert!(said.ends_with("set by --min-free-mb."), "{said}");

    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
}
