//! The binary: configuration errors, `create-staff`, `migrate`, `--help`, graceful shutdown.

use std::{
    io::Write,
    os::unix::fs::PermissionsExt,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::{
    smtp::SmtpServer,
    support::{Page, STAFF_PASSWORD, spawn_app, test_db},
};

fn portal() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_portal"));
    c.env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    c
}

#[test]
fn a_malformed_database_url_is_named_in_one_line_and_the_exit_is_non_zero() {
    let out = portal()
        .args(["migrate", "--database-url", "mysql://localhost/x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("DATABASE_URL must start with sqlite:// or postgres://"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A folder of this test's own under the system's temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "portal-cli-{}",
            &portal::accounts::tokens::generate()[..12]
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn an_unreachable_postgresql_says_connection_refused_in_one_line_at_once() {
    let url = format!("postgres://nobody@127.0.0.1:{}/none", free_port());
    let started = Instant::now();
    let out = portal()
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.starts_with("portal: cannot connect to the database at 127.0.0.1:"),
        "{err}"
    );
    assert!(err.to_lowercase().contains("connection refused"), "{err}");
    assert!(took < Duration::from_secs(3), "took {took:?}: {err}");
}

#[test]
fn a_data_folder_that_cannot_hold_the_database_is_named_in_one_line() {
    let data = TempDir::new();
    // Root may write anywhere, so a folder where the database file should be stands for a
    // folder the portal may not write in: SQLite cannot open either.
    let file = data.0.join("portal.db");
    std::fs::create_dir(&file).unwrap();
    let out = portal()
        .args(["migrate", "--data-dir", data.0.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "file {}: unable to open database file",
            file.display()
        )),
        "{err}"
    );
}

#[tokio::test]
async fn a_mail_folder_that_cannot_take_files_is_named_at_start() {
    let db = test_db().await;
    let data = TempDir::new();
    let mail = data.0.join("mail");
    std::fs::write(&mail, b"a file where the folder should be").unwrap();
    let serve = |data: &std::path::Path| {
        portal()
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{}", free_port()),
                "--database-url",
                &db.url,
                "--data-dir",
                data.to_str().unwrap(),
            ])
            .env_remove("SMTP_URL")
            .output()
            .unwrap()
    };
    let out = serve(&data.0);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("cannot create the mail folder {}", mail.display())),
        "{err}"
    );

    // A folder without write permission, where permissions apply (not to root).
    std::fs::remove_file(&mail).unwrap();
    std::fs::create_dir(&mail).unwrap();
    std::fs::set_permissions(&mail, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::write(mail.join("probe"), b"").is_err() {
        let out = serve(&data.0);
        assert!(!out.status.success());
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains(&format!(
                "cannot write to the mail folder {}",
                mail.display()
            )),
            "{err}"
        );
    }
}

#[test]
fn help_lists_every_setting_with_its_environment_variable() {
    let out = portal().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for word in [
        "serve",
        "migrate",
        "create-staff",
        "PORTAL_BIND",
        "PORTAL_BASE_URL",
        "DATABASE_URL",
        "PORTAL_DATA_DIR",
        "PORTAL_ORG_NAME",
        "PORTAL_ORG_TAGLINE",
        "PORTAL_LOG_FORMAT",
        "PORTAL_DB_LOCK_WAIT_MS",
        "PORTAL_MIN_FREE_MB",
        "PORTAL_HEADER_TIMEOUT_SECONDS",
        "PORTAL_SHUTDOWN_SECONDS",
    ] {
        assert!(help.contains(word), "--help does not mention {word}");
    }
}

