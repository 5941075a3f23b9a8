//! The binary: configuration errors, `create-staff`, `migrate`, `--help`, graceful shutdown.

use std::{
    io::Write,
    process::{Command, Stdio},
};

use crate::support::{Page, STAFF_PASSWORD, spawn_app, test_db};

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

#[test]
fn an_unreachable_database_is_named_in_one_line_and_the_exit_is_non_zero() {
    let out = portal()
        .args([
            "migrate",
            "--database-url",
            "postgres://nobody@127.0.0.1:9/none",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.starts_with("portal: cannot connect to the database"),
        "{err}"
    );
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
