//! Cohorts as a whole: who sees and enters them (the access matrix over every route of a
//! space, its files and its calendar feed), joining, asking and the facilitators' answers
//! with their emails, hidden and archived cohorts, a city that lapses and renews, the
//! staff's form and the members' list.

use crate::{
    fixture::{Fixture, SLUG, add, create_cohort, set_city},
    support::{MEMBER_PASSWORD, Page, TestApp, spawn_app},
};

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

/// A client that does not follow redirects, with the visitor's cookies copied by logging in
/// again.
async fn no_redirects(app: &TestApp, email: Option<&str>, password: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    if let Some(email) = email {
        let r = client
            .post(app.url("/login"))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
    }
    client
}

/// What each of the seven kinds of person gets from the pages of a cohort's space.
#[tokio::test]
async fn a_cohorts_space_is_its_members_and_staffs_and_a_404_like_a_missing_cohort_for_everyone_else()
 {
    let app = spawn_app().await;
    let net = Fixture::with(&app).outsider().build().await;
    let staff_password = crate::support::STAFF_PASSWORD;
    let people: [(&str, Option<&str>, &str); 7] = [
        ("public", None, ""),
        ("other city", Some("mayor@b.gov"), MEMBER_PASSWORD),
        ("not in the cohort", Some("outsider@a.gov"), MEMBER_PASSWORD),
        ("member", Some("advisor@a.gov"), MEMBER_PASSWORD),
        ("facilitator", Some("mayor@a.gov"), MEMBER_PASSWORD),
        ("staff", Some("grace@mayorsinnovation.org"), staff_password),
        ("lapsed city", Some("mayor@c.gov"), MEMBER_PASSWORD),
    ];
    // 200 (or a redirect that is not to log in), L(og in), N(ot found), F(orbidden).
    // A thread in the cohort, by its member.
    let posted = Page::of(
        net.member
            .post_form(
                &format!("/cohorts/{SLUG}/discussion"),
                &[("title", "Rate design"), ("body", "Tiered rates?")],
            )
            .await,
    )
    .await;
    let thread = posted.path();
    assert!(
        thread.starts_with(&format!("/cohorts/{SLUG}/discussion/")),
        "{thread}"
    );
    let thread = thread
        .strip_prefix(&format!("/cohorts/{SLUG}"))
        .unwrap()
        .to_owned();
    // A file among its resources.
    let cohort_id = count(
        &app,
        "SELECT id FROM cohorts WHERE slug = 'water-affordability'",
    )
    .await;
    let advisor = count(&app, "SELECT id FROM people WHERE email = 'advisor@a.gov'").await;
    let resource =
        crate::routes::add_resource_file(&app, cohort_id, advisor, "Rate study", b"%PDF-1.4 x")
            .await;
    let file = format!("/resources/{resource}/file");
    let pages: [(&str, [char; 7]); 11] = [
        // The cohort's page: from outside for members who may see it (its own test).
        ("", ['L', '2', '2', '2', '2', '2', 'N']),
        ("/members", ['L', 'N', 'N', '2', '2', '2', 'N']),
        ("/discussion", ['L', 'N', 'N', '2', '2', '2', 'N']),
        (thread.as_str(), ['L', 'N', 'N', '2', '2', '2', 'N']),
        ("/sessions", ['L', 'N', 'N', '2', '2', '2', 'N']),
        ("/resources", ['L', 'N', 'N', '2', '2', '2', 'N']),
        (file.as_str(), ['L', 'N', 'N', '2', '2', '2', 'N']),
        ("/requests", ['L', 'N', 'N', 'F', '2', '2', 'N']),
        ("/members.csv", ['L', 'N', 'N', 'F', 'F', '2', 'N']),
        ("/leave", ['L', 'N', 'N', '2', '2', 'N', 'N']),
        // An open cohort is joined, not asked: its members are sent to it.
        ("/request", ['L', 'F', 'F', '2', '2', 'F', 'N']),
    ];
    let mut clients = Vec::new();
    for (_, email, password) in &people {
        clients.push(no_redirects(&app, *email, password).await);
    }
    // The 404 of a cohort that does not exist, to compare with.
    let missing = clients[1]
        .get(app.url("/cohorts/no-such-cohort"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let missing_h1 = Page::of(missing).await.h1();
    let mut wrong = Vec::new();
    for (suffix, expected) in pages {
        let path = format!("/cohorts/{SLUG}{suffix}");
        for (i, client) in clients.iter().enumerate() {
            let response = client.get(app.url(&path)).send().await.unwrap();
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let got = match status {
                300..=399 if location.starts_with("/login") => 'L',
                200..=399 => '2',
                403 => 'F',
                404 => {
                    let h1 = Page::of(response).await.h1();
                    if h1 != missing_h1 {
                        wrong.push(format!(
                            "{path} as {}: a 404 unlike a missing cohort's ({h1})",
                            people[i].0
                        ));
                    }
                    'N'
                }
                // Any other status (a form back with errors, a gateway error) is never an
                // expected answer, whatever its last digit.
                _ => '?',
            };
            if got != expected[i] {
                wrong.push(format!(
                    "{path} as {}: expected {}, got {got} ({status})",
                    people[i].0, expected[i]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    drop(net);
}

#[tokio::test]
async fn a_member_joins_an_open_cohort_at_once_and_twenty_clicks_make_one_membership() {
    let app = spawn_app().await;
    let net = Fixture::with(&app).outsider().build().await;
    let list = Page::of(net.outsider().get("/cohorts").await).await;
    assert_eq!(list.h1(), "Cohorts & networks");
    assert_eq!(list.text(".cohort-card .badge"), "Open to join");
    assert!(list.has(&format!("form[action='/cohorts/{SLUG}/join'] button")));
    let join = format!("/cohorts/{SLUG}/join");
    let mut joins = Vec::new();
    for _ in 0..20 {
        joins.push(net.outsider().post_form(&join, &[]));
    }
    for r in futures_util::future::join_all(joins).await {
        assert!(r.status().is_success(), "{}", r.status());
    }
    let space = Page::of(net.outsider().get(&format!("/cohorts/{SLUG}")).await).await;
    assert_eq!(space.h1(), "Water Affordability");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM cohort_members m JOIN people p ON p.id = m.person_id WHERE p.email = 'outsider@a.gov'"
        )
        .await,
        1
    );
    // The list now says so, and offers the way in.
    let list = Page::of(net.outsider().get("/cohorts").await).await;
    assert_eq!(list.text(".cohort-card .badge"), "Member");
    // Leaving takes a confirmation page, then the person is out.
    let confirm = Page::of(net.outsider().get(&format!("/cohorts/{SLUG}/leave")).await).await;
    assert_eq!(confirm.h1(), "Leave Water Affordability?");
    net.outsider()
        .post_form(&format!("/cohorts/{SLUG}/leave"), &[])
        .await;
    assert_eq!(
        net.outsider()
            .get(&format!("/cohorts/{SLUG}/discussion"))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn a_request_reaches_the_facilitator_and_the_answer_reaches_the_person_by_email() {
    let app = spawn_app().await;
    let net = Fixture::with(&app).outsider().build().await;
    net.request_cohort().await;
    let list = Page::of(net.other_city.get("/cohorts").await).await;
    assert!(list.has("a[href='/cohorts/data-leaders/request']"));
    // Joining at once is not how this one works.
    assert_eq!(
        net.other_city
            .post_form("/cohorts/data-leaders/join", &[])
            .await
            .status(),
        403
    );
    let sent = Page::of(
        net.other_city
            .post_form(
                "/cohorts/data-leaders/request",
                &[("message", "Madison is rebuilding its budget dashboards.")],
            )
            .await,
    )
    .await;
    assert!(
        sent.text(".flash")
            .starts_with("Your request to join Data Leaders is sent.")
    );
    let list = Page::of(net.other_city.get("/cohorts").await).await;
    let badges = list.texts(".cohort-card .badge");
    assert!(badges.contains(&"Requested".to_owned()), "{badges:?}");
    let mail = app.last_mail_to("mayor@a.gov").await;
    assert_eq!(mail.subject, "Mayor B asks to join Data Leaders");
    assert!(
        mail.text
            .contains("Madison is rebuilding its budget dashboards.")
    );
    let link = mail.link(&app.address, "/cohorts/data-leaders/requests");
    // The facilitator answers from the page the email links to.
    let requests = Page::of(net.facilitator.get(&app.path_of(&link)).await).await;
    assert_eq!(requests.text(".request-list .card-title"), "Mayor B");
    let approve = requests
        .attr(".request-list form[action$='/approve']", "action")
        .unwrap();
    // Twenty clicks on Approve: one decision, one email.
    let mut clicks = Vec::new();
    for _ in 0..20 {
        clicks.push(net.facilitator.post_form(&approve, &[]));
    }
    for r in futures_util::future::join_all(clicks).await {
        assert!(r.status().is_success());
    }
    let decisions: Vec<_> = app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.to == "mayor@b.gov" && m.subject.contains("Data Leaders"))
        .collect();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].subject, "You are in: Data Leaders");
    let space = Page::of(net.other_city.get("/cohorts/data-leaders").await).await;
    assert_eq!(space.h1(), "Data Leaders");

    // A declined request: an email says so, and the space stays closed.
    net.outsider()
        .post_form("/cohorts/data-leaders/request", &[("message", "")])
        .await;
    let requests = Page::of(net.facilitator.get("/cohorts/data-leaders/requests").await).await;
    let decline = requests
        .attr(".request-list a[href$='/decline']", "href")
        .unwrap();
    net.facilitator.post_form(&decline, &[]).await;
    let mail = app.last_mail_to("outsider@a.gov").await;
    assert_eq!(mail.subject, "Your request to join Data Leaders");
    assert!(mail.text.contains("was declined"));
    assert_eq!(
        net.outsider()
            .get("/cohorts/data-leaders/discussion")
            .await
            .status(),
        404
    );
    // Withdrawing a request takes it off the facilitators' list.
    net.outsider()
        .post_form("/cohorts/data-leaders/request", &[("message", "Again?")])
        .await;
    net.outsider()
        .post_form("/cohorts/data-leaders/request/withdraw", &[])
        .await;
    let requests = Page::of(net.facilitator.get("/cohorts/data-leaders/requests").await).await;
    assert_eq!(
        requests.text("main p:not(.breadcrumb)"),
        "No request is waiting."
    );
}

#[tokio::test]
async fn a_hidden_cohort_is_unknown_to_people_outside_it_and_an_invite_only_one_cannot_be_joined() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    net.invitation_cohort().await;
    create_cohort(
        &net.staff,
        "New Mayors",
        &[("join_policy", "invite"), ("visible", "1")],
    )
    .await;
    let list = Page::of(net.other_city.get("/cohorts").await).await;
    let names = list.texts(".cohort-card .card-title");
    assert!(!names.iter().any(|n| n == "Quiet Circle"), "{names:?}");
    assert!(names.iter().any(|n| n == "New Mayors"));
    let at = names.iter().position(|n| n == "New Mayors").unwrap();
    assert_eq!(list.texts(".cohort-card .badge")[at], "Invitation only");
    for path in ["/cohorts/quiet-circle", "/cohorts/quiet-circle/request"] {
        assert_eq!(net.other_city.get(path).await.status(), 404, "{path}");
    }
    assert_eq!(
        net.other_city
            .post_form("/cohorts/quiet-circle/join", &[])
            .await
            .status(),
        404
    );
    assert_eq!(
        net.other_city
            .post_form("/cohorts/new-mayors/join", &[])
            .await
            .status(),
        403
    );
    // Its facilitator sees it and invites people, who accept before they are in; staff see
    // it in the list.
    let facilitator_list = Page::of(net.facilitator.get("/cohorts").await).await;
    assert!(
        facilitator_list
            .texts(".cohort-card .card-title")
            .contains(&"Quiet Circle".to_owned())
    );
    net.facilitator
        .post_form("/cohorts/quiet-circle/members", &[("email", "mayor@b.gov")])
        .await;
    // Invited, the person sees the cohort from outside, with the answer to give; not its space.
    let invited = Page::of(net.other_city.get("/cohorts/quiet-circle").await).await;
    assert_eq!(invited.status, 200);
    assert!(invited.has(".cohort-outside"));
    assert!(!invited.has(".space-tabs"));
    assert_eq!(
        net.other_city
            .get("/cohorts/quiet-circle/discussion")
            .await
            .status(),
        404
    );
    let mail = app.last_mail_to("mayor@b.gov").await;
    assert_eq!(mail.subject, "Mayor A invites you to Quiet Circle");
    let list = Page::of(net.other_city.get("/cohorts").await).await;
    let names = list.texts(".cohort-card .card-title");
    let at = names.iter().position(|n| n == "Quiet Circle").unwrap();
    assert_eq!(list.texts(".cohort-card .badge")[at], "Invited");
    // Twenty clicks on Accept: in once.
    let clicks: Vec<_> = (0..20)
        .map(|_| {
            net.other_city
                .post_form("/cohorts/quiet-circle/invitation/accept", &[])
        })
        .collect();
    for r in futures_util::future::join_all(clicks).await {
        assert!(r.status().is_success(), "{}", r.status());
    }
    assert_eq!(
        net.other_city.get("/cohorts/quiet-circle").await.status(),
        200
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM cohort_members m JOIN people p ON p.id = m.person_id WHERE p.email = 'mayor@b.gov'"
        )
        .await,
        1
    );
    let staff_list = Page::of(net.staff.get("/cohorts").await).await;
    assert!(
        staff_list
            .texts(".cohort-card .card-title")
            .contains(&"Quiet Circle".to_owned())
    );
}

#[tokio::test]
async fn a_lapsed_city_loses_its_cohorts_until_renewal_and_nothing_is_deleted() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let path = format!("/cohorts/{SLUG}");
    assert_eq!(net.lapsed.get(&path).await.status(), 404);
    // The list of cohorts says why.
    let list = net.lapsed.get("/cohorts").await;
    assert_eq!(list.status(), 403);
    assert!(Page::of(list).await.text("main").contains("has lapsed"));
    set_city(&app, net.lapsed_city, "active").await;
    let space = Page::of(net.lapsed.get(&path).await).await;
    assert_eq!(space.h1(), "Water Affordability");
    assert!(
        space
            .text("#you-heading + p")
            .starts_with("You are a member of this cohort since")
    );
}

#[tokio::test]
async fn an_archived_cohort_is_read_only_and_still_open_to_its_members() {
    let app = spawn_app().await;
    let net = Fixture::with(&app).outsider().build().await;
    let id = count(
        &app,
        "SELECT id FROM cohorts WHERE slug = 'water-affordability'",
    )
    .await;
    let saved = Page::of(
        net.staff
            .post_form(
                &format!("/staff/cohorts/{id}"),
                &[
                    ("name", "Water Affordability"),
                    ("slug", SLUG),
                    ("join_policy", "open"),
                    ("visible", "1"),
                    ("status", "archived"),
                    ("facilitators", "mayor@a.gov"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(saved.text(".flash"), "Water Affordability is saved.");
    let space = Page::of(net.member.get(&format!("/cohorts/{SLUG}")).await).await;
    assert_eq!(space.text("h1 .badge"), "Archived");
    assert!(space.text(".notice").starts_with("This cohort is archived"));
    // Nobody joins it, and it is no longer offered to people outside.
    assert_eq!(
        net.outsider()
            .post_form(&format!("/cohorts/{SLUG}/join"), &[])
            .await
            .status(),
        404
    );
    let list = Page::of(net.outsider().get("/cohorts").await).await;
    assert!(list.texts(".cohort-card .card-title").is_empty());
    // Its facilitator can no longer add people.
    assert_eq!(
        net.facilitator
            .post_form(
                &format!("/cohorts/{SLUG}/members"),
                &[("email", "mayor@b.gov")]
            )
            .await
            .status(),
        403
    );
    assert!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'cohort.archived'"
        )
        .await
            == 1
    );
}

#[tokio::test]
async fn the_staff_form_says_what_is_wrong_and_stores_nothing() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let cases: [(&[(&str, &str)], &str); 6] = [
        (
            &[("name", ""), ("join_policy", "open")],
            "Enter the cohort's name.",
        ),
        (
            &[("name", "Water Affordability"), ("join_policy", "open")],
            "Another cohort has this address. Choose another one.",
        ),
        (
            &[("name", "X"), ("join_policy", "sometimes")],
            "Choose how people join the cohort.",
        ),
        (
            &[("name", "V"), ("join_policy", "open"), ("status", "paused")],
            "Choose whether the cohort is active or archived.",
        ),
        (
            &[
                ("name", "Y"),
                ("join_policy", "open"),
                ("starts_on", "2027-03-01"),
                ("ends_on", "2027-02-01"),
            ],
            "The end date must not be before the start date.",
        ),
        (
            &[
                ("name", "Z"),
                ("join_policy", "open"),
                ("facilitators", "nobody@example.org"),
            ],
            "Nobody with the address nobody@example.org has an account. Invite them first, or leave them out.",
        ),
    ];
    for (form, message) in cases {
        let response = net.staff.post_form("/staff/cohorts", form).await;
        assert_eq!(response.status(), 422, "{message}");
        let page = Page::of(response).await;
        assert!(
            page.texts(".error-summary li")
                .contains(&message.to_owned()),
            "{:?}",
            page.texts(".error-summary li")
        );
        assert!(page.text("title").starts_with("Error: "));
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cohorts").await, 1);
    // A lapsed city's person cannot be made a facilitator, nor be added.
    let response = net
        .staff
        .post_form(
            "/staff/cohorts",
            &[
                ("name", "W"),
                ("join_policy", "open"),
                ("facilitators", "mayor@c.gov"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let response = net
        .staff
        .post_form(
            &format!("/cohorts/{SLUG}/members"),
            &[("email", "mayor@c.gov")],
        )
        .await;
    assert_eq!(response.status(), 422);
}

#[tokio::test]
async fn the_member_list_shows_listed_people_only_and_a_staff_override_is_logged() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    // The advisor chooses to be listed; the facilitator and the colleague never chose: not yet
    // listed, never "chose not to be listed".
    net.member
        .post_form(
            "/account/listing",
            &[("listed", "yes"), ("shown_email_kind", "none")],
        )
        .await;
    let page = Page::of(
        net.facilitator
            .get(&format!("/cohorts/{SLUG}/members"))
            .await,
    )
    .await;
    let names: Vec<String> = page.texts(".member-cards li strong");
    assert_eq!(names, vec!["Advisor A".to_owned()]);
    assert_eq!(page.text("main p.muted"), "And 2 more people not listed.");
    // Staff see everyone, and may list the facilitator anyway: that is logged.
    let staff_page = Page::of(net.staff.get(&format!("/cohorts/{SLUG}/members")).await).await;
    assert_eq!(staff_page.texts(".member-cards li > strong").len(), 4);
    let labels = staff_page.texts(".member-cards .row-actions > span.muted");
    assert!(
        labels
            .iter()
            .any(|l| l.ends_with("mayor@a.gov · Not yet listed (has not chosen)")),
        "{labels:?}"
    );
    assert!(
        labels
            .iter()
            .any(|l| l.ends_with("advisor@a.gov · Listed (own choice)")),
        "{labels:?}"
    );
    let facilitator_id = count(&app, "SELECT id FROM people WHERE email = 'mayor@a.gov'").await;
    net.staff
        .post_form(
            &format!("/cohorts/{SLUG}/members/{facilitator_id}/listing"),
            &[("value", "listed")],
        )
        .await;
    let page = Page::of(net.member.get(&format!("/cohorts/{SLUG}/members")).await).await;
    assert_eq!(page.texts(".member-cards li strong").len(), 2);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'cohort.listing_override'"
        )
        .await,
        1
    );
    // The person's own choice is kept: the override did not change it.
    assert_eq!(
        count(
            &app,
            "SELECT listed FROM people WHERE email = 'mayor@a.gov'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn staff_export_the_members_as_csv_with_formulas_made_plain() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    sqlx::query(
        "UPDATE people SET title = '=HYPERLINK(\"http://evil\")' WHERE email = 'advisor@a.gov'",
    )
    .execute(&app.state.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE people SET name = 'Água Mayor' WHERE email = 'mayor@c.gov'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let response = net.staff.get(&format!("/cohorts/{SLUG}/members.csv")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let bytes = response.bytes().await.unwrap();
    // A UTF-8 byte order mark first, so that Excel shows "Água" and not "Ã\u{81}gua".
    assert_eq!(bytes[..3], [0xEF, 0xBB, 0xBF]);
    let csv = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(csv.contains("\"Água Mayor\""), "{csv}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "\"Name\",\"Title\",\"City\",\"Email\",\"Role\",\"Joined\",\"Listed\""
    );
    // Facilitator first, then members by name; the lapsed city's mayor is still a member.
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(
        lines[1].starts_with("\"Mayor A\",\"\",\"Lafayette, CO\",\"mayor@a.gov\",\"Facilitator\"")
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("\"Advisor A\",\"'=HYPERLINK(\"\"http://evil\"\")\"")),
        "{csv}"
    );
}

#[tokio::test]
async fn a_cohort_named_with_letters_outside_ascii_gets_a_transliterated_address() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    // Facilitators are found by their address whatever its case; a word that is not an
    // address is said to be one.
    let response = net
        .staff
        .post_form(
            "/staff/cohorts",
            &[
                ("name", "Çankaya Su"),
                ("join_policy", "open"),
                ("visible", "1"),
                ("status", "active"),
                ("facilitators", "Ana, Mayor@A.gov"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        Page::of(response).await.texts(".error-summary li"),
        vec!["“Ana” is not an email address: separate the facilitators' addresses with commas."]
    );
    let page = create_cohort(
        &net.staff,
        "Çankaya Su",
        &[
            ("join_policy", "open"),
            ("visible", "1"),
            ("facilitators", "Mayor@A.gov"),
        ],
    )
    .await;
    assert_eq!(
        page.path(),
        "/staff/cohorts",
        "{:?}",
        page.texts(".error-summary li")
    );
    let slug: String = sqlx::query_scalar("SELECT slug FROM cohorts WHERE name = 'Çankaya Su'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(slug, "cankaya-su");
    let space = Page::of(net.facilitator.get("/cohorts/cankaya-su").await).await;
    assert_eq!(space.status, 200);
    assert_eq!(space.h1(), "Çankaya Su");
    // A member is added by their address whatever its case.
    add(&net.staff, "cankaya-su", "ADVISOR@a.gov").await;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id \
             WHERE c.slug = 'cankaya-su'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn a_member_stops_following_without_leaving() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let page = Page::of(
        net.member
            .post_form(&format!("/cohorts/{SLUG}/following"), &[("follow", "0")])
            .await,
    )
    .await;
    assert_eq!(
        page.text(".flash"),
        "You no longer get emails about Water Affordability. You are still a member."
    );
    assert_eq!(
        page.text("#you-heading ~ form button"),
        "Get emails about this cohort"
    );
    assert_eq!(
        count(&app, "SELECT following FROM cohort_members m JOIN people p ON p.id = m.person_id WHERE p.email = 'advisor@a.gov'").await,
        0
    );
}

#[tokio::test]
async fn a_calendar_address_is_shown_once_and_a_new_one_replaces_it() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let overview = Page::of(net.member.get(&format!("/cohorts/{SLUG}")).await).await;
    // The overview offers an address; it does not show one (only digests are kept).
    assert!(!overview.has("#calendar-url"));
    assert_eq!(
        overview.text("form[action$='/calendar/renew'] button"),
        "Get a calendar address"
    );
    let get = || async {
        Page::of(
            net.member
                .post_form(&format!("/cohorts/{SLUG}/calendar/renew"), &[])
                .await,
        )
        .await
    };
    let first = get().await;
    assert_eq!(first.h1(), "Your calendar address for Water Affordability");
    let old = first.attr("#calendar-url", "value").unwrap();
    assert!(old.starts_with(&format!("{}/cohorts/calendar/", app.address)));
    let anonymous = app.visitor();
    let path = |url: &str| url.strip_prefix(&app.address).unwrap().to_owned();
    assert_eq!(anonymous.get(&path(&old)).await.status(), 200);
    let second = get().await;
    let new = second.attr("#calendar-url", "value").unwrap();
    assert_ne!(old, new);
    assert_eq!(anonymous.get(&path(&old)).await.status(), 404);
    assert_eq!(anonymous.get(&path(&new)).await.status(), 200);
}

#[tokio::test]
async fn twenty_requests_at_once_leave_one_waiting_and_tell_the_facilitator_once() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    net.request_cohort().await;
    let mut sent = Vec::new();
    for _ in 0..20 {
        sent.push(
            net.other_city
                .post_form("/cohorts/data-leaders/request", &[("message", "Please.")]),
        );
    }
    for r in futures_util::future::join_all(sent).await {
        assert!(r.status().is_success(), "{}", r.status());
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM cohort_requests WHERE status = 'pending'"
        )
        .await,
        1
    );
    let to_facilitator = app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.to == "mayor@a.gov" && m.subject.contains("asks to join"))
        .count();
    assert_eq!(to_facilitator, 1);
}

#[tokio::test]
async fn the_member_home_lists_the_persons_cohorts_and_leads_with_the_next_session_and_new_threads()
{
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let starts = crate::cohorts_sessions::in_days(10);
    let planned = net
        .facilitator
        .post_form(
            &format!("/cohorts/{SLUG}/sessions"),
            &[
                ("title", "Rates and tiers"),
                ("starts", &starts),
                ("duration", "60"),
                ("time_zone", "America/Chicago"),
                ("call_url", "https://meet.example.org/water"),
            ],
        )
        .await;
    assert_eq!(planned.status(), 200);
    app.state.clock.advance(60);
    net.facilitator
        .post_form(
            &format!("/cohorts/{SLUG}/discussion"),
            &[("title", "Rate design"), ("body", "Tiered rates?")],
        )
        .await;
    let home = Page::of(net.member.get("/home").await).await;
    assert_eq!(
        home.text("#panel-cohorts ~ .panel-items li"),
        "Water Affordability"
    );
    let session = home.text("#now-sessions li");
    assert!(session.starts_with("Rates and tiers"), "{session}");
    assert!(session.ends_with("Water Affordability"), "{session}");
    assert_eq!(home.text("#now-threads li a"), "Rate design");
    // Read, it is no longer new.
    let thread: i64 = count(&app, "SELECT id FROM cohort_threads").await;
    net.member
        .get(&format!("/cohorts/{SLUG}/discussion/{thread}"))
        .await;
    let home = Page::of(net.member.get("/home").await).await;
    assert!(!home.has("#now-threads"));
    // Someone in no cohort is told so; a lapsed city's member sees no cohort of theirs.
    let home = Page::of(net.other_city.get("/home").await).await;
    assert!(
        home.text("#panel-cohorts ~ p")
            .ends_with("You are in none yet.")
    );
    let home = Page::of(net.lapsed.get("/home").await).await;
    assert!(!home.has("#panel-cohorts ~ .panel-items"));
    assert!(!home.has("#now-sessions"));
}

#[tokio::test]
async fn approving_a_request_of_a_person_whose_city_lapsed_meanwhile_stores_and_tells_a_decline() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    net.request_cohort().await;
    net.other_city
        .post_form("/cohorts/data-leaders/request", &[("message", "Please.")])
        .await;
    let requests = Page::of(net.facilitator.get("/cohorts/data-leaders/requests").await).await;
    let approve = requests
        .attr(".request-list form[action$='/approve']", "action")
        .unwrap();
    // Madison lapses between the request and the facilitator's click.
    let madison: i64 = sqlx::query_scalar("SELECT city_id FROM people WHERE email = 'mayor@b.gov'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    set_city(&app, madison, "lapsed").await;
    let answered = Page::of(net.facilitator.post_form(&approve, &[]).await).await;
    assert_eq!(
        answered.text(".flash"),
        "Mayor B can no longer join cohorts (their city's membership has lapsed or their account is closed): the request is declined."
    );
    // What is stored is what happened, and what the person is told.
    let status: String = sqlx::query_scalar(
        "SELECT r.status FROM cohort_requests r JOIN people p ON p.id = r.person_id WHERE p.email = 'mayor@b.gov'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(status, "declined");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM cohort_members m JOIN people p ON p.id = m.person_id WHERE p.email = 'mayor@b.gov'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'cohort.request_declined'"
        )
        .await,
        1
    );
    let mail = app.last_mail_to("mayor@b.gov").await;
    assert!(!mail.subject.starts_with("You are in"), "{}", mail.subject);
}

#[tokio::test]
async fn a_facilitator_who_is_not_staff_invites_and_learns_nothing_about_accounts_outside_the_cohort()
 {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let members = format!("/cohorts/{SLUG}/members");
    let form = Page::of(net.facilitator.get(&members).await).await;
    assert_eq!(form.text("#add-heading"), "Invite someone");
    // An account that can join, nobody, a lapsed city's mayor, staff, someone already in:
    // one answer for all.
    let mut flashes = Vec::new();
    for email in [
        "mayor@b.gov",
        "nobody@nowhere.example",
        "mayor@c.gov",
        "advisor@a.gov",
    ] {
        let page = Page::of(
            net.facilitator
                .post_form(&members, &[("email", email)])
                .await,
        )
        .await;
        assert_eq!(page.path(), members);
        assert!(page.texts(".error-summary li").is_empty(), "{email}");
        flashes.push(page.text(".flash").replace(email, "EMAIL"));
    }
    assert!(flashes.windows(2).all(|w| w[0] == w[1]), "{flashes:?}");
    assert!(flashes[0].starts_with("If EMAIL belongs to a member of the network"));
    // Only the person who may join got an invitation, and nobody was added.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cohort_invitations").await,
        1
    );
    assert_eq!(
        net.other_city
            .get(&format!("/cohorts/{SLUG}/discussion"))
            .await
            .status(),
        404
    );
    let invited_mail: Vec<_> = app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.subject.contains("invites you"))
        .collect();
    assert_eq!(invited_mail.len(), 1);
    assert_eq!(invited_mail[0].to, "mayor@b.gov");
    // Inviting again sends nothing more.
    net.facilitator
        .post_form(&members, &[("email", "mayor@b.gov")])
        .await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cohort_invitations").await,
        1
    );
    // Declined: not in, and the invitation is closed.
    let page = Page::of(
        net.other_city
            .post_form(&format!("/cohorts/{SLUG}/invitation/decline"), &[])
            .await,
    )
    .await;
    assert_eq!(
        page.text(".flash"),
        "You declined the invitation to Water Affordability."
    );
    assert_eq!(
        net.other_city
            .get(&format!("/cohorts/{SLUG}/discussion"))
            .await
            .status(),
        404
    );
    // Staff still add directly, and are told when nobody has the address.
    let page = Page::of(
        net.staff
            .post_form(&members, &[("email", "nobody@nowhere.example")])
            .await,
    )
    .await;
    assert_eq!(page.texts(".error-summary li").len(), 1);
    add(&net.staff, SLUG, "mayor@b.gov").await;
    assert_eq!(
        net.other_city
            .get(&format!("/cohorts/{SLUG}"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn someone_removed_from_an_open_cohort_does_not_join_again_until_staff_or_a_facilitator_bring_them_back()
 {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let advisor: i64 = sqlx::query_scalar("SELECT id FROM people WHERE email = 'advisor@a.gov'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let removed = net
        .staff
        .post_form(&format!("/cohorts/{SLUG}/members/{advisor}/remove"), &[])
        .await;
    assert!(removed.status().is_success());
    // The open cohort's Join does not bring them back.
    let join = net
        .member
        .post_form(&format!("/cohorts/{SLUG}/join"), &[])
        .await;
    assert_eq!(join.status(), 403);
    assert!(
        Page::of(join)
            .await
            .text("main")
            .contains("You were removed from this cohort")
    );
    assert_eq!(
        net.member
            .get(&format!("/cohorts/{SLUG}/discussion"))
            .await
            .status(),
        404
    );
    let list = Page::of(net.member.get("/cohorts").await).await;
    let names = list.texts(".cohort-card .card-title");
    let at = names
        .iter()
        .position(|n| n == "Water Affordability")
        .unwrap();
    assert_eq!(list.texts(".cohort-card .badge")[at], "Removed");
    // A facilitator's invitation, accepted, lifts it.
    net.facilitator
        .post_form(
            &format!("/cohorts/{SLUG}/members"),
            &[("email", "advisor@a.gov")],
        )
        .await;
    let accepted = net
        .member
        .post_form(&format!("/cohorts/{SLUG}/invitation/accept"), &[])
        .await;
    assert!(accepted.status().is_success());
    assert_eq!(
        net.member.get(&format!("/cohorts/{SLUG}")).await.status(),
        200
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cohort_removals").await, 0);
    // Leaving of one's own accord is no removal: joining again works at once.
    net.member
        .post_form(&format!("/cohorts/{SLUG}/leave"), &[])
        .await;
    let rejoin = net
        .member
        .post_form(&format!("/cohorts/{SLUG}/join"), &[])
        .await;
    assert!(rejoin.status().is_success());
    assert_eq!(
        net.member.get(&format!("/cohorts/{SLUG}")).await.status(),
        200
    );
}

#[tokio::test]
async fn a_facilitator_sees_waiting_requests_at_home_and_declines_one_with_a_reason_after_confirming()
 {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    net.request_cohort().await;
    net.other_city
        .post_form("/cohorts/data-leaders/request", &[("message", "Please.")])
        .await;
    // The member home says what waits, as a link to decide.
    let home = Page::of(net.facilitator.get("/home").await).await;
    assert_eq!(
        home.attr("a[href='/cohorts/data-leaders/requests']", "href")
            .as_deref(),
        Some("/cohorts/data-leaders/requests")
    );
    assert_eq!(
        home.text("a[href='/cohorts/data-leaders/requests']"),
        "1 request to join Data Leaders waiting for your answer"
    );
    // Decline is a page that asks first, with a reason for the person.
    let requests = Page::of(net.facilitator.get("/cohorts/data-leaders/requests").await).await;
    let decline = requests
        .attr(".request-list a[href$='/decline']", "href")
        .unwrap();
    let confirm = Page::of(net.facilitator.get(&decline).await).await;
    assert_eq!(
        confirm.h1(),
        "Decline Mayor B's request to join Data Leaders?"
    );
    assert_eq!(
        confirm.text("label[for='reason']"),
        "Your reason (optional)"
    );
    // Nothing is decided by opening the page.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM cohort_requests WHERE status = 'pending'"
        )
        .await,
        1
    );
    let done = Page::of(
        net.facilitator
            .post_form(
                &decline,
                &[("reason", "This cohort is for cities over 100,000 people.")],
            )
            .await,
    )
    .await;
    assert_eq!(done.text(".flash"), "The request of Mayor B is declined.");
    let mail = app.last_mail_to("mayor@b.gov").await;
    assert_eq!(mail.subject, "Your request to join Data Leaders");
    assert!(
        mail.text
            .contains("This cohort is for cities over 100,000 people."),
        "{}",
        mail.text
    );
    let home = Page::of(net.facilitator.get("/home").await).await;
    assert!(!home.has("a[href='/cohorts/data-leaders/requests']"));
}

/// `n` people of the first city ("Lafayette"), named `{name} 01`…, put straight into the
/// database (only the lists they fill are under test: none of them logs in), listed in the
/// directory or not; their ids.
async fn many_people(app: &TestApp, name: &str, n: i64, listed: bool) -> Vec<i64> {
    let city: i64 = sqlx::query_scalar("SELECT id FROM cities WHERE name = 'Lafayette'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let now = app.state.clock.now();
    let mut ids = Vec::new();
    for i in 1..=n {
        let email = format!("{}-{i}@a.gov", name.to_lowercase().replace(' ', "-"));
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO people (email, email_norm, name, role, password_hash, active, created_at, \
             city_id, listed, listing_chosen_at) \
             VALUES ($1, $1, $2, 'advisor', 'not-a-hash', 1, $3, $4, $5, $3) RETURNING id",
        )
        .bind(&email)
        .bind(format!("{name} {i:02}"))
        .bind(now)
        .bind(city)
        .bind(i64::from(listed))
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
        ids.push(id);
    }
    ids
}

async fn cohort_id(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT id FROM cohorts WHERE slug = $1")
        .bind(SLUG)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_member_list_shows_fifty_people_a_page_with_links_to_the_others() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let cohort = cohort_id(&app).await;
    let listed = many_people(&app, "Listed", 60, true).await;
    let unlisted = many_people(&app, "Unlisted", 3, false).await;
    for (i, person) in listed.iter().chain(&unlisted).enumerate() {
        sqlx::query(
            "INSERT INTO cohort_members (cohort_id, person_id, role, joined_at, calendar_token) \
             VALUES ($1, $2, 'member', $3, $4)",
        )
        .bind(cohort)
        .bind(person)
        .bind(app.state.clock.now())
        .bind(format!("token-{i}"))
        .execute(&app.state.pool)
        .await
        .unwrap();
    }
    let members = format!("/cohorts/{SLUG}/members");
    let names = |p: &Page| p.texts(".member-cards li > strong");
    let expected = |from: i64, to: i64| -> Vec<String> {
        (from..=to).map(|i| format!("Listed {i:02}")).collect()
    };
    // A member sees the 60 listed people, 50 on the first page.
    let first = Page::of(net.member.get(&members).await).await;
    assert_eq!(names(&first), expected(1, 50));
    assert_eq!(first.text(".numbered-pager .page-count"), "Page 1 of 2");
    assert!(!first.has(".numbered-pager a[rel='prev']"));
    let next = first.attr(".numbered-pager a[rel='next']", "href").unwrap();
    assert_eq!(next, format!("{members}?page=2"));
    let second = Page::of(net.member.get(&next).await).await;
    assert_eq!(names(&second), expected(51, 60));
    assert!(!second.has(".numbered-pager a[rel='next']"));
    // The people not listed are counted, not shown: the 3, the facilitator and the two members
    // who never chose (the lapsed city's mayor is out of the cohort until renewal).
    assert_eq!(
        second.text("main p.muted:not(.page-count)"),
        "And 6 more people not listed."
    );
    // Staff see all 67, the facilitator first.
    let staff = Page::of(net.staff.get(&members).await).await;
    assert_eq!(names(&staff).len(), 50);
    assert_eq!(names(&staff)[0], "Mayor A");
    let staff_second = Page::of(net.staff.get(&format!("{members}?page=2")).await).await;
    assert_eq!(names(&staff_second).len(), 17);
    // Pages that are not: a 404 page.
    for bad in ["3", "0", "abc"] {
        let r = Page::of(net.member.get(&format!("{members}?page={bad}")).await).await;
        assert_eq!(r.status, 404, "?page={bad}");
    }
}

#[tokio::test]
async fn a_facilitator_reads_waiting_requests_twenty_at_a_time_oldest_first() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let cohort = cohort_id(&app).await;
    let start = app.state.clock.now() - 3_600;
    for (i, person) in many_people(&app, "Asker", 25, false)
        .await
        .into_iter()
        .enumerate()
    {
        sqlx::query(
            "INSERT INTO cohort_requests (cohort_id, person_id, message, status, created_at) \
             VALUES ($1, $2, 'May I join?', 'pending', $3)",
        )
        .bind(cohort)
        .bind(person)
        .bind(start + i as i64 * 60)
        .execute(&app.state.pool)
        .await
        .unwrap();
    }
    let requests = format!("/cohorts/{SLUG}/requests");
    let names = |p: &Page| p.texts(".request-list .card-title");
    let expected = |from: i64, to: i64| -> Vec<String> {
        (from..=to).map(|i| format!("Asker {i:02}")).collect()
    };
    let first = Page::of(net.facilitator.get(&requests).await).await;
    assert_eq!(names(&first), expected(1, 20));
    assert!(!first.has(".pager a[rel='prev']"));
    let later = first.attr(".pager a[rel='next']", "href").unwrap();
    assert_eq!(first.text(".pager a[rel='next']"), "Later requests →");
    let second = Page::of(net.facilitator.get(&later).await).await;
    assert_eq!(names(&second), expected(21, 25));
    assert!(!second.has(".pager a[rel='next']"));
    let back = Page::of(
        net.facilitator
            .get(&second.attr(".pager a[rel='prev']", "href").unwrap())
            .await,
    )
    .await;
    assert_eq!(names(&back), expected(1, 20));
    let junk = net.facilitator.get(&format!("{requests}?after=junk")).await;
    assert_eq!(junk.status(), 404);
}

#[tokio::test]
async fn a_cohort_a_member_may_see_but_is_not_in_has_a_page_from_outside_with_the_way_in() {
    let app = spawn_app().await;
    let net = Fixture::with(&app).outsider().build().await;
    create_cohort(
        &net.staff,
        "Heat Plans",
        &[
            ("join_policy", "request"),
            ("visible", "1"),
            ("facilitators", "mayor@a.gov"),
            ("description", "Cooling **centres** and tree cover."),
        ],
    )
    .await;
    net.invitation_cohort().await;
    // The facilitator plans a session; the list links every title to the cohort's page.
    let r = net
        .facilitator
        .post_form(
            &format!("/cohorts/{SLUG}/sessions"),
            &[
                ("title", "Kick-off"),
                ("starts", "2030-03-04T14:00"),
                ("duration", "60"),
                ("time_zone", "America/Chicago"),
            ],
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let list = Page::of(net.other_city.get("/cohorts").await).await;
    let titles = list.texts(".cohort-card .card-title a");
    assert!(
        titles.contains(&"Water Affordability".to_owned()),
        "{titles:?}"
    );
    assert!(titles.contains(&"Heat Plans".to_owned()), "{titles:?}");
    assert_eq!(
        list.attr(".cohort-card .card-title a", "href").as_deref(),
        Some("/cohorts/heat-plans")
    );

    let page = Page::of(net.other_city.get(&format!("/cohorts/{SLUG}")).await).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.h1(), "Water Affordability");
    assert_eq!(page.text(".facilitators"), "Mayor A (Lafayette, CO)");
    assert_eq!(page.text(".members-count"), "4 members");
    assert!(
        page.text(".next-session").contains("2030"),
        "{}",
        page.text(".next-session")
    );
    assert!(!page.text(".next-session").contains("Kick-off"));
    assert_eq!(page.text(".prose strong"), "affordable");
    assert_eq!(
        page.attr(".cohort-actions form", "action").as_deref(),
        Some("/cohorts/water-affordability/join")
    );
    // Nothing of the space: no nav, no threads, no sessions' titles.
    assert!(!page.has(".space-tabs"));
    assert!(!page.has("#next-sessions-heading"));
    let page = Page::of(net.outsider().get("/cohorts/heat-plans").await).await;
    assert_eq!(page.text(".next-session"), "None planned yet");
    assert_eq!(
        page.attr(".cohort-actions a.button", "href").as_deref(),
        Some("/cohorts/heat-plans/request")
    );
    // Members of the cohort get its space's overview at the same address.
    let inside = Page::of(net.member.get(&format!("/cohorts/{SLUG}")).await).await;
    assert!(inside.has("#about-heading") && !inside.has(".cohort-outside"));
    // A hidden cohort, a lapsed city and a visitor: the 404 of a missing cohort.
    assert_eq!(
        net.other_city.get("/cohorts/quiet-circle").await.status(),
        404
    );
    assert_eq!(net.lapsed.get("/cohorts/heat-plans").await.status(), 404);
    let r = app.visitor().get("/cohorts/heat-plans").await;
    assert!(
        r.url().path().starts_with("/login") || r.status() == 404,
        "{}",
        r.url()
    );
}