#[tokio::test]
async fn create_staff_reads_the_password_from_standard_input() {
    let app = spawn_app().await;
    let mut child = portal()
        .args([
            "create-staff",
            "--email",
            "lin@mayorsinnovation.org",
            "--name",
            "Lin Staff",
            "--database-url",
            &app.db.url,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{STAFF_PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("created for lin@mayorsinnovation.org")
    );

    let page = Page::of(app.log_in("lin@mayorsinnovation.org", STAFF_PASSWORD).await).await;
    assert_eq!(page.text("header .who strong"), "Lin Staff");

    // The same email twice, or a weak password: refused, with the reason.
    let mut again = portal()
        .args([
            "create-staff",
            "--email",
            "LIN@mayorsinnovation.org",
            "--name",
            "Lin",
            "--database-url",
            &app.db.url,
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(again.stdin.take().unwrap(), "{STAFF_PASSWORD}").unwrap();
    let out = again.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("already exists")
    );
}

#[tokio::test]
async fn serve_logs_the_setup_link_and_stops_cleanly_on_sigterm() {
    let db = test_db().await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let mut child = portal()
        .env("RUST_LOG", "info")
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--base-url",
            &base,
            "--database-url",
            &db.url,
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the server did not come up");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = tokio::task::spawn_blocking(move || {
        let status = child.wait().unwrap();
        let mut log = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
        (status, log)
    })
    .await
    .unwrap();
    assert!(status.0.success(), "{}", status.1);
    let link = status
        .1
        .lines()
        .find(|l| l.contains("/setup/"))
        .expect("the setup link is in the log");
    assert!(link.contains(&format!("{base}/setup/")));
    assert!(status.1.contains("stopped"));
}

/// `portal serve` on this database, sending through this SMTP server, looking at the outbox
/// every second.
fn serve_with_smtp(db_url: &str, smtp_url: &str, data: &std::path::Path) -> Child {
    let port = free_port();
    portal()
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "--database-url",
            db_url,
            "--data-dir",
            data.to_str().unwrap(),
            "--smtp-url",
            smtp_url,
            "--mail-poll-seconds",
            "1",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// SIGTERM, then the exit status and the log.
async fn terminate(mut child: Child) -> (std::process::ExitStatus, String) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    tokio::task::spawn_blocking(move || {
        let status = child.wait().unwrap();
        let mut log = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
        (status, log)
    })
    .await
    .unwrap()
}

/// SIGTERM, then the exit status, the log and how long the exit took; a server still running
/// after `limit` is killed and the test fails, rather than hanging on it.
async fn terminate_within(
    mut child: Child,
    limit: Duration,
) -> (std::process::ExitStatus, String, Duration) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > limit {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = started.elapsed();
    let status = match status {
        Some(status) => status,
        None => {
            let _ = child.kill();
            child.wait().unwrap()
        }
    };
    let log = tokio::task::spawn_blocking(move || {
        let mut log = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
        log
    })
    .await
    .unwrap();
    assert!(took <= limit, "still running {took:?} after SIGTERM: {log}");
    (status, log, took)
}

async fn count(app: &crate::support::TestApp, status: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = $1")
        .bind(status)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn sigterm_while_emails_are_sent_leaves_none_claimed_and_the_next_start_sends_the_rest() {
    let smtp = SmtpServer::start(0).await;
    smtp.delay_ms
        .store(400, std::sync::atomic::Ordering::SeqCst);
    let app = spawn_app().await;
    let data = TempDir::new();
    for i in 0..8 {
        let mut conn = app.state.pool.acquire().await.unwrap();
        portal::notify::outbox::insert(
            &mut conn,
            &app.state,
            portal::notify::outbox::NewEmail {
                kind: "password_reset",
                to: &format!("mayor{i}@example.org"),
                reply_to: "",
                subject: "Reset your password",
                text: "Follow the link.",
                html: "<p>Follow the link.</p>",
                parts: &[],
            },
        )
        .await
        .unwrap();
    }

    let server = serve_with_smtp(&app.db.url, &smtp.url(), &data.0);
    let deadline = Instant::now() + Duration::from_secs(20);
    while smtp.messages().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !smtp.messages().is_empty(),
        "the worker did not start sending"
    );
    let (status, log) = terminate(server).await;
    assert!(status.success(), "{log}");
    assert_eq!(
        count(&app, "sending").await,
        0,
        "no email is left claimed: {log}"
    );
    let sent = count(&app, "sent").await;
    assert_eq!(
        sent as usize,
        smtp.messages().len(),
        "the email in hand was finished and recorded"
    );
    assert!(sent < 8, "SIGTERM came before the worker was done");
    assert_eq!(count(&app, "pending").await, 8 - sent);

    // The next start sends the rest at once, not ten minutes later.
    smtp.delay_ms.store(0, std::sync::atomic::Ordering::SeqCst);
    let server = serve_with_smtp(&app.db.url, &smtp.url(), &data.0);
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&app, "sent").await < 8 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, log) = terminate(server).await;
    assert_eq!(count(&app, "sent").await, 8, "{log}");
    let mut ids: Vec<String> = smtp
        .messages()
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    assert_eq!(ids.len(), 8);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8, "each email went out once");
}

