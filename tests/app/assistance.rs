//! Technical assistance: a city asks, staff answer, both follow the request to its end. The
//! request belongs to its city (its mayor and advisors), internal notes never reach the city
//! anywhere, only the allowed transitions happen, and the first-answer target counts business
//! days in the organization's time zone.

use reqwest::multipart::{Form, Part};

use crate::{
    fixture::Fixture,
    support::{Page, TestApp, Visitor, spawn_app},
};

/// A small PDF of its own.
fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {text}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

/// The id of a topic the migration seeds.
async fn topic(app: &TestApp) -> String {
    let id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM assistance_topics WHERE retired = 0")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    id.to_string()
}

/// Sends the ask form as `who`, with these fields over good defaults.
async fn ask(
    app: &TestApp,
    who: &Visitor,
    fields: &[(&str, &str)],
    file: Option<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let topic = topic(app).await;
    let mut values: Vec<(String, String)> = vec![
        ("topic".into(), topic),
        ("title".into(), "Lead service lines: where to start?".into()),
        (
            "description".into(),
            "We have **4,000** lead lines and one grant.".into(),
        ),
        ("urgency".into(), "normal".into()),
        ("needed_by".into(), String::new()),
    ];
    for (k, v) in fields {
        match values.iter_mut().find(|(n, _)| n == k) {
            Some(slot) => slot.1 = (*v).to_owned(),
            None => values.push(((*k).to_owned(), (*v).to_owned())),
        }
    }
    let mut form = Form::new();
    for (k, v) in values {
        form = form.text(k, v);
    }
    if let Some((name, bytes)) = file {
        form = form.part("file", Part::bytes(bytes).file_name(name.to_owned()));
    }
    who.client
        .post(who.url("/assistance/new"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The id in a request's address.
fn id_of(page: &Page) -> i64 {
    page.path()
        .strip_prefix("/assistance/")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "not a request page: {} {:?}",
                page.path(),
                page.texts(".error-summary li")
            )
        })
}

