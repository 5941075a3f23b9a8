//! Time zones: staff enter times in their own zone, every page shows times in the reader's
//! zone with its abbreviation, emails in the recipient's, cities carry a zone of their own.

use crate::news::editor;
use crate::support::{Page, STAFF_PASSWORD, TestApp, Visitor, spawn_app};

/// 2027-03-14 13:00:00 UTC: 9:00 AM in New York on the morning its clocks went forward.
const NINE_AM_EDT: i64 = 1_805_029_200;

/// A staff member logged in on a visitor of their own, reading times in `zone`.
async fn staff_in(app: &TestApp, email: &str, name: &str, zone: &str) -> Visitor {
    app.create_staff(email, name).await;
    let v = app.visitor();
    v.log_in(email, STAFF_PASSWORD).await;
    if !zone.is_empty() {
        let saved = Page::of(
            v.post_form("/account/time-zone", &[("time_zone", zone)])
                .await,
        )
        .await;
        assert_eq!(
            saved.text(".flash"),
            format!("Times are now shown in {zone}.")
        );
    }
    v
}

async fn schedule(staff: &Visitor, title: &str, at: &str) -> Page {
    editor(
        staff,
        "/staff/news",
        &[
            ("title", title),
            ("body", "Body."),
            ("action", "schedule"),
            ("publish_at", at),
        ],
        None,
    )
    .await
}

#[tokio::test]
async fn a_time_entered_in_new_york_is_stored_in_utc_and_each_reader_sees_it_in_their_own_zone() {
    let app = spawn_app().await;
    let author = staff_in(
        &app,
        "nia@mayorsinnovation.org",
        "Nia Staff",
        "America/New_York",
    )
    .await;
    let form = Page::of(author.get("/staff/news/new").await).await;
    assert_eq!(form.text("label[for=publish_at]"), "Publish at");
    assert!(
        form.text("#publish_at-hint")
            .contains("Your time zone, America/New_York; change it on your account page"),
        "{}",
        form.text("#publish_at-hint")
    );

    let saved = schedule(&author, "Spring Forward", "2027-03-14T09:00").await;
    assert_eq!(
        saved.text(".flash"),
        "“Spring Forward” is scheduled for 14 March 2027, 9:00 AM EDT.",
        "{:?}",
        saved.texts(".error-summary li")
    );
    let stored: i64 =
        sqlx::query_scalar("SELECT publish_at FROM posts WHERE slug = 'spring-forward'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(stored, NINE_AM_EDT, "13:00 UTC");
    // The editor gives the time back as its author entered it.
    assert_eq!(
        saved.attr("#publish_at", "value").as_deref(),
        Some("2027-03-14T09:00")
    );
    assert!(
        saved
            .text(".status-line")
            .contains("14 March 2027, 9:00 AM EDT"),
        "{}",
        saved.text(".status-line")
    );

    // A colleague who never chose a zone reads the organization's: Chicago, an hour behind.
    let reader = staff_in(&app, "cal@mayorsinnovation.org", "Cal Staff", "").await;
    let list = Page::of(reader.get("/staff/news").await).await;
    assert_eq!(
        list.texts("div[aria-labelledby=scheduled-caption] td:nth-child(2)"),
        ["14 March 2027, 8:00 AM CDT"]
    );
    let theirs = Page::of(author.get("/staff/news").await).await;
    assert_eq!(
        theirs.texts("div[aria-labelledby=scheduled-caption] td:nth-child(2)"),
        ["14 March 2027, 9:00 AM EDT"]
    );
}

#[tokio::test]
async fn a_time_the_clocks_skip_is_refused_next_to_its_field() {
    let app = spawn_app().await;
    let author = staff_in(
        &app,
        "nia@mayorsinnovation.org",
        "Nia Staff",
        "America/New_York",
    )
    .await;
    let refused = schedule(&author, "Lost Hour", "2027-03-14T02:30").await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.text("#publish_at-error"),
        "Error: 2:30 AM on 14 March 2027 does not exist in America/New_York: the clocks skip that hour for daylight saving. Choose another time."
    );
    assert_eq!(
        refused.attr("#publish_at", "value").as_deref(),
        Some("2027-03-14T02:30")
    );
    let none: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM posts")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(none, 0);
    // The hour that happens twice in autumn is accepted: the first of the two (EDT).
    let fold = schedule(&author, "Fall Back", "2027-11-07T01:30").await;
    assert_eq!(
        fold.text(".flash"),
        "“Fall Back” is scheduled for 7 November 2027, 1:30 AM EDT."
    );
}

