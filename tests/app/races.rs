//! Accounts under concurrency: log-in limits that hold when guesses arrive at once, sessions
//! that stay ended, reset emails that stay within their limit.

use futures_util::future::join_all;

use crate::support::{Page, STAFF_PASSWORD, TestApp, Visitor, spawn_app, spawn_app_with};

const ADA: &str = "ada@mayorsinnovation.org";

/// Sends `n` log-ins at once, each from its own browser, and returns their statuses and the
/// message each page showed.
async fn log_ins_at_once(
    app: &TestApp,
    attempts: Vec<(String, String, Option<String>)>,
) -> Vec<(u16, String)> {
    let tasks = attempts.into_iter().map(|(email, password, address)| {
        let visitor = app.visitor();
        async move {
            let mut request = visitor
                .client
                .post(visitor.url("/login"))
                .form(&[("email", email.as_str()), ("password", password.as_str())]);
            if let Some(address) = address {
                request = request.header("X-Forwarded-For", address);
            }
            let page = Page::of(request.send().await.unwrap()).await;
            let message = if page.has(".error-summary p") {
                page.text(".error-summary p")
            } else {
                String::new()
            };
            (page.status, message)
        }
    });
    join_all(tasks).await
}

fn count(results: &[(u16, String)], status: u16) -> usize {
    results.iter().filter(|(s, _)| *s == status).count()
}

#[tokio::test]
async fn a_hundred_wrong_passwords_sent_at_once_have_at_most_five_verified() {
    let app = spawn_app().await;
    app.create_staff(ADA, "Ada Staff").await;
    let attempts = (0..100)
        .map(|i| (ADA.to_owned(), format!("wrong guess number {i}"), None))
        .collect();
    let results = log_ins_at_once(&app, attempts).await;

    // A 422 ("not right") means the password was verified; a 429 means it never was.
    let verified = count(&results, 422);
    assert!(verified <= 5, "{verified} passwords were verified");
    assert_eq!(verified + count(&results, 429), 100, "{results:?}");
    for (status, message) in &results {
        if *status == 429 {
            assert!(
                message.starts_with("Too many failed log-ins. For your security, try again in "),
                "{message}"
            );
        }
    }
    // The right password now waits too: the guesses did not buy a way in.
    let page = Page::of(app.log_in(ADA, STAFF_PASSWORD).await).await;
    assert_eq!(page.status, 429);
    assert!(!page.has("header .who strong"));
}

#[tokio::test]
async fn sixty_accounts_tried_at_once_from_one_address_have_at_most_twenty_verified() {
    let app = spawn_app().await;
    let attempts = (0..60)
        .map(|i| {
            (
                format!("person{i}@example.org"),
                "a wrong guess, again".to_owned(),
                None,
            )
        })
        .collect();
    let results = log_ins_at_once(&app, attempts).await;
    let verified = count(&results, 422);
    assert!(verified <= 20, "{verified} passwords were verified");
    assert_eq!(verified + count(&results, 429), 60, "{results:?}");
}

#[tokio::test]
async fn failures_from_one_address_do_not_lock_the_owner_out_from_another() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    app.create_staff(ADA, "Ada Staff").await;
    let attacker = "203.0.113.7".to_owned();
    let five = (0..5)
        .map(|i| {
            (
                ADA.to_owned(),
                format!("wrong guess number {i}"),
                Some(attacker.clone()),
            )
        })
        .collect();
    assert_eq!(count(&log_ins_at_once(&app, five).await, 422), 5);
    let sixth = vec![(ADA.to_owned(), STAFF_PASSWORD.to_owned(), Some(attacker))];
    assert_eq!(log_ins_at_once(&app, sixth).await[0].0, 429);

    // Ada, at her own desk, logs in.
    let owner = app.visitor();
    let page = Page::of(
        owner
            .client
            .post(owner.url("/login"))
            .header("X-Forwarded-For", "198.51.100.20")
            .form(&[("email", ADA), ("password", STAFF_PASSWORD)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page.text("header .who strong"), "Ada Staff");
}

#[tokio::test]
async fn guesses_spread_over_many_addresses_meet_a_ceiling_per_account() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    app.create_staff(ADA, "Ada Staff").await;
    // Fifty failures from ten addresses, five each: no address is over its own limit.
    let spread = (0..50)
        .map(|i| {
            (
                ADA.to_owned(),
                format!("wrong guess number {i}"),
                Some(format!("203.0.113.{}", i % 10)),
            )
        })
        .collect();
    assert_eq!(count(&log_ins_at_once(&app, spread).await, 422), 50);
    let fresh = vec![(
        ADA.to_owned(),
        STAFF_PASSWORD.to_owned(),
        Some("198.51.100.99".to_owned()),
    )];
    let results = log_ins_at_once(&app, fresh).await;
    assert_eq!(results[0].0, 429);
    assert!(results[0].1.contains("try again in"), "{}", results[0].1);
}

