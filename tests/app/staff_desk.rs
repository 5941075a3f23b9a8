//! The staff desk: what needs doing now, each count a link to the list of exactly those items.

use crate::{
    fixture::Fixture,
    support::{Page, TestApp, Visitor, spawn_app},
};

async fn exec(app: &TestApp, sql: &'static str, args: &[&str]) {
    let mut q = sqlx::query(sql);
    for a in args {
        q = q.bind(*a);
    }
    q.execute(&app.state.pool).await.unwrap();
}

async fn application(app: &TestApp, city: &str, state: &str, status: &str) {
    sqlx::query(
        "INSERT INTO applications (city_name, state, population, mayor_name, mayor_email, contact_name, \
         contact_title, contact_email, contact_phone, reason, status, client_ip, created_at) \
         VALUES ($1, $2, 30000, 'Mayor', 'mayor@example.gov', 'Contact', 'Chief of Staff', \
         'contact@example.gov', '555-0100', 'To learn.', $3, '127.0.0.1', 0)",
    )
    .bind(city)
    .bind(state)
    .bind(status)
    .execute(&app.state.pool)
    .await
    .unwrap();
}

async fn email(app: &TestApp, status: &str) {
    sqlx::query(
        "INSERT INTO outbox (kind, to_addr, subject, text_body, html_body, message_id, created_at, status, next_attempt_at) \
         VALUES ('test', 'someone@example.org', 'Hello', 'Hi', '<p>Hi</p>', $1, 0, $2, 0)",
    )
    .bind(format!("<{status}-{}@test>", rand_id()))
    .bind(status)
    .execute(&app.state.pool)
    .await
    .unwrap();
}

fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

async fn post(app: &TestApp, status: &str, publish_at: Option<i64>) {
    let n = rand_id();
    sqlx::query(
        "INSERT INTO posts (slug, title, status, publish_at, created_at, updated_at) VALUES ($1, $2, $3, $4, 0, 0)",
    )
    .bind(format!("post-{n}"))
    .bind(format!("Post {n}"))
    .bind(status)
    .bind(publish_at)
    .execute(&app.state.pool)
    .await
    .unwrap();
}

async fn invitation(app: &TestApp, inviter: i64, expires_at: i64, revoked: bool) {
    let n = rand_id();
    sqlx::query(
        "INSERT INTO invitations (token_hash, email, email_norm, role, invited_by, created_at, expires_at, revoked_at) \
         VALUES ($1, $2, $2, 'staff', $3, 0, $4, $5)",
    )
    .bind(format!("hash-{n}"))
    .bind(format!("invitee{n}@example.org"))
    .bind(inviter)
    .bind(expires_at)
    .bind(revoked.then_some(1_i64))
    .execute(&app.state.pool)
    .await
    .unwrap();
}

async fn renewal(app: &TestApp, name: &str, status: &str, days_from_now: Option<i64>) {
    let city = app.insert_city(name, "WI", status).await;
    let date = days_from_now.map(|d| {
        app.state
            .config
            .time_zone
            .clone()
            .iso_date(app.state.clock.now() + d * 86_400)
    });
    sqlx::query("UPDATE cities SET renewal_date = $1 WHERE id = $2")
        .bind(date)
        .bind(city)
        .execute(&app.state.pool)
        .await
        .unwrap();
}

/// An assistance request of a city of its own, opened by its mayor; a first answer was given
/// unless it is new.
async fn request(app: &TestApp, status: &str, due: i64, waiting_on: &str) {
    let city = app
        .insert_city(&format!("Assisted {status}"), "WI", "active")
        .await;
    let mut conn = app.state.pool.acquire().await.unwrap();
    let person = portal::accounts::db::insert(
        &mut conn,
        portal::accounts::db::NewPerson {
            city_id: Some(city),
            email: &format!("{status}@assisted.gov"),
            email_norm: &format!("{status}@assisted.gov"),
            name: "Assisted Mayor",
            title: "",
            role: portal::policy::Role::Mayor,
            password_hash: "x",
            now: 0,
        },
    )
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO assistance_requests (city_id, opened_by, topic_id, title, description, description_html, \
         urgency, needed_by, status, created_at, response_due, responded_at, last_activity_at, waiting_on, submission) \
         VALUES ($1, $2, (SELECT MIN(id) FROM assistance_topics), 'Help', 'Help', '', 'normal', '', $3, 0, $4, \
         CASE WHEN $3 = 'new' THEN NULL ELSE 1 END, 0, $5, 'k')",
    )
    .bind(city)
    .bind(person)
    .bind(status)
    .bind(due)
    .bind(waiting_on)
    .execute(&mut *conn)
    .await
    .unwrap();
}

