//! Setup link, log-in, log-out, throttling, sessions.

use crate::support::{Page, STAFF_PASSWORD, new_client, spawn_app, spawn_app_with};

#[tokio::test]
async fn the_setup_link_creates_the_first_staff_account_and_logs_them_in() {
    let app = spawn_app().await;
    let token = portal::accounts::setup::ensure_token(&app.state)
        .await
        .unwrap()
        .expect("a token while there is no staff");

    let form = Page::of(app.get(&format!("/setup/{token}")).await).await;
    assert_eq!(form.status, 200);
    assert_eq!(form.h1(), "Create the first staff account");
    assert!(
        form.has("label[for=name]")
            && form.has("label[for=email]")
            && form.has("label[for=password]")
    );

    let page = Page::of(
        app.post_form(
            &format!("/setup/{token}"),
            &[
                ("name", "Grace Director"),
                ("email", "grace@mayorsinnovation.org"),
                ("password", STAFF_PASSWORD),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.path(), "/staff");
    assert_eq!(page.text("header .who strong"), "Grace Director");
    assert_eq!(
        page.text(".flash"),
        "Welcome, Grace Director. Your staff account is ready."
    );
    assert!(
        page.texts("tbody td")
            .contains(&"grace@mayorsinnovation.org".to_owned())
    );
}

#[tokio::test]
async fn the_setup_link_works_once_and_then_the_page_is_gone() {
    let app = spawn_app().await;
    let token = portal::accounts::setup::ensure_token(&app.state)
        .await
        .unwrap()
        .unwrap();
    let spare = portal::accounts::setup::ensure_token(&app.state)
        .await
        .unwrap()
        .unwrap();
    let fields = [
        ("name", "Grace Director"),
        ("email", "grace@mayorsinnovation.org"),
        ("password", STAFF_PASSWORD),
    ];
    assert_eq!(
        Page::of(app.post_form(&format!("/setup/{token}"), &fields).await)
            .await
            .path(),
        "/staff"
    );

    let stranger = new_client();
    for t in [&token, &spare] {
        let again = Page::of(
            stranger
                .get(app.url(&format!("/setup/{t}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(again.status, 404);
        assert_eq!(again.h1(), "Page not found");
        let post = stranger
            .post(app.url(&format!("/setup/{t}")))
            .form(&[
                ("name", "Mallory"),
                ("email", "mallory@example.com"),
                ("password", STAFF_PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 404);
    }
    assert!(
        portal::accounts::setup::ensure_token(&app.state)
            .await
            .unwrap()
            .is_none()
    );
    let page = Page::of(app.log_in("mallory@example.com", STAFF_PASSWORD).await).await;
    assert_eq!(
        page.status, 422,
        "no account was created for the second attempt"
    );
}

#[tokio::test]
async fn an_expired_setup_link_says_what_to_do_instead() {
    let app = spawn_app().await;
    let token = portal::accounts::setup::ensure_token(&app.state)
        .await
        .unwrap()
        .unwrap();
    app.state.clock.advance(24 * 3600 + 1);
    let page = Page::of(app.get(&format!("/setup/{token}")).await).await;
    assert_eq!(page.status, 410);
    assert!(page.text("main p").contains("portal create-staff"));
    let unknown = Page::of(app.get("/setup/not-a-token").await).await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn setup_with_bad_fields_shows_each_message_by_its_field_and_keeps_the_values() {
    let app = spawn_app().await;
    let token = portal::accounts::setup::ensure_token(&app.state)
        .await
        .unwrap()
        .unwrap();
    let page = Page::of(
        app.post_form(
            &format!("/setup/{token}"),
            &[
                ("name", "Grace"),
                ("email", "grace-at-city"),
                ("password", "short"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(page.status, 422);
    assert_eq!(page.text(".error-summary h2"), "There is a problem");
    assert_eq!(page.texts(".error-summary li").len(), 2);
    assert_eq!(page.attr("#name", "value").as_deref(), Some("Grace"));
    assert_eq!(
        page.attr("#email", "value").as_deref(),
        Some("grace-at-city")
    );
    assert_eq!(
        page.attr("#email", "aria-describedby").as_deref(),
        Some("email-error")
    );
    assert!(page.text("#email-error").contains("name@city.gov"));
    assert!(
        page.text("#password-error")
            .contains("at least 12 characters")
    );
    assert_eq!(
        page.attr("#password", "value").as_deref(),
        Some(""),
        "a password is never echoed back"
    );

    let common = Page::of(
        app.post_form(
            &format!("/setup/{token}"),
            &[
                ("name", "Grace"),
                ("email", "grace@city.gov"),
                ("password", "password1234"),
            ],
        )
        .await,
    )
    .await;
    assert!(common.text("#password-error").contains("too common"));

    // Nothing was written: the link still works and no one can log in.
    assert_eq!(
        Page::of(app.get(&format!("/setup/{token}")).await)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_staff_member_logs_in_and_out_and_the_old_cookie_is_worthless_afterwards() {
    let app = spawn_app().await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;

    let login = Page::of(app.get("/login").await).await;
    assert_eq!(login.text("label[for=email]"), "Email");
    assert_eq!(login.text("label[for=password]"), "Password");
    assert_eq!(login.text("main button[type=submit]"), "Log in");

    // Staff land on their desk.
    let home = Page::of(app.log_in("ADA@mayorsinnovation.org", STAFF_PASSWORD).await).await;
    assert_eq!(home.path(), "/staff");
    assert_eq!(home.text("header .who strong"), "Ada Staff");
    let cookie = session_cookie(&app, "ada@mayorsinnovation.org").await;

    let staff = Page::of(app.get("/staff").await).await;
    assert_eq!(staff.status, 200);
    assert_eq!(staff.h1(), "Staff");

    let out = Page::of(app.post_form("/logout", &[]).await).await;
    assert_eq!(out.path(), "/");
    assert_eq!(out.text(".flash"), "You have logged out.");
    assert!(!out.has("header .who"));

    // Replaying the cookie from before the log-out finds no session on the server.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = replay
        .get(app.url("/staff"))
        .header("cookie", format!("portal_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login?next=/staff");
}

/// The session cookie a person's browser holds: the id of their one session on the server.
/// (Pages no longer send the cookie again on every view.)
async fn session_cookie(app: &crate::support::TestApp, email: &str) -> String {
    sqlx::query_scalar(
        "SELECT s.id FROM sessions s JOIN people p ON p.id = s.person_id WHERE p.email = $1",
    )
    .bind(email)
    .fetch_one(&app.state.pool)
    .await
    .expect("one session of this person")
}

#[tokio::test]
async fn the_session_id_changes_at_log_in() {
    let app = spawn_app().await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    app.create_staff("bob@mayorsinnovation.org", "Bob Staff")
        .await;
    app.log_in("ada@mayorsinnovation.org", STAFF_PASSWORD).await;
    let before = session_cookie(&app, "ada@mayorsinnovation.org").await;
    let page = Page::of(app.log_in("bob@mayorsinnovation.org", STAFF_PASSWORD).await).await;
    assert_eq!(page.text("header .who strong"), "Bob Staff");
    let after = session_cookie(&app, "bob@mayorsinnovation.org").await;
    assert_ne!(before, after);

    let replay = reqwest::Client::new();
    let old = Page::of(
        replay
            .get(app.url("/"))
            .header("cookie", format!("portal_session={before}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        !old.has("header .who"),
        "the id from before the log-in no longer works"
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_message() {
    let app = spawn_app().await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let wrong = Page::of(
        app.log_in("ada@mayorsinnovation.org", "not the password at all")
            .await,
    )
    .await;
    let unknown = Page::of(
        app.log_in("nobody@mayorsinnovation.org", "not the password at all")
            .await,
    )
    .await;
    for page in [&wrong, &unknown] {
        assert_eq!(page.status, 422);
        assert_eq!(
            page.text(".error-summary p"),
            "The email or password is not right. Check both and try again."
        );
        assert!(!page.has("header .who"));
    }
    assert_eq!(
        wrong.attr("#email", "value").as_deref(),
        Some("ada@mayorsinnovation.org")
    );
}

#[tokio::test]
async fn empty_and_enormous_fields_get_clear_messages_not_errors() {
    let app = spawn_app().await;
    let empty = Page::of(app.log_in("", "").await).await;
    assert_eq!(empty.status, 422);
    assert_eq!(
        empty.text("#email-error"),
        "Error: Enter your email address."
    );
    assert_eq!(empty.text("#password-error"), "Error: Enter your password.");

    let huge = "x".repeat(10_000);
    let page = Page::of(app.log_in(&huge, &huge).await).await;
    assert_eq!(page.status, 422);
    assert!(page.text(".error-summary p").contains("not right"));
    assert!(page.attr("#email", "value").unwrap().len() <= 254);

    let token = portal::accounts::setup::ensure_token(&app.state)
        .await
        .unwrap()
        .unwrap();
    let setup = Page::of(
        app.post_form(
            &format!("/setup/{token}"),
            &[("name", &huge), ("email", &huge), ("password", &huge)],
        )
        .await,
    )
    .await;
    assert_eq!(setup.status, 422);
    assert!(setup.text("#name-error").contains("at most 200"));
    assert!(setup.text("#email-error").contains("at most 254"));
    assert!(setup.text("#password-error").contains("at most 1000"));
}

#[tokio::test]
async fn five_failures_lock_the_account_for_fifteen_minutes_even_with_the_right_password() {
    let app = spawn_app().await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    for _ in 0..5 {
        assert_eq!(
            app.log_in("ada@mayorsinnovation.org", "a wrong guess, again")
                .await
                .status(),
            422
        );
    }
    let locked = Page::of(app.log_in("ada@mayorsinnovation.org", STAFF_PASSWORD).await).await;
    assert_eq!(locked.status, 429);
    assert_eq!(
        locked.text(".error-summary p"),
        "Too many failed log-ins. For your security, try again in 15 minutes."
    );
    assert!(!locked.has("header .who"));

    // Another instance would see the same: the count is in the database. Time heals it.
    app.state.clock.advance(14 * 60);
    let still = Page::of(app.log_in("ada@mayorsinnovation.org", STAFF_PASSWORD).await).await;
    assert_eq!(
        still.text(".error-summary p"),
        "Too many failed log-ins. For your security, try again in 1 minute."
    );
    app.state.clock.advance(60);
    let page = Page::of(app.log_in("ada@mayorsinnovation.org", STAFF_PASSWORD).await).await;
    assert_eq!(page.text("header .who strong"), "Ada Staff");
}

#[tokio::test]
async fn one_address_guessing_at_many_accounts_is_slowed_too() {
    let app = spawn_app().await;
    for i in 0..20 {
        app.log_in(&format!("guess{i}@example.com"), "a wrong guess, again")
            .await;
    }
    let page = Page::of(
        app.log_in("another@example.com", "a wrong guess, again")
            .await,
    )
    .await;
    assert_eq!(page.status, 429);
    assert!(
        page.text(".error-summary p")
            .starts_with("Too many failed log-ins")
    );
}

#[tokio::test]
async fn a_private_page_sends_a_visitor_to_log_in_and_back() {
    let app = spawn_app().await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let login = Page::of(app.get("/staff").await).await;
    assert_eq!(login.path(), "/login?next=/staff");
    assert_eq!(
        login.attr("input[name=next]", "value").as_deref(),
        Some("/staff")
    );
    let response = app
        .post_form(
            "/login",
            &[
                ("email", "ada@mayorsinnovation.org"),
                ("password", STAFF_PASSWORD),
                ("next", "/staff"),
            ],
        )
        .await;
    assert_eq!(Page::of(response).await.path(), "/staff");
}

#[tokio::test]
async fn log_in_never_redirects_to_another_site() {
    let app = spawn_app().await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    for next in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "/\r\nSet-Cookie: x=1",
    ] {
        app.post_form("/logout", &[]).await;
        let response = app
            .post_form(
                "/login",
                &[
                    ("email", "ada@mayorsinnovation.org"),
                    ("password", STAFF_PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(Page::of(response).await.url, app.url("/"), "next={next}");
    }
}

#[tokio::test]
async fn a_hundred_log_ins_at_once_from_a_hundred_addresses_queue_for_their_hashes_and_all_get_an_answer()
 {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let strangers = (0..100).map(|i| {
        let client = new_client();
        let url = app.url("/login");
        async move {
            client
                .post(url)
                .header(
                    "x-forwarded-for",
                    format!("198.51.{}.{}", i / 200, i % 200 + 1),
                )
                .form(&[
                    ("email", format!("nobody{i}@example.org")),
                    ("password", "a guess that is long enough".to_owned()),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let owner = new_client();
    let (answers, owner_page) = tokio::join!(futures_util::future::join_all(strangers), async {
        Page::of(
            owner
                .post(app.url("/login"))
                .header("x-forwarded-for", "203.0.113.9")
                .form(&[
                    ("email", "ada@mayorsinnovation.org"),
                    ("password", STAFF_PASSWORD),
                ])
                .send()
                .await
                .unwrap(),
        )
        .await
    });
    // Each is told its password is wrong, after its turn: none is refused for lack of room.
    assert!(answers.iter().all(|s| *s == 422), "{answers:?}");
    assert_eq!(owner_page.text("header .who strong"), "Ada Staff");
    // Every hash is done and its place given back.
    assert_eq!(
        app.state.hashing.available_permits(),
        std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(portal::state::HASHES_AT_ONCE)
    );
}

#[tokio::test]
async fn a_failed_log_in_takes_the_focus_to_its_error_like_every_form() {
    let app = spawn_app().await;
    let page = Page::of(
        app.log_in("nobody@mayorsinnovation.org", "not the password at all")
            .await,
    )
    .await;
    // The summary static/form.js focuses: the same element every form's errors use.
    assert_eq!(
        page.attr("#error-summary", "tabindex").as_deref(),
        Some("-1")
    );
    assert_eq!(page.text("#error-summary h2"), "There is a problem");
    assert_eq!(
        page.text("#error-summary p"),
        "The email or password is not right. Check both and try again."
    );
    assert_eq!(page.texts("#error-summary").len(), 1);
    assert!(
        page.html.html().contains("form.js"),
        "the script that focuses it is on the page"
    );
}

#[tokio::test]
async fn error_pages_say_what_happened_in_words_and_a_refused_member_is_sent_home() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let city = app.insert_city("Fitchburg", "WI", "active").await;
    let mayor = app
        .invite_and_accept(&staff, "mayor@f.gov", "Mayor F", "mayor", city)
        .await;
    let page = Page::of(mayor.get("/staff").await).await;
    assert_eq!(page.status, 403);
    assert_eq!(page.h1(), "Not allowed");
    let main = page.text("main");
    assert!(main.contains("your account does not include it"), "{main}");
    assert!(!main.contains("403"), "{main}");
    assert_eq!(
        page.attr("main a[href='/home']", "href").as_deref(),
        Some("/home")
    );
    assert_eq!(page.text("main a[href='/home']"), "Go to your member home");
    // A link that no longer works: said in words, no "Error 410".
    let gone = Page::of(app.visitor().get("/invite/not-a-real-token").await).await;
    let main = gone.text("main");
    assert!(!main.contains("Error"), "{main}");
    assert!(!main.contains(&gone.status.to_string()), "{main}");
    let title = gone.text("title");
    assert!(!title.contains(&gone.status.to_string()), "{title}");
    let missing = Page::of(app.visitor().get("/no-such-page").await).await;
    assert_eq!(missing.status, 404);
    assert!(!missing.text("main").contains("404"));
    assert!(missing.has("main a[href='/']"));
}
