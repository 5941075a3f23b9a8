//! "Become a Member City": the application journey, its emails, the spam guard, review.

use crate::support::{Page, TestApp, Visitor, spawn_app, spawn_app_with};

/// The form's fields for a city, with the hidden timestamp the form was shown with.
async fn fill(
    app: &TestApp,
    visitor: &Visitor,
    city: &str,
    contact_email: &str,
) -> Vec<(String, String)> {
    let form = Page::of(visitor.get("/join").await).await;
    let started = form.attr("input[name=started]", "value").unwrap();
    app.state.clock.advance(30);
    [
        ("city_name", city),
        ("state", "CO"),
        ("population", "30,411"),
        ("mayor_name", "Jamie Harkins"),
        ("mayor_email", "jamie@lafayetteco.gov"),
        ("contact_name", "Morgan Ellis"),
        ("contact_title", "Chief of Staff"),
        ("contact_email", contact_email),
        ("contact_phone", "303-555-0100"),
        (
            "reason",
            "We want to learn from peers on water affordability.",
        ),
        ("website", ""),
        ("started", &started),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

async fn send(visitor: &Visitor, fields: &[(String, String)]) -> Page {
    Page::of(
        visitor
            .client
            .post(visitor.url("/join"))
            .form(fields)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn applications(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM applications")
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_city_applies_staff_are_told_and_approval_makes_it_a_member_and_invites_its_mayor() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let visitor = app.visitor();
    let fields = fill(&app, &visitor, "Lafayette", "morgan@lafayetteco.gov").await;
    let thanks = send(&visitor, &fields).await;
    assert_eq!(thanks.path(), "/join/thanks");
    assert_eq!(thanks.h1(), "Thank you");

    let confirmation = app.last_mail_to("morgan@lafayetteco.gov").await;
    assert_eq!(
        confirmation.subject,
        "We received the application of Lafayette, CO"
    );
    let notice = app.last_mail_to("grace@mayorsinnovation.org").await;
    assert_eq!(notice.subject, "New application: Lafayette, CO");
    let link = notice.link(&app.address, "/staff/applications/");

    // A second application for the same city is recognized and shown beside the first.
    let again = fill(&app, &app.visitor(), "lafayette", "other@lafayetteco.gov").await;
    send(&app.visitor(), &again).await;
    let page = Page::of(staff.get(&app.path_of(&link)).await).await;
    assert_eq!(page.h1(), "Lafayette, CO");
    assert!(
        page.text(".notice")
            .starts_with("1 other application for Lafayette, CO")
    );
    let list = Page::of(staff.get("/staff/applications").await).await;
    assert_eq!(list.texts("tbody tr").len(), 2);

    let approved = Page::of(
        staff
            .post_form(&format!("{}/approve", app.path_of(&link)), &[])
            .await,
    )
    .await;
    assert_eq!(
        approved.text(".flash"),
        "Lafayette, CO is approved and is an active member city. The mayor, Jamie Harkins, is invited."
    );
    // The city it just created is not "already in the list".
    let notices = approved.texts(".notice");
    assert!(
        notices.iter().all(|n| !n.contains("already in the list")),
        "{notices:?}"
    );
    // The applicant hears of it.
    let welcome = app.last_mail_to("morgan@lafayetteco.gov").await;
    assert_eq!(welcome.subject, "Lafayette, CO is a member city");
    assert!(welcome.text.contains("is approved"), "{}", welcome.text);
    assert!(welcome.text.contains("Jamie Harkins gets an invitation"));
    // The new city's page shows the mayor's invitation, waiting.
    let city = approved
        .attr("main a[href^='/staff/cities/']", "href")
        .unwrap();
    let city_page = Page::of(staff.get(&city).await).await;
    let invited = city_page.texts(".invited li");
    assert_eq!(invited.len(), 1, "{invited:?}");
    assert!(
        invited[0].starts_with("Jamie Harkins (jamie@lafayetteco.gov), mayor"),
        "{invited:?}"
    );
    let invitation = app.last_mail_to("jamie@lafayetteco.gov").await;
    assert!(invitation.text.contains("as the mayor of Lafayette, CO"));
    let directory = Page::of(app.visitor().get("/members").await).await;
    assert_eq!(directory.texts(".city-name"), vec!["Lafayette".to_owned()]);
    // The mayor accepts the invitation the approval sent.
    let accept = app.visitor();
    let home = Page::of(
        accept
            .post_form(
                &app.path_of(&invitation.link(&app.address, "/invite/")),
                &[
                    ("name", "Jamie Harkins"),
                    ("password", crate::support::MEMBER_PASSWORD),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(home.text("header .who strong"), "Jamie Harkins");

    // Approving the duplicate uses the existing city and sends no second invitation.
    let second: i64 = sqlx::query_scalar("SELECT MAX(id) FROM applications")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let page = Page::of(
        staff
            .post_form(&format!("/staff/applications/{second}/approve"), &[])
            .await,
    )
    .await;
    assert!(page.text(".flash").contains("already has a mayor"));
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM cities")
            .fetch_one(&app.state.pool)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn a_declined_application_sends_the_staffs_message_to_the_contact() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let visitor = app.visitor();
    send(
        &visitor,
        &fill(&app, &visitor, "Springfield", "contact@springfield.gov").await,
    )
    .await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM applications")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let empty = Page::of(
        staff
            .post_form(
                &format!("/staff/applications/{id}/decline"),
                &[("message", "  ")],
            )
            .await,
    )
    .await;
    assert_eq!(empty.status, 422);
    assert!(empty.has("#message-error"));
    let page = Page::of(
        staff
            .post_form(
                &format!("/staff/applications/{id}/decline"),
                &[("message", "We are not taking new members this year.")],
            )
            .await,
    )
    .await;
    assert!(
        page.text(".flash")
            .starts_with("The application of Springfield, CO is declined")
    );
    let mail = app.last_mail_to("contact@springfield.gov").await;
    assert_eq!(mail.subject, "About the application of Springfield, CO");
    assert!(
        mail.text
            .contains("We are not taking new members this year.")
    );
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM cities")
            .fetch_one(&app.state.pool)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn the_spam_guard_drops_robots_slows_floods_and_refuses_instant_forms() {
    let app = spawn_app().await;
    let visitor = app.visitor();

    // The honeypot: the same thanks, nothing kept, no email.
    let mut robot = fill(&app, &visitor, "Botville", "bot@example.com").await;
    robot.iter_mut().find(|(k, _)| k == "website").unwrap().1 = "http://spam.example".to_owned();
    assert_eq!(send(&visitor, &robot).await.path(), "/join/thanks");
    assert_eq!(applications(&app).await, 0);
    assert!(app.outbox().await.is_empty());

    // Sent the instant the form was shown.
    let form = Page::of(visitor.get("/join").await).await;
    let mut fast = fill(&app, &visitor, "Quickton", "q@example.com").await;
    fast.iter_mut().find(|(k, _)| k == "started").unwrap().1 =
        form.attr("input[name=started]", "value").unwrap();
    let mut stamp_now = fast.clone();
    let now_stamp = {
        let fresh = Page::of(visitor.get("/join").await).await;
        fresh.attr("input[name=started]", "value").unwrap()
    };
    stamp_now
        .iter_mut()
        .find(|(k, _)| k == "started")
        .unwrap()
        .1 = now_stamp;
    let page = send(&visitor, &stamp_now).await;
    assert_eq!(page.status, 422);
    assert!(
        page.text(".error-summary p")
            .starts_with("That was quicker than a person")
    );
    assert_eq!(
        page.attr("#city_name", "value").as_deref(),
        Some("Quickton"),
        "what was entered is kept"
    );

    // A forged timestamp is refused too.
    let mut forged = fast.clone();
    forged.iter_mut().find(|(k, _)| k == "started").unwrap().1 = "1.deadbeef".to_owned();
    assert_eq!(send(&visitor, &forged).await.status, 422);
    assert_eq!(applications(&app).await, 0);

    // Three an hour from one address; the fourth waits.
    for i in 0..3 {
        let f = fill(&app, &visitor, &format!("Town {i}"), "t@example.com").await;
        assert_eq!(send(&visitor, &f).await.path(), "/join/thanks");
    }
    let f = fill(&app, &visitor, "Town 4", "t@example.com").await;
    let limited = send(&visitor, &f).await;
    assert_eq!(limited.status, 429);
    assert!(
        limited
            .text(".error-summary p")
            .contains("try again in an hour")
    );
    assert_eq!(applications(&app).await, 3);
}

#[tokio::test]
async fn an_application_with_missing_or_enormous_fields_comes_back_with_each_message_by_its_field()
{
    let app = spawn_app().await;
    let visitor = app.visitor();
    let mut fields = fill(&app, &visitor, "", "not-an-email").await;
    fields
        .iter_mut()
        .find(|(k, _)| k == "population")
        .unwrap()
        .1 = "lots".to_owned();
    fields.iter_mut().find(|(k, _)| k == "state").unwrap().1 = "XX".to_owned();
    let page = send(&visitor, &fields).await;
    assert_eq!(page.status, 422);
    for field in ["city_name", "state", "population", "contact_email"] {
        assert!(
            page.has(&format!("#{field}-error")),
            "no message for {field}"
        );
    }
    assert_eq!(
        page.attr("#mayor_name", "value").as_deref(),
        Some("Jamie Harkins")
    );
    assert_eq!(
        page.text("#reason"),
        "We want to learn from peers on water affordability."
    );

    let huge = "x".repeat(10_000);
    let mut big = fill(&app, &visitor, &huge, &huge).await;
    for (k, v) in big.iter_mut() {
        if k != "started" && k != "website" {
            *v = huge.clone();
        }
    }
    let page = send(&visitor, &big).await;
    assert_eq!(page.status, 422);
    assert_eq!(applications(&app).await, 0);
}

#[tokio::test]
async fn only_staff_review_applications() {
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
    let visitor = app.visitor();
    send(
        &visitor,
        &fill(&app, &visitor, "Springfield", "c@springfield.gov").await,
    )
    .await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM applications")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    // A staff page is no secret: a member is told they have no access.
    assert_eq!(mayor.get("/staff/applications").await.status(), 403);
    assert_eq!(
        mayor
            .get(&format!("/staff/applications/{id}"))
            .await
            .status(),
        403
    );
    assert_eq!(
        mayor
            .post_form(&format!("/staff/applications/{id}/approve"), &[])
            .await
            .status(),
        403
    );
    assert_eq!(
        Page::of(visitor.get("/staff/applications").await)
            .await
            .path(),
        "/login?next=/staff/applications"
    );
}

fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    fields.iter_mut().find(|(k, _)| k == name).unwrap().1 = value.to_owned();
}

#[tokio::test]
async fn correcting_a_field_does_not_restart_the_forms_clock() {
    let app = spawn_app().await;
    let visitor = app.visitor();
    let mut fields = fill(&app, &visitor, "Lafayette", "morgan@lafayetteco.gov").await;
    let sent = fields
        .iter()
        .find(|(k, _)| k == "started")
        .unwrap()
        .1
        .clone();
    set(&mut fields, "population", "lots");
    let page = send(&visitor, &fields).await;
    assert_eq!(page.status, 422);
    assert!(page.has("#population-error"));
    assert_eq!(
        page.attr("input[name=started]", "value").as_deref(),
        Some(sent.as_str()),
        "the error page keeps the time the form was first shown"
    );
    // Corrected at once: still more than three seconds after the form was first shown.
    set(&mut fields, "population", "30,411");
    assert_eq!(send(&visitor, &fields).await.path(), "/join/thanks");
    assert_eq!(applications(&app).await, 1);
}

#[tokio::test]
async fn a_form_shown_more_than_two_hours_ago_is_out_of_date_and_comes_back_with_a_new_stamp() {
    let app = spawn_app().await;
    let visitor = app.visitor();
    let mut fields = fill(&app, &visitor, "Lafayette", "morgan@lafayetteco.gov").await;
    let sent = fields
        .iter()
        .find(|(k, _)| k == "started")
        .unwrap()
        .1
        .clone();
    app.state.clock.advance(2 * 3600);
    let page = send(&visitor, &fields).await;
    assert_eq!(page.status, 422);
    assert!(
        page.text(".error-summary p")
            .starts_with("The form was out of date")
    );
    let fresh = page.attr("input[name=started]", "value").unwrap();
    assert_ne!(fresh, sent);
    assert_eq!(applications(&app).await, 0);
    app.state.clock.advance(30);
    set(&mut fields, "started", &fresh);
    assert_eq!(send(&visitor, &fields).await.path(), "/join/thanks");
}

#[tokio::test]
async fn control_characters_in_a_field_get_a_message_by_it_and_line_breaks_never_reach_one_line_fields()
 {
    let app = spawn_app().await;
    let visitor = app.visitor();
    let mut fields = fill(&app, &visitor, "Lafayette", "morgan@lafayetteco.gov").await;
    set(&mut fields, "contact_name", "Morgan\0 Ellis");
    set(
        &mut fields,
        "city_name",
        "Lafayette\r\nBcc: someone@example.com",
    );
    set(
        &mut fields,
        "reason",
        "Water affordability.\r\n\r\nAnd\ttransit.",
    );
    let page = send(&visitor, &fields).await;
    assert_eq!(page.status, 422);
    assert!(
        page.text("#contact_name-error")
            .contains("control characters"),
        "{}",
        page.text("#contact_name-error")
    );
    assert_eq!(
        page.attr("#contact_name", "value").as_deref(),
        Some("Morgan Ellis")
    );
    assert!(!page.has("#city_name-error"), "a line break is not refused");
    assert_eq!(applications(&app).await, 0);

    set(&mut fields, "contact_name", "Morgan Ellis");
    assert_eq!(send(&visitor, &fields).await.path(), "/join/thanks");
    let (city, reason): (String, String) =
        sqlx::query_as("SELECT city_name, reason FROM applications")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(city, "Lafayette Bcc: someone@example.com");
    assert_eq!(reason, "Water affordability.\n\nAnd\ttransit.");
}

#[tokio::test]
async fn twenty_applications_at_once_from_one_address_store_three_and_failed_ones_do_not_count() {
    let app = spawn_app().await;
    let visitor = app.visitor();
    // A city hall whose first tries fail the checks can still apply.
    let mut wrong = fill(&app, &visitor, "", "morgan@lafayetteco.gov").await;
    for _ in 0..4 {
        assert_eq!(send(&visitor, &wrong).await.status, 422);
    }
    set(&mut wrong, "city_name", "Lafayette");
    let fields = wrong;
    let sends = (0..20).map(|_| {
        let client = crate::support::new_client();
        let url = app.url("/join");
        let fields = fields.clone();
        async move {
            client
                .post(url)
                .form(&fields)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures_join_all(sends).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        17,
        "{statuses:?}"
    );
    assert_eq!(applications(&app).await, 3);
}

/// Runs the futures at once on the test's runtime and collects their results in order.
async fn futures_join_all<
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
>(
    futures: impl Iterator<Item = F>,
) -> Vec<T> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_address_is_the_one_the_proxy_added() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    let visitor = app.visitor();
    for i in 0..4 {
        let fields = fill(&app, &visitor, &format!("Town {i}"), "t@example.com").await;
        let response = visitor
            .client
            .post(visitor.url("/join"))
            // What the client sent first, then what the proxy added.
            .header("x-forwarded-for", format!("203.0.113.{i}, 198.51.100.7"))
            .form(&fields)
            .send()
            .await
            .unwrap();
        let expected = if i < 3 { 200 } else { 429 };
        assert_eq!(response.status(), expected, "application {i}");
    }
    let addresses: Vec<String> = sqlx::query_scalar("SELECT DISTINCT client_ip FROM applications")
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(addresses, vec!["198.51.100.7".to_owned()]);
}
