//! Words: every page's title names the page and its subject; every date is written one way;
//! a destructive action asks first, on a page of its own that changes nothing.

use crate::news::publish;
use crate::support::{MEMBER_PASSWORD, Page, TestApp, Visitor, spawn_app};

/// The page's title without the organization's name after it.
fn title(page: &Page) -> String {
    let full = page.text("title");
    full.rsplit_once(" · ")
        .map(|(t, _)| t.to_owned())
        .unwrap_or(full)
}

async fn open(visitor: &Visitor, path: &str) -> Page {
    let page = Page::of(visitor.get(path).await).await;
    assert_eq!(page.status, 200, "{path}");
    page
}

async fn id_of(app: &TestApp, sql: &'static str, bind: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .bind(bind.to_owned())
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

/// The confirmation page at `path`: its heading, its one button, the form it sends and the way
/// back.
fn assert_asks(page: &Page, heading: &str, action: &str, button: &str) {
    assert_eq!(page.h1(), heading);
    assert_eq!(
        page.attr("main form[method=post]", "action").as_deref(),
        Some(action)
    );
    assert_eq!(page.text("main form button[type=submit]"), button);
    assert!(page.has("main form a.button"), "a way back that keeps it");
}

#[tokio::test]
async fn every_page_title_names_the_page_and_its_subject() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let city = app.insert_city("Lafayette", "CO", "active").await;
    app.invite_and_accept(
        &staff,
        "jamie@lafayetteco.gov",
        "Jamie Harkins",
        "mayor",
        city,
    )
    .await;
    let post = publish(
        &staff,
        "City Leadership in Addressing Racial Inequities",
        "Cities that measure water affordability act on it.",
        &[],
    )
    .await;
    let jamie = id_of(
        &app,
        "SELECT id FROM people WHERE email = $1",
        "jamie@lafayetteco.gov",
    )
    .await;

    let search = open(&staff, "/search?q=water").await;
    assert_eq!(title(&search), "Search: water");
    assert_eq!(title(&open(&staff, "/search").await), "Search");

    let edit = open(&staff, &format!("/staff/news/{post}/edit")).await;
    assert_eq!(
        title(&edit),
        "Edit: City Leadership in Addressing Racial Inequities"
    );
    let delete = open(&staff, &format!("/staff/news/{post}/delete")).await;
    assert_eq!(
        title(&delete),
        "Delete: City Leadership in Addressing Racial Inequities"
    );

    // The news index is "News", its title and its heading alike.
    let news = open(&app.visitor(), "/news").await;
    assert_eq!(title(&news), "News");
    assert_eq!(news.h1(), "News");

    let person = open(&staff, &format!("/people/{jamie}")).await;
    assert_eq!(title(&person), "Jamie Harkins");
    let city_page = open(&staff, &format!("/staff/cities/{city}")).await;
    assert_eq!(title(&city_page), "Lafayette, CO");
    let city_edit = open(&staff, &format!("/staff/cities/{city}/edit")).await;
    assert_eq!(title(&city_edit), "Edit: Lafayette, CO");
    let people = open(&staff, "/people?q=jamie").await;
    assert_eq!(title(&people), "People: “jamie”");

    let application: i64 = sqlx::query_scalar(
        "INSERT INTO applications (city_name, state, population, mayor_name, mayor_email, contact_name, \
           contact_title, contact_email, contact_phone, reason, status, client_ip, created_at) \
         VALUES ('Ames', 'IA', 66000, 'Mayor Ames', 'mayor@ames.gov', 'Clerk', 'Clerk', 'clerk@ames.gov', \
           '', 'To learn.', 'pending', '127.0.0.1', 0) RETURNING id",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    let applying = open(&staff, &format!("/staff/applications/{application}")).await;
    assert_eq!(title(&applying), "Application: Ames, IA");
    let waiting = open(&staff, "/staff/applications").await;
    assert_eq!(title(&waiting), "Applications: waiting");
    let failed = open(&staff, "/staff/outbox?status=failed").await;
    assert_eq!(title(&failed), "Outbox: Failed");
}

#[tokio::test]
async fn every_date_is_written_one_way_on_pages_and_in_emails() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let city = app.insert_city("Lafayette", "CO", "active").await;
    sqlx::query("UPDATE cities SET renewal_date = '2027-03-09' WHERE id = $1")
        .bind(city)
        .execute(&app.state.pool)
        .await
        .unwrap();

    // A calendar date, stored as 2024-01-01.
    let page = open(&staff, &format!("/staff/cities/{city}")).await;
    let facts = page.texts("dl.facts dt, dl.facts dd");
    let after = |label: &str| facts[facts.iter().position(|t| t == label).unwrap() + 1].clone();
    assert_eq!(after("Member since"), "1 January 2024");
    assert_eq!(after("Renewal date"), "9 March 2027");
    let list = open(&staff, "/staff/cities").await;
    assert!(
        list.texts("#cities td")
            .contains(&"9 March 2027".to_owned())
    );

    // An instant: the invitation's expiry, on the list and in the email, in the zone of its
    // reader (the organization's, here), written as the site's one format says.
    staff
        .post_form(
            "/invitations",
            &[
                ("email", "pat@lafayetteco.gov"),
                ("role", "advisor"),
                ("city_id", &city.to_string()),
            ],
        )
        .await;
    let expires: i64 = sqlx::query_scalar("SELECT expires_at FROM invitations")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let zone = app.state.config.time_zone.clone();
    let day = zone.date(expires);
    let pieces: Vec<&str> = day.split(' ').collect();
    assert_eq!(pieces.len(), 3, "{day}");
    assert!(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December"
        ]
        .contains(&pieces[1]),
        "the month is written out: {day}"
    );
    let invitations = open(&staff, "/invitations").await;
    assert!(
        invitations.texts("#invitations td").contains(&day.clone()),
        "{:?}",
        invitations.texts("#invitations td")
    );
    let mail = app.last_mail_to("pat@lafayetteco.gov").await;
    let written = zone.time(expires);
    assert!(written.starts_with(&format!("{day}, ")), "{written}");
    assert!(mail.text.contains(&written), "{}", mail.text);
}