/// Sends a reply (or with `note`, an internal note) as `who`.
async fn write(
    who: &Visitor,
    id: i64,
    note: bool,
    text: &str,
    file: Option<(&str, Vec<u8>)>,
) -> Page {
    let (path, field) = if note {
        ("note", "note")
    } else {
        ("reply", "body")
    };
    let mut form = Form::new().text(field, text.to_owned());
    if let Some((name, bytes)) = file {
        form = form.part("file", Part::bytes(bytes).file_name(name.to_owned()));
    }
    Page::of(
        who.client
            .post(who.url(&format!("/assistance/{id}/{path}")))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn open(who: &Visitor, path: &str) -> Page {
    Page::of(who.get(path).await).await
}

async fn status_of(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM assistance_requests WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

async fn staff_id(app: &TestApp) -> String {
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE email = 'grace@mayorsinnovation.org'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    id.to_string()
}

async fn assign(app: &TestApp, who: &Visitor, id: i64, was: &str) -> Page {
    let owner = staff_id(app).await;
    Page::of(
        who.post_form(
            &format!("/assistance/{id}/assign"),
            &[("owner", &owner), ("was", was)],
        )
        .await,
    )
    .await
}

async fn move_to(who: &Visitor, id: i64, from: &str, to: &str) -> Page {
    Page::of(
        who.post_form(
            &format!("/assistance/{id}/status"),
            &[("from", from), ("to", to)],
        )
        .await,
    )
    .await
}

/// Emails to `to` since `from` (an index into the outbox).
async fn mails_to(app: &TestApp, to: &str, from: usize) -> Vec<crate::support::Mail> {
    app.outbox()
        .await
        .into_iter()
        .skip(from)
        .filter(|m| m.to == to)
        .collect()
}

#[tokio::test]
async fn an_advisor_asks_the_mayor_replies_staff_answer_and_resolve_and_the_city_says_it_helped() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let base = app.address.clone();
    // The advisor asks, with a document.
    let page = Page::of(
        ask(
            &app,
            &net.member,
            &[("urgency", "high")],
            Some(("inventory.pdf", pdf("lead inventory"))),
        )
        .await,
    )
    .await;
    let id = id_of(&page);
    assert_eq!(page.h1(), "Lead service lines: where to start?");
    assert!(page.text(".flash").contains("Your request is sent"));
    assert_eq!(page.text(".facts .status"), "New");
    assert!(page.text(".attachments").contains("inventory.pdf"));
    assert!(
        page.text(".history")
            .contains("Advisor A opened the request.")
    );
    let file = page.attr(".attachments a", "href").unwrap();
    let got = net.facilitator.get(&file).await;
    assert_eq!(got.status(), 200);
    assert!(got.bytes().await.unwrap().starts_with(b"%PDF-1.4"));
    // Staff, who triage, are told; the email names and links the request.
    let mail = app.last_mail_to("grace@mayorsinnovation.org").await;
    assert!(
        mail.subject.starts_with("New request: Lead service lines"),
        "{}",
        mail.subject
    );
    assert!(
        mail.text.contains(&format!("{base}/assistance/{id}")),
        "{}",
        mail.text
    );
    // The city's mayor sees it in the list and on the member home, and replies.
    let list = page_of_list(&net.facilitator).await;
    assert!(
        list.contains("Lead service lines: where to start?"),
        "{list}"
    );
    let home = open(&net.facilitator, "/home").await;
    let panel = home.text("section[aria-labelledby='panel-assistance']");
    assert!(
        panel.contains("Lead service lines") && panel.contains("New"),
        "{panel}"
    );
    assert!(home.has("section[aria-labelledby='panel-assistance'] a[href='/assistance/new']"));
    let replied = write(
        &net.facilitator,
        id,
        false,
        "Our council votes on **March 3**.",
        None,
    )
    .await;
    assert!(
        replied
            .text(".conversation")
            .contains("Our council votes on March 3.")
    );
    // Staff assign it (triaged: the city is told), then work on it.
    let mark = app.outbox().await.len();
    let assigned = assign(&app, &net.staff, id, "0").await;
    assert!(
        assigned.text(".flash").contains("assigned to Grace Staff"),
        "{}",
        assigned.text(".flash")
    );
    assert_eq!(status_of(&app, id).await, "triaged");
    let told = mails_to(&app, "advisor@a.gov", mark).await;
    assert_eq!(told.len(), 1);
    assert!(
        told[0].subject.starts_with("Status changed"),
        "{}",
        told[0].subject
    );
    assert_eq!(
        mails_to(&app, "mayor@a.gov", mark).await.len(),
        1,
        "the mayor replied: on the request"
    );
    move_to(&net.staff, id, "triaged", "in_progress").await;
    move_to(&net.staff, id, "in_progress", "waiting").await;
    assert_eq!(status_of(&app, id).await, "waiting");
    // A city reply while waiting brings it back in progress and goes to the owner.
    let mark = app.outbox().await.len();
    write(
        &net.member,
        id,
        false,
        "Here is the map you asked for.",
        Some(("map.png", png())),
    )
    .await;
    assert_eq!(status_of(&app, id).await, "in_progress");
    let to_owner = mails_to(&app, "grace@mayorsinnovation.org", mark).await;
    assert_eq!(to_owner.len(), 1);
    assert!(to_owner[0].text.contains("Here is the map you asked for."));
    // Staff answer and resolve; the city is asked whether it helped.
    let mark = app.outbox().await.len();
    write(
        &net.staff,
        id,
        false,
        "Start with schools and daycares.",
        None,
    )
    .await;
    let answer = mails_to(&app, "advisor@a.gov", mark).await;
    assert_eq!(answer.len(), 1);
    assert!(answer[0].text.contains("Start with schools and daycares."));
    let resolved = move_to(&net.staff, id, "in_progress", "resolved").await;
    assert!(resolved.text(".flash").contains("now resolved"));
    let mail = app.last_mail_to("advisor@a.gov").await;
    assert!(mail.subject.starts_with("Resolved"), "{}", mail.subject);
    assert!(mail.text.contains("Did the answer help?"), "{}", mail.text);
    // Asked once, on the page; the answer shows per topic to staff.
    let shown = open(&net.member, &format!("/assistance/{id}")).await;
    assert!(shown.has("form[action$='/feedback']"));
    let said = Page::of(
        net.member
            .post_form(
                &format!("/assistance/{id}/feedback"),
                &[
                    ("helped", "yes"),
                    ("comment", "Exactly what the council needed."),
                ],
            )
            .await,
    )
    .await;
    assert!(said.text(".flash").contains("Thank you"));
    assert!(!said.has("form[action$='/feedback']"));
    let again = Page::of(
        net.facilitator
            .post_form(&format!("/assistance/{id}/feedback"), &[("helped", "no")])
            .await,
    )
    .await;
    assert!(
        again.text(".flash").contains("already said"),
        "{}",
        again.text(".flash")
    );
    let topics = open(&net.staff, "/staff/assistance/topics").await;
    assert!(
        topics.text("table").contains("Exactly")
            || topics
                .text("main")
                .contains("Exactly what the council needed.")
    );
    let helped: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM assistance_feedback WHERE helped = 'yes'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(helped, 1);
    // Every change is in the history, with who.
    let history = open(&net.member, &format!("/assistance/{id}"))
        .await
        .text(".history");
    for line in [
        "Grace Staff assigned the request to Grace Staff.",
        "Grace Staff changed the status to triaged.",
        "Advisor A changed the status to in progress.",
        "Grace Staff changed the status to resolved.",
    ] {
        assert!(history.contains(line), "{line} not in {history}");
    }
}

async fn page_of_list(who: &Visitor) -> String {
    open(who, "/assistance").await.text("main")
}

fn png() -> Vec<u8> {
    let mut out = Vec::new();
    image::RgbImage::from_pixel(4, 4, image::Rgb([10, 20, 30]))
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

const SECRET: &str = "Zephyr-quartz 7731 budget shortfall";

#[tokio::test]
async fn an_internal_note_never_reaches_the_city_in_a_page_an_email_search_an_export_or_a_count() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let id = id_of(&Page::of(ask(&app, &net.member, &[], None).await).await);
    assign(&app, &net.staff, id, "0").await;
    write(&net.staff, id, false, "We are on it.", None).await;
    let before = open(&net.member, &format!("/assistance/{id}")).await;
    let activity_before: i64 =
        sqlx::query_scalar("SELECT last_activity_at FROM assistance_requests WHERE id = $1")
            .bind(id)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    app.state.clock.advance(120);
    // The note, with a file of its own.
    let noted = write(
        &net.staff,
        id,
        true,
        SECRET,
        Some(("staff-only-memo.pdf", pdf("memo"))),
    )
    .await;
    assert!(noted.text(".flash").contains("Only staff see it"));
    assert!(
        noted.text(".internal-note").contains(SECRET),
        "staff see it"
    );
    let note_file = noted.attr(".internal-note .attachments a", "href").unwrap();
    // A member cannot write one: refused, nothing written.
    let crafted = write(&net.facilitator, id, true, "member note", None).await;
    assert_eq!(crafted.status, 403);
    // Staff reply after the note: the city's emails carry the reply, never the note.
    write(&net.staff, id, false, "Please send the inventory.", None).await;
    move_to(&net.staff, id, "triaged", "in_progress").await;
    app.state.clock.advance(60);
    let secret_word = "zephyr-quartz";
    for who in [&net.member, &net.facilitator] {
        for path in [
            format!("/assistance/{id}"),
            "/assistance".to_owned(),
            "/home".to_owned(),
            "/assistance.csv".to_owned(),
        ] {
            let body = who.get(&path).await.text().await.unwrap().to_lowercase();
            assert!(!body.contains(secret_word), "{path} shows the note");
            assert!(
                !body.contains("staff-only-memo"),
                "{path} shows the note's file"
            );
        }
        assert_eq!(who.get(&note_file).await.status(), 404, "the note's file");
    }
    // Search for a word only the note holds finds nothing of the request.
    let found = open(&net.member, "/search?q=shortfall").await;
    assert!(!found.has(&format!("a[href='/assistance/{id}']")));
    assert!(
        !found
            .text("main")
            .to_lowercase()
            .contains("staff-only-memo")
    );
    // The city's page counts the same conversation as before the note.
    let after = open(&net.member, &format!("/assistance/{id}")).await;
    assert_eq!(
        after.texts(".conversation > li").len(),
        before.texts(".conversation > li").len() + 1,
        "one reply more (the staff's), the note not counted"
    );
    assert!(!after.text(".history").to_lowercase().contains("note"));
    // The note moved no activity time the city can see.
    let activity_note: i64 =
        sqlx::query_scalar("SELECT MAX(created_at) FROM assistance_replies WHERE internal = 1")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert!(activity_note > activity_before);
    // No email, to anyone, carries it; the search index does not hold it.
    for mail in app.outbox().await {
        let all = format!("{}{}{}", mail.subject, mail.text, mail.html).to_lowercase();
        assert!(
            !all.contains(secret_word),
            "an email to {} carries the note",
            mail.to
        );
    }
    let indexed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM search_docs WHERE lower(body) LIKE '%zephyr%' OR lower(title) LIKE '%zephyr%'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(indexed, 0);
    let in_index: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM search_docs WHERE kind = 'request' AND body LIKE '%Please send the inventory%'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(in_index, 1, "the public reply is indexed");
    // Staff's export of the queue holds no reply or note either.
    let csv = net
        .staff
        .get("/staff/assistance.csv?status=all")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("Lead service lines"));
    assert!(!csv.to_lowercase().contains(secret_word));
}

#[tokio::test]
async fn a_request_is_its_citys_alone_and_crafted_posts_from_elsewhere_change_nothing() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let page1 = Page::of(ask(&app, &net.member, &[], Some(("plan.pdf", pdf("plan")))).await).await;
    let id = id_of(&page1);
    let file = page1.attr(".attachments a", "href").unwrap();
    let anon = app.visitor();
    for (who, name) in [
        (&net.other_city, "another city's mayor"),
        (&net.lapsed, "a lapsed city's mayor"),
    ] {
        for path in [format!("/assistance/{id}"), file.clone()] {
            assert_eq!(who.get(&path).await.status(), 404, "{name}: {path}");
        }
        let list = who.get("/assistance").await.text().await.unwrap();
        assert!(!list.contains("Lead service lines"), "{name} lists it");
        for (action, form) in [
            ("status", vec![("from", "new"), ("to", "resolved")]),
            ("assign", vec![("owner", "1"), ("was", "0")]),
            ("feedback", vec![("helped", "yes")]),
            ("reopen", vec![]),
        ] {
            let r = who
                .post_form(&format!("/assistance/{id}/{action}"), &form)
                .await;
            assert_eq!(r.status(), 404, "{name}: {action}");
        }
        assert_eq!(
            write(who, id, false, "crafted", None).await.status,
            404,
            "{name}: reply"
        );
    }
    let r = anon.get(&format!("/assistance/{id}")).await;
    assert!(r.url().path().starts_with("/login"), "the public logs in");
    let replies: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assistance_replies")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(replies, 0);
    assert_eq!(status_of(&app, id).await, "new");
    // The city's mayor and staff see it; a member cannot move it (told why).
    assert_eq!(
        net.facilitator
            .get(&format!("/assistance/{id}"))
            .await
            .status(),
        200
    );
    assert_eq!(net.staff.get(&file).await.status(), 200);
    let moved = net
        .facilitator
        .post_form(
            &format!("/assistance/{id}/status"),
            &[("from", "new"), ("to", "resolved")],
        )
        .await;
    assert_eq!(moved.status(), 403);
    // No email of the request went to anyone outside the city and staff.
    for mail in app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.text.contains(&format!("/assistance/{id}")))
    {
        assert!(
            mail.to != "mayor@b.gov" && mail.to != "mayor@c.gov",
            "{}",
            mail.to
        );
    }
}

