//! Forgotten passwords, and the account page: name and title, password, email address.

use crate::support::{Page, STAFF_PASSWORD, TestApp, new_client, spawn_app};

const ADA: &str = "ada@mayorsinnovation.org";
const NEW_PASSWORD: &str = "harbor maple violin tractor";

/// Logs `client` in and returns the page it lands on.
async fn log_in_with(app: &TestApp, client: &reqwest::Client, email: &str, password: &str) -> Page {
    let response = client
        .post(app.url("/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    Page::of(response).await
}

async fn get_with(app: &TestApp, client: &reqwest::Client, path: &str) -> Page {
    Page::of(client.get(app.url(path)).send().await.unwrap()).await
}

async fn post_with(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> Page {
    Page::of(client.post(app.url(path)).form(form).send().await.unwrap()).await
}

/// Asks for a reset link for `email` and returns its path.
async fn reset_link(app: &TestApp, email: &str) -> String {
    let sent = Page::of(app.post_form("/password/forgot", &[("email", email)]).await).await;
    assert_eq!(sent.path(), "/password/forgot/sent");
    let mail = app.last_mail_to(email).await;
    app.path_of(&mail.link(&app.address, "/password/reset/"))
}

#[tokio::test]
async fn forgetting_a_password_gives_the_same_answer_for_known_and_unknown_addresses() {
    let app = spawn_app().await;
    app.create_staff(ADA, "Ada Staff").await;

    let login = Page::of(app.get("/login").await).await;
    assert_eq!(
        login.text("main a[href='/password/forgot']"),
        "Forgot your password?"
    );
    let form = Page::of(app.get("/password/forgot").await).await;
    assert_eq!(form.h1(), "Forgot your password?");
    assert_eq!(form.text("label[for=email]"), "Email");
    assert_eq!(form.text("main button[type=submit]"), "Send me a link");

    let known = Page::of(
        app.post_form("/password/forgot", &[("email", "ADA@mayorsinnovation.org")])
            .await,
    )
    .await;
    let unknown = Page::of(
        app.post_form(
            "/password/forgot",
            &[("email", "nobody@mayorsinnovation.org")],
        )
        .await,
    )
    .await;
    for page in [&known, &unknown] {
        assert_eq!(page.status, 200);
        assert_eq!(page.path(), "/password/forgot/sent");
        assert_eq!(
            page.text("main p"),
            "If an account exists for that address, we have sent it a link to choose a new password. \
             The link works for one hour."
        );
    }
    assert_eq!(known.texts("main"), unknown.texts("main"));

    let outbox = app.outbox().await;
    assert_eq!(outbox.len(), 1, "only the known address gets an email");
    assert_eq!(outbox[0].to, ADA);
    assert_eq!(
        outbox[0].subject,
        format!(
            "Choose a new password for the {} portal",
            app.state.config.org_name
        )
    );
    let link = app.path_of(&outbox[0].link(&app.address, "/password/reset/"));

    // Opening the link, as a mail scanner would, does not use it up.
    for _ in 0..2 {
        let page = Page::of(app.get(&link).await).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.h1(), "Choose a new password");
        assert_eq!(page.text("label[for=password]"), "New password");
        assert!(page.text("#password-hint").contains("12 characters"));
        assert_eq!(page.text("main button[type=submit]"), "Set password");
    }

    let home = Page::of(app.post_form(&link, &[("password", NEW_PASSWORD)]).await).await;
    assert_eq!(home.path(), "/");
    assert_eq!(home.text(".flash"), "Your new password is set.");
    assert_eq!(home.text("header .who strong"), "Ada Staff");

    app.post_form("/logout", &[]).await;
    let old = Page::of(app.log_in(ADA, STAFF_PASSWORD).await).await;
    assert_eq!(old.status, 422);
    assert!(!old.has("header .who"));
    let new = Page::of(app.log_in(ADA, NEW_PASSWORD).await).await;
    assert_eq!(new.text("header .who strong"), "Ada Staff");
}

#[tokio::test]
async fn a_password_reset_ends_every_other_session_of_the_person() {
    let app = spawn_app().await;
    app.create_staff(ADA, "Ada Staff").await;
    let other = new_client();
    log_in_with(&app, &other, ADA, STAFF_PASSWORD).await;
    assert_eq!(
        get_with(&app, &other, "/account").await.h1(),
        "Your account"
    );

    let link = reset_link(&app, ADA).await;
    app.post_form(&link, &[("password", NEW_PASSWORD)]).await;

    let after = get_with(&app, &other, "/account").await;
    assert_eq!(after.path(), "/login?next=/account");
    assert!(!after.has("header .who"));
    let own = Page::of(app.get("/account").await).await;
    assert_eq!(own.status, 200);
    assert_eq!(own.text("header .who strong"), "Ada Staff");
}

#[tokio::test]
async fn a_reset_link_works_once_and_expires_after_an_hour() {
    let app = spawn_app().await;
    app.create_staff(ADA, "Ada Staff").await;
    let earlier = reset_link(&app, ADA).await;
    let used = reset_link(&app, ADA).await;
    app.post_form(&used, &[("password", NEW_PASSWORD)]).await;

    let stranger = new_client();
    for link in [&used, &earlier] {
        let again = get_with(&app, &stranger, link).await;
        assert_eq!(again.status, 410);
        assert_eq!(again.h1(), "Link no longer valid");
        assert!(again.text("main p").contains("/password/forgot"));
        let post = post_with(
            &app,
            &stranger,
            link,
            &[("password", "another fine passphrase")],
        )
        .await;
        assert_eq!(post.status, 410);
    }

    let late = reset_link(&app, ADA).await;
    app.state.clock.advance(3601);
    assert_eq!(get_with(&app, &stranger, &late).await.status, 410);
    let post = post_with(
        &app,
        &stranger,
        &late,
        &[("password", "another fine passphrase")],
    )
    .await;
    assert_eq!(post.status, 410);
    assert!(!post.has("header .who"));
    assert_eq!(
        get_with(&app, &stranger, "/password/reset/not-a-token")
            .await
            .status,
        410
    );

    let page = log_in_with(&app, &stranger, ADA, NEW_PASSWORD).await;
    assert_eq!(
        page.text("header .who strong"),
        "Ada Staff",
        "the password is the one set first"
    );
}

#[tokio::test]
async fn the_forgot_form_sends_at_most_three_links_an_hour_to_one_person() {
    let app = spawn_app().await;
    app.create_staff(ADA, "Ada Staff").await;
    for _ in 0..5 {
        let page = Page::of(app.post_form("/password/forgot", &[("email", ADA)]).await).await;
        assert_eq!(page.path(), "/password/forgot/sent");
    }
    assert_eq!(app.outbox().await.len(), 3);
    app.state.clock.advance(3601);
    app.post_form("/password/forgot", &[("email", ADA)]).await;
    assert_eq!(app.outbox().await.len(), 4);
}

#[tokio::test]
async fn the_account_page_shows_the_person_and_saves_name_and_title() {
    let app = spawn_app().await;
    let visitor = get_with(&app, &new_client(), "/account").await;
    assert_eq!(visitor.path(), "/login?next=/account");

    app.log_in_as_new_staff().await;
    let page = Page::of(app.get("/account").await).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.h1(), "Your account");
    assert_eq!(page.texts("main dt"), ["Name", "Email", "Role"]);
    assert_eq!(page.texts("main dd"), ["Ada Staff", ADA, "Staff"]);
    assert_eq!(page.attr("#name", "value").as_deref(), Some("Ada Staff"));
    for (field, label) in [
        ("name", "Name"),
        ("title", "Title"),
        ("current_password", "Current password"),
        ("new_password", "New password"),
        ("new_email", "New email"),
        ("email_password", "Current password"),
    ] {
        assert_eq!(page.text(&format!("label[for={field}]")), label);
    }

    let saved = Page::of(
        app.post_form(
            "/account/profile",
            &[
                ("name", "  Ada Lovelace "),
                ("title", "Director of Programs"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(saved.path(), "/account");
    assert_eq!(saved.text(".flash"), "Your name and title are saved.");
    assert_eq!(saved.text("header .who strong"), "Ada Lovelace");
    assert_eq!(
        saved.texts("main dd"),
        ["Ada Lovelace", "Director of Programs", ADA, "Staff"]
    );

    let empty = Page::of(
        app.post_form("/account/profile", &[("name", " "), ("title", "Mayor")])
            .await,
    )
    .await;
    assert_eq!(empty.status, 422);
    assert_eq!(empty.text("#name-error"), "Error: Enter your name.");
    assert_eq!(empty.attr("#title", "value").as_deref(), Some("Mayor"));
    assert_eq!(empty.text("main dd"), "Ada Lovelace", "nothing was saved");
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_only_the_other_sessions() {
    let app = spawn_app().await;
    app.log_in_as_new_staff().await;
    let other = new_client();
    log_in_with(&app, &other, ADA, STAFF_PASSWORD).await;

    let wrong = Page::of(
        app.post_form(
            "/account/password",
            &[
                ("current_password", "not my password at all"),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(wrong.status, 422);
    assert_eq!(
        wrong.text("#current_password-error"),
        "Error: Your current password is not right."
    );
    assert!(!wrong.has("#new_password-error"));
    assert_eq!(
        get_with(&app, &other, "/account").await.status,
        200,
        "nothing changed yet"
    );

    let weak = Page::of(
        app.post_form(
            "/account/password",
            &[
                ("current_password", STAFF_PASSWORD),
                ("new_password", "password1234"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(weak.status, 422);
    assert!(weak.text("#new_password-error").contains("too common"));

    let done = Page::of(
        app.post_form(
            "/account/password",
            &[
                ("current_password", STAFF_PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(done.path(), "/account");
    assert_eq!(
        done.text(".flash"),
        "Your new password is set. You are logged out on every other device."
    );
    assert_eq!(
        Page::of(app.get("/account").await)
            .await
            .text("header .who strong"),
        "Ada Staff"
    );
    assert_eq!(
        get_with(&app, &other, "/account").await.path(),
        "/login?next=/account"
    );

    let third = new_client();
    assert_eq!(
        log_in_with(&app, &third, ADA, STAFF_PASSWORD).await.status,
        422
    );
    assert_eq!(
        log_in_with(&app, &third, ADA, NEW_PASSWORD)
            .await
            .text("header .who strong"),
        "Ada Staff"
    );
}

#[tokio::test]
async fn changing_the_email_mails_a_link_to_the_new_address_and_a_notice_to_the_old_one() {
    let app = spawn_app().await;
    app.log_in_as_new_staff().await;
    let page = Page::of(
        app.post_form(
            "/account/email",
            &[
                ("new_email", "Ada.New@City.gov"),
                ("email_password", STAFF_PASSWORD),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(page.path(), "/account");
    assert_eq!(
        page.text(".flash"),
        "We sent a link to Ada.New@City.gov. Your address changes when you open it."
    );
    assert_eq!(
        page.texts("main dd")[1],
        ADA,
        "the address has not changed yet"
    );

    let outbox = app.outbox().await;
    assert_eq!(outbox.len(), 2);
    let confirm = app.last_mail_to("Ada.New@City.gov").await;
    let notice = app.last_mail_to(ADA).await;
    assert!(notice.text.contains("Ada.New@City.gov"));
    assert!(
        !notice.text.contains("/account/email/confirm/"),
        "the old address gets no link"
    );
    let link = app.path_of(&confirm.link(&app.address, "/account/email/confirm/"));

    // Opened on another device, without logging in; looking changes nothing.
    let phone = new_client();
    for _ in 0..2 {
        let shown = get_with(&app, &phone, &link).await;
        assert_eq!(shown.status, 200);
        assert_eq!(shown.h1(), "Confirm your new email address");
        assert!(
            shown
                .text("main p")
                .starts_with("Confirm your new email address Ada.New@City.gov")
        );
        assert_eq!(shown.text("main button[type=submit]"), "Use this address");
    }
    assert_eq!(
        Page::of(app.get("/account").await).await.texts("main dd")[1],
        ADA
    );
    assert_eq!(
        log_in_with(&app, &new_client(), "ada.new@city.gov", STAFF_PASSWORD)
            .await
            .status,
        422
    );

    let done = post_with(&app, &phone, &link, &[]).await;
    assert_eq!(done.path(), "/");
    assert_eq!(
        done.text(".flash"),
        "Your email address is now Ada.New@City.gov."
    );
    assert_eq!(
        Page::of(app.get("/account").await).await.texts("main dd")[1],
        "Ada.New@City.gov"
    );
    let fresh = new_client();
    assert_eq!(
        log_in_with(&app, &fresh, ADA, STAFF_PASSWORD).await.status,
        422
    );
    assert_eq!(
        log_in_with(&app, &fresh, "ada.new@city.gov", STAFF_PASSWORD)
            .await
            .text("header .who strong"),
        "Ada Staff"
    );

    assert_eq!(
        post_with(&app, &phone, &link, &[]).await.status,
        410,
        "the link works once"
    );
}

#[tokio::test]
async fn confirming_while_logged_in_returns_to_the_account_page() {
    let app = spawn_app().await;
    app.log_in_as_new_staff().await;
    app.post_form(
        "/account/email",
        &[
            ("new_email", "ada@city.gov"),
            ("email_password", STAFF_PASSWORD),
        ],
    )
    .await;
    let link = app.path_of(
        &app.last_mail_to("ada@city.gov")
            .await
            .link(&app.address, "/account/email/confirm/"),
    );
    let done = Page::of(app.post_form(&link, &[]).await).await;
    assert_eq!(done.path(), "/account");
    assert_eq!(
        done.text(".flash"),
        "Your email address is now ada@city.gov."
    );
    assert_eq!(done.texts("main dd")[1], "ada@city.gov");
}

#[tokio::test]
async fn an_address_that_belongs_to_another_account_is_refused() {
    let app = spawn_app().await;
    app.create_staff("bob@mayorsinnovation.org", "Bob Staff")
        .await;
    app.log_in_as_new_staff().await;

    let taken = Page::of(
        app.post_form(
            "/account/email",
            &[
                ("new_email", "BOB@mayorsinnovation.org"),
                ("email_password", STAFF_PASSWORD),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(taken.status, 422);
    assert_eq!(
        taken.text("#new_email-error"),
        "Error: An account with this email already exists."
    );
    assert_eq!(
        taken.attr("#new_email", "value").as_deref(),
        Some("BOB@mayorsinnovation.org")
    );

    // Without the password, the page does not say whether an address is taken.
    let guess = Page::of(
        app.post_form(
            "/account/email",
            &[
                ("new_email", "bob@mayorsinnovation.org"),
                ("email_password", "not my password at all"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(guess.status, 422);
    assert_eq!(
        guess.text("#email_password-error"),
        "Error: Your current password is not right."
    );
    assert!(!guess.has("#new_email-error"));
    assert!(app.outbox().await.is_empty());
}

#[tokio::test]
async fn an_address_taken_before_the_confirmation_changes_nothing() {
    let app = spawn_app().await;
    app.log_in_as_new_staff().await;
    app.post_form(
        "/account/email",
        &[
            ("new_email", "carol@city.gov"),
            ("email_password", STAFF_PASSWORD),
        ],
    )
    .await;
    let link = app.path_of(
        &app.last_mail_to("carol@city.gov")
            .await
            .link(&app.address, "/account/email/confirm/"),
    );
    app.create_staff("carol@city.gov", "Carol Staff").await;

    let page = Page::of(app.post_form(&link, &[]).await).await;
    assert_eq!(page.status, 410);
    assert!(
        page.text("main p")
            .contains("Another account now uses carol@city.gov")
    );
    assert_eq!(
        Page::of(app.get("/account").await).await.texts("main dd")[1],
        ADA
    );
    let used_at: Option<i64> = sqlx::query_scalar("SELECT used_at FROM email_changes")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(used_at, None, "nothing was written");
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled_like_log_ins() {
    let app = spawn_app().await;
    app.log_in_as_new_staff().await;
    for _ in 0..5 {
        let page = Page::of(
            app.post_form(
                "/account/password",
                &[
                    ("current_password", "a wrong guess, again"),
                    ("new_password", NEW_PASSWORD),
                ],
            )
            .await,
        )
        .await;
        assert_eq!(page.status, 422);
    }
    let locked = Page::of(
        app.post_form(
            "/account/password",
            &[
                ("current_password", STAFF_PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(locked.status, 429);
    assert_eq!(
        locked.text("#current_password-error"),
        "Error: Too many wrong passwords. For your security, try again in 15 minutes."
    );
}

#[tokio::test]
async fn empty_and_enormous_fields_on_every_form_get_messages_not_errors() {
    let app = spawn_app().await;
    app.create_staff(ADA, "Ada Staff").await;
    let huge = "x".repeat(10_000);
    let huge = huge.as_str();

    let forgot = Page::of(app.post_form("/password/forgot", &[("email", huge)]).await).await;
    assert_eq!(forgot.status, 422);
    assert!(forgot.text("#email-error").contains("at most 254"));
    assert!(forgot.attr("#email", "value").unwrap().len() <= 254);
    let empty = Page::of(app.post_form("/password/forgot", &[("email", "")]).await).await;
    assert_eq!(empty.status, 422);
    assert_eq!(empty.text("#email-error"), "Error: Enter an email address.");

    let link = reset_link(&app, ADA).await;
    let reset = Page::of(app.post_form(&link, &[("password", huge)]).await).await;
    assert_eq!(reset.status, 422);
    assert!(reset.text("#password-error").contains("at most 1000"));
    let short = Page::of(app.post_form(&link, &[("password", "")]).await).await;
    assert_eq!(short.status, 422);
    assert!(
        short
            .text("#password-error")
            .contains("at least 12 characters")
    );
    assert_eq!(
        Page::of(app.get(&link).await).await.status,
        200,
        "the link still works"
    );

    app.log_in(ADA, STAFF_PASSWORD).await;
    let profile = Page::of(
        app.post_form("/account/profile", &[("name", huge), ("title", huge)])
            .await,
    )
    .await;
    assert_eq!(profile.status, 422);
    assert!(profile.text("#name-error").contains("at most 200"));
    assert!(profile.text("#title-error").contains("at most 200"));
    assert!(profile.attr("#name", "value").unwrap().len() <= 300);

    let password = Page::of(
        app.post_form(
            "/account/password",
            &[("current_password", huge), ("new_password", huge)],
        )
        .await,
    )
    .await;
    assert_eq!(password.status, 422);
    assert!(
        password
            .text("#current_password-error")
            .contains("not right")
    );
    assert!(
        password
            .text("#new_password-error")
            .contains("at most 1000")
    );
    let nothing = Page::of(app.post_form("/account/password", &[]).await).await;
    assert_eq!(nothing.status, 422);
    assert_eq!(
        nothing.text("#current_password-error"),
        "Error: Enter your current password."
    );

    let email = Page::of(
        app.post_form(
            "/account/email",
            &[("new_email", huge), ("email_password", huge)],
        )
        .await,
    )
    .await;
    assert_eq!(email.status, 422);
    assert!(email.text("#new_email-error").contains("at most 254"));
    assert!(email.text("#email_password-error").contains("not right"));
    let blank = Page::of(
        app.post_form(
            "/account/email",
            &[("new_email", ""), ("email_password", "")],
        )
        .await,
    )
    .await;
    assert_eq!(blank.status, 422);
    assert_eq!(
        blank.text("#new_email-error"),
        "Error: Enter an email address."
    );
    assert_eq!(
        blank.text("#email_password-error"),
        "Error: Enter your current password."
    );

    let confirm = Page::of(
        app.post_form(&format!("/account/email/confirm/{huge}"), &[])
            .await,
    )
    .await;
    assert_eq!(confirm.status, 410);
    let reset_huge = Page::of(app.get(&format!("/password/reset/{huge}")).await).await;
    assert_eq!(reset_huge.status, 410);

    let account = Page::of(app.get("/account").await).await;
    assert_eq!(
        account.texts("main dd"),
        ["Ada Staff", ADA, "Staff"],
        "nothing was saved"
    );
}

#[tokio::test]
async fn a_person_chooses_the_time_zone_their_times_are_shown_in() {
    let app = spawn_app().await;
    app.log_in_as_new_staff().await;
    let page = Page::of(app.get("/account").await).await;
    assert_eq!(
        page.text("#time_zone option[selected]"),
        "Default (Central time, America/Chicago, the organization's)"
    );

    let saved = Page::of(
        app.post_form("/account/time-zone", &[("time_zone", "America/New_York")])
            .await,
    )
    .await;
    assert_eq!(
        saved.text(".flash"),
        "Times are now shown in America/New_York."
    );
    assert_eq!(
        saved
            .attr("#time_zone option[selected]", "value")
            .as_deref(),
        Some("America/New_York")
    );
    assert_eq!(
        saved
            .html
            .select(&scraper::Selector::parse("#time_zone option[selected]").unwrap())
            .count(),
        1
    );

    let refused = Page::of(
        app.post_form("/account/time-zone", &[("time_zone", "Mars/Olympus_Mons")])
            .await,
    )
    .await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.text("#time_zone-error"),
        "Error: “Mars/Olympus_Mons” is not a time zone we know."
    );
    let stored: String = sqlx::query_scalar("SELECT time_zone FROM people WHERE email = $1")
        .bind(ADA)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(stored, "America/New_York");

    let back = Page::of(
        app.post_form("/account/time-zone", &[("time_zone", "")])
            .await,
    )
    .await;
    assert_eq!(
        back.text(".flash"),
        "Times are shown in the default time zone again."
    );
}