#[tokio::test]
async fn revoking_an_invitation_asks_first_and_the_question_changes_nothing() {
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
    mayor
        .post_form(
            "/invitations",
            &[
                ("email", "pat@lafayetteco.gov"),
                ("role", "advisor"),
                ("city_id", &city.to_string()),
            ],
        )
        .await;
    let id = id_of(
        &app,
        "SELECT id FROM invitations WHERE email = $1",
        "pat@lafayetteco.gov",
    )
    .await;
    let path = format!("/invitations/{id}/revoke");

    // The list's Revoke is a link to the question.
    let list = open(&mayor, "/invitations").await;
    assert_eq!(
        list.text(&format!("a[href='{path}']")),
        "Revoke the invitation to pat@lafayetteco.gov…"
    );
    let ask = open(&mayor, &path).await;
    assert_eq!(title(&ask), "Revoke: invitation to pat@lafayetteco.gov");
    assert_asks(
        &ask,
        "Revoke the invitation to pat@lafayetteco.gov?",
        &path,
        "Revoke the invitation",
    );
    assert!(
        ask.text("main p").contains("Advisor of Lafayette, CO")
            || ask.text("main p").contains("advisor of Lafayette, CO")
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM invitations WHERE revoked_at IS NULL AND accepted_at IS NULL"
        )
        .await,
        1,
        "asking withdrew nothing"
    );

    let done = Page::of(mayor.post_form(&path, &[]).await).await;
    assert_eq!(
        done.text(".flash"),
        "The invitation to pat@lafayetteco.gov is withdrawn; its link no longer works."
    );
    // Asked again, the question is answered on the list.
    let again = Page::of(mayor.get(&path).await).await;
    assert_eq!(again.path(), "/invitations");
    assert_eq!(
        again.text(".flash"),
        "The invitation to pat@lafayetteco.gov was already withdrawn."
    );
}

#[tokio::test]
async fn deactivating_a_person_asks_first_and_the_question_changes_nothing() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let city = app.insert_city("Lafayette", "CO", "active").await;
    app.invite_and_accept(
        &staff,
        "sam@lafayetteco.gov",
        "Sam Advisor",
        "advisor",
        city,
    )
    .await;
    let sam = id_of(
        &app,
        "SELECT id FROM people WHERE email = $1",
        "sam@lafayetteco.gov",
    )
    .await;
    let path = format!("/people/{sam}/deactivate");

    let person = open(&staff, &format!("/people/{sam}")).await;
    assert_eq!(
        person.text(&format!("a[href='{path}']")),
        "Deactivate Sam Advisor…"
    );
    assert!(!person.has(&format!("form[action='{path}']")));
    let ask = open(&staff, &path).await;
    assert_eq!(title(&ask), "Deactivate: Sam Advisor");
    assert_asks(
        &ask,
        "Deactivate Sam Advisor?",
        &path,
        "Deactivate Sam Advisor",
    );
    assert!(ask.text("main p").contains("sam@lafayetteco.gov"));
    let page = app
        .visitor()
        .log_in("sam@lafayetteco.gov", MEMBER_PASSWORD)
        .await;
    assert_eq!(page.path(), "/home", "asking deactivated no one");

    let done = Page::of(staff.post_form(&path, &[]).await).await;
    assert_eq!(
        done.text(".flash"),
        "Sam Advisor is deactivated and logged out everywhere."
    );
    let again = Page::of(staff.get(&path).await).await;
    assert_eq!(again.path(), format!("/people/{sam}"));
    assert_eq!(again.text(".flash"), "Sam Advisor is already deactivated.");
}

