//! A cohort's discussion: threads and replies, "New" marks, the emails they send and to whom,
//! editing for 30 minutes, hiding and restoring, privacy, sanitizing, parallel replies and
//! bad input.

use futures_util::future::join_all;
use scraper::{ElementRef, Selector};

use crate::{
    fixture::{Fixture, SLUG},
    support::{Mail, Page, TestApp, Visitor, spawn_app},
};

const DISCUSSION: &str = "/cohorts/water-affordability/discussion";

/// Starts a thread as `who`; gives the thread's path.
async fn start_thread(who: &Visitor, title: &str, body: &str) -> String {
    let page = Page::of(
        who.post_form(DISCUSSION, &[("title", title), ("body", body)])
            .await,
    )
    .await;
    assert_eq!(page.status, 200, "{:?}", page.texts(".error-summary li"));
    assert_eq!(page.text("#thread-heading"), title);
    page.path()
}

async fn reply(who: &Visitor, thread: &str, body: &str) -> Page {
    let page = Page::of(who.post_form(thread, &[("body", body)]).await).await;
    assert_eq!(page.status, 200, "{:?}", page.texts(".error-summary li"));
    page
}

fn select<'a>(scope: ElementRef<'a>, selector: &str) -> Vec<ElementRef<'a>> {
    let sel = Selector::parse(selector).unwrap();
    scope.select(&sel).collect()
}

fn text_of(e: ElementRef<'_>) -> String {
    e.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A thread as the discussion page lists it.
#[derive(Debug)]
struct Listed {
    title: String,
    meta: String,
    new: bool,
    hidden: bool,
}

fn listed(page: &Page) -> Vec<Listed> {
    select(page.html.root_element(), ".thread-list .thread-item")
        .into_iter()
        .map(|item| Listed {
            title: text_of(select(item, ".thread-title a")[0]),
            meta: text_of(select(item, ".card-meta")[0]),
            new: !select(item, ".badge.new").is_empty(),
            hidden: !select(item, ".badge.hidden-mark").is_empty(),
        })
        .collect()
}

/// A post as the thread page shows it.
#[derive(Debug)]
struct Shown {
    author: String,
    city: String,
    body: String,
    new: bool,
    hidden: bool,
    actions: Vec<String>,
}

fn posts(page: &Page) -> Vec<Shown> {
    select(page.html.root_element(), ".post-list .post")
        .into_iter()
        .map(|post| Shown {
            author: text_of(select(post, ".author")[0]),
            city: text_of(select(post, ".city")[0]),
            body: text_of(select(post, ".post-body")[0]),
            new: !select(post, ".badge.new").is_empty(),
            hidden: !select(post, ".badge.hidden-mark").is_empty(),
            actions: select(post, ".row-actions a, .row-actions button")
                .into_iter()
                .map(|e| {
                    // The visible words, without the part for screen readers.
                    e.children()
                        .filter_map(|c| c.value().as_text().map(|t| t.trim().to_owned()))
                        .collect::<String>()
                })
                .collect(),
        })
        .collect()
}

async fn page(who: &Visitor, path: &str) -> Page {
    Page::of(who.get(path).await).await
}

async fn cohort_id(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT id FROM cohorts WHERE slug = $1")
        .bind(SLUG)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

async fn person_id(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM people WHERE email = $1")
        .bind(email)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

async fn unread(app: &TestApp, email: &str) -> i64 {
    let person = person_id(app, email).await;
    let cohort = cohort_id(app).await;
    let joined: i64 = sqlx::query_scalar(
        "SELECT joined_at FROM cohort_members WHERE cohort_id = $1 AND person_id = $2",
    )
    .bind(cohort)
    .bind(person)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    portal::cohorts::discussion::unread_threads(&app.state.pool, cohort, person, joined)
        .await
        .unwrap()
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

/// The emails whose subject starts so, by recipient.
async fn mails(app: &TestApp, subject_start: &str) -> Vec<Mail> {
    app.outbox()
        .await
        .into_iter()
        .filter(|m| m.subject.starts_with(subject_start))
        .collect()
}

fn recipients(mails: &[Mail]) -> Vec<String> {
    let mut to: Vec<String> = mails.iter().map(|m| m.to.clone()).collect();
    to.sort();
    to
}

#[tokio::test]
async fn a_thread_and_its_reply_are_seen_by_another_member_marked_new_until_read() {
    let app = spawn_app().await;
    let w = Fixture::with(&app).planner().build().await;
    let thread = start_thread(
        &w.member,
        "Shut-off moratoriums",
        "Who paused water shut-offs this winter?",
    )
    .await;
    // The author's own thread is not new to them.
    assert!(!listed(&page(&w.member, DISCUSSION).await)[0].new);
    assert_eq!(unread(&app, "advisor@a.gov").await, 0);

    // Another member sees it, new, until they read it.
    assert_eq!(unread(&app, "colleague@a.gov").await, 1);
    let list = listed(&page(&w.colleague, DISCUSSION).await);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].title, "Shut-off moratoriums");
    assert!(list[0].new, "{list:?}");
    assert!(list[0].meta.contains("Advisor A"), "{}", list[0].meta);
    assert!(list[0].meta.contains("0 replies"), "{}", list[0].meta);
    let read = page(&w.colleague, &thread).await;
    let shown = posts(&read);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].author, "Advisor A");
    assert_eq!(shown[0].city, "Lafayette, CO");
    assert_eq!(shown[0].body, "Who paused water shut-offs this winter?");
    assert!(shown[0].new);
    assert!(!listed(&page(&w.colleague, DISCUSSION).await)[0].new);
    assert_eq!(unread(&app, "colleague@a.gov").await, 0);
    assert!(!posts(&page(&w.colleague, &thread).await)[0].new);

    // The colleague answers; the advisor sees the reply, and only it, as new.
    app.state.clock.advance(60);
    let after = reply(&w.colleague, &thread, "We did, from *December* to March.").await;
    assert_eq!(posts(&after).len(), 2);
    assert!(posts(&after).iter().all(|p| !p.new));
    let list = listed(&page(&w.member, DISCUSSION).await);
    assert!(list[0].new);
    assert!(list[0].meta.contains("1 reply"), "{}", list[0].meta);
    assert_eq!(unread(&app, "advisor@a.gov").await, 1);
    let shown = posts(&page(&w.member, &thread).await);
    assert_eq!(
        shown.iter().map(|p| p.author.as_str()).collect::<Vec<_>>(),
        ["Advisor A", "Colleague A"]
    );
    assert_eq!(shown[1].body, "We did, from December to March.");
    assert_eq!((shown[0].new, shown[1].new), (false, true));
    assert!(!listed(&page(&w.member, DISCUSSION).await)[0].new);
    assert!(
        posts(&page(&w.member, &thread).await)
            .iter()
            .all(|p| !p.new)
    );

    // The overview lists it among the latest threads.
    let overview = page(w.planner(), &format!("/cohorts/{SLUG}")).await;
    assert_eq!(
        overview.texts(".latest-threads a"),
        vec!["Shut-off moratoriums"]
    );
}