/// `portal serve` on this database with these settings more, once `/healthz` answers; its
/// port.
async fn serve_up(db_url: &str, data: &std::path::Path, more: &[&str]) -> (Child, u16) {
    let port = free_port();
    let mut child = portal()
        .env("RUST_LOG", "info")
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "--database-url",
            db_url,
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .args(more)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return (child, port);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut log = String::new();
    let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log);
    panic!("the server did not come up: {log}");
}

#[tokio::test]
async fn sigterm_with_a_client_that_sent_one_byte_exits_within_the_shutdown_deadline() {
    use tokio::io::AsyncWriteExt;
    let db = test_db().await;
    let data = TempDir::new();
    let (server, port) = serve_up(&db.url, &data.0, &["--shutdown-seconds", "2"]).await;
    // One byte of a request, and then nothing (the headers' time limit is 30 s).
    let mut stalled = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stalled.write_all(b"G").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, log, took) = terminate_within(server, Duration::from_secs(6)).await;
    assert!(status.success(), "{log}");
    assert!(took >= Duration::from_millis(1_500), "took {took:?}: {log}");
    assert!(
        log.contains("closing the connections still open 2 s after the signal"),
        "{log}"
    );
    assert!(log.contains("stopped"), "{log}");
    drop(stalled);
}

#[tokio::test]
async fn a_client_that_does_not_finish_its_headers_in_time_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = test_db().await;
    let data = TempDir::new();
    let (server, port) = serve_up(&db.url, &data.0, &["--header-timeout-seconds", "1"]).await;
    let mut stalled = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stalled
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stalled.read_to_end(&mut answer)).await;
    let took = started.elapsed();
    // A client that sends its request in time is served as always.
    let ok = reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .map(|r| r.status().as_u16());
    // Stopped before anything is asserted, so that a failure leaves no server behind.
    drop(stalled);
    let (status, log, _) = terminate_within(server, Duration::from_secs(30)).await;
    assert!(read.is_ok(), "still connected after {took:?}");
    assert!(took < Duration::from_secs(3), "closed after {took:?}");
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert_eq!(ok.ok(), Some(200));
    assert!(status.success(), "{log}");
}