/// Logs in (or tries) on `v`'s browser from `address`, the answer's status and message.
async fn log_in_from(v: &Visitor, address: &str, email: &str, password: &str) -> Page {
    Page::of(
        v.client
            .post(v.url("/login"))
            .header("X-Forwarded-For", address)
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Fifty wrong passwords for `ADA`, five from each of ten addresses, all at once: the
/// ceiling per account for unknown devices is reached.
async fn ten_addresses_fail_five_times_each(app: &TestApp) {
    let spread = (0..50)
        .map(|i| {
            (
                ADA.to_owned(),
                format!("wrong guess number {i}"),
                Some(format!("203.0.113.{}", i % 10)),
            )
        })
        .collect();
    assert_eq!(count(&log_ins_at_once(app, spread).await, 422), 50);
}

#[tokio::test]
async fn the_owner_logs_in_from_a_known_device_while_ten_other_addresses_fail_five_times_each() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    app.create_staff(ADA, "Ada Staff").await;
    // Ada's own browser logged in before, and logged out.
    let own = app.visitor();
    let page = log_in_from(&own, "198.51.100.20", ADA, STAFF_PASSWORD).await;
    assert_eq!(page.text("header .who strong"), "Ada Staff");
    own.post_form("/logout", &[]).await;

    ten_addresses_fail_five_times_each(&app).await;

    // A browser that never logged in is held, even with the right password...
    let unknown = log_in_from(&app.visitor(), "198.51.100.20", ADA, STAFF_PASSWORD).await;
    assert_eq!(unknown.status, 429);
    assert!(
        unknown
            .text(".error-summary p")
            .starts_with("Too many failed log-ins"),
        "{}",
        unknown.text(".error-summary p")
    );
    assert!(!unknown.has("header .who strong"));
    // ...while Ada's own browser logs in, from wherever she is.
    let page = log_in_from(&own, "192.0.2.44", ADA, STAFF_PASSWORD).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text("header .who strong"), "Ada Staff");

    // Her device is limited by its own failures.
    own.post_form("/logout", &[]).await;
    for i in 0..5 {
        let page = log_in_from(&own, "192.0.2.44", ADA, &format!("my slip number {i}")).await;
        assert_eq!(page.status, 422);
    }
    let held = log_in_from(&own, "192.0.2.44", ADA, STAFF_PASSWORD).await;
    assert_eq!(held.status, 429);
}