#[tokio::test]
async fn a_reply_is_emailed_to_those_who_took_part_and_follow_and_to_nobody_else() {
    let app = spawn_app().await;
    let w = Fixture::with(&app).planner().build().await;
    let thread = start_thread(&w.member, "Rate design", "Tiered rates, anyone?").await;
    // The facilitator takes part, then stops following; the planner follows but never posts.
    reply(&w.facilitator, &thread, "We tried three tiers.").await;
    let r = w
        .facilitator
        .post_form(&format!("/cohorts/{SLUG}/following"), &[("follow", "0")])
        .await;
    assert_eq!(r.status(), 200);
    let before = mails(&app, "Colleague A replied").await.len();
    assert_eq!(before, 0);
    // The worker sent the facilitator's reply (an unsent one would take the new one in).
    sent_all(&app).await;
    reply(&w.colleague, &thread, "Two tiers and a **lifeline** rate.").await;

    let sent = mails(&app, "Colleague A replied").await;
    assert_eq!(recipients(&sent), ["advisor@a.gov"]);
    let mail = &sent[0];
    assert_eq!(mail.subject, "Colleague A replied: Rate design");
    // The text part reads as text; the HTML part is the post as its page shows it.
    assert!(
        mail.text.contains("Two tiers and a lifeline rate."),
        "{}",
        mail.text
    );
    assert!(!mail.text.contains("**"), "{}", mail.text);
    let html = scraper::Html::parse_document(&mail.html);
    let strong = Selector::parse("strong").unwrap();
    assert!(
        html.select(&strong)
            .any(|e| e.text().collect::<String>() == "lifeline"),
        "{}",
        mail.html
    );
    assert!(!mail.html.contains("**"), "{}", mail.html);
    let link = mail.link(&app.address, &thread);
    let shown = posts(&page(&w.member, &app.path_of(&link)).await);
    assert_eq!(shown[2].body, "Two tiers and a lifeline rate.");
    // The facilitator's reply reached the advisor, who had posted before it.
    assert_eq!(
        recipients(&mails(&app, "Mayor A replied").await),
        ["advisor@a.gov"]
    );
}

#[tokio::test]
async fn a_new_thread_is_emailed_to_followers_who_may_enter_but_not_its_author_nor_a_lapsed_city() {
    let app = spawn_app().await;
    let w = Fixture::with(&app).planner().build().await;
    let thread = start_thread(
        &w.facilitator,
        "Session one notes",
        "Notes from our first call:\n\n- affordability\n- arrears",
    )
    .await;
    let sent = mails(&app, "New in Water Affordability").await;
    assert_eq!(
        recipients(&sent),
        ["advisor@a.gov", "colleague@a.gov", "planner@a.gov"]
    );
    let mail = app.last_mail_to("planner@a.gov").await;
    assert_eq!(
        mail.subject,
        "New in Water Affordability: Session one notes"
    );
    assert!(mail.text.contains("- arrears"), "{}", mail.text);
    let link = mail.link(&app.address, &thread);
    let read = page(w.planner(), &app.path_of(&link)).await;
    assert_eq!(read.text("#thread-heading"), "Session one notes");
}