#[tokio::test]
async fn only_allowed_moves_happen_and_a_resolved_request_closes_itself_after_14_days() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let id = id_of(&Page::of(ask(&app, &net.member, &[], None).await).await);
    // Triaged only by an owner; a status not reachable from here is refused, said in words.
    let refused = move_to(&net.staff, id, "new", "resolved").await;
    assert!(
        refused.text(".flash").contains("cannot become resolved"),
        "{}",
        refused.text(".flash")
    );
    let refused = move_to(&net.staff, id, "new", "triaged").await;
    assert!(refused.text(".flash").contains("by assigning it an owner"));
    let junk = move_to(&net.staff, id, "new", "banana").await;
    assert!(junk.text(".flash").contains("Choose a status"));
    assert_eq!(status_of(&app, id).await, "new");
    assign(&app, &net.staff, id, "0").await;
    // A stale form (it moved meanwhile) changes nothing and says so.
    let stale = move_to(&net.staff, id, "new", "in_progress").await;
    assert!(
        stale.text(".flash").contains("Meanwhile"),
        "{}",
        stale.text(".flash")
    );
    move_to(&net.staff, id, "triaged", "resolved").await;
    assert_eq!(status_of(&app, id).await, "resolved");
    // The city reopens it; staff resolve it again.
    let reopened = Page::of(
        net.facilitator
            .post_form(&format!("/assistance/{id}/reopen"), &[])
            .await,
    )
    .await;
    assert!(reopened.text(".flash").contains("open again"));
    assert_eq!(status_of(&app, id).await, "in_progress");
    move_to(&net.staff, id, "in_progress", "resolved").await;
    // Thirteen days on it is still resolved; fifteen, the portal closes it.
    app.state.clock.advance(13 * 86_400);
    portal::housekeep(&app.state).await;
    assert_eq!(status_of(&app, id).await, "resolved");
    app.state.clock.advance(2 * 86_400);
    portal::housekeep(&app.state).await;
    assert_eq!(status_of(&app, id).await, "closed");
    let shown = open(&net.member, &format!("/assistance/{id}")).await;
    assert!(
        shown
            .text(".history")
            .contains("The portal changed the status to closed.")
    );
    assert!(!shown.has("form[action$='/reply']"));
    // A closed request takes no reply, no reopening, no move: each said in words.
    let reply = write(&net.member, id, false, "One more thing", None).await;
    assert!(
        reply.text("main").contains("This request is closed"),
        "{}",
        reply.text("main")
    );
    let reopen = Page::of(
        net.member
            .post_form(&format!("/assistance/{id}/reopen"), &[])
            .await,
    )
    .await;
    assert!(reopen.text(".flash").contains("This request is closed"));
    let resolve = move_to(&net.staff, id, "closed", "resolved").await;
    assert!(
        resolve
            .text(".flash")
            .contains("A request that is closed cannot become resolved")
    );
    assert_eq!(status_of(&app, id).await, "closed");
    // The city asks again, linked to the closed one.
    let link = shown.attr(".notice a", "href").unwrap();
    let form = open(&net.member, &link).await;
    assert!(form.text(".notice").contains("follows up"));
    let follow = form.attr("input[name=follows]", "value").unwrap();
    let next = Page::of(
        ask(
            &app,
            &net.member,
            &[("follows", &follow), ("title", "Lead lines, part two")],
            None,
        )
        .await,
    )
    .await;
    assert!(
        next.text(".facts").contains("Follows up"),
        "{}",
        next.text(".facts")
    );
}

