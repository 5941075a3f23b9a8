//! Member cities, people, invitations: the journeys and who may do what.

use crate::{
    fixture::Cities,
    smtp::SmtpServer,
    support::{MEMBER_PASSWORD, Page, STAFF_PASSWORD, TestApp, spawn_app, spawn_app_with},
};

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

async fn person_id(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM people WHERE email_norm = $1")
        .bind(email)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn staff_create_a_city_and_invite_its_mayor_who_gets_the_email_over_smtp_and_accepts() {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    let staff = app.staff_visitor().await;

    let form = Page::of(staff.get("/staff/cities/new").await).await;
    assert_eq!(form.h1(), "Add a member city");
    let created = Page::of(
        staff
            .post_form(
                "/staff/cities",
                &[
                    ("name", "Lafayette"),
                    ("state", "CO"),
                    ("population", "30,411"),
                    ("website", "lafayetteco.gov"),
                    ("status", "active"),
                    ("member_since", "2019-03-01"),
                    ("renewal_date", "2027-03-01"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(created.h1(), "Lafayette, CO");
    assert_eq!(
        created.text(".flash"),
        "Lafayette, CO is now a member city."
    );
    assert!(created.texts(".facts dd").contains(&"30,411".to_owned()));
    assert!(
        created
            .texts(".facts dd")
            .contains(&"https://lafayetteco.gov".to_owned())
    );
    let city = created.path().rsplit('/').next().unwrap().to_owned();

    let sent = Page::of(
        staff
            .post_form(
                "/invitations",
                &[
                    ("email", "Jamie@LafayetteCO.gov"),
                    ("name", "Jamie Harkins"),
                    ("role", "mayor"),
                    ("city_id", &city),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(
        sent.text(".flash"),
        "The invitation to Jamie@LafayetteCO.gov is on its way. The link works for 7 days."
    );
    assert!(
        sent.texts("tbody td")
            .iter()
            .any(|t| t.starts_with("Jamie@LafayetteCO.gov"))
    );

    assert_eq!(app.deliver_mail().await, 1);
    let mail = smtp
        .messages()
        .pop()
        .expect("the invitation reached the SMTP server");
    assert_eq!(mail.rcpt, vec!["Jamie@LafayetteCO.gov".to_owned()]);
    assert_eq!(
        mail.header("Subject").unwrap(),
        "Grace Staff invited you to the Mayors Innovation Project portal"
    );
    assert_eq!(
        mail.header("From").unwrap(),
        "\"Mayors Innovation Project\" <portal@localhost>"
    );
    assert!(mail.header("Message-ID").unwrap().ends_with("@localhost>"));
    assert!(mail.header("Date").is_some());
    assert!(mail.data.contains("Content-Type: text/html"));
    let text = mail.text();
    assert!(text.contains("as the mayor of Lafayette, CO"), "{text}");
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with(&format!("{}/invite/", app.address)))
        .unwrap()
        .to_owned();

    // Opening the link (as a mail scanner would, twice) does not use it.
    let invitee = app.visitor();
    for _ in 0..2 {
        let page = Page::of(invitee.get(&app.path_of(&link)).await).await;
        assert_eq!(page.status, 200);
        assert_eq!(
            page.text("main .lead"),
            "Grace Staff invited Jamie@LafayetteCO.gov to join as the mayor of Lafayette, CO."
        );
        assert_eq!(
            page.attr("#name", "value").as_deref(),
            Some("Jamie Harkins")
        );
    }
    let home = Page::of(
        invitee
            .post_form(
                &app.path_of(&link),
                &[
                    ("name", "Jamie Harkins"),
                    ("title", "Mayor"),
                    ("password", MEMBER_PASSWORD),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(home.text("header .who strong"), "Jamie Harkins");
    assert_eq!(
        home.text(".flash"),
        "Welcome, Jamie Harkins. You are now the mayor of Lafayette, CO."
    );

    // Used once, the link is spent.
    let again = Page::of(app.visitor().get(&app.path_of(&link)).await).await;
    assert_eq!(again.status, 410);
    assert!(again.text("main p").contains("already accepted"));

    // The mayor invites an advisor, who accepts too.
    let advisor = app
        .invite_and_accept(
            &invitee,
            "sam@lafayetteco.gov",
            "Sam Advisor",
            "advisor",
            city.parse().unwrap(),
        )
        .await;
    let people = Page::of(invitee.get("/people").await).await;
    assert_eq!(people.h1(), "People of Lafayette, CO");
    assert!(
        people
            .texts("tbody td a")
            .contains(&"Sam Advisor".to_owned())
    );
    assert!(
        !Page::of(advisor.get("/").await)
            .await
            .texts("nav a")
            .contains(&"People".to_owned())
    );
}

#[tokio::test]
async fn a_mayor_invites_only_advisors_and_only_to_the_own_city() {
    let app = spawn_app().await;
    let net = Cities::new(&app).await;
    let other = net.city_b;
    let before = count(&app, "SELECT COUNT(*) FROM invitations").await;
    let mails = app.outbox().await.len();

    let own = net.city_a.to_string();
    let other = other.to_string();
    for (role, city) in [
        ("staff", own.as_str()),
        ("mayor", own.as_str()),
        ("advisor", other.as_str()),
    ] {
        let response = net
            .facilitator
            .post_form(
                "/invitations",
                &[
                    ("email", "x@example.gov"),
                    ("role", role),
                    ("city_id", city),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            403,
            "a mayor sent a {role} invitation to city {city}"
        );
    }
    // The form itself offers only advisors of the own city.
    let form = Page::of(net.facilitator.get("/invitations").await).await;
    assert_eq!(
        form.attr("input[name=role]", "value").as_deref(),
        Some("advisor")
    );
    assert_eq!(
        form.attr("input[name=city_id]", "value").as_deref(),
        Some(own.as_str())
    );

    // An advisor invites no one.
    assert_eq!(net.member.get("/invitations").await.status(), 403);
    let response = net
        .member
        .post_form(
            "/invitations",
            &[
                ("email", "x@example.gov"),
                ("role", "advisor"),
                ("city_id", &own),
            ],
        )
        .await;
    assert_eq!(response.status(), 403);

    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM invitations").await,
        before,
        "nothing was written"
    );
    assert_eq!(app.outbox().await.len(), mails, "no email was queued");
}

#[tokio::test]
async fn a_mayor_cannot_deactivate_another_citys_people_or_staff_but_can_deactivate_the_citys_advisors()
 {
    let app = spawn_app().await;
    let net = Cities::new(&app).await;
    let other_id = person_id(&app, "mayor@b.gov").await;
    let staff_id = person_id(&app, "grace@mayorsinnovation.org").await;
    let advisor_id = person_id(&app, "advisor@a.gov").await;

    for id in [other_id, staff_id] {
        let response = net
            .facilitator
            .post_form(&format!("/people/{id}/deactivate"), &[])
            .await;
        assert_eq!(
            response.status(),
            404,
            "person {id} is not the mayor's to see"
        );
        assert_eq!(
            net.facilitator.get(&format!("/people/{id}")).await.status(),
            404
        );
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM people WHERE active = 0").await,
        0
    );

    // The advisor is logged in elsewhere; deactivation ends that session at once.
    assert!(Page::of(net.member.get("/").await).await.has("header .who"));
    let page = Page::of(
        net.facilitator
            .post_form(&format!("/people/{advisor_id}/deactivate"), &[])
            .await,
    )
    .await;
    assert_eq!(
        page.text(".flash"),
        "Advisor A is deactivated and logged out everywhere."
    );
    assert!(
        !Page::of(net.member.get("/").await).await.has("header .who"),
        "the old cookie no longer logs in"
    );
    let again = net.member.log_in("advisor@a.gov", MEMBER_PASSWORD).await;
    assert_eq!(again.status, 422, "a deactivated person cannot log in");

    // The mayor cannot deactivate himself, nor reach the role form.
    let me = person_id(&app, "mayor@a.gov").await;
    assert_eq!(
        net.facilitator
            .post_form(&format!("/people/{me}/deactivate"), &[])
            .await
            .status(),
        403
    );
    assert_eq!(
        net.facilitator
            .post_form(
                &format!("/people/{advisor_id}/role"),
                &[("role", "mayor"), ("city_id", &net.city_a.to_string())]
            )
            .await
            .status(),
        403
    );

    // Reactivated, the advisor logs in again.
    net.facilitator
        .post_form(&format!("/people/{advisor_id}/reactivate"), &[])
        .await;
    assert_eq!(
        net.member
            .log_in("advisor@a.gov", MEMBER_PASSWORD)
            .await
            .text("header .who strong"),
        "Advisor A"
    );
}

#[tokio::test]
async fn resending_an_invitation_kills_the_old_link_and_revoking_kills_the_link() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let city = app
        .insert_city("Lafayette", "CO", "active")
        .await
        .to_string();
    staff
        .post_form(
            "/invitations",
            &[
                ("email", "jamie@lafayetteco.gov"),
                ("role", "mayor"),
                ("city_id", &city),
            ],
        )
        .await;
    let first = app
        .last_mail_to("jamie@lafayetteco.gov")
        .await
        .link(&app.address, "/invite/");
    let id: i64 = count(&app, "SELECT MAX(id) FROM invitations").await;

    let page = Page::of(
        staff
            .post_form(&format!("/invitations/{id}/resend"), &[])
            .await,
    )
    .await;
    assert_eq!(
        page.text(".flash"),
        "A new invitation is on its way to jamie@lafayetteco.gov; the earlier link no longer works."
    );
    let second = app
        .last_mail_to("jamie@lafayetteco.gov")
        .await
        .link(&app.address, "/invite/");
    assert_ne!(first, second);
    let old = Page::of(app.visitor().get(&app.path_of(&first)).await).await;
    assert_eq!(old.status, 410);
    assert!(
        old.text("main p")
            .contains("replaced by a newer invitation")
    );
    assert_eq!(app.visitor().get(&app.path_of(&second)).await.status(), 200);

    staff
        .post_form(&format!("/invitations/{id}/revoke"), &[])
        .await;
    let revoked = Page::of(app.visitor().get(&app.path_of(&second)).await).await;
    assert_eq!(revoked.status, 410);
    assert!(revoked.text("main p").contains("withdrawn"));
    let post = app
        .visitor()
        .post_form(
            &app.path_of(&second),
            &[("name", "Jamie"), ("password", MEMBER_PASSWORD)],
        )
        .await;
    assert_eq!(post.status(), 410);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM people WHERE email_norm = 'jamie@lafayetteco.gov'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn an_invitation_expires_after_seven_days() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let city = app
        .insert_city("Lafayette", "CO", "active")
        .await
        .to_string();
    staff
        .post_form(
            "/invitations",
            &[
                ("email", "jamie@lafayetteco.gov"),
                ("role", "mayor"),
                ("city_id", &city),
            ],
        )
        .await;
    let link = app
        .last_mail_to("jamie@lafayetteco.gov")
        .await
        .link(&app.address, "/invite/");
    app.state.clock.advance(7 * 24 * 3600 + 1);
    let page = Page::of(app.visitor().get(&app.path_of(&link)).await).await;
    assert_eq!(page.status, 410);
    assert_eq!(
        page.text("main p"),
        "This invitation has expired. Ask Grace Staff to send it again."
    );
    let list = Page::of(staff.get("/invitations").await).await;
    assert!(
        list.texts("tbody td strong")
            .contains(&"Expired".to_owned())
    );
}

#[tokio::test]
async fn inviting_an_address_that_has_an_account_says_so_instead_of_inviting() {
    let app = spawn_app().await;
    let net = Cities::new(&app).await;
    let city = net.city_a.to_string();
    let page = Page::of(
        net.staff
            .post_form(
                "/invitations",
                &[
                    ("email", "ADVISOR@a.gov"),
                    ("role", "advisor"),
                    ("city_id", &city),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.text("#email-error"),
        "Error: ADVISOR@a.gov already has an account (Advisor A, Lafayette, CO)."
    );

    let second_mayor = Page::of(
        net.staff
            .post_form(
                "/invitations",
                &[
                    ("email", "new@lafayetteco.gov"),
                    ("role", "mayor"),
                    ("city_id", &city),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(second_mayor.status, 422);
    assert!(
        second_mayor
            .text("#role-error")
            .contains("already has a mayor, Mayor A")
    );

    let bad = Page::of(
        net.staff
            .post_form(
                "/invitations",
                &[("email", "not an email"), ("role", ""), ("city_id", "")],
            )
            .await,
    )
    .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.attr("#email", "value").as_deref(), Some("not an email"));
    assert!(bad.has("#role-error"));
    let huge = "x".repeat(10_000);
    let page = Page::of(
        net.staff
            .post_form(
                "/invitations",
                &[
                    ("email", &huge),
                    ("name", &huge),
                    ("role", &huge),
                    ("city_id", &huge),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(page.status, 422);
}

#[tokio::test]
async fn staff_hand_the_mayor_role_over_and_move_people_between_cities() {
    let app = spawn_app().await;
    let net = Cities::new(&app).await;
    let advisor = person_id(&app, "advisor@a.gov").await;
    let city = net.city_a.to_string();
    let page = Page::of(
        net.staff
            .post_form(
                &format!("/people/{advisor}/role"),
                &[("role", "mayor"), ("city_id", &city)],
            )
            .await,
    )
    .await;
    assert_eq!(
        page.text(".flash"),
        "Advisor A is now the mayor of Lafayette, CO. Mayor A is now an advisor."
    );
    let mayors: i64 = count(
        &app,
        "SELECT COUNT(*) FROM people p JOIN cities c ON c.id = p.city_id \
         WHERE p.role = 'mayor' AND c.name = 'Lafayette'",
    )
    .await;
    assert_eq!(mayors, 1);
    // The former mayor's next page shows the change: no more People in the navigation.
    assert!(
        !Page::of(net.facilitator.get("/").await)
            .await
            .texts("nav a")
            .contains(&"People".to_owned())
    );
    assert!(
        Page::of(net.member.get("/").await)
            .await
            .texts("nav a")
            .contains(&"People".to_owned())
    );

    let madison = net.city_b.to_string();
    let jamie = person_id(&app, "mayor@a.gov").await;
    let moved = Page::of(
        net.staff
            .post_form(
                &format!("/people/{jamie}/role"),
                &[("role", "advisor"), ("city_id", &madison)],
            )
            .await,
    )
    .await;
    assert!(moved.texts(".facts dd").contains(&"Madison, WI".to_owned()));

    let audit = Page::of(net.staff.get("/staff/audit").await).await;
    let actions = audit.texts("tbody td:nth-child(3)");
    for action in [
        "invited",
        "accepted invitation",
        "changed role",
        "moved to city",
    ] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action} missing from {actions:?}"
        );
    }
}

#[tokio::test]
async fn staff_search_people_and_a_mayor_sees_only_the_citys_people() {
    let app = spawn_app().await;
    let net = Cities::new(&app).await;
    let madison = net.city_b;

    let found = Page::of(net.staff.get("/people?q=mayor%20b").await).await;
    assert_eq!(found.texts("tbody td a"), vec!["Mayor B".to_owned()]);
    let by_city = Page::of(net.staff.get(&format!("/people?city={}", net.city_a)).await).await;
    assert_eq!(
        by_city.texts("tbody td a"),
        vec!["Advisor A".to_owned(), "Mayor A".to_owned()]
    );
    let wildcard = Page::of(net.staff.get("/people?q=%25").await).await;
    assert_eq!(wildcard.text("main p"), "No one matches.");

    let mayors_view = Page::of(
        net.facilitator
            .get(&format!("/people?city={madison}"))
            .await,
    )
    .await;
    assert_eq!(
        mayors_view.texts("tbody td a"),
        vec!["Advisor A".to_owned(), "Mayor A".to_owned()]
    );
    assert_eq!(net.member.get("/people").await.status(), 403);
}

#[tokio::test]
async fn people_of_a_lapsed_city_still_log_in_and_are_told_the_membership_lapsed() {
    let app = spawn_app().await;
    let net = Cities::new(&app).await;
    let city = net.city_a.to_string();
    let edit = Page::of(net.staff.get(&format!("/staff/cities/{city}/edit")).await).await;
    assert_eq!(edit.attr("#name", "value").as_deref(), Some("Lafayette"));
    let saved = Page::of(
        net.staff
            .post_form(
                &format!("/staff/cities/{city}"),
                &[
                    ("name", "Lafayette"),
                    ("state", "CO"),
                    ("population", "30000"),
                    ("status", "lapsed"),
                    ("member_since", "2024-01-01"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(saved.text(".facts dd"), "Lapsed");
    let page = net.member.log_in("advisor@a.gov", MEMBER_PASSWORD).await;
    assert_eq!(page.text("header .who strong"), "Advisor A");
    let home = Page::of(net.member.get("/").await).await;
    assert!(
        home.text(".notice")
            .starts_with("The membership of Lafayette, CO has lapsed.")
    );
    let audit = Page::of(net.staff.get("/staff/audit").await).await;
    assert!(
        audit
            .texts("tbody td")
            .contains(&"active → lapsed".to_owned())
    );
    drop(net.facilitator);
}

#[tokio::test]
async fn the_city_form_keeps_what_was_entered_and_explains_each_problem() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let page = Page::of(
        staff
            .post_form(
                "/staff/cities",
                &[
                    ("name", ""),
                    ("state", "ZZ"),
                    ("population", "many"),
                    ("website", "not a site"),
                    ("status", "x"),
                    ("member_since", "yesterday"),
                    ("renewal_date", "2027-13-40"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(page.status, 422);
    for field in [
        "name",
        "state",
        "population",
        "website",
        "status",
        "member_since",
        "renewal_date",
    ] {
        assert!(
            page.has(&format!("#{field}-error")),
            "no message for {field}"
        );
    }
    assert_eq!(page.attr("#population", "value").as_deref(), Some("many"));
    app.insert_city("Lafayette", "CO", "active").await;
    let dup = Page::of(
        staff
            .post_form(
                "/staff/cities",
                &[
                    ("name", "lafayette"),
                    ("state", "CO"),
                    ("population", "1"),
                    ("status", "active"),
                    ("member_since", "2024-01-01"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(
        dup.text("#name-error"),
        "Error: lafayette, CO is already in the list of cities."
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cities").await, 1);
    let huge = "9".repeat(10_000);
    let page = Page::of(
        staff
            .post_form(
                "/staff/cities",
                &[
                    ("name", &huge),
                    ("state", &huge),
                    ("population", &huge),
                    ("website", &huge),
                    ("status", &huge),
                    ("member_since", &huge),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(page.status, 422);
    // Members never see the staff's city pages.
    let visitor = app.visitor();
    assert_eq!(
        Page::of(visitor.get("/staff/cities").await).await.path(),
        "/login?next=/staff/cities"
    );
}

#[tokio::test]
async fn staff_invite_another_staff_member() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let lin = app
        .invite_and_accept(&staff, "lin@mayorsinnovation.org", "Lin Staff", "staff", 0)
        .await;
    assert!(
        Page::of(lin.get("/").await)
            .await
            .texts("nav a")
            .contains(&"Staff".to_owned())
    );
    let row: (String, Option<i64>) = sqlx::query_as(
        "SELECT role, city_id FROM people WHERE email_norm = 'lin@mayorsinnovation.org'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(row, ("staff".to_owned(), None));
    let _ = STAFF_PASSWORD;
}

#[tokio::test]
async fn a_mayor_inviting_an_address_known_elsewhere_in_the_network_learns_no_name_or_city_but_staff_do()
 {
    let app = spawn_app().await;
    let net = Cities::new(&app).await;
    let madison = net.city_b;
    let madison = madison.to_string();
    // Staff invite someone to Madison who has not answered yet.
    let sent = Page::of(
        net.staff
            .post_form(
                "/invitations",
                &[
                    ("email", "lee@cityofmadison.com"),
                    ("name", "Lee Waiting"),
                    ("role", "advisor"),
                    ("city_id", &madison),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(sent.path(), "/invitations");
    let own = net.city_a.to_string();
    let invitations = count(&app, "SELECT COUNT(*) FROM invitations").await;

    for email in ["MAYOR@b.gov", "lee@cityofmadison.com"] {
        let page = Page::of(
            net.facilitator
                .post_form(
                    "/invitations",
                    &[("email", email), ("role", "advisor"), ("city_id", &own)],
                )
                .await,
        )
        .await;
        assert_eq!(page.status, 422);
        assert_eq!(
            page.text("#email-error"),
            "Error: This address cannot be invited from your city; our staff can help: write to Grace Staff at grace@mayorsinnovation.org."
        );
        let whole = page.text("body");
        for secret in ["Mayor B", "Madison", "WI", "Lee Waiting"] {
            assert!(!whole.contains(secret), "the mayor was shown {secret:?}");
        }
    }
    // The mayor's own city's people are the mayor's to know.
    let page = Page::of(
        net.facilitator
            .post_form(
                "/invitations",
                &[
                    ("email", "advisor@a.gov"),
                    ("role", "advisor"),
                    ("city_id", &own),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(
        page.text("#email-error"),
        "Error: advisor@a.gov already has an account (Advisor A, Lafayette, CO)."
    );

    // Staff still see whose account it is and that an invitation is waiting.
    let page = Page::of(
        net.staff
            .post_form(
                "/invitations",
                &[
                    ("email", "mayor@b.gov"),
                    ("role", "advisor"),
                    ("city_id", &own),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(
        page.text("#email-error"),
        "Error: mayor@b.gov already has an account (Mayor B, Madison, WI)."
    );
    let page = Page::of(
        net.staff
            .post_form(
                "/invitations",
                &[
                    ("email", "lee@cityofmadison.com"),
                    ("role", "advisor"),
                    ("city_id", &own),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(
        page.text("#email-error"),
        "Error: An invitation to lee@cityofmadison.com is already waiting; resend it from the list below."
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM invitations").await,
        invitations
    );
}

#[tokio::test]
async fn the_mayor_of_a_lapsed_city_cannot_invite_and_the_invitations_page_says_why() {
    let app = spawn_app().await;
    let net = Cities::new(&app).await;
    let own = net.city_a.to_string();
    // An invitation sent while the city was active.
    let sent = Page::of(
        net.facilitator
            .post_form(
                "/invitations",
                &[
                    ("email", "pat@lafayetteco.gov"),
                    ("role", "advisor"),
                    ("city_id", &own),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(sent.path(), "/invitations");
    sqlx::query("UPDATE cities SET status = 'lapsed' WHERE id = $1")
        .bind(net.city_a)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let invitations = count(&app, "SELECT COUNT(*) FROM invitations").await;
    let mails = app.outbox().await.len();
    let why = "The membership of Lafayette, CO has lapsed, so no invitations can be sent until it is renewed. To renew, contact the staff of Mayors Innovation Project.";

    let page = Page::of(net.facilitator.get("/invitations").await).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text("#invitations-closed"), why);
    assert!(!page.has("form[action='/invitations']"));
    assert!(!page.has("form[action$='/resend']"));
    // Taking an invitation back is still possible.
    assert!(page.has("a[href$='/revoke']"));

    let refused = Page::of(
        net.facilitator
            .post_form(
                "/invitations",
                &[
                    ("email", "new@lafayetteco.gov"),
                    ("role", "advisor"),
                    ("city_id", &own),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.text("#invitations-closed"), why);
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM invitations WHERE email_norm = 'pat@lafayetteco.gov'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let resend = net
        .facilitator
        .post_form(&format!("/invitations/{id}/resend"), &[])
        .await;
    assert_eq!(resend.status(), 404);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM invitations").await,
        invitations
    );
    assert_eq!(app.outbox().await.len(), mails, "no email was queued");

    let revoked = Page::of(
        net.facilitator
            .post_form(&format!("/invitations/{id}/revoke"), &[])
            .await,
    )
    .await;
    assert_eq!(
        revoked.text(".flash"),
        "The invitation to pat@lafayetteco.gov is withdrawn; its link no longer works."
    );
    // Staff still invite to the lapsed city.
    let sent = Page::of(
        net.staff
            .post_form(
                "/invitations",
                &[
                    ("email", "new@lafayetteco.gov"),
                    ("role", "advisor"),
                    ("city_id", &own),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(sent.path(), "/invitations");
}

#[tokio::test]
async fn city_dates_outside_the_years_1900_to_2200_are_refused_next_to_their_field() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    for (member_since, renewal_date) in [
        ("-9999-01-01", "0000-01-01"),
        ("0000-01-01", "9999-12-31"),
        ("1899-12-31", "2201-01-01"),
    ] {
        let page = Page::of(
            staff
                .post_form(
                    "/staff/cities",
                    &[
                        ("name", "Lafayette"),
                        ("state", "CO"),
                        ("population", "30000"),
                        ("status", "active"),
                        ("member_since", member_since),
                        ("renewal_date", renewal_date),
                    ],
                )
                .await,
        )
        .await;
        assert_eq!(page.status, 422, "{member_since} / {renewal_date}");
        assert_eq!(
            page.text("#member_since-error"),
            "Error: Enter the date the city joined with a year between 1900 and 2200."
        );
        assert_eq!(
            page.text("#renewal_date-error"),
            "Error: Enter the renewal date with a year between 1900 and 2200."
        );
        assert_eq!(
            page.attr("#member_since", "value").as_deref(),
            Some(member_since)
        );
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cities").await, 0);

    // The same on the edit form; the edges of the range are accepted.
    let city = app.insert_city("Lafayette", "CO", "active").await;
    let path = format!("/staff/cities/{city}");
    let page = Page::of(
        staff
            .post_form(
                &path,
                &[
                    ("name", "Lafayette"),
                    ("state", "CO"),
                    ("population", "30000"),
                    ("status", "active"),
                    ("member_since", "2024-01-01"),
                    ("renewal_date", "-9999-01-01"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(page.status, 422);
    assert!(page.has("#renewal_date-error"));
    let page = Page::of(
        staff
            .post_form(
                &path,
                &[
                    ("name", "Lafayette"),
                    ("state", "CO"),
                    ("population", "30000"),
                    ("status", "active"),
                    ("member_since", "1900-01-01"),
                    ("renewal_date", "2200-12-31"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(page.text(".flash"), "Lafayette, CO is saved.");
}

#[tokio::test]
async fn accepting_a_mayors_invitation_after_the_city_got_its_mayor_says_so_and_creates_nobody() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let city = app.insert_city("Lafayette", "CO", "active").await;
    let id = city.to_string();
    // Two mayors invited before either accepted.
    for email in ["jamie@lafayetteco.gov", "robin@lafayetteco.gov"] {
        let sent = Page::of(
            staff
                .post_form(
                    "/invitations",
                    &[("email", email), ("role", "mayor"), ("city_id", &id)],
                )
                .await,
        )
        .await;
        assert_eq!(sent.path(), "/invitations", "{email}");
    }
    let first = app
        .last_mail_to("jamie@lafayetteco.gov")
        .await
        .link(&app.address, "/invite/");
    let second = app
        .last_mail_to("robin@lafayetteco.gov")
        .await
        .link(&app.address, "/invite/");
    let jamie = app.visitor();
    let home = Page::of(
        jamie
            .post_form(
                &app.path_of(&first),
                &[
                    ("name", "Jamie Harkins"),
                    ("title", ""),
                    ("password", MEMBER_PASSWORD),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(home.path(), "/home");

    let robin = app.visitor();
    let refused = Page::of(
        robin
            .post_form(
                &app.path_of(&second),
                &[
                    ("name", "Robin Vale"),
                    ("title", ""),
                    ("password", MEMBER_PASSWORD),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.text("#name-error"),
        "Error: Lafayette, CO has a mayor already. Ask Grace Staff about it."
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM people WHERE email_norm = 'robin@lafayetteco.gov'"
        )
        .await,
        0
    );
    // The invitation is not spent: it can still be used once the city's roles change.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM invitations WHERE email_norm = 'robin@lafayetteco.gov' AND accepted_at IS NULL").await,
        1
    );
}
