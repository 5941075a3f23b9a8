//! The outbox worker: retries, failures, exactly-once delivery, the .eml folder.

use std::sync::atomic::Ordering;

use portal::notify::worker::{Mailer, deliver_due};

use crate::{
    smtp::SmtpServer,
    support::{Page, TestApp, spawn_app, spawn_app_with},
};

/// Queues `n` invitations through the form as a staff member.
async fn queue_invitations(app: &TestApp, n: usize) {
    let staff = app.staff_visitor().await;
    let city = app
        .insert_city("Lafayette", "CO", "active")
        .await
        .to_string();
    for i in 0..n {
        let email = format!("advisor{i}@lafayetteco.gov");
        let r = staff
            .post_form(
                "/invitations",
                &[("email", &email), ("role", "advisor"), ("city_id", &city)],
            )
            .await;
        assert_eq!(r.status(), 200);
    }
}

async fn statuses(app: &TestApp) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT status, attempts FROM outbox ORDER BY id")
        .fetch_all(&app.state.pool)
        .await
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn the_worker_retries_after_the_smtp_server_was_down_and_sends_each_email_once() {
    let port = free_port();
    let app = spawn_app_with(|c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    queue_invitations(&app, 1).await;

    assert_eq!(
        app.deliver_mail().await,
        0,
        "nothing can be sent while the server is down"
    );
    assert_eq!(statuses(&app).await, vec![("pending".to_owned(), 1)]);
    let error: Option<String> = sqlx::query_scalar("SELECT last_error FROM outbox")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert!(error.is_some_and(|e| !e.is_empty()));

    let smtp = SmtpServer::start(port).await;
    assert_eq!(
        app.deliver_mail().await,
        0,
        "the next try waits for its backoff"
    );
    app.state.clock.advance(61);
    assert_eq!(app.deliver_mail().await, 1);
    assert_eq!(app.deliver_mail().await, 0);
    app.state.clock.advance(3600);
    assert_eq!(app.deliver_mail().await, 0);
    assert_eq!(smtp.messages().len(), 1, "sent exactly once");
    assert_eq!(statuses(&app).await, vec![("sent".to_owned(), 2)]);
}

#[tokio::test]
async fn a_refused_email_is_retried_then_marked_failed_with_its_error_and_staff_can_send_it_again()
{
    let smtp = SmtpServer::start(0).await;
    smtp.refuse.store(true, Ordering::SeqCst);
    let url = smtp.url();
    let app = spawn_app_with(|c| {
        c.smtp_url = Some(url);
        c.mail_max_attempts = 3;
    })
    .await;
    queue_invitations(&app, 1).await;
    for _ in 0..3 {
        app.deliver_mail().await;
        app.state.clock.advance(6 * 3600);
    }
    assert_eq!(statuses(&app).await, vec![("failed".to_owned(), 3)]);

    let staff = app.visitor();
    staff
        .log_in("grace@mayorsinnovation.org", crate::support::STAFF_PASSWORD)
        .await;
    let page = Page::of(staff.get("/staff/outbox?status=failed").await).await;
    assert_eq!(page.texts("tbody tr").len(), 1);
    assert!(
        page.text("tbody .error-text").contains("Try again later"),
        "{}",
        page.text("tbody")
    );
    assert!(page.texts(".tabs a").contains(&"Failed (1)".to_owned()));

    smtp.refuse.store(false, Ordering::SeqCst);
    let id: i64 = sqlx::query_scalar("SELECT id FROM outbox")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let page = Page::of(
        staff
            .post_form(&format!("/staff/outbox/{id}/retry"), &[])
            .await,
    )
    .await;
    assert_eq!(
        page.text(".flash"),
        "The email is queued again and will be sent in a moment."
    );
    assert_eq!(app.deliver_mail().await, 1);
    assert_eq!(smtp.messages().len(), 1);
    let sent = Page::of(staff.get("/staff/outbox?status=sent").await).await;
    assert_eq!(sent.texts("tbody tr").len(), 1);
}

#[tokio::test]
async fn two_workers_on_one_database_send_each_email_once() {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    queue_invitations(&app, 30).await;
    let mailer = Mailer::from_config(&app.state.config).unwrap();
    // A second instance: its own pool on the same database.
    let (pool, backend) = portal::db::open(&app.db.url).await.unwrap();
    let other = portal::state::AppState::new(pool, backend, app.state.config.clone());
    let (a, b) = tokio::join!(
        deliver_due(&app.state, &mailer, "instance-a"),
        deliver_due(&other, &mailer, "instance-b")
    );
    assert_eq!(a.unwrap() + b.unwrap(), 30);
    let messages = smtp.messages();
    assert_eq!(messages.len(), 30);
    let mut ids: Vec<String> = messages
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 30, "no email went out twice");
}