/// The next Friday at 3 PM in the organization's time zone, from now.
fn next_friday_afternoon(app: &TestApp) -> i64 {
    let zone = &app.state.config.time_zone;
    let now = app.state.clock.now();
    for day in 1..=8 {
        let date: jiff::civil::Date = zone.iso_date(now + day * 86_400)[..10].parse().unwrap();
        if date.weekday() == jiff::civil::Weekday::Friday {
            return zone.parse_local(&format!("{date}T15:00")).unwrap();
        }
    }
    unreachable!()
}

#[tokio::test]
async fn a_request_opened_friday_afternoon_is_due_tuesday_afternoon_and_marked_overdue_after() {
    let app = spawn_app().await;
    let friday = next_friday_afternoon(&app);
    app.state.clock.advance(friday - app.state.clock.now());
    let net = Fixture::new(&app).await;
    let id = id_of(&Page::of(ask(&app, &net.member, &[], None).await).await);
    let (created, due): (i64, i64) =
        sqlx::query_as("SELECT created_at, response_due FROM assistance_requests WHERE id = $1")
            .bind(id)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let zone = &app.state.config.time_zone;
    let tuesday: jiff::civil::Date = zone.iso_date(due)[..10].parse().unwrap();
    assert_eq!(tuesday.weekday(), jiff::civil::Weekday::Tuesday);
    assert_eq!(zone.clock(due), zone.clock(created), "the same time of day");
    let shown = open(&net.member, &format!("/assistance/{id}")).await;
    assert!(
        shown.text(".facts").contains(&zone.time(due)),
        "{}",
        shown.text(".facts")
    );
    // Not overdue a minute before; overdue, marked and counted a minute after.
    app.state.clock.advance(due - app.state.clock.now() - 60);
    let queue = open(&net.staff, "/staff/assistance").await;
    assert!(!queue.has("tbody .overdue"));
    assert!(queue.text("main").contains("No first answer is overdue."));
    app.state.clock.advance(120);
    let queue = open(&net.staff, "/staff/assistance").await;
    assert!(queue.has("tbody .overdue"));
    assert!(
        queue.text("main").contains("1 overdue"),
        "{}",
        queue.text("main")
    );
    let desk = open(&net.staff, "/staff").await;
    assert!(
        desk.text("main")
            .contains("assistance request's first answer overdue"),
        "{}",
        desk.text("main")
    );
    let overdue_only = open(&net.staff, "/staff/assistance?overdue=1").await;
    assert_eq!(overdue_only.texts("tbody tr").len(), 1);
    // The first answer meets the target; overdue no more.
    write(&net.staff, id, false, "Looking into it.", None).await;
    let queue = open(&net.staff, "/staff/assistance?overdue=1").await;
    assert!(queue.text("main").contains("No request matches."));
}

