//! The outbox worker: retries through outages, catching up when the server returns, failures,
//! duplicates after a crash, staff sending failed mail again, the .eml folder.

use std::sync::atomic::Ordering;

use portal::notify::{
    outbox::CLAIM_TIMEOUT,
    worker::{Mailer, PROBE_EVERY, Worker, deliver_due},
};

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

/// One pass of a worker that lives across passes, as the server's worker does.
async fn pass(app: &TestApp, worker: &mut Worker) -> usize {
    let mailer = Mailer::from_config(&app.state.config).unwrap();
    let (_keep, stop) = tokio::sync::watch::channel(false);
    worker
        .deliver_due(&app.state, &mailer, &stop)
        .await
        .unwrap()
}

/// The outbox's rows that wait out a backoff: pending, with their next try after now.
async fn waiting(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND next_attempt_at > $1",
    )
    .bind(app.state.clock.now())
    .fetch_one(&app.state.pool)
    .await
    .unwrap()
}

/// Each Message-ID received, with how many times.
fn copies(smtp: &SmtpServer) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    for id in smtp.message_ids() {
        *out.entry(id).or_default() += 1;
    }
    out
}

async fn staff_page(app: &TestApp, path: &str) -> Page {
    let staff = app.visitor();
    staff
        .log_in("grace@mayorsinnovation.org", crate::support::STAFF_PASSWORD)
        .await;
    Page::of(staff.get(path).await).await
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

    assert_eq!(waiting(&app).await, 1, "it waits out a backoff");

    let smtp = SmtpServer::start(port).await;
    assert_eq!(
        app.deliver_mail().await,
        1,
        "a worker that starts after the outage tries the waiting email at once"
    );
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
        c.mail_give_up_hours = 1;
    })
    .await;
    queue_invitations(&app, 1).await;
    // Tries at 0, 1, 3, 7, 15, 31 minutes, then at the hour it is given up.
    let mut worker = Worker::new("w");
    let mut tried_at = Vec::new();
    for minute in 0..=70 {
        let before = smtp.asked_for("advisor0@lafayetteco.gov");
        pass(&app, &mut worker).await;
        if smtp.asked_for("advisor0@lafayetteco.gov") > before {
            tried_at.push(minute);
        }
        app.state.clock.advance(60);
    }
    assert_eq!(tried_at, vec![0, 1, 3, 7, 15, 31, 60]);
    assert_eq!(statuses(&app).await, vec![("failed".to_owned(), 7)]);

    let staff = app.visitor();
    staff
        .log_in("grace@mayorsinnovation.org", crate::support::STAFF_PASSWORD)
        .await;
    let page = Page::of(staff.get("/staff/outbox?status=failed").await).await;
    assert_eq!(page.texts("tbody tr").len(), 1);
    let intro = page.texts("main p");
    assert!(
        intro
            .iter()
            .any(|p| p.contains("at least hourly, for an hour;")),
        "{intro:?}"
    );
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