#[tokio::test]
async fn deleting_a_topic_a_page_or_a_testimonial_and_removing_the_logo_ask_first() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;

    // A topic with one post.
    staff
        .post_form("/staff/topics", &[("name", "Transit")])
        .await;
    let topic = id_of(&app, "SELECT id FROM topics WHERE name = $1", "Transit").await;
    publish(
        &staff,
        "Bus Lanes",
        "Faster buses.",
        &[("topic", &topic.to_string())],
    )
    .await;
    let path = format!("/staff/topics/{topic}/delete");
    let topics = open(&staff, "/staff/topics").await;
    assert_eq!(topics.text(&format!("a[href='{path}']")), "Delete Transit…");
    let ask = open(&staff, &path).await;
    assert_eq!(title(&ask), "Delete: topic Transit");
    assert_asks(
        &ask,
        "Delete the topic “Transit”?",
        &path,
        "Delete the topic",
    );
    assert!(ask.text("main p").contains("The one post that has it"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM topics").await, 1);
    staff.post_form(&path, &[]).await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM topics").await, 0);
    assert_eq!(Page::of(staff.get(&path).await).await.status, 404);

    // A page.
    let page: i64 = sqlx::query_scalar(
        "INSERT INTO pages (slug, title, body, placement, position, status, created_at, updated_at) \
         VALUES ('about-us', 'About us', 'Text.', 'footer', 0, 'published', 0, 0) RETURNING id",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    let path = format!("/staff/pages/{page}/delete");
    let list = open(&staff, "/staff/pages").await;
    assert_eq!(list.text(&format!("a[href='{path}']")), "Delete About us…");
    let ask = open(&staff, &path).await;
    assert_eq!(title(&ask), "Delete: About us");
    assert_asks(&ask, "Delete “About us”?", &path, "Delete for good");
    assert!(ask.text("main p").contains("/pages/about-us"));
    assert_eq!(app.visitor().get("/pages/about-us").await.status(), 200);
    staff.post_form(&path, &[]).await;
    assert_eq!(app.visitor().get("/pages/about-us").await.status(), 404);

    // A testimonial.
    let testimonial: i64 = sqlx::query_scalar(
        "INSERT INTO testimonials (quote, name, title, city, active, created_at) \
         VALUES ('We learned a lot.', 'Pat Doe', 'Mayor', 'Elgin, IL', 1, 0) RETURNING id",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    let path = format!("/staff/testimonials/{testimonial}/delete");
    let site = open(&staff, "/staff/site").await;
    assert_eq!(
        site.text(&format!("a[href='{path}']")),
        "Delete the testimonial by Pat Doe…"
    );
    let ask = open(&staff, &path).await;
    assert_eq!(title(&ask), "Delete: testimonial by Pat Doe");
    assert_asks(
        &ask,
        "Delete the testimonial by Pat Doe?",
        &path,
        "Delete for good",
    );
    assert!(ask.text("main p").contains("“We learned a lot.”"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM testimonials").await, 1);
    staff.post_form(&path, &[]).await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM testimonials").await, 0);

    // The logo: with none, nothing to ask.
    let none = Page::of(staff.get("/staff/site/logo/delete").await).await;
    assert_eq!(none.path(), "/staff/site");
    assert_eq!(none.text(".flash"), "There is no logo to remove.");
    let png = {
        let img = image::RgbImage::from_fn(40, 20, |x, y| image::Rgb([x as u8, y as u8, 9]));
        let mut bytes = std::io::Cursor::new(Vec::new());
        img.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
        bytes.into_inner()
    };
    let logo =
        portal::files::store_bytes(&app.state.pool, 0, &portal::site::LOGO, "logo.png", &png)
            .await
            .unwrap();
    assert!(portal::site::set_logo(&app.state, logo.id).await.unwrap());
    let site = open(&staff, "/staff/site").await;
    assert_eq!(
        site.text("a[href='/staff/site/logo/delete']"),
        "Remove the logo…"
    );
    let ask = open(&staff, "/staff/site/logo/delete").await;
    assert_eq!(title(&ask), "Remove: the logo");
    assert_asks(
        &ask,
        "Remove the logo?",
        "/staff/site/logo/delete",
        "Remove the logo",
    );
    assert!(open(&app.visitor(), "/").await.has("header img.logo"));
    let done = Page::of(staff.post_form("/staff/site/logo/delete", &[]).await).await;
    assert_eq!(
        done.text(".flash"),
        "The logo is removed; the header shows the organization's name."
    );
    assert!(!open(&app.visitor(), "/").await.has("header img.logo"));
}