#[tokio::test]
async fn bad_input_is_refused_in_words_and_twenty_same_submissions_make_one_request() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let count = |app: &TestApp| {
        let pool = app.state.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM assistance_requests")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    exe.extend(vec![0u8; 4096]);
    let page = Page::of(ask(&app, &net.member, &[], Some(("report.pdf", exe))).await).await;
    assert_eq!(page.status, 422);
    assert!(
        page.text("#file-error").contains("Programs and scripts"),
        "{}",
        page.text("#file-error")
    );
    let mut big = vec![b'%'; 26 * 1024 * 1024];
    big[..8].copy_from_slice(b"%PDF-1.4");
    let page = Page::of(ask(&app, &net.member, &[], Some(("big.pdf", big))).await).await;
    // Past the route's body limit too: the store refuses the file at 25 MB, the rest of the
    // body is cut, and the form comes back with what was read and the message.
    assert_eq!(page.status, 422);
    assert_eq!(
        page.text("#file-error"),
        "Error: The file is larger than 25.0 MB. Add a smaller version, or share a link to it."
    );
    let mut over = vec![b'%'; 25 * 1024 * 1024 + 1];
    over[..8].copy_from_slice(b"%PDF-1.4");
    let page = Page::of(ask(&app, &net.member, &[], Some(("over.pdf", over))).await).await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.text("#file-error"),
        "Error: The file is larger than 25.0 MB. Add a smaller version, or share a link to it."
    );
    assert_eq!(
        page.attr("#title", "value").as_deref(),
        Some("Lead service lines: where to start?"),
        "the form comes back as sent"
    );
    let long = "a".repeat(200_000);
    let page = Page::of(ask(&app, &net.member, &[("description", &long)], None).await).await;
    assert_eq!(page.status, 422);
    assert!(
        page.text(".error-summary")
            .contains("at most 20,000 characters"),
        "{}",
        page.text(".error-summary")
    );
    let page = Page::of(
        ask(
            &app,
            &net.member,
            &[
                ("topic", "999999"),
                ("urgency", "panic"),
                ("needed_by", "soon"),
            ],
            None,
        )
        .await,
    )
    .await;
    assert_eq!(page.status, 422);
    let summary = page.text(".error-summary");
    assert!(
        summary.contains("Choose the topic")
            && summary.contains("how urgent")
            && summary.contains("date"),
        "{summary}"
    );
    assert_eq!(count(&app).await, 0, "nothing half-written");
    let files: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM files")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(files, 0, "no refused file kept");
    // Twenty identical submissions at once (the same form): one request.
    let mut tasks = Vec::new();
    let topic = topic(&app).await;
    for _ in 0..20 {
        let client = net.member.client.clone();
        let url = net.member.url("/assistance/new");
        let topic = topic.clone();
        tasks.push(tokio::spawn(async move {
            let form = Form::new()
                .text("topic", topic)
                .text("title", "Same form")
                .text("description", "Sent twenty times.")
                .text("urgency", "low")
                .text("submission", "form-key-1");
            client
                .post(url)
                .multipart(form)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        let status = t.await.unwrap();
        assert!(status.is_success(), "{status}");
    }
    assert_eq!(count(&app).await, 1);
    let staff_mails = app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.subject.contains("Same form"))
        .count();
    assert_eq!(staff_mails, 1, "one email to the one triager");
}

#[tokio::test]
async fn two_staff_assigning_at_once_make_one_owner_and_both_are_told() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let ada = app.visitor();
    ada.log_in("ada@mayorsinnovation.org", crate::support::STAFF_PASSWORD)
        .await;
    let id = id_of(&Page::of(ask(&app, &net.member, &[], None).await).await);
    let ada_id: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE email = 'ada@mayorsinnovation.org'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let grace = staff_id(&app).await;
    let ada_s = ada_id.to_string();
    let path = format!("/assistance/{id}/assign");
    let (form_a, form_b) = (
        [("owner", grace.as_str()), ("was", "0")],
        [("owner", ada_s.as_str()), ("was", "0")],
    );
    let (a, b) = tokio::join!(
        net.staff.post_form(&path, &form_a),
        ada.post_form(&path, &form_b),
    );
    let (a, b) = (Page::of(a).await, Page::of(b).await);
    let flashes = [a.text(".flash"), b.text(".flash")];
    assert_eq!(
        flashes
            .iter()
            .filter(|f| f.contains("is assigned to"))
            .count(),
        1,
        "{flashes:?}"
    );
    assert_eq!(
        flashes
            .iter()
            .filter(|f| f.contains("Meanwhile the request was assigned to"))
            .count(),
        1,
        "{flashes:?}"
    );
    let owners: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM assistance_history WHERE what LIKE '%assigned the request%'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(owners, 1);
    assert_eq!(status_of(&app, id).await, "triaged");
}