#[tokio::test]
async fn a_forged_device_cookie_or_another_accounts_counts_as_an_unknown_device() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    app.create_staff(ADA, "Ada Staff").await;
    app.create_staff("bea@mayorsinnovation.org", "Bea Staff")
        .await;
    // Bea's browser is a known device, of Bea's account.
    let beas = app.visitor();
    let page = log_in_from(
        &beas,
        "198.51.100.20",
        "bea@mayorsinnovation.org",
        STAFF_PASSWORD,
    )
    .await;
    assert_eq!(page.text("header .who strong"), "Bea Staff");
    beas.post_form("/logout", &[]).await;
    // Ada's device cookie, copied and changed to name Bea's id, or signed with a made-up key.
    let ada_id: i64 = sqlx::query_scalar("SELECT id FROM people WHERE email = $1")
        .bind(ADA)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let own_cookie = device_cookie_of_a_log_in(&app).await;
    assert!(
        own_cookie.starts_with(&format!("{ada_id}.")),
        "{own_cookie}"
    );

    ten_addresses_fail_five_times_each(&app).await;

    let forgeries = [
        own_cookie.replacen(&format!("{ada_id}."), &format!("{}.", ada_id + 1), 1),
        format!(
            "{ada_id}.00112233445566778899aabbccddeeff.{}",
            "ab".repeat(32)
        ),
        "garbage".to_owned(),
    ];
    for forged in forgeries {
        let page = Page::of(
            crate::support::new_client()
                .post(app.url("/login"))
                .header("X-Forwarded-For", "198.51.100.21")
                .header(
                    "Cookie",
                    format!("{}={forged}", portal::accounts::device::COOKIE),
                )
                .form(&[("email", ADA), ("password", STAFF_PASSWORD)])
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(page.status, 429, "{forged}");
    }
    let page = log_in_from(&beas, "198.51.100.20", ADA, STAFF_PASSWORD).await;
    assert_eq!(page.status, 429);
    // The genuine cookie, sent by itself, is Ada's device: she is logged in (sent on).
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/login"))
        .header("X-Forwarded-For", "198.51.100.21")
        .header(
            "Cookie",
            format!("{}={own_cookie}", portal::accounts::device::COOKIE),
        )
        .form(&[("email", ADA), ("password", STAFF_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

/// Logs `ADA` in on a browser that follows no redirect, and returns the device cookie's value
/// the answer sets.
async fn device_cookie_of_a_log_in(app: &TestApp) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(app.url("/login"))
        .header("X-Forwarded-For", "198.51.100.20")
        .form(&[("email", ADA), ("password", STAFF_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let prefix = format!("{}=", portal::accounts::device::COOKIE);
    let set = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&prefix))
        .expect("a device cookie");
    assert!(
        set.contains("Path=/login") && set.contains("HttpOnly"),
        "{set}"
    );
    set[prefix.len()..].split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn ten_right_password_log_ins_at_once_all_succeed() {
    let app = spawn_app().await;
    app.create_staff(ADA, "Ada Staff").await;
    let attempts = (0..10)
        .map(|_| (ADA.to_owned(), STAFF_PASSWORD.to_owned(), None))
        .collect();
    let results = log_ins_at_once(&app, attempts).await;
    assert_eq!(count(&results, 200), 10, "{results:?}");
    // None of them was counted as a failure: five wrong ones still come before the limit.
    for i in 0..5 {
        assert_eq!(
            app.log_in(ADA, &format!("wrong guess number {i}"))
                .await
                .status(),
            422
        );
    }
}

#[tokio::test]
async fn sixteen_reset_requests_at_once_send_at_most_three_emails() {
    let app = spawn_app().await;
    app.create_staff(ADA, "Ada Staff").await;
    let tasks = (0..16).map(|_| {
        let visitor = app.visitor();
        async move {
            visitor
                .post_form("/password/forgot", &[("email", ADA)])
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = join_all(tasks).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let sent = app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.to == ADA)
        .count();
    assert_eq!(sent, 3);
}

/// Logs `ADA` in on a browser of its own.
async fn device(app: &TestApp, password: &str) -> Visitor {
    let v = app.visitor();
    let page = v.log_in(ADA, password).await;
    assert_eq!(page.text("header .who strong"), "Ada Staff");
    v
}

/// Whether this browser is still logged in.
async fn logged_in(v: &Visitor) -> bool {
    let page = Page::of(v.get("/account").await).await;
    assert_eq!(page.status, 200, "{}", page.html.html());
    page.path() == "/account" && page.text("header .who strong") == "Ada Staff"
}

async fn sessions_of_ada(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions s JOIN people p ON p.id = s.person_id WHERE p.email = $1",
    )
    .bind(ADA)
    .fetch_one(&app.state.pool)
    .await
    .unwrap()
}

/// Runs `end` on one device while six requests of another device are in flight, each of
/// which changes the session (the clock is moved so that every request renews the session).
async fn race_against_in_flight_requests<F, Fut>(app: &TestApp, stolen: &Visitor, end: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    app.state
        .clock
        .advance(portal::accounts::sessions::TOUCH_EVERY + 1);
    let in_flight = (0..6).map(|_| async {
        for _ in 0..5 {
            stolen.get("/account").await;
        }
    });
    let (_, ()) = tokio::join!(join_all(in_flight), end());
}

#[tokio::test]
async fn a_session_ended_by_a_password_change_never_comes_back() {
    let app = spawn_app().await;
    app.create_staff(ADA, "Ada Staff").await;
    let own = device(&app, STAFF_PASSWORD).await;
    let mut passwords = [STAFF_PASSWORD, "a fresh lantern council river"];
    for trial in 0..12 {
        let stolen = device(&app, passwords[0]).await;
        let (old, new) = (passwords[0], passwords[1]);
        race_against_in_flight_requests(&app, &stolen, || async {
            let page = Page::of(
                own.post_form(
                    "/account/password",
                    &[("current_password", old), ("new_password", new)],
                )
                .await,
            )
            .await;
            assert_eq!(
                page.status,
                200,
                "trial {trial}: {}",
                page.text(".error-summary")
            );
        })
        .await;
        assert!(
            !logged_in(&stolen).await,
            "trial {trial}: the other session came back"
        );
        assert!(logged_in(&own).await, "trial {trial}");
        assert_eq!(sessions_of_ada(&app).await, 1, "trial {trial}");
        passwords.swap(0, 1);
    }
}

#[tokio::test]
async fn a_session_ended_by_log_out_never_comes_back() {
    let app = spawn_app().await;
    app.create_staff(ADA, "Ada Staff").await;
    for trial in 0..12 {
        let browser = device(&app, STAFF_PASSWORD).await;
        race_against_in_flight_requests(&app, &browser, || async {
            let r = browser.post_form("/logout", &[]).await;
            assert_eq!(r.status(), 200);
        })
        .await;
        assert!(
            !logged_in(&browser).await,
            "trial {trial}: the session came back"
        );
        assert_eq!(sessions_of_ada(&app).await, 0, "trial {trial}");
    }
}

#[tokio::test]
async fn pages_do_not_write_the_session_every_time_but_renew_it_every_few_minutes() {
    let app = spawn_app().await;
    app.create_staff(ADA, "Ada Staff").await;
    let v = device(&app, STAFF_PASSWORD).await;
    let renewed = |r: &reqwest::Response| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with(portal::SESSION_COOKIE))
    };
    let first = v.get("/account").await;
    assert_eq!(first.status(), 200);
    assert!(!renewed(&first), "a page view wrote the session");
    app.state
        .clock
        .advance(portal::accounts::sessions::TOUCH_EVERY + 1);
    let later = v.get("/account").await;
    assert!(
        renewed(&later),
        "the session was not renewed after a few minutes"
    );
    assert!(!renewed(&v.get("/account").await));
}

#[tokio::test]
async fn a_session_ends_thirty_days_after_log_in_however_active() {
    let app = spawn_app().await;
    app.create_staff(ADA, "Ada Staff").await;
    let v = device(&app, STAFF_PASSWORD).await;
    for _ in 0..29 {
        app.state.clock.advance(24 * 60 * 60);
        assert!(logged_in(&v).await);
    }
    app.state.clock.advance(24 * 60 * 60);
    assert!(!logged_in(&v).await, "still logged in after 30 days");
    assert_eq!(sessions_of_ada(&app).await, 0);
    // Logging in again starts a new lifetime.
    let again = device(&app, STAFF_PASSWORD).await;
    assert!(logged_in(&again).await);
}