/// The desk's tasks: (count, link).
async fn desk(staff: &Visitor) -> Vec<(i64, String)> {
    let page = Page::of(staff.get("/staff").await).await;
    assert_eq!(page.status, 200);
    let sel = scraper::Selector::parse(".desk-task a").unwrap();
    let count = scraper::Selector::parse(".desk-count").unwrap();
    page.html
        .select(&sel)
        .map(|a| {
            let n = a.select(&count).next().unwrap().text().collect::<String>();
            (
                n.trim().parse().unwrap(),
                a.value().attr("href").unwrap().to_owned(),
            )
        })
        .collect()
}

/// The rows of the list a desk link leads to.
async fn rows_at(staff: &Visitor, href: &str) -> usize {
    let (path, table) = match href.split_once('#') {
        Some(("/staff/cohorts", _)) => {
            // The cohorts list counts requests per cohort: their sum is the desk's count.
            let page = Page::of(staff.get("/staff/cohorts").await).await;
            return page
                .texts("td[data-label=Requests]")
                .iter()
                .map(|n| n.split(' ').next().unwrap().parse::<usize>().unwrap())
                .sum();
        }
        Some((path, section)) => (path.to_owned(), format!("#{section}-table")),
        None => {
            let table = match href.split('?').next().unwrap() {
                "/staff/applications" => "#applications",
                "/staff/outbox" => "table",
                "/invitations" => "#invitations",
                "/staff/cities" => "#cities",
                "/staff/cohorts" => return 0,
                "/staff/assistance" => "table",
                other => panic!("the desk links to an unknown list {other}"),
            };
            (href.to_owned(), table.to_owned())
        }
    };
    let page = Page::of(staff.get(&path).await).await;
    assert_eq!(page.status, 200, "{href}");
    page.texts(&format!("{table} tbody tr")).len()
}

#[tokio::test]
async fn the_staff_desks_counts_match_the_lists_they_link_to() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let staff_id: i64 = sqlx::query_scalar("SELECT id FROM people WHERE role = 'staff'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();

    // At first nothing is waiting, and the page gives no shell command.
    let first = desk(&staff).await;
    assert_eq!(first.len(), 11);
    assert!(first.iter().all(|(n, _)| *n == 0));
    let page = Page::of(staff.get("/staff").await).await;
    assert!(!page.has("main code"));
    assert!(!page.html.html().contains("create-staff"));

    let now = app.state.clock.now();
    // Applications: two for one city, one for a city already a member, one alone, and
    // decided ones that do not count.
    app.insert_city("Madison", "WI", "lapsed").await;
    application(&app, "Fitchburg", "WI", "pending").await;
    application(&app, "fitchburg", "WI", "pending").await;
    application(&app, "Madison", "WI", "pending").await;
    application(&app, "Boulder", "CO", "pending").await;
    application(&app, "Boulder", "CO", "declined").await;
    application(&app, "Aurora", "CO", "approved").await;
    // Emails: two failed, others not.
    for status in ["failed", "failed", "sent", "pending"] {
        email(&app, status).await;
    }
    // Posts: two drafts, one scheduled, one out.
    post(&app, "draft", None).await;
    post(&app, "draft", None).await;
    post(&app, "published", Some(now + 86_400)).await;
    post(&app, "published", Some(now - 86_400)).await;
    // Invitations: one expiring tomorrow, one in five days, one expired, one revoked.
    invitation(&app, staff_id, now + 86_400, false).await;
    invitation(&app, staff_id, now + 5 * 86_400, false).await;
    invitation(&app, staff_id, now - 60, false).await;
    invitation(&app, staff_id, now + 3600, true).await;
    // Cities: renewal in 30 days, overdue, in 90 days, none, and a lapsed one in 10 days.
    renewal(&app, "Appleton", "active", Some(30)).await;
    renewal(&app, "Beloit", "active", Some(-3)).await;
    renewal(&app, "Cudahy", "active", Some(90)).await;
    renewal(&app, "DePere", "active", None).await;
    renewal(&app, "Eau Claire", "lapsed", Some(10)).await;
    exec(
        &app,
        "UPDATE cities SET renewal_date = NULL WHERE name = 'Madison'",
        &[],
    )
    .await;

    // Assistance: a new request past its first-answer target, one in progress waiting on
    // staff, one waiting on the city, one resolved.
    for (status, due, waiting_on) in [
        ("new", now - 3600, "staff"),
        ("in_progress", now + 86_400, "staff"),
        ("waiting", now - 86_400, "city"),
        ("resolved", now - 86_400, "nobody"),
    ] {
        request(&app, status, due, waiting_on).await;
    }

    let tasks = desk(&staff).await;
    let counts: Vec<i64> = tasks.iter().map(|(n, _)| *n).collect();
    // Waiting, duplicates, failed, drafts, scheduled, expiring, lapsing; new requests,
    // overdue first answers, waiting on staff; then what is at zero.
    assert_eq!(counts, vec![4, 3, 2, 2, 1, 1, 2, 1, 1, 2, 0]);
    for (count, href) in &tasks {
        assert_eq!(
            rows_at(&staff, href).await,
            *count as usize,
            "the desk says {count} for {href}"
        );
    }
    // The duplicates are flagged in the waiting list.
    let list = Page::of(staff.get("/staff/applications").await).await;
    assert_eq!(list.texts("#applications .badge").len(), 3);
}