#[tokio::test]
async fn the_queue_filters_orders_pages_and_exports_and_topics_are_kept_by_staff() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let low = id_of(
        &Page::of(
            ask(
                &app,
                &net.member,
                &[("title", "Low one"), ("urgency", "low")],
                None,
            )
            .await,
        )
        .await,
    );
    let high = id_of(
        &Page::of(
            ask(
                &app,
                &net.other_city,
                &[("title", "High one"), ("urgency", "high")],
                None,
            )
            .await,
        )
        .await,
    );
    let queue = open(&net.staff, "/staff/assistance").await;
    let rows = queue.texts("tbody tr td:first-child");
    assert_eq!(rows, vec!["High one", "Low one"], "the urgent first");
    let only = open(&net.staff, "/staff/assistance?urgency=low").await;
    assert_eq!(only.texts("tbody tr td:first-child"), vec!["Low one"]);
    let by_city = open(
        &net.staff,
        &format!("/staff/assistance?city={}", net.city_b),
    )
    .await;
    assert_eq!(by_city.texts("tbody tr td:first-child"), vec!["High one"]);
    assign(&app, &net.staff, low, "0").await;
    let unowned = open(&net.staff, "/staff/assistance?owner=none").await;
    assert_eq!(unowned.texts("tbody tr td:first-child"), vec!["High one"]);
    assert!(queue.text("main").contains("New: 2"));
    assert_eq!(
        net.staff
            .get("/staff/assistance?status=banana")
            .await
            .status(),
        404
    );
    assert_eq!(
        net.staff.get("/staff/assistance?page=9").await.status(),
        404
    );
    let csv = net.staff.get("/staff/assistance.csv?urgency=high").await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("High one") && !csv.contains("Low one"));
    // A mayor's CSV holds the city's requests only.
    let mine = net
        .facilitator
        .get("/assistance.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(mine.contains("Low one") && !mine.contains("High one"));
    // Topics: added, offered, retired (kept by its requests).
    let added = Page::of(
        net.staff
            .post_form("/staff/assistance/topics", &[("name", "Heat resilience")])
            .await,
    )
    .await;
    assert!(added.text("table").contains("Heat resilience"));
    let form = open(&net.member, "/assistance/new").await;
    assert!(form.text("#topic").contains("Heat resilience"));
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM assistance_topics WHERE name = 'Heat resilience'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    net.staff
        .post_form(
            "/staff/assistance/topics/retire",
            &[("id", &id.to_string())],
        )
        .await;
    let form = open(&net.member, "/assistance/new").await;
    assert!(!form.text("#topic").contains("Heat resilience"));
    let empty = Page::of(
        net.staff
            .post_form("/staff/assistance/topics", &[("name", "  ")])
            .await,
    )
    .await;
    assert_eq!(empty.status, 422);
    let _ = high;
}