#[tokio::test]
async fn ones_own_post_can_be_edited_for_30_minutes_and_is_refused_after() {
    let app = spawn_app().await;
    let w = Fixture::new(&app).await;
    let thread = start_thread(&w.member, "Arrears", "Frist draft").await;
    let shown = posts(&page(&w.member, &thread).await);
    assert_eq!(shown[0].actions, ["Edit"]);
    let read = page(&w.member, &thread).await;
    let edit = read.attr(".post .row-actions a", "href").unwrap();
    // Nobody else may edit it, staff included.
    assert!(
        posts(&page(&w.colleague, &thread).await)[0]
            .actions
            .is_empty()
    );
    assert_eq!(w.colleague.get(&edit).await.status(), 403);
    assert_eq!(w.staff.get(&edit).await.status(), 403);

    app.state.clock.advance(29 * 60);
    let form = page(&w.member, &edit).await;
    assert_eq!(form.status, 200);
    assert_eq!(form.attr("#title", "value").unwrap(), "Arrears");
    assert_eq!(form.text("#body"), "Frist draft");
    let saved = Page::of(
        w.member
            .post_form(
                &edit,
                &[("title", "Arrears forgiveness"), ("body", "First draft")],
            )
            .await,
    )
    .await;
    assert_eq!(saved.status, 200);
    assert_eq!(saved.text("#thread-heading"), "Arrears forgiveness");
    assert_eq!(posts(&saved)[0].body, "First draft");
    assert!(saved.has(".post .edited"));

    // 31 minutes after posting: no Edit link, and the form and the change are refused.
    app.state.clock.advance(2 * 60);
    assert!(posts(&page(&w.member, &thread).await)[0].actions.is_empty());
    let refused = page(&w.member, &edit).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.text("main").contains("30 minutes"),
        "{}",
        refused.text("main")
    );
    let refused = Page::of(
        w.member
            .post_form(&edit, &[("title", "Late"), ("body", "Too late")])
            .await,
    )
    .await;
    assert_eq!(refused.status, 403);
    assert!(refused.text("main").contains("30 minutes"));
    assert_eq!(
        posts(&page(&w.member, &thread).await)[0].body,
        "First draft"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM cohort_threads WHERE title = 'Late'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_hidden_post_disappears_for_members_but_not_for_facilitators_and_restore_brings_it_back()
{
    let app = spawn_app().await;
    let w = Fixture::new(&app).await;
    let thread = start_thread(&w.member, "Billing", "Paper or online?").await;
    reply(&w.colleague, &thread, "Something rude.").await;
    let facilitated = page(&w.facilitator, &thread).await;
    assert_eq!(
        posts(&facilitated)
            .iter()
            .map(|p| p.actions.clone())
            .collect::<Vec<_>>(),
        [vec!["Hide the thread"], vec!["Hide"]]
    );
    let forms: Vec<String> = select(facilitated.html.root_element(), ".row-actions form")
        .into_iter()
        .map(|f| f.value().attr("action").unwrap().to_owned())
        .collect();
    let (hide_thread, hide_reply) = (forms[0].clone(), forms[1].clone());
    // A member may not hide.
    assert_eq!(w.member.post_form(&hide_reply, &[]).await.status(), 403);

    let after = Page::of(w.facilitator.post_form(&hide_reply, &[]).await).await;
    assert_eq!(after.status, 200);
    let shown = posts(&after);
    assert_eq!(shown.len(), 2);
    assert!(shown[1].hidden && !shown[0].hidden);
    assert_eq!(shown[1].actions, ["Restore"]);
    for member in [&w.member, &w.colleague] {
        let shown = posts(&page(member, &thread).await);
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].body, "Paper or online?");
    }
    assert!(
        listed(&page(&w.member, DISCUSSION).await)[0]
            .meta
            .contains("0 replies")
    );
    // Staff see it too.
    assert!(posts(&page(&w.staff, &thread).await)[1].hidden);

    let restore_reply = hide_reply.replace("/hide", "/restore");
    w.facilitator.post_form(&restore_reply, &[]).await;
    let shown = posts(&page(&w.colleague, &thread).await);
    assert_eq!(shown.len(), 2);
    assert_eq!(shown[1].body, "Something rude.");

    // Hiding the opening post hides the thread.
    w.facilitator.post_form(&hide_thread, &[]).await;
    assert!(listed(&page(&w.member, DISCUSSION).await).is_empty());
    assert_eq!(w.member.get(&thread).await.status(), 404);
    assert_eq!(
        w.colleague
            .post_form(&thread, &[("body", "Hello?")])
            .await
            .status(),
        404
    );
    let list = listed(&page(&w.facilitator, DISCUSSION).await);
    assert!(list[0].hidden);
    let overview = page(&w.member, &format!("/cohorts/{SLUG}")).await;
    assert!(overview.texts(".latest-threads a").is_empty());
    w.staff
        .post_form(&hide_thread.replace("/hide", "/restore"), &[])
        .await;
    let list = listed(&page(&w.member, DISCUSSION).await);
    assert_eq!(list.len(), 1);
    assert!(!list[0].hidden);
    assert_eq!(posts(&page(&w.member, &thread).await).len(), 2);
}