/// A worker claims the due rows (recording itself alive) and dies before sending them.
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
async fn a_claim_left_by_a_crashed_worker_is_taken_again_30_seconds_after_its_last_heartbeat() {
    assert_eq!(CLAIM_TIMEOUT, 30);
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    queue_invitations(&app, 1).await;
    assert_eq!(claim_and_crash(&app, "crashed").await, 1);
    assert_eq!(app.deliver_mail().await, 0, "a fresh claim is left alone");
    app.state.clock.advance(29);
    assert_eq!(
        app.deliver_mail().await,
        0,
        "a claim whose worker beat 29 s ago is left alone"
    );
    app.state.clock.advance(2);
    assert_eq!(
        app.deliver_mail().await,
        1,
        "a claim whose worker has been silent for 31 s is taken"
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
    for _ in 0..6 {
        app.state.clock.advance(25);
        portal::notify::outbox::beat(&app.state.pool, "slow", app.state.clock.now())
            .await
            .unwrap();
        assert_eq!(app.deliver_mail().await, 0, "a renewed claim is left alone");
    }
    app.state.clock.advance(31);
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
        Worker::new("stopping")
            .deliver_due(&state, &mailer, &stopped)
            .await
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
async fn a_permanent_smtp_refusal_marks_the_email_failed_at_once_while_a_temporary_one_is_retried()
{
    let smtp = SmtpServer::start(0).await;
    smtp.reject("advisor1@lafayetteco.gov");
    smtp.defer("advisor2@lafayetteco.gov");
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    queue_invitations(&app, 3).await;
    let mut worker = Worker::new("w");
    assert_eq!(pass(&app, &mut worker).await, 1);
    assert_eq!(
        statuses(&app).await,
        vec![
            ("sent".to_owned(), 1),
            ("failed".to_owned(), 1),
            ("pending".to_owned(), 1)
        ],
        "554: no retry for a refusal that will not change; 450: tried again later"
    );
    app.state.clock.advance(61);
    assert_eq!(pass(&app, &mut worker).await, 0);
    assert_eq!(
        smtp.asked_for("advisor2@lafayetteco.gov"),
        2,
        "450 is retried"
    );
    smtp.undefer("advisor2@lafayetteco.gov");
    app.state.clock.advance(121);
    assert_eq!(pass(&app, &mut worker).await, 1);
    app.state.clock.advance(6 * 3600);
    assert_eq!(pass(&app, &mut worker).await, 0);
    assert_eq!(
        smtp.asked_for("advisor1@lafayetteco.gov"),
        1,
        "554 is never tried again"
    );
    let rcpts: Vec<_> = smtp.messages().iter().map(|m| m.rcpt.clone()).collect();
    assert_eq!(
        rcpts,
        vec![
            vec!["advisor0@lafayetteco.gov"],
            vec!["advisor2@lafayetteco.gov"]
        ]
    );

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
    assert_eq!(
        mayor
            .post_form("/staff/outbox/failed/retry", &[])
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn an_outage_longer_than_the_old_retry_schedule_ends_with_every_email_sent_once() {
    let smtp = SmtpServer::start(0).await;
    smtp.down.store(true, Ordering::SeqCst);
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    queue_invitations(&app, 5).await;
    // Three hours of 421, the worker looking every five minutes: the old schedule (8
    // attempts, 1 to 64 minutes apart) marked everything failed after about two hours.
    let mut worker = Worker::new("w");
    for _ in 0..36 {
        assert_eq!(pass(&app, &mut worker).await, 0);
        app.state.clock.advance(300);
    }
    let rows = statuses(&app).await;
    assert!(
        rows.iter().all(|(status, _)| status == "pending"),
        "{rows:?}"
    );
    assert!(
        rows.iter().all(|(_, attempts)| *attempts > 8),
        "each was tried more than the old 8 times: {rows:?}"
    );
    let page = staff_page(&app, "/staff/outbox").await;
    let intro = page.texts("main p");
    assert!(
        intro
            .iter()
            .any(|p| p.contains("at least hourly, for 3 days;")),
        "{intro:?}"
    );
    let tabs = page.texts(".tabs a");
    assert!(tabs.contains(&"Waiting (5)".to_owned()), "{tabs:?}");
    assert!(tabs.contains(&"Failed (0)".to_owned()), "{tabs:?}");
    assert!(
        page.text("tbody .error-text").contains("421"),
        "{}",
        page.text("tbody")
    );
    assert!(smtp.messages().is_empty());

    smtp.down.store(false, Ordering::SeqCst);
    assert_eq!(
        pass(&app, &mut worker).await,
        5,
        "all sent on the next look"
    );
    app.state.clock.advance(6 * 3600);
    assert_eq!(pass(&app, &mut worker).await, 0);
    let copies = copies(&smtp);
    assert_eq!(copies.len(), 5);
    assert!(copies.values().all(|n| *n == 1), "each once: {copies:?}");
    assert!(statuses(&app).await.iter().all(|(s, _)| s == "sent"));
}

#[tokio::test]
async fn an_email_that_cannot_be_sent_for_three_days_is_marked_failed_then() {
    let port = free_port();
    let app = spawn_app_with(|c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    assert_eq!(app.state.config.mail_give_up_hours, 72, "the default");
    queue_invitations(&app, 1).await;
    let mut worker = Worker::new("w");
    for _ in 0..72 {
        pass(&app, &mut worker).await;
        assert_eq!(statuses(&app).await[0].0, "pending");
        app.state.clock.advance(3600);
    }
    pass(&app, &mut worker).await;
    assert_eq!(
        statuses(&app).await[0].0,
        "failed",
        "given up after 72 hours"
    );
    let page = staff_page(&app, "/staff/outbox?status=failed").await;
    assert_eq!(page.texts("tbody tr").len(), 1);
    assert!(
        page.text("tbody .error-text").contains("Connection"),
        "{}",
        page.text("tbody")
    );
}

/// Five invitations tried while the server answers 421: they wait out backoffs of minutes.
async fn queued_during_an_outage(app: &TestApp, smtp: &SmtpServer, worker: &mut Worker) {
    smtp.down.store(true, Ordering::SeqCst);
    queue_invitations(app, 4).await;
    assert_eq!(pass(app, worker).await, 0);
    app.state.clock.advance(60);
    assert_eq!(pass(app, worker).await, 0);
    assert_eq!(waiting(app).await, 4, "each waits two minutes more");
    smtp.down.store(false, Ordering::SeqCst);
}

#[tokio::test]
async fn when_the_server_returns_the_first_email_through_brings_the_waiting_ones_at_once() {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    let mut worker = Worker::new("w");
    queued_during_an_outage(&app, &smtp, &mut worker).await;
    // A new email, due now; the clock does not move, so only its success can bring the others.
    let staff = app.visitor();
    staff
        .log_in("grace@mayorsinnovation.org", crate::support::STAFF_PASSWORD)
        .await;
    let city = app.insert_city("Boulder", "CO", "active").await.to_string();
    let r = staff
        .post_form(
            "/invitations",
            &[
                ("email", "new@bouldercolorado.gov"),
                ("role", "advisor"),
                ("city_id", &city),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(pass(&app, &mut worker).await, 5);
    assert_eq!(waiting(&app).await, 0);
    assert_eq!(copies(&smtp).len(), 5);
    assert_eq!(smtp.messages().len(), 5);
}

#[tokio::test]
async fn when_the_server_returns_the_waiting_emails_are_sent_within_seconds() {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    let mut worker = Worker::new("w");
    queued_during_an_outage(&app, &smtp, &mut worker).await;
    assert_eq!(
        pass(&app, &mut worker).await,
        0,
        "just after a failure, nothing is due"
    );
    // Nothing new is queued: the worker tries the soonest waiting email every PROBE_EVERY
    // seconds, and its success brings the rest, two minutes before their backoff ends.
    assert_eq!(PROBE_EVERY, 15);
    app.state.clock.advance(PROBE_EVERY);
    assert_eq!(pass(&app, &mut worker).await, 4);
    assert_eq!(smtp.messages().len(), 4);
    assert_eq!(copies(&smtp).len(), 4);
}

#[tokio::test]
async fn a_crash_between_the_servers_250_and_the_commit_sends_only_the_email_in_hand_twice() {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    queue_invitations(&app, 5).await;
    // The server keeps the third email and does not answer; the worker is killed meanwhile.
    smtp.hang_after.store(2, Ordering::SeqCst);
    let state = app.state.clone();
    let crashed = tokio::spawn(async move {
        let mailer = Mailer::from_config(&state.config).unwrap();
        let (_keep, stop) = tokio::sync::watch::channel(false);
        Worker::new("crashed")
            .deliver_due(&state, &mailer, &stop)
            .await
    });
    for _ in 0..250 {
        if smtp.messages().len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(smtp.messages().len(), 3);
    crashed.abort();
    let _ = crashed.await;
    smtp.hang_after.store(usize::MAX, Ordering::SeqCst);
    let rows = statuses(&app).await;
    assert_eq!(
        rows.iter().filter(|(s, _)| s == "sent").count(),
        2,
        "the two emails answered 250 were marked sent at once, each in its own commit: {rows:?}"
    );

    assert_eq!(app.deliver_mail().await, 0, "a live claim is left alone");
    app.state.clock.advance(29);
    assert_eq!(app.deliver_mail().await, 0);
    app.state.clock.advance(2);
    assert_eq!(
        app.deliver_mail().await,
        3,
        "half a minute after the last heartbeat, the rest are taken over"
    );
    let ids = smtp.message_ids();
    let copies = copies(&smtp);
    assert_eq!(copies.len(), 5, "every email arrived");
    let twice: Vec<_> = copies.iter().filter(|(_, n)| **n > 1).collect();
    assert_eq!(
        twice,
        vec![(&ids[2], &2)],
        "only the email in hand at the crash came twice"
    );
    assert!(statuses(&app).await.iter().all(|(s, _)| s == "sent"));
}

#[tokio::test]
async fn staff_send_every_failed_email_again_at_once_or_those_of_one_kind() {
    let smtp = SmtpServer::start(0).await;
    for i in 0..3 {
        smtp.reject(&format!("advisor{i}@lafayetteco.gov"));
    }
    smtp.reject("grace@mayorsinnovation.org");
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    queue_invitations(&app, 3).await;
    let sent = Page::of(
        app.visitor()
            .post_form(
                "/password/forgot",
                &[("email", "grace@mayorsinnovation.org")],
            )
            .await,
    )
    .await;
    assert_eq!(sent.path(), "/password/forgot/sent");
    assert_eq!(app.deliver_mail().await, 0);
    assert_eq!(
        statuses(&app)
            .await
            .iter()
            .filter(|(s, _)| s == "failed")
            .count(),
        4
    );

    let staff = app.visitor();
    staff
        .log_in("grace@mayorsinnovation.org", crate::support::STAFF_PASSWORD)
        .await;
    let page = Page::of(staff.get("/staff/outbox?status=failed").await).await;
    assert_eq!(
        page.texts("#kind option"),
        vec!["Every kind (4)", "invitation (3)", "password-reset (1)"]
    );
    assert_eq!(page.text("#retry-failed"), "Send all 4 failed emails again");
    let page = Page::of(
        staff
            .get("/staff/outbox?status=failed&kind=invitation")
            .await,
    )
    .await;
    assert_eq!(page.texts("tbody tr").len(), 3);
    assert_eq!(
        page.text("#retry-failed"),
        "Send all 3 failed invitation emails again"
    );
    assert_eq!(
        page.attr(
            "form[action='/staff/outbox/failed/retry'] input[name=kind]",
            "value"
        ),
        Some("invitation".to_owned())
    );

    smtp.rejected.lock().unwrap().clear();
    // A double click, or twenty: the emails are queued once.
    let clicks =
        (0..20).map(|_| staff.post_form("/staff/outbox/failed/retry", &[("kind", "invitation")]));
    for r in futures_util::future::join_all(clicks).await {
        assert!(r.status().is_success(), "{}", r.status());
    }
    assert_eq!(app.deliver_mail().await, 3);
    let page = Page::of(staff.get("/staff/outbox?status=failed").await).await;
    assert_eq!(page.texts("tbody tr").len(), 1, "the reset is still failed");
    assert_eq!(page.text("#retry-failed"), "Send the failed email again");

    let page = Page::of(
        staff
            .post_form("/staff/outbox/failed/retry", &[("kind", "")])
            .await,
    )
    .await;
    assert_eq!(
        page.text(".flash"),
        "1 email is queued again and will be sent in a moment."
    );
    assert!(!page.has("#retry-failed"), "nothing left to send again");
    assert_eq!(app.deliver_mail().await, 1);
    let copies = copies(&smtp);
    assert_eq!(copies.len(), 4);
    assert!(copies.values().all(|n| *n == 1), "each once: {copies:?}");
    let page = Page::of(
        staff
            .post_form("/staff/outbox/failed/retry", &[("kind", "")])
            .await,
    )
    .await;
    assert_eq!(
        page.text(".flash"),
        "There were no failed emails to send again (any more)."
    );
}

#[tokio::test]
async fn a_worker_takes_up_again_a_claim_of_its_own_left_unfinished() {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    queue_invitations(&app, 2).await;
    // A pass that stopped with its claim unfinished (the database failed, and giving the
    // claim back failed too): the worker's own heartbeat must not keep it from everyone.
    assert_eq!(claim_and_crash(&app, "test-worker").await, 2);
    assert_eq!(app.deliver_mail().await, 2);
    assert_eq!(copies(&smtp).len(), 2);
}