/// The demo's requests: one in every status; a city sees its own, never another's nor a note.
pub async fn the_demo_requests_are_alive(app: &TestApp, report: &portal::demo::Report) {
    let login = |name: &str| {
        let l = report
            .logins
            .iter()
            .find(|l| l.1.starts_with(name))
            .unwrap();
        (l.2.clone(), l.3.clone())
    };
    let staff = app.visitor();
    let (email, password) = login("Alex Rivera");
    staff.log_in(&email, &password).await;
    let queue = open(&staff, "/staff/assistance?status=all").await;
    for status in [
        "New: 1",
        "Triaged: 1",
        "In progress: 1",
        "Waiting on the city: 1",
        "Resolved: 1",
        "Closed: 1",
    ] {
        assert!(
            queue.text("main").contains(status),
            "{status} in {}",
            queue.text("main")
        );
    }
    let advisor = app.visitor();
    let (email, password) = login("Morgan Ellis");
    advisor.log_in(&email, &password).await;
    let list = open(&advisor, "/assistance").await.text("main");
    assert!(
        list.contains("Inclusionary zoning") && list.contains("Heat action plan"),
        "{list}"
    );
    assert!(
        !list.contains("Safe Streets grant"),
        "another city's request"
    );
    let mayor = app.visitor();
    let (email, password) = login("Samuel Okafor");
    mayor.log_in(&email, &password).await;
    let providence = open(&mayor, "/assistance").await;
    let href = providence.attr("tbody a", "href").unwrap();
    let page = open(&mayor, &href).await;
    assert!(page.text(".conversation").contains("side-by-side"));
    assert!(
        !page.text("main").contains("energy manager left"),
        "the note"
    );
    let seen_by_staff = open(&staff, &href).await;
    assert!(
        seen_by_staff
            .text(".internal-note")
            .contains("energy manager left")
    );
}

#[tokio::test]
async fn the_owner_is_told_of_an_assignment_and_a_following_mayor_of_every_request() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let followed = Page::of(
        net.facilitator
            .post_form("/assistance/follow", &[("follow", "1")])
            .await,
    )
    .await;
    assert!(
        followed
            .text(".flash")
            .contains("every request of your city")
    );
    // An advisor cannot follow the whole city's requests.
    assert_eq!(
        net.member
            .post_form("/assistance/follow", &[("follow", "1")])
            .await
            .status(),
        403
    );
    let id = id_of(&Page::of(ask(&app, &net.member, &[], None).await).await);
    let ada: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE email = 'ada@mayorsinnovation.org'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let mark = app.outbox().await.len();
    net.staff
        .post_form(
            &format!("/assistance/{id}/assign"),
            &[("owner", &ada.to_string()), ("was", "0")],
        )
        .await;
    let to_ada = mails_to(&app, "ada@mayorsinnovation.org", mark).await;
    assert_eq!(to_ada.len(), 1);
    assert!(
        to_ada[0].subject.starts_with("Assigned to you"),
        "{}",
        to_ada[0].subject
    );
    assert!(to_ada[0].text.contains("Grace Staff"));
    // The mayor never wrote in it, and follows: the staff's reply reaches them too.
    let mark = app.outbox().await.len();
    write(&net.staff, id, false, "A first answer.", None).await;
    let to_mayor = mails_to(&app, "mayor@a.gov", mark).await;
    assert_eq!(to_mayor.len(), 1, "the following mayor");
    assert!(to_mayor[0].subject.starts_with("New reply"));
    // The city reply goes to the owner, not to every staff member.
    let mark = app.outbox().await.len();
    write(&net.member, id, false, "Thanks, more soon.", None).await;
    assert_eq!(
        mails_to(&app, "ada@mayorsinnovation.org", mark).await.len(),
        1
    );
    assert_eq!(
        mails_to(&app, "grace@mayorsinnovation.org", mark)
            .await
            .len(),
        0
    );
}