#[tokio::test]
async fn the_filtered_lists_refuse_windows_they_do_not_offer() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    for path in [
        "/invitations?expiring=0",
        "/invitations?expiring=99",
        "/staff/cities?lapsing=-1",
        "/staff/cities?lapsing=4000",
    ] {
        assert_eq!(staff.get(path).await.status(), 400, "{path}");
    }
}

#[tokio::test]
async fn the_desk_puts_what_needs_doing_first_mutes_the_zeros_and_ages_cohort_requests() {
    let app = spawn_app().await;
    let net = Fixture::with(&app).outsider().build().await;
    let staff = &net.staff;
    crate::fixture::create_cohort(
        staff,
        "Data Leaders",
        &[("join_policy", "request"), ("visible", "1")],
    )
    .await;
    let now = app.state.clock.now();
    for (email, days) in [("outsider@a.gov", 5), ("mayor@b.gov", 1)] {
        sqlx::query(
            "INSERT INTO cohort_requests (cohort_id, person_id, message, status, created_at) \
             VALUES ((SELECT id FROM cohorts WHERE slug = 'data-leaders'), \
             (SELECT id FROM people WHERE email = $1), 'Please.', 'pending', $2)",
        )
        .bind(email)
        .bind(now - days * 86_400 - 60)
        .execute(&app.state.pool)
        .await
        .unwrap();
    }
    let page = Page::of(staff.get("/staff").await).await;
    let tasks = page.texts(".desk-task");
    // The only task with something waiting comes first, with its oldest request's age.
    assert_eq!(
        tasks[0], "2 requests to join a cohort waiting (oldest 5 days)",
        "{tasks:?}"
    );
    assert_eq!(page.texts(".desk-task-due").len(), 1);
    // Every other count is zero, and muted.
    assert_eq!(
        page.texts(".desk-task:not(.desk-task-due)").len(),
        tasks.len() - 1
    );
    assert!(tasks[1..].iter().all(|t| t.starts_with("0 ")), "{tasks:?}");
    assert_eq!(rows_at(staff, &desk(staff).await[0].1).await, 2);
    // Everything staff run is in the list, named for what it holds.
    let tiles = page.texts(".tiles a");
    assert!(tiles.contains(&"Pages".to_owned()), "{tiles:?}");
    assert!(
        tiles.contains(&"Organization and home page".to_owned()),
        "{tiles:?}"
    );
    assert_eq!(
        page.attr(".tiles a[href='/staff/pages']", "href")
            .as_deref(),
        Some("/staff/pages")
    );
}