#[tokio::test]
async fn people_outside_the_cohort_or_of_a_lapsed_city_get_404_everywhere_and_write_nothing() {
    let app = spawn_app().await;
    let w = Fixture::new(&app).await;
    let thread = start_thread(&w.member, "Private", "Members only.").await;
    reply(&w.colleague, &thread, "Indeed.").await;
    let post: i64 = count(&app, "SELECT MIN(id) FROM cohort_posts").await;
    let post = format!("{thread}/posts/{post}");
    let tables = [
        "SELECT COUNT(*) FROM cohort_threads",
        "SELECT COUNT(*) FROM cohort_posts",
        "SELECT COUNT(*) FROM cohort_reads",
        "SELECT COUNT(*) FROM cohort_posts WHERE hidden_at IS NOT NULL",
        "SELECT COUNT(*) FROM outbox",
        "SELECT COUNT(*) FROM audit_log",
    ];
    let mut before = Vec::new();
    for sql in tables {
        before.push(count(&app, sql).await);
    }
    let form = [("title", "Intruding"), ("body", "Hello")];
    for outsider in [&w.other_city, &w.lapsed] {
        for path in [
            DISCUSSION.to_owned(),
            thread.clone(),
            format!("{post}/edit"),
        ] {
            assert_eq!(outsider.get(&path).await.status(), 404, "GET {path}");
        }
        for path in [
            DISCUSSION.to_owned(),
            thread.clone(),
            format!("{post}/edit"),
            format!("{post}/hide"),
            format!("{post}/restore"),
        ] {
            assert_eq!(
                outsider.post_form(&path, &form).await.status(),
                404,
                "POST {path}"
            );
        }
    }
    let mut after = Vec::new();
    for sql in tables {
        after.push(count(&app, sql).await);
    }
    assert_eq!(before, after);
    // A thread of this cohort under another cohort's address is missing too.
    let r = w
        .staff
        .post_form(
            "/staff/cohorts",
            &[
                ("name", "Data Leaders"),
                ("join_policy", "open"),
                ("visible", "1"),
                ("status", "active"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let elsewhere = thread.replace(SLUG, "data-leaders");
    assert_eq!(w.staff.get(&elsewhere).await.status(), 404);
}

#[tokio::test]
async fn markdown_with_a_script_is_shown_sanitized() {
    let app = spawn_app().await;
    let w = Fixture::new(&app).await;
    let thread = start_thread(
        &w.member,
        "Formatting <b>test</b>",
        "Hello <script>alert('x')</script> **bold** <img src=x onerror=alert(1)> [link](javascript:alert(1))",
    )
    .await;
    let read = page(&w.colleague, &thread).await;
    assert_eq!(read.text("#thread-heading"), "Formatting <b>test</b>");
    assert!(!read.has(".post-body script"));
    assert!(!read.has("#thread-heading b"));
    assert_eq!(read.text(".post-body strong"), "bold");
    assert!(read.attr(".post-body img", "onerror").is_none());
    assert!(
        read.attr(".post-body a", "href")
            .is_none_or(|h| !h.starts_with("javascript"))
    );
}

#[tokio::test]
async fn twenty_replies_sent_at_once_all_land_once_each() {
    let app = spawn_app().await;
    let w = Fixture::with(&app).planner().build().await;
    let thread = start_thread(&w.member, "Busy", "Reply all at once.").await;
    let tasks = (0..20).map(|i| {
        let visitor = if i % 2 == 0 {
            &w.colleague
        } else {
            w.planner()
        };
        let url = visitor.url(&thread);
        let client = visitor.client.clone();
        async move {
            let body = format!("Reply number {i}");
            client
                .post(url)
                .form(&[("body", body.as_str())])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = join_all(tasks).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let shown = posts(&page(&w.member, &thread).await);
    assert_eq!(shown.len(), 21);
    let mut bodies: Vec<String> = shown[1..].iter().map(|p| p.body.clone()).collect();
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), 20);
    assert!(
        listed(&page(&w.member, DISCUSSION).await)[0]
            .meta
            .contains("20 replies")
    );
}

#[tokio::test]
async fn empty_or_oversized_input_comes_back_with_messages_and_writes_nothing() {
    let app = spawn_app().await;
    let w = Fixture::new(&app).await;
    let thread = start_thread(&w.member, "Sizes", "A post.").await;
    let posts_before = count(&app, "SELECT COUNT(*) FROM cohort_posts").await;

    let empty = Page::of(
        w.member
            .post_form(DISCUSSION, &[("title", "  "), ("body", "")])
            .await,
    )
    .await;
    assert_eq!(empty.status, 422);
    assert_eq!(
        empty.texts(".error-summary li"),
        ["Enter a title.", "Enter your message."]
    );
    assert_eq!(empty.text("#body-error"), "Error: Enter your message.");

    let long_title = "t".repeat(201);
    let long_body = "b".repeat(20_001);
    let oversized = Page::of(
        w.member
            .post_form(
                DISCUSSION,
                &[("title", long_title.as_str()), ("body", long_body.as_str())],
            )
            .await,
    )
    .await;
    assert_eq!(oversized.status, 422);
    assert_eq!(
        oversized.texts(".error-summary li"),
        [
            "Use at most 200 characters for a title.",
            "Use at most 20,000 characters for your message."
        ]
    );
    // What was entered comes back to be corrected.
    assert_eq!(oversized.attr("#title", "value").unwrap(), long_title);

    let empty_reply = Page::of(w.colleague.post_form(&thread, &[("body", " ")]).await).await;
    assert_eq!(empty_reply.status, 422);
    assert_eq!(
        empty_reply.texts(".error-summary li"),
        ["Enter your message."]
    );
    assert_eq!(posts(&empty_reply).len(), 1);

    let read = page(&w.member, &thread).await;
    let edit = read.attr(".post .row-actions a", "href").unwrap();
    let empty_edit = Page::of(
        w.member
            .post_form(&edit, &[("title", ""), ("body", &long_body)])
            .await,
    )
    .await;
    assert_eq!(empty_edit.status, 422);
    assert_eq!(
        empty_edit.texts(".error-summary li"),
        [
            "Enter a title.",
            "Use at most 20,000 characters for your message."
        ]
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cohort_posts").await,
        posts_before
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cohort_threads").await, 1);
    assert_eq!(posts(&page(&w.member, &thread).await)[0].body, "A post.");
}

#[tokio::test]
async fn an_archived_cohorts_discussion_is_read_only() {
    let app = spawn_app().await;
    let w = Fixture::new(&app).await;
    let thread = start_thread(&w.member, "Before archiving", "Still here.").await;
    sqlx::query("UPDATE cohorts SET status = 'archived' WHERE slug = $1")
        .bind(SLUG)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let list = page(&w.member, DISCUSSION).await;
    assert_eq!(list.status, 200);
    assert_eq!(listed(&list).len(), 1);
    assert!(!list.has("form textarea"));
    let read = page(&w.facilitator, &thread).await;
    assert_eq!(posts(&read)[0].body, "Still here.");
    assert!(posts(&read)[0].actions.is_empty());
    assert!(!read.has("#reply-heading"));
    let r = w
        .member
        .post_form(DISCUSSION, &[("title", "After"), ("body", "No.")])
        .await;
    assert_eq!(r.status(), 403);
    let r = w.member.post_form(&thread, &[("body", "No.")]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cohort_posts").await, 1);
}

#[tokio::test]
async fn the_discussion_pages_its_threads_twenty_at_a_time_newest_first_forward_and_back() {
    let app = spawn_app().await;
    let w = Fixture::new(&app).await;
    // 45 threads, each a minute after the one before (inserted directly: only the list's
    // paging is under test here).
    let cohort: i64 = sqlx::query_scalar("SELECT id FROM cohorts WHERE slug = $1")
        .bind(SLUG)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let author: i64 = sqlx::query_scalar("SELECT id FROM people WHERE email = 'advisor@a.gov'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let start = app.state.clock.now() - 100 * 60;
    for n in 1..=45_i64 {
        let at = start + n * 60;
        let thread: i64 = sqlx::query_scalar(
            "INSERT INTO cohort_threads (cohort_id, author_id, title, created_at, last_post_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(cohort)
        .bind(author)
        .bind(format!("Thread {n:02}"))
        .bind(at)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO cohort_posts (thread_id, author_id, body, created_at) VALUES ($1, $2, 'Text.', $3)",
        )
        .bind(thread)
        .bind(author)
        .bind(at)
        .execute(&app.state.pool)
        .await
        .unwrap();
    }
    let titles = |p: &Page| p.texts(".thread-list .thread-title a");
    let first = Page::of(w.member.get(DISCUSSION).await).await;
    let expected = |from: i64, to: i64| -> Vec<String> {
        (to..=from)
            .rev()
            .map(|n| format!("Thread {n:02}"))
            .collect()
    };
    assert_eq!(titles(&first), expected(45, 26));
    assert!(!first.has(".numbered-pager a[rel='prev']"));
    let second_href = first.attr("a[rel='next']", "href").unwrap();
    let second = Page::of(w.member.get(&second_href).await).await;
    assert_eq!(titles(&second), expected(25, 6));
    let third = Page::of(
        w.member
            .get(&second.attr("a[rel='next']", "href").unwrap())
            .await,
    )
    .await;
    assert_eq!(titles(&third), expected(5, 1));
    assert!(!third.has("a[rel='next']"));
    // And back: the same pages, none skipped or repeated.
    let back = Page::of(
        w.member
            .get(&third.attr("a[rel='prev']", "href").unwrap())
            .await,
    )
    .await;
    assert_eq!(titles(&back), expected(25, 6));
    // A cursor that is not one names a page that does not exist.
    let junk = w.member.get(&format!("{DISCUSSION}?after=junk")).await;
    assert_eq!(junk.status(), 404);
}

#[tokio::test]
async fn fifty_replies_in_a_burst_queue_one_or_a_few_emails_per_recipient_not_fifty() {
    let app = spawn_app().await;
    let w = Fixture::with(&app).planner().build().await;
    let thread = start_thread(&w.member, "Shut-off moratoria", "Who has one?").await;
    for who in [&w.colleague, w.planner(), &w.facilitator] {
        reply(who, &thread, "We do, in winter.").await;
    }
    sent_all(&app).await;
    let before = app.outbox().await.len();
    let writers = [
        &w.member,
        &w.colleague,
        w.planner(),
        &w.facilitator,
        &w.staff,
    ];
    let burst = (0..50).map(|i| {
        let who = writers[i % writers.len()];
        let thread = thread.clone();
        async move {
            let r = who
                .post_form(&thread, &[("body", &format!("Burst reply number {i}"))])
                .await;
            r.status().as_u16()
        }
    });
    let statuses = join_all(burst).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let posts: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM cohort_posts WHERE body LIKE 'Burst%'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(posts, 50);
    let emails: Vec<Mail> = app.outbox().await.into_iter().skip(before).collect();
    for to in [
        "advisor@a.gov",
        "colleague@a.gov",
        "planner@a.gov",
        "mayor@a.gov",
    ] {
        let theirs: Vec<&Mail> = emails.iter().filter(|m| m.to == to).collect();
        assert!(
            (1..=3).contains(&theirs.len()),
            "{to} has {} emails for 50 replies",
            theirs.len()
        );
        // The email that stands for several says so.
        let merged = theirs
            .iter()
            .find(|m| m.subject.contains("new replies: Shut-off moratoria"));
        let merged = merged.expect("an email standing for several replies");
        assert!(
            merged
                .text
                .contains("replies since the last email about this thread")
        );
    }
}

#[tokio::test]
async fn a_post_past_the_hourly_rate_is_refused_with_a_message_and_the_typed_text() {
    let app = spawn_app().await;
    let w = Fixture::new(&app).await;
    let thread = start_thread(&w.member, "Rates", "How often?").await;
    let advisor_id: i64 = sqlx::query_scalar("SELECT id FROM people WHERE email = 'advisor@a.gov'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let thread_id: i64 = sqlx::query_scalar("SELECT id FROM cohort_threads WHERE title = 'Rates'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    // 59 more posts this hour (the opening post was the first): the limit is 60.
    let now = app.state.clock.now();
    for i in 0..59 {
        sqlx::query(
            "INSERT INTO cohort_posts (thread_id, author_id, body, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(thread_id)
        .bind(advisor_id)
        .bind(format!("earlier post {i}"))
        .bind(now - 600)
        .execute(&app.state.pool)
        .await
        .unwrap();
    }
    let typed = "A careful answer\nwith two lines that must not be lost.";
    let page = Page::of(w.member.post_form(&thread, &[("body", typed)]).await).await;
    assert_eq!(page.status, 429);
    assert_eq!(
        page.text("#unsaved-message"),
        "You have posted 60 times in the last hour, as many as the portal takes from one person. Nothing was posted: your text is below; send it again in 50 minutes."
    );
    assert_eq!(
        page.text("textarea[name=body]"),
        typed.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    let started = Page::of(
        w.member
            .post_form(
                DISCUSSION,
                &[("title", "Another"), ("body", "A new thread")],
            )
            .await,
    )
    .await;
    assert_eq!(started.status, 429);
    assert_eq!(
        started.attr("input[name=title]", "value").as_deref(),
        Some("Another")
    );
    // Someone else still posts; and the advisor does once the hour has passed.
    reply(&w.colleague, &thread, "I can still post.").await;
    app.state.clock.advance(50 * 60);
    reply(&w.member, &thread, typed).await;
}

/// Marks every email in the outbox sent, as the worker would.
async fn sent_all(app: &TestApp) {
    sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $1 WHERE status = 'pending'")
        .bind(app.state.clock.now())
        .execute(&app.state.pool)
        .await
        .unwrap();
}

/// Puts `n` replies by `email` in the thread at `thread_path`, a second apart after the
/// opening post, as replying would (the thread's last activity moves with them); gives their
/// ids in order. Inserted directly: only the reading of a long thread is under test.
async fn many_replies(app: &TestApp, thread_path: &str, email: &str, n: i64) -> Vec<i64> {
    let thread: i64 = thread_path.rsplit('/').next().unwrap().parse().unwrap();
    let author = person_id(app, email).await;
    let start: i64 = sqlx::query_scalar("SELECT created_at FROM cohort_posts WHERE thread_id = $1")
        .bind(thread)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 1..=n {
        let body = format!("Reply number {}.", i + 1);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO cohort_posts (thread_id, author_id, body, body_html, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(thread)
        .bind(author)
        .bind(&body)
        .bind(format!("<p>{body}</p>"))
        .bind(start + i)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
        ids.push(id);
    }
    sqlx::query("UPDATE cohort_threads SET last_post_at = $1 WHERE id = $2")
        .bind(start + n)
        .bind(thread)
        .execute(&app.state.pool)
        .await
        .unwrap();
    app.state.clock.advance(n + 60);
    ids
}

/// Records that `email` has read the thread up to `read_at`, as opening a page does.
async fn read_up_to(app: &TestApp, thread_path: &str, email: &str, read_at: i64) {
    let thread: i64 = thread_path.rsplit('/').next().unwrap().parse().unwrap();
    sqlx::query(
        "INSERT INTO cohort_reads (thread_id, person_id, read_at) VALUES ($1, $2, $3) \
         ON CONFLICT (thread_id, person_id) DO UPDATE SET read_at = excluded.read_at",
    )
    .bind(thread)
    .bind(person_id(app, email).await)
    .bind(read_at)
    .execute(&app.state.pool)
    .await
    .unwrap();
}

/// Where a request sends `email`: the address of its 303, with the `#post-` anchor that a
/// browser keeps and a followed redirect drops. A form is POSTed; without one, a GET.
async fn sent_to(app: &TestApp, email: &str, path: &str, form: Option<&[(&str, &str)]>) -> String {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(app.url("/login"))
        .form(&[
            ("email", email),
            ("password", crate::support::MEMBER_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = match form {
        Some(form) => client.post(app.url(path)).form(form).send().await,
        None => client.get(app.url(path)).send().await,
    }
    .unwrap();
    assert_eq!(r.status(), 303, "{path}");
    r.headers()["location"].to_str().unwrap().to_owned()
}

/// The numbers of the posts a thread page shows, as a reader counts them (the list's own
/// numbering, from its `start`).
fn post_numbers(page: &Page) -> Vec<i64> {
    let start: i64 = page
        .attr(".post-list", "start")
        .map_or(1, |s| s.parse().unwrap());
    (start..).take(posts(page).len()).collect()
}

#[tokio::test]
async fn a_long_thread_shows_fifty_posts_a_page_and_opens_at_the_readers_first_unread_reply() {
    let app = spawn_app().await;
    let w = Fixture::new(&app).await;
    let thread = start_thread(&w.facilitator, "Rate design", "Post one.").await;
    // Posts 2 to 121: the opening post and 120 replies.
    let mut ids = vec![0];
    ids.extend(many_replies(&app, &thread, "colleague@a.gov", 120).await);
    let post = |n: usize| ids[n - 1];
    // The advisor has read up to post 70.
    let post_70_at: i64 = sqlx::query_scalar("SELECT created_at FROM cohort_posts WHERE id = $1")
        .bind(post(70))
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    read_up_to(&app, &thread, "advisor@a.gov", post_70_at).await;

    // The discussion list leads them to post 71.
    let list = page(&w.member, DISCUSSION).await;
    let href = list.attr(".thread-list .thread-title a", "href").unwrap();
    assert_eq!(href, format!("{thread}#post-{}", post(71)));

    // Opening the thread shows the page holding post 71: posts 51 to 100, not all 121.
    let opened = page(&w.member, &thread).await;
    assert_eq!(opened.status, 200);
    assert_eq!(post_numbers(&opened), (51..=100).collect::<Vec<_>>());
    assert_eq!(
        opened.attr(".post-list .post", "id").unwrap(),
        format!("post-{}", post(51))
    );
    assert_eq!(opened.text(".first-unread a"), "First unread reply");
    assert_eq!(
        opened.attr(".first-unread a", "href").unwrap(),
        format!("{thread}?page=2#post-{}", post(71))
    );
    assert!(opened.has(&format!("#post-{} .badge.new", post(71))));
    assert!(!opened.has(&format!("#post-{} .badge.new", post(70))));
    assert_eq!(opened.text(".numbered-pager .page-count"), "Page 2 of 3");
    assert_eq!(
        opened
            .attr(".numbered-pager a[rel='prev']", "href")
            .unwrap(),
        thread
    );
    assert_eq!(
        opened
            .attr(".numbered-pager a[rel='next']", "href")
            .unwrap(),
        format!("{thread}?page=3")
    );
    assert_eq!(
        opened
            .attr(".numbered-pager a[aria-current='page']", "href")
            .unwrap(),
        format!("{thread}?page=2")
    );
    // The reply form is on the last page; this one links to it.
    assert!(!opened.has("#reply-heading"));
    assert_eq!(
        opened.attr("a[href$='#reply-heading']", "href").unwrap(),
        format!("{thread}?page=3#reply-heading")
    );

    // Reading page 2 read up to post 100, not the whole thread: next time, post 101.
    let again = page(&w.member, &thread).await;
    assert_eq!(post_numbers(&again), (101..=121).collect::<Vec<_>>());
    assert_eq!(
        again.attr(".first-unread a", "href").unwrap(),
        format!("{thread}?page=3#post-{}", post(101))
    );
    assert!(again.has("#reply-heading"));
    assert!(!again.has(".numbered-pager a[rel='next']"));

    // The first page, asked for: posts 1 to 50, the opening post first.
    let first = page(&w.member, &format!("{thread}?page=1")).await;
    assert_eq!(post_numbers(&first), (1..=50).collect::<Vec<_>>());
    assert_eq!(posts(&first)[0].body, "Post one.");
    assert!(!first.has(".numbered-pager a[rel='prev']"));

    // Pages that are not: a clear 404, never a 500.
    for bad in ["abc", "0", "-1", "4", "99999", "99999999999999999999"] {
        let r = page(&w.member, &format!("{thread}?page={bad}")).await;
        assert_eq!(r.status, 404, "?page={bad}");
        assert!(r.has("h1"), "?page={bad}");
    }
}

#[tokio::test]
async fn a_reply_to_a_long_thread_lands_on_the_last_page_at_the_reply() {
    let app = spawn_app().await;
    let w = Fixture::with(&app).planner().build().await;
    let thread = start_thread(&w.facilitator, "Rate design", "Post one.").await;
    let replies = many_replies(&app, &thread, "colleague@a.gov", 120).await;
    let to = sent_to(
        &app,
        "advisor@a.gov",
        &thread,
        Some(&[("body", "My own reply, post 122.")]),
    )
    .await;
    let new_id: i64 = sqlx::query_scalar("SELECT MAX(id) FROM cohort_posts")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(to, format!("{thread}?page=3#post-{new_id}"));
    let after = page(&w.member, &to).await;
    assert_eq!(post_numbers(&after), (101..=122).collect::<Vec<_>>());
    assert_eq!(
        posts(&after).last().unwrap().body,
        "My own reply, post 122."
    );
    assert!(after.has(&format!("#post-{new_id}")));
    assert!(after.has("#reply-heading"));
    // The post's own address (in emails) goes to the same page.
    let own = sent_to(
        &app,
        "planner@a.gov",
        &format!("{thread}/posts/{new_id}"),
        None,
    )
    .await;
    assert_eq!(own, format!("{thread}?page=3#post-{new_id}"));
    // Hiding a post goes back to the page that holds it: the first reply, on page 1; the
    // new reply, on page 3.
    let first_reply = replies[0];
    for (id, back) in [
        (first_reply, format!("{thread}#post-{first_reply}")),
        (new_id, format!("{thread}?page=3#post-{new_id}")),
    ] {
        let hide = format!("{thread}/posts/{id}/hide");
        assert_eq!(sent_to(&app, "mayor@a.gov", &hide, Some(&[])).await, back);
    }
}

#[tokio::test]
async fn a_post_emailed_shows_its_markdown_rendered_in_html_and_as_plain_text_never_as_marks() {
    let app = spawn_app().await;
    let w = Fixture::with(&app).planner().build().await;
    start_thread(
        &w.facilitator,
        "Shut-offs",
        "Read **this** > then https://example.org/report.\n\n<script>alert(1)</script>\n\n- one",
    )
    .await;
    let mail = app.last_mail_to("planner@a.gov").await;
    assert_eq!(
        mail.text
            .lines()
            .skip_while(|l| !l.starts_with("Read"))
            .take(3)
            .collect::<Vec<_>>(),
        ["Read this > then https://example.org/report.", "", "- one"],
        "{}",
        mail.text
    );
    for mark in ["**", "&#62;", "&gt;", "<script"] {
        assert!(!mail.text.contains(mark), "{mark} in {}", mail.text);
    }
    assert!(
        !mail.html.contains("**") && !mail.html.contains("&#62;"),
        "{}",
        mail.html
    );
    assert!(!mail.html.contains("<script"), "{}", mail.html);
    let html = scraper::Html::parse_document(&mail.html);
    let link = Selector::parse("a[href=\"https://example.org/report\"]").unwrap();
    assert_eq!(
        html.select(&link)
            .next()
            .map(|a| a.text().collect::<String>()),
        Some("https://example.org/report".to_owned())
    );
    let strong = Selector::parse("strong").unwrap();
    assert!(
        html.select(&strong)
            .any(|e| e.text().collect::<String>() == "this")
    );
    // The post's page shows the bare address as a link too.
    let thread = app.path_of(&mail.link(&app.address, DISCUSSION));
    let page = page(w.planner(), &thread).await;
    assert_eq!(
        page.attr(".post-body a", "href").as_deref(),
        Some("https://example.org/report")
    );
}

#[tokio::test]
async fn after_a_reply_the_thread_opens_at_it_and_the_focus_can_land_there() {
    let app = spawn_app().await;
    let w = Fixture::new(&app).await;
    let thread = start_thread(&w.member, "Lead lines", "Who has replaced them all?").await;
    // The redirect names the new post (#post-N); the page holds it as a target the focus
    // can take.
    let after = reply(&w.colleague, &thread, "We have, in 2024.").await;
    let newest: i64 = count(&app, "SELECT MAX(id) FROM cohort_posts").await;
    let target = format!("li#post-{newest}");
    assert_eq!(
        after.attr(&target, "tabindex").as_deref(),
        Some("-1"),
        "the new reply can take the focus"
    );
    assert!(after.text(&target).contains("We have, in 2024."));
    // The script that moves the focus to the #post-N the redirect named is on the page.
    let script = after.attr("script[src*='form']", "src").unwrap();
    let js = w.colleague.get(&script).await.text().await.unwrap();
    assert!(js.contains("#post-") && js.contains("post.focus()"), "{js}");
}
