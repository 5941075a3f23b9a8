//! "Become a Member City": the application journey, its emails, the spam guard, review.

use crate::support::{Page, TestApp, Visitor, spawn_app};

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
    assert_eq!(mayor.get("/staff/applications").await.status(), 404);
    assert_eq!(
        mayor
            .get(&format!("/staff/applications/{id}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        mayor
            .post_form(&format!("/staff/applications/{id}/approve"), &[])
            .await
            .status(),
        404
    );
    assert_eq!(
        Page::of(visitor.get("/staff/applications").await)
            .await
            .path(),
        "/login?next=/staff/applications"
    );
}