#[tokio::test]
async fn search_finds_a_request_for_its_city_and_staff_only_and_takes_any_typed_query() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let id = id_of(
        &Page::of(
            ask(
                &app,
                &net.member,
                &[(
                    "description",
                    "Our **aquifer recharge** study needs a reviewer.",
                )],
                None,
            )
            .await,
        )
        .await,
    );
    write(
        &net.staff,
        id,
        false,
        "The hydrology toolkit covers it.",
        None,
    )
    .await;
    write(
        &net.staff,
        id,
        true,
        "Internal: mention the floodplain dispute.",
        None,
    )
    .await;
    let link = format!("a[href='/assistance/{id}']");
    for q in ["aquifer", "hydrology"] {
        for who in [&net.member, &net.facilitator, &net.staff] {
            let found = open(who, &format!("/search?q={q}")).await;
            assert!(
                found.has(&format!(".result-request {link}")),
                "{q}: {}",
                found.text("main")
            );
        }
        for who in [&net.other_city, &net.lapsed] {
            let found = open(who, &format!("/search?q={q}")).await;
            assert!(!found.has(&link), "{q} found by another city");
            assert!(!found.text("main").contains("Lead service lines"));
        }
        let public = open(&app.visitor(), &format!("/search?q={q}")).await;
        assert!(!public.has(&link));
    }
    // The note is in no index: nobody finds it, staff included.
    for who in [&net.member, &net.staff] {
        let found = open(who, "/search?q=floodplain").await;
        assert!(!found.has(&link), "the note was found");
    }
    // Whatever is typed, the page answers.
    let long = "aquifer ".repeat(700);
    for q in [
        "\"",
        "*",
        "NEAR(aquifer",
        "aquifer AND",
        "title:aquifer",
        "-",
        "a\"b*c:d",
        long.as_str(),
    ] {
        let r = net.member.get(&format!("/search?q={}", urlencode(q))).await;
        assert_eq!(r.status(), 200, "{q:.20}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn new_requests_go_to_the_staff_chosen_to_triage_else_to_every_staff_member() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let ada: i64 =
        sqlx::query_scalar("SELECT id FROM people WHERE email = 'ada@mayorsinnovation.org'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    // Nobody chosen: every staff member is told.
    let mark = app.outbox().await.len();
    ask(&app, &net.member, &[("title", "First")], None).await;
    assert_eq!(
        mails_to(&app, "ada@mayorsinnovation.org", mark).await.len(),
        1
    );
    assert_eq!(
        mails_to(&app, "grace@mayorsinnovation.org", mark)
            .await
            .len(),
        1
    );
    // Ada alone triages.
    let saved = Page::of(
        net.staff
            .post_form(
                "/staff/assistance/triagers",
                &[("triager", &ada.to_string())],
            )
            .await,
    )
    .await;
    assert!(saved.text(".flash").contains("The staff you chose"));
    assert!(saved.has(&format!("input[name=triager][value='{ada}'][checked]")));
    let mark = app.outbox().await.len();
    ask(&app, &net.member, &[("title", "Second")], None).await;
    assert_eq!(
        mails_to(&app, "ada@mayorsinnovation.org", mark).await.len(),
        1
    );
    assert_eq!(
        mails_to(&app, "grace@mayorsinnovation.org", mark)
            .await
            .len(),
        0
    );
    // A crafted id of someone who is not staff is not kept.
    let mayor: i64 = sqlx::query_scalar("SELECT id FROM people WHERE email = 'mayor@a.gov'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    net.staff
        .post_form(
            "/staff/assistance/triagers",
            &[("triager", &mayor.to_string())],
        )
        .await;
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assistance_triagers")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(kept, 0);
}

#[tokio::test]
async fn twenty_moves_and_replies_at_once_each_land_once_and_none_fails() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let id = id_of(&Page::of(ask(&app, &net.member, &[], None).await).await);
    assign(&app, &net.staff, id, "0").await;
    // Twenty staff clicks of the same move: one moves it, the others are told.
    let mut moves = Vec::new();
    for _ in 0..20 {
        let client = net.staff.client.clone();
        let url = net.staff.url(&format!("/assistance/{id}/status"));
        moves.push(tokio::spawn(async move {
            client
                .post(url)
                .form(&[("from", "triaged"), ("to", "in_progress")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    // (One session for twenty clicks: their flashes race for one page, so the history counts.)
    for m in moves {
        assert_eq!(m.await.unwrap(), 200);
    }

    let lines: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM assistance_history WHERE what LIKE '%to in progress.'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(lines, 1);
    // Twenty different replies at once all land; the same form twenty times lands once.
    let mut replies = Vec::new();
    for i in 0..40 {
        let client = net.member.client.clone();
        let url = net.member.url(&format!("/assistance/{id}/reply"));
        replies.push(tokio::spawn(async move {
            let (body, key) = if i < 20 {
                (format!("Reply number {i}"), format!("key-{i}"))
            } else {
                ("The same reply".to_owned(), "same-key".to_owned())
            };
            let form = Form::new().text("body", body).text("submission", key);
            client
                .post(url)
                .multipart(form)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for r in replies {
        assert_eq!(r.await.unwrap(), 200);
    }
    let (all, same): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN body = 'The same reply' THEN 1 ELSE 0 END), 0) FROM assistance_replies",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!((all, same), (21, 1));
}
