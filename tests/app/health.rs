//! `/healthz`: 200 when the database answers and takes writes; 503 within a few seconds, with
//! the reason, when it is unreachable, read-only or held by another writer.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use portal::{config::Config, db::Backend, state::AppState};
use sqlx::{Connection, Executor, any::AnyPoolOptions, postgres::PgConnection};

use crate::support::{Page, spawn_app};

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

/// Status, what the page says (its message, or the whole body when all is well) and how long
/// the answer took.
async fn healthz(address: &str) -> (u16, String, Duration) {
    let started = Instant::now();
    let page = Page::of(reqwest::get(format!("{address}/healthz")).await.unwrap()).await;
    let took = started.elapsed();
    let said = if page.status == 200 {
        page.html.root_element().text().collect::<String>()
    } else {
        page.text("main h1 + p")
    };
    (page.status, said, took)
}

#[tokio::test]
async fn healthz_answers_503_within_seconds_saying_why_while_another_holds_the_write_lock() {
    let app = spawn_app().await;
    assert_eq!(healthz(&app.address).await.0, 200);

    // Another process takes the write lock and keeps it.
    let (mut sqlite, mut pg) = (None, None);
    match app.state.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
            conn.execute("BEGIN IMMEDIATE").await.unwrap();
            sqlite = Some(conn);
        }
        Backend::Postgres => {
            let mut conn = PgConnection::connect(&app.db.url).await.unwrap();
            conn.execute("BEGIN").await.unwrap();
            conn.execute("LOCK TABLE health_probe IN EXCLUSIVE MODE")
                .await
                .unwrap();
            pg = Some(conn);
        }
    }
    let (status, body, took) = healthz(&app.address).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.starts_with("The database refuses writes: "), "{body}");
    assert!(body.contains("lock"), "{body}");
    assert!(took < Duration::from_secs(5), "took {took:?}");

    if let Some(conn) = sqlite.as_mut() {
        conn.execute("ROLLBACK").await.unwrap();
    }
    if let Some(conn) = pg.as_mut() {
        conn.execute("ROLLBACK").await.unwrap();
    }
    let (status, body, _) = healthz(&app.address).await;
    assert_eq!((status, body.as_str()), (200, "ok"));
}

#[tokio::test]
async fn healthz_answers_503_saying_why_when_the_database_is_read_only() {
    let app = spawn_app().await;
    let address = match app.state.backend {
        Backend::Sqlite => {
            // The file as a server sees it when it may read but not write it.
            let url = app.db.url.replace("mode=rwc", "mode=ro");
            assert_ne!(url, app.db.url);
            let (pool, backend) = portal::db::open(&url).await.unwrap();
            serve(AppState::new(pool, backend, app.state.config.clone())).await
        }
        Backend::Postgres => {
            let name = app.db.url.rsplit('/').next().unwrap().to_owned();
            let mut admin = PgConnection::connect(&app.db.url).await.unwrap();
            admin
                .execute(sqlx::AssertSqlSafe(format!(
                    "ALTER DATABASE \"{name}\" SET default_transaction_read_only = on"
                )))
                .await
                .unwrap();
            // The pool's connections made before the change are ended; new ones are read-only.
            sqlx::query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = $1 AND pid <> pg_backend_pid()",
            )
            .bind(&name)
            .execute(&mut admin)
            .await
            .unwrap();
            app.address.clone()
        }
    };
    let (status, body, took) = healthz(&address).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.starts_with("The database refuses writes: "), "{body}");
    assert!(body.replace('-', "").contains("readonly"), "{body}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[tokio::test]
async fn healthz_says_connection_refused_when_postgresql_cannot_be_reached() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://nobody@127.0.0.1:{port}/none");
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy(&url)
        .unwrap();
    let config = Config::for_database(&url, std::env::temp_dir());
    let address = serve(AppState::new(pool, Backend::Postgres, config)).await;
    let (status, body, took) = healthz(&address).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.to_lowercase()
            .starts_with("the database cannot be reached: connection refused"),
        "{body}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}
