//! The form kit as people meet it: a form that comes back says so in its title and puts its
//! summary first, maximum lengths are the rules' own, unknown roles and statuses are refused.

use portal::web::form::Fields;

use crate::support::{Page, TestApp, spawn_app};

/// Writes what the schema's CHECK constraints would refuse (a role no version of the portal
/// wrote, as after a hand edit or a downgrade), to see that the portal refuses it too.
async fn write_past_the_checks(app: &TestApp, table: &str, sql: &'static str) {
    let pool = &app.state.pool;
    if app.state.backend == portal::db::Backend::Postgres {
        let drop = format!("ALTER TABLE {table} DROP CONSTRAINT {table}_role_check");
        sqlx::query(sqlx::AssertSqlSafe(drop))
            .execute(pool)
            .await
            .unwrap();
        sqlx::query(sql).execute(pool).await.unwrap();
    } else {
        let mut conn = pool.acquire().await.unwrap();
        sqlx::query("PRAGMA ignore_check_constraints = ON")
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query(sql).execute(&mut *conn).await.unwrap();
        sqlx::query("PRAGMA ignore_check_constraints = OFF")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
}

/// Every field of `fields` in the page has the rule's maximum as its `maxlength`.
fn assert_maxlengths(page: &Page, fields: &Fields, what: &str) {
    for field in fields.0 {
        let selector = format!("[name=\"{}\"]", field.name);
        assert!(page.has(&selector), "{what}: no field {}", field.name);
        for found in page
            .html
            .select(&scraper::Selector::parse(&selector).unwrap())
        {
            assert_eq!(
                found.value().attr("maxlength"),
                Some(field.max_len.to_string().as_str()),
                "{what}: the maxlength of {}",
                field.name
            );
        }
    }
}

#[tokio::test]
async fn a_form_sent_back_with_errors_has_a_title_beginning_with_error_and_its_summary_takes_the_focus()
 {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let page = Page::of(
        staff
            .post_form("/staff/cities", &[("name", ""), ("state", "")])
            .await,
    )
    .await;
    assert_eq!(page.status, 422);
    assert!(
        page.text("title").starts_with("Error: Add a city"),
        "{}",
        page.text("title")
    );
    assert_eq!(
        page.attr("#error-summary", "tabindex").as_deref(),
        Some("-1")
    );
    assert!(page.has("#error-summary a[href=\"#name\"]"));
    // The summary takes the focus through the page's one script, served from the portal
    // itself (the content security policy allows no inline script).
    let script = page.attr("script[src]", "src").unwrap();
    assert!(script.starts_with("/static/form.js"));
    let code = app.visitor().get(&script).await.text().await.unwrap();
    assert!(code.contains("getElementById(\"error-summary\")"));
    assert!(code.contains(".focus()"));

    // The same form without errors has a plain title and no summary.
    let fresh = Page::of(staff.get("/staff/cities/new").await).await;
    assert!(fresh.text("title").starts_with("Add a city"));
    assert!(!fresh.has("#error-summary"));

    // The public join form too.
    let join = Page::of(app.visitor().post_form("/join", &[("city_name", "")]).await).await;
    assert_eq!(join.status, 422);
    assert!(
        join.text("title")
            .starts_with("Error: Become a Member City")
    );
    assert!(join.has("#error-summary[tabindex=\"-1\"]"));
}

#[tokio::test]
async fn every_maximum_length_in_a_form_page_is_its_fields_rule() {
    let app = spawn_app().await;
    let anyone = app.visitor();
    let login = Page::of(anyone.get("/login").await).await;
    assert_eq!(
        login.attr("#email", "maxlength"),
        Some(portal::accounts::FIELDS.max("email").to_string())
    );
    let join = Page::of(anyone.get("/join").await).await;
    assert_maxlengths(&join, &portal::join::form::FIELDS, "join");

    let staff = app.staff_visitor().await;
    let city = Page::of(staff.get("/staff/cities/new").await).await;
    assert_maxlengths(&city, &portal::members::cities::FIELDS, "city");
    let editor = Page::of(staff.get("/staff/news/new").await).await;
    assert_maxlengths(&editor, &portal::news::EDITOR_FIELDS, "editor");
    let topics = Page::of(staff.get("/staff/topics").await).await;
    assert_maxlengths(&topics, &portal::news::TOPIC_FIELDS, "topics");
    let site = Page::of(staff.get("/staff/site").await).await;
    assert_maxlengths(&site, &portal::site::FIELDS, "site");
    let invitations = Page::of(staff.get("/invitations").await).await;
    assert_maxlengths(
        &invitations,
        &portal::members::invitations::FIELDS,
        "invitations",
    );
    let account = Page::of(staff.get("/account").await).await;
    assert_eq!(
        account.attr("#name", "maxlength"),
        Some(portal::accounts::FIELDS.max("name").to_string())
    );

    // The message about a value too long names the same maximum.
    let max = portal::members::cities::FIELDS.max("name");
    let long = "x".repeat(max + 1);
    let page = Page::of(staff.post_form("/staff/cities", &[("name", &long)]).await).await;
    assert_eq!(page.status, 422);
    assert!(
        page.text("#name-error")
            .contains(&format!("at most {max} characters")),
        "{}",
        page.text("#name-error")
    );
}

#[tokio::test]
async fn an_unknown_role_in_an_invitation_is_refused_with_a_message() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let city = app
        .insert_city("Lafayette", "CO", "active")
        .await
        .to_string();
    let page = Page::of(
        staff
            .post_form(
                "/invitations",
                &[
                    ("email", "sam@lafayetteco.gov"),
                    ("role", "superuser"),
                    ("city_id", &city),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.text("#role-error"),
        "Error: Choose the role of the person you invite."
    );
    let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invitations")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(sent, 0);
}

#[tokio::test]
async fn an_invitation_stored_with_an_unknown_role_fails_instead_of_inviting_an_advisor() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let city = app
        .insert_city("Lafayette", "CO", "active")
        .await
        .to_string();
    let sent = staff
        .post_form(
            "/invitations",
            &[
                ("email", "sam@lafayetteco.gov"),
                ("role", "advisor"),
                ("city_id", &city),
            ],
        )
        .await;
    assert_eq!(Page::of(sent).await.path(), "/invitations");
    write_past_the_checks(
        &app,
        "invitations",
        "UPDATE invitations SET role = 'superuser'",
    )
    .await;
    let link = app
        .last_mail_to("sam@lafayetteco.gov")
        .await
        .link(&app.address, "/invite/");
    let opened = app.visitor().get(&app.path_of(&link)).await;
    assert_eq!(opened.status(), 500);
    let accepted = app
        .visitor()
        .post_form(
            &app.path_of(&link),
            &[
                ("name", "Sam"),
                ("title", ""),
                ("password", crate::support::MEMBER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(accepted.status(), 500);
    let people: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE email_norm = $1")
        .bind("sam@lafayetteco.gov")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(people, 0, "nobody became an advisor");
}

#[tokio::test]
async fn a_person_stored_with_an_unknown_role_or_status_is_refused_not_given_a_default() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    assert_eq!(staff.get("/staff").await.status(), 200);
    write_past_the_checks(&app, "people", "UPDATE people SET role = 'owner'").await;
    assert_eq!(staff.get("/staff").await.status(), 500);
    assert_eq!(staff.get("/").await.status(), 500);

    sqlx::query("UPDATE people SET role = 'staff', active = 2")
        .execute(&app.state.pool)
        .await
        .unwrap();
    // An unknown status is no status: the active-only session lookup does not find the person
    // (active = 1), and the log-in page's lookup fails rather than reading it as active.
    let again = app.visitor();
    let page = again
        .post_form(
            "/login",
            &[
                ("email", "grace@mayorsinnovation.org"),
                ("password", crate::support::STAFF_PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status(), 500);
}