#[tokio::test]
async fn the_outbox_and_the_audit_log_show_times_with_the_readers_abbreviation() {
    let app = spawn_app().await;
    let staff = staff_in(
        &app,
        "kai@mayorsinnovation.org",
        "Kai Staff",
        "Pacific/Honolulu",
    )
    .await;
    let city = app.insert_city("Hilo", "HI", "active").await.to_string();
    staff
        .post_form(
            "/invitations",
            &[
                ("email", "mayor@hilo.gov"),
                ("role", "mayor"),
                ("city_id", &city),
            ],
        )
        .await;
    let (written, at): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT created_at FROM outbox ORDER BY id DESC LIMIT 1), (SELECT at FROM audit_log ORDER BY id DESC LIMIT 1)",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    let honolulu = portal::time::Zone::parse("Pacific/Honolulu").unwrap();

    let outbox = Page::of(staff.get("/staff/outbox").await).await;
    let cell = outbox.text("tbody td:nth-child(3)");
    assert_eq!(cell, honolulu.time(written));
    assert!(cell.ends_with(" HST"), "{cell}");
    let audit = Page::of(staff.get("/staff/audit").await).await;
    let cell = audit.text("tbody td:nth-child(1)");
    assert_eq!(cell, honolulu.time(at));
    assert!(cell.ends_with(" HST"), "{cell}");

    // Another reader, another zone.
    let other = staff_in(&app, "lu@mayorsinnovation.org", "Lu Staff", "UTC").await;
    let audit = Page::of(other.get("/staff/audit").await).await;
    assert!(audit.text("tbody td:nth-child(1)").ends_with(" UTC"));
}

/// Adds a city through the staff form; returns the page it lands on.
async fn add_city(staff: &Visitor, name: &str, zone: &str) -> Page {
    add_city_in(staff, name, "CO", zone).await
}

async fn add_city_in(staff: &Visitor, name: &str, state: &str, zone: &str) -> Page {
    Page::of(
        staff
            .post_form(
                "/staff/cities",
                &[
                    ("name", name),
                    ("state", state),
                    ("population", "30,000"),
                    ("status", "active"),
                    ("member_since", "2024-01-01"),
                    ("time_zone", zone),
                ],
            )
            .await,
    )
    .await
}

#[tokio::test]
async fn the_city_form_saves_a_time_zone_and_refuses_an_unknown_one() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let form = Page::of(staff.get("/staff/cities/new").await).await;
    assert_eq!(
        form.text("#time_zone option[selected]"),
        "The organization's (America/Chicago)"
    );
    assert!(form.has("#time_zone optgroup option[value='America/Denver']"));

    let saved = add_city(&staff, "Boulder", "America/Denver").await;
    assert_eq!(saved.h1(), "Boulder, CO");
    let facts = saved.texts("dl.facts dt, dl.facts dd");
    let at = facts.iter().position(|t| t == "Time zone").unwrap();
    assert_eq!(facts[at + 1], "America/Denver");
    let stored: String = sqlx::query_scalar("SELECT time_zone FROM cities WHERE name = 'Boulder'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(stored, "America/Denver");
    let id = saved.path().rsplit('/').next().unwrap().to_owned();
    let edit = Page::of(staff.get(&format!("/staff/cities/{id}/edit")).await).await;
    assert_eq!(
        edit.attr("#time_zone option[selected]", "value").as_deref(),
        Some("America/Denver")
    );

    let refused = add_city(&staff, "Golden", "Mars/Olympus_Mons").await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.text("#time_zone-error"),
        "Error: “Mars/Olympus_Mons” is not a time zone we know."
    );
    let golden: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cities WHERE name = 'Golden'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(golden, 0);

    // Left empty, a city of a state with one zone takes the state's.
    let plain = add_city(&staff, "Golden", "").await;
    let facts = plain.texts("dl.facts dt, dl.facts dd");
    let at = facts.iter().position(|t| t == "Time zone").unwrap();
    assert_eq!(facts[at + 1], "America/Denver");
    let providence = add_city_in(&staff, "Providence", "RI", "").await;
    let facts = providence.texts("dl.facts dt, dl.facts dd");
    let at = facts.iter().position(|t| t == "Time zone").unwrap();
    assert_eq!(facts[at + 1], "America/New_York");
    // A state that spans several zones asks.
    let el_paso = add_city_in(&staff, "El Paso", "TX", "").await;
    assert_eq!(el_paso.status, 422);
    assert_eq!(
        el_paso.text("#time_zone-error"),
        "Error: Texas spans several time zones: choose the city's."
    );
    let chosen = add_city_in(&staff, "El Paso", "TX", "America/Denver").await;
    assert_eq!(
        chosen.status,
        200,
        "{:?}",
        chosen.texts(".error-summary li")
    );
}