#[tokio::test]
async fn sigterm_while_the_smtp_server_hangs_gives_the_emails_back_within_the_deadline() {
    let smtp = SmtpServer::start(0).await;
    // The server takes the message and then does not answer for a minute.
    smtp.delay_ms
        .store(60_000, std::sync::atomic::Ordering::SeqCst);
    let app = spawn_app().await;
    let data = TempDir::new();
    for i in 0..2 {
        let mut conn = app.state.pool.acquire().await.unwrap();
        portal::notify::outbox::insert(
            &mut conn,
            &app.state,
            portal::notify::outbox::NewEmail {
                kind: "password_reset",
                to: &format!("mayor{i}@example.org"),
                reply_to: "",
                subject: "Reset your password",
                text: "Follow the link.",
                html: "<p>Follow the link.</p>",
                parts: &[],
            },
        )
        .await
        .unwrap();
    }
    let (server, _) = serve_up(
        &app.db.url,
        &data.0,
        &[
            "--smtp-url",
            &smtp.url(),
            "--mail-poll-seconds",
            "1",
            "--shutdown-seconds",
            "2",
        ],
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while smtp.messages().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(smtp.messages().len(), 1, "the worker did not start sending");
    let (status, log, _) = terminate_within(server, Duration::from_secs(6)).await;
    assert!(status.success(), "{log}");
    assert_eq!(count(&app, "sending").await, 0, "none left claimed: {log}");
    assert_eq!(
        count(&app, "pending").await,
        2,
        "both to be sent after the next start: {log}"
    );
    assert!(log.contains("the emails it held are given back"), "{log}");
}

#[test]
fn reindex_rebuilds_the_search_index_from_the_database() {
    let dir = TempDir::new();
    let data = dir.0.to_str().unwrap();
    let demo = portal()
        .args(["demo", "--data-dir", data])
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    // The index lost: reindex writes every document again.
    let db = format!("sqlite://{}/portal.db", data);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let count = |rt: &tokio::runtime::Runtime, lose: bool| {
        rt.block_on(async {
            let (pool, _) = portal::db::open(&db).await.unwrap();
            if lose {
                sqlx::query("DELETE FROM search_docs WHERE kind = 'request'")
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM search_docs")
                .fetch_one(&pool)
                .await
                .unwrap()
        })
    };
    let all = count(&rt, false);
    assert!(
        all > 6,
        "the demo's threads, resources and requests are indexed: {all}"
    );
    assert_eq!(
        count(&rt, true),
        all - 6,
        "the six requests' documents lost"
    );
    let out = portal()
        .args(["reindex", "--data-dir", data])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{all} documents indexed.")
    );
    assert_eq!(count(&rt, false), all);
    let found = rt.block_on(async {
        let (pool, _) = portal::db::open(&db).await.unwrap();
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM search_fts WHERE search_fts MATCH 'cooling'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    });
    assert_eq!(
        found, 2,
        "the full-text index follows the documents: a request and a webinar"
    );
}

/// The peak resident memory of a process, in bytes (`VmHWM`).
fn peak_memory(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap();
    kb * 1024
}

#[tokio::test]
async fn a_50_mb_download_streams_from_the_file_store_and_the_servers_memory_stays_flat() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    // 50 MB, published for everyone through the form.
    let line = b"city,year,households,rate\n";
    let csv: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(50 * 1024 * 1024)
        .collect();
    let page = crate::publications::publish(
        &staff,
        "/staff/publications/new",
        &[("title", "Rates table"), ("visibility", "public")],
        Some(("rates.csv", csv.clone())),
    )
    .await;
    assert_eq!(
        page.path(),
        "/publications/rates-table",
        "{}",
        page.text("main")
    );
    // Another process serves the same database: its memory is its own.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = portal()
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--base-url",
            &base,
        ])
        .args(["--database-url", &app.db.url])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!("{base}/publications/rates-table/download");
    let mut up = false;
    for _ in 0..100 {
        if client
            .head(&url)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the server did not come up");
    let before = peak_memory(child.id());
    for _ in 0..3 {
        let mut got = client.get(&url).send().await.unwrap();
        assert_eq!(got.status(), 200);
        assert_eq!(
            got.headers()["content-length"],
            (50 * 1024 * 1024).to_string().as_str()
        );
        let mut n = 0;
        while let Some(chunk) = got.chunk().await.unwrap() {
            n += chunk.len();
        }
        assert_eq!(n, csv.len());
    }
    let after = peak_memory(child.id());
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let _ = child.wait();
    // Streamed in chunks: the peak grows by far less than the file's 50 MB.
    assert!(
        after.saturating_sub(before) < 16 * 1024 * 1024,
        "peak memory {} MB before, {} MB after",
        before / 1_048_576,
        after / 1_048_576
    );
}