/// A worker claims the due rows and dies before sending them.
async fn claim_and_crash(app: &TestApp, worker: &str) -> usize {
    portal::notify::outbox::claim(
        &app.state.pool,
        app.state.backend,
        worker,
        app.state.clock.now(),
        10,
    )
    .await
    .unwrap()
    .len()
}

#[tokio::test]
async fn a_claim_left_by_a_crashed_worker_is_taken_again_within_about_two_minutes() {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    queue_invitations(&app, 1).await;
    assert_eq!(claim_and_crash(&app, "crashed").await, 1);
    assert_eq!(app.deliver_mail().await, 0, "a fresh claim is left alone");
    app.state.clock.advance(90);
    assert_eq!(
        app.deliver_mail().await,
        0,
        "a claim 90 s old is left alone"
    );
    app.state.clock.advance(31);
    assert_eq!(
        app.deliver_mail().await,
        1,
        "a claim 2 minutes old is taken"
    );
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn a_worker_still_sending_renews_its_claim_so_no_other_worker_takes_it() {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    queue_invitations(&app, 1).await;
    assert_eq!(claim_and_crash(&app, "slow").await, 1);
    for _ in 0..4 {
        app.state.clock.advance(100);
        portal::notify::outbox::heartbeat(&app.state.pool, "slow", app.state.clock.now())
            .await
            .unwrap();
        assert_eq!(app.deliver_mail().await, 0, "a renewed claim is left alone");
    }
    app.state.clock.advance(121);
    assert_eq!(
        app.deliver_mail().await,
        1,
        "once renewals stop, it is taken"
    );
}

#[tokio::test]
async fn a_stopped_worker_finishes_the_email_in_hand_and_gives_back_the_rest_of_its_claim() {
    let smtp = SmtpServer::start(0).await;
    smtp.delay_ms.store(700, Ordering::SeqCst);
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    queue_invitations(&app, 8).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let state = app.state.clone();
    let worker = tokio::spawn(async move {
        let mailer = Mailer::from_config(&state.config).unwrap();
        portal::notify::worker::deliver_due_until(&state, &mailer, "stopping", &stopped).await
    });
    // The first email has reached the server, which has not yet answered.
    for _ in 0..100 {
        if !smtp.messages().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(smtp.messages().len(), 1);
    stop.send(true).unwrap();
    assert_eq!(
        worker.await.unwrap().unwrap(),
        1,
        "the email in hand is sent"
    );

    let rows = statuses(&app).await;
    assert_eq!(rows[0], ("sent".to_owned(), 1));
    assert!(
        rows[1..].iter().all(|r| r == &("pending".to_owned(), 0)),
        "the rest are back in the queue as they were: {rows:?}"
    );
    let claimed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE status <> 'sent' AND claimed_by IS NOT NULL",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(claimed, 0);

    smtp.delay_ms.store(0, Ordering::SeqCst);
    assert_eq!(
        app.deliver_mail().await,
        7,
        "the next worker sends them at once"
    );
    let mut ids: Vec<String> = smtp
        .messages()
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8, "each email went out once");
}

#[tokio::test]
async fn a_permanent_smtp_refusal_marks_the_email_failed_at_once_with_its_reason() {
    let smtp = SmtpServer::start(0).await;
    smtp.reject("advisor0@lafayetteco.gov");
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    queue_invitations(&app, 2).await;
    assert_eq!(app.deliver_mail().await, 1);
    assert_eq!(
        statuses(&app).await,
        vec![("failed".to_owned(), 1), ("sent".to_owned(), 1)],
        "no retry for a refusal that will not change"
    );
    app.state.clock.advance(6 * 3600);
    assert_eq!(app.deliver_mail().await, 0);
    assert_eq!(smtp.messages().len(), 1);
    assert_eq!(smtp.messages()[0].rcpt, vec!["advisor1@lafayetteco.gov"]);

    let staff = app.visitor();
    staff
        .log_in("grace@mayorsinnovation.org", crate::support::STAFF_PASSWORD)
        .await;
    let page = Page::of(staff.get("/staff/outbox?status=failed").await).await;
    assert_eq!(page.texts("tbody tr").len(), 1);
    let error = page.text("tbody .error-text");
    assert!(
        error.contains("554") && error.contains("Recipient address rejected"),
        "{error}"
    );
}

#[tokio::test]
async fn an_email_the_mail_folder_cannot_take_fails_naming_the_folder() {
    let app = spawn_app().await;
    queue_invitations(&app, 1).await;
    let mailer = Mailer::from_config(&app.state.config).unwrap();
    // The folder goes away under the running server, and a file takes its place.
    let dir = app.state.config.mail_dir();
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::write(&dir, b"not a folder").unwrap();
    assert_eq!(deliver_due(&app.state, &mailer, "w").await.unwrap(), 0);
    let error: String = sqlx::query_scalar("SELECT last_error FROM outbox")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert!(
        error.contains(&format!(
            "cannot write to the mail folder {}",
            dir.display()
        )),
        "{error}"
    );
    assert_eq!(statuses(&app).await, vec![("pending".to_owned(), 1)]);

    let refused = Mailer::from_config(&app.state.config).err().unwrap();
    assert!(refused.contains(&dir.display().to_string()), "{refused}");
}

#[tokio::test]
async fn without_smtp_each_email_is_written_as_an_eml_file_in_the_data_folder() {
    let app = spawn_app().await;
    queue_invitations(&app, 1).await;
    assert_eq!(app.deliver_mail().await, 1);
    let dir = app.state.config.mail_dir();
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].extension().unwrap(), "eml");
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    assert!(eml.contains("To: advisor0@lafayetteco.gov"));
    assert!(eml.contains(&format!("{}/invite/", app.address)));
    let queued = app.last_mail_to("advisor0@lafayetteco.gov").await;
    // A person reading the file finds the whole link on one line, as in the outbox.
    let link = queued.link(&app.address, "/invite/");
    assert!(eml.lines().any(|l| l.trim() == link), "{eml}");
    assert!(
        queued.html.contains("<a href=\"http://"),
        "the HTML part links the invitation"
    );
    assert!(queued.subject.ends_with("portal"));
}

#[tokio::test]
async fn only_staff_see_the_outbox_and_the_audit_log() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let city = app.insert_city("Lafayette", "CO", "active").await;
    let mayor = app
        .invite_and_accept(
            &staff,
            "jamie@lafayetteco.gov",
            "Jamie Harkins",
            "mayor",
            city,
        )
        .await;
    for path in ["/staff/outbox", "/staff/audit", "/staff", "/staff/cities"] {
        assert_eq!(mayor.get(path).await.status(), 403, "{path}");
        assert_eq!(staff.get(path).await.status(), 200, "{path}");
    }
    assert_eq!(
        mayor.post_form("/staff/outbox/1/retry", &[]).await.status(),
        403
    );
}