#[tokio::test]
async fn the_invitation_email_gives_the_expiry_in_the_invited_citys_zone() {
    let app = spawn_app().await;
    // The inviter reads Honolulu time; the invitee lives in Denver.
    let staff = staff_in(
        &app,
        "kai@mayorsinnovation.org",
        "Kai Staff",
        "Pacific/Honolulu",
    )
    .await;
    let denver_city = add_city(&staff, "Boulder", "America/Denver").await;
    let boulder = denver_city.path().rsplit('/').next().unwrap().to_owned();
    let plain_city = add_city(&staff, "Golden", "").await;
    let golden = plain_city.path().rsplit('/').next().unwrap().to_owned();
    // A city without a zone of its own (as one of a state with several zones is, when its
    // application is approved): its people read the organization's.
    sqlx::query("UPDATE cities SET time_zone = '' WHERE name = 'Golden'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    for (email, city) in [
        ("mayor@boulder.gov", &boulder),
        ("mayor@golden.gov", &golden),
    ] {
        let sent = Page::of(
            staff
                .post_form(
                    "/invitations",
                    &[("email", email), ("role", "mayor"), ("city_id", city)],
                )
                .await,
        )
        .await;
        assert_eq!(
            sent.path(),
            "/invitations",
            "{:?}",
            sent.texts(".error-summary li")
        );
    }
    for (email, zone, abbreviations) in [
        ("mayor@boulder.gov", "America/Denver", ["MST", "MDT"]),
        ("mayor@golden.gov", "America/Chicago", ["CST", "CDT"]),
    ] {
        let expires: i64 =
            sqlx::query_scalar("SELECT expires_at FROM invitations WHERE email = $1")
                .bind(email)
                .fetch_one(&app.state.pool)
                .await
                .unwrap();
        let shown = portal::time::Zone::parse(zone).unwrap().time(expires);
        assert!(abbreviations.iter().any(|a| shown.ends_with(a)), "{shown}");
        let mail = app.last_mail_to(email).await;
        assert!(
            mail.text
                .contains(&format!("The link works until {shown}.")),
            "{}",
            mail.text
        );
        assert!(
            mail.html
                .contains(&format!("The link works until {shown}."))
        );
        // The page the link opens says the same.
        let link = mail.link(&app.address, "/invite/");
        let page = Page::of(app.visitor().get(&app.path_of(&link)).await).await;
        assert!(
            page.texts("main p")
                .iter()
                .any(|p| p.ends_with(&format!("The invitation works until {shown}."))),
            "{:?}",
            page.texts("main p")
        );
    }
}

#[tokio::test]
async fn a_providence_mayor_reads_eastern_time_once_the_city_takes_its_states_zone() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    // A city stored before zones were inferred: no zone of its own.
    let providence = app.insert_city("Providence", "RI", "active").await;
    let el_paso = app.insert_city("El Paso", "TX", "active").await;
    let mayor = app
        .invite_and_accept(
            &staff,
            "mayor@providence.gov",
            "Pat Mayor",
            "mayor",
            providence,
        )
        .await;
    let before = Page::of(mayor.get("/account").await).await;
    assert_eq!(
        before.text("#time_zone option[selected]"),
        "Default (Central time, America/Chicago, the organization's)"
    );
    // The next start fills it from the state; a state of several zones is left to staff.
    portal::db::migrate(&app.state.pool, app.state.backend)
        .await
        .unwrap();
    let zone_of = |id: i64| {
        let pool = app.state.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT time_zone FROM cities WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(zone_of(providence).await, "America/New_York");
    assert_eq!(zone_of(el_paso).await, "");
    let after = Page::of(mayor.get("/account").await).await;
    assert_eq!(
        after.text("#time_zone option[selected]"),
        "Default (Eastern time, America/New_York, your city's)"
    );
    // 11:00 in Chicago on a January day is noon in Providence.
    let chicago = portal::time::Zone::parse("America/Chicago").unwrap();
    let t = chicago.parse_local("2027-01-14T11:00").unwrap();
    let eastern = portal::time::Zone::parse(&zone_of(providence).await).unwrap();
    assert_eq!(eastern.clock(t), "12:00 PM EST");
}
