//! Publications: staff publish for everyone, members or chosen cohorts; readers list, read and
//! download only what they may (everyone else gets the 404, on the direct download address
//! too); the text inside a PDF is found by search, for those who may read it.

use reqwest::multipart::{Form, Part};

use crate::{
    fixture::{Fixture, SLUG},
    support::{Page, TestApp, Visitor, spawn_app},
};

/// Sends the publishing form as `who`, with these fields over good defaults.
pub async fn publish(
    who: &Visitor,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, Vec<u8>)>,
) -> Page {
    let mut values: Vec<(String, String)> = vec![
        ("title".into(), "Lead service lines".into()),
        ("summary".into(), "What cities did.".into()),
        ("published_on".into(), "2026-11-30".into()),
        ("kind".into(), "brief".into()),
        ("visibility".into(), "members".into()),
        ("status".into(), "published".into()),
    ];
    for (k, v) in fields {
        match values.iter_mut().find(|(n, _)| n == k && *k != "cohort") {
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
    Page::of(
        who.client
            .post(who.url(path))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn pdf(heading: &str, line: &str) -> Vec<u8> {
    portal::demo::cohorts::pdf(heading, &[line])
}

async fn cohort_id(app: &TestApp) -> String {
    let id: i64 = sqlx::query_scalar("SELECT id FROM cohorts WHERE slug = $1")
        .bind(SLUG)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    id.to_string()
}

#[tokio::test]
async fn members_read_the_brief_a_cohort_its_toolkit_and_nobody_else_either_even_by_address() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let cohort = cohort_id(&app).await;
    let brief = publish(
        &net.staff,
        "/staff/publications/new",
        &[("title", "Lead service lines brief")],
        Some((
            "brief.pdf",
            pdf(
                "Lead lines",
                "Replace the zirconium gooseneck connectors first.",
            ),
        )),
    )
    .await;
    assert_eq!(
        brief.path(),
        "/publications/lead-service-lines-brief",
        "{:?}",
        brief.texts(".error-summary li")
    );
    assert!(brief.text(".flash").contains("is published"));
    assert!(brief.text("main .actions").contains("Download the PDF"));
    let toolkit = publish(
        &net.staff,
        "/staff/publications/new",
        &[
            ("title", "Rate design toolkit"),
            ("kind", "toolkit"),
            ("visibility", "cohorts"),
            ("cohort", &cohort),
        ],
        Some((
            "toolkit.pdf",
            pdf("Rates", "Tiered quokka pricing for every household."),
        )),
    )
    .await;
    assert_eq!(toolkit.path(), "/publications/rate-design-toolkit");
    let public = publish(
        &net.staff,
        "/staff/publications/new",
        &[
            ("title", "Annual report"),
            ("kind", "report"),
            ("visibility", "public"),
        ],
        Some(("report.pdf", pdf("Annual report", "A year of the network."))),
    )
    .await;
    assert_eq!(public.path(), "/publications/annual-report");

    let statuses: Vec<(String, String)> =
        sqlx::query_as("SELECT text_status, body_text FROM publication_files ORDER BY id")
            .fetch_all(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(statuses[0].0, "found", "{statuses:?}");
    assert!(
        statuses[0].1.contains("zirconium gooseneck"),
        "{statuses:?}"
    );
    let brief = "/publications/lead-service-lines-brief";
    let toolkit = "/publications/rate-design-toolkit";
    let anon = app.visitor();
    // (who, reads the brief, reads the toolkit)
    for (who, name, reads_brief, reads_toolkit) in [
        (&anon, "the public", false, false),
        (&net.member, "a cohort member", true, true),
        (
            &net.other_city,
            "another city's mayor, in no cohort",
            true,
            false,
        ),
        (&net.lapsed, "a lapsed city's mayor", false, false),
        (&net.staff, "staff", true, true),
    ] {
        for (path, reads) in [(brief, reads_brief), (toolkit, reads_toolkit)] {
            for suffix in ["", "/download"] {
                let status = who.get(&format!("{path}{suffix}")).await.status().as_u16();
                assert_eq!(
                    status,
                    if reads { 200 } else { 404 },
                    "{name}: {path}{suffix}"
                );
            }
        }
        let list = Page::of(who.get("/publications").await).await;
        let titles = list.texts(".publications h3");
        assert!(titles.contains(&"Annual report".to_owned()), "{name}");
        assert_eq!(
            titles.contains(&"Lead service lines brief".to_owned()),
            reads_brief,
            "{name}"
        );
        assert_eq!(
            titles.contains(&"Rate design toolkit".to_owned()),
            reads_toolkit,
            "{name}"
        );
        // A phrase inside each PDF: found by those who may read it, by nobody else.
        for (q, reads) in [
            ("zirconium gooseneck", reads_brief),
            ("quokka", reads_toolkit),
        ] {
            let found =
                Page::of(who.get(&format!("/search?q={}", q.replace(' ', "+"))).await).await;
            assert_eq!(
                found.has(".result-publication h3 a"),
                reads,
                "{name} searching {q}: {}",
                found.text("main")
            );
            if !reads {
                assert!(
                    !found.text("main").contains("Lead service lines brief")
                        && !found.text("main").contains("Rate design")
                );
            }
        }
    }
    // The download: the file's name, its type, nosniff, an ETag, and Range.
    let r = net.member.get(&format!("{brief}/download")).await;
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("brief.pdf")
    );
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let whole = r.bytes().await.unwrap();
    let part = net
        .member
        .client
        .get(net.member.url(&format!("{brief}/download")))
        .header("Range", "bytes=0-7")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(&part.bytes().await.unwrap()[..], &whole[..8]);
    let past = net
        .member
        .client
        .get(net.member.url(&format!("{brief}/download")))
        .header("Range", format!("bytes={}-", whole.len() + 10))
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), 416);
    let same = net
        .member
        .client
        .get(net.member.url(&format!("{brief}/download")))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 304);
    // Downloads count per city, for staff.
    let list = Page::of(net.staff.get("/staff/publications").await).await;
    assert!(
        list.text("main").contains("from 1 city"),
        "{}",
        list.text("main")
    );
    // The member home lists the newest the person may read.
    let home = Page::of(net.other_city.get("/home").await).await;
    let panel = home.text("section[aria-labelledby='panel-publications']");
    assert!(
        panel.contains("Lead service lines brief") && !panel.contains("Rate design"),
        "{panel}"
    );
}

#[tokio::test]
async fn a_new_version_serves_at_the_same_address_and_a_draft_is_staffs_alone() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    publish(
        &net.staff,
        "/staff/publications/new",
        &[],
        Some(("v1.pdf", pdf("One", "first edition"))),
    )
    .await;
    let edit = "/staff/publications/lead-service-lines/edit";
    let page = publish(
        &net.staff,
        edit,
        &[],
        Some(("v2.pdf", pdf("Two", "second edition"))),
    )
    .await;
    assert!(page.text(".flash").contains("is published"));
    let r = net
        .member
        .get("/publications/lead-service-lines/download")
        .await;
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("v2.pdf")
    );
    let form = Page::of(net.staff.get(edit).await).await;
    let versions = form.texts(".history li");
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert!(
        versions[0].starts_with("Version 2: v2.pdf")
            && versions[1].starts_with("Version 1: v1.pdf")
    );
    // Back to a draft: out of the list, the page, the download and search for members.
    publish(&net.staff, edit, &[("status", "draft")], None).await;
    for path in [
        "/publications/lead-service-lines",
        "/publications/lead-service-lines/download",
    ] {
        assert_eq!(net.member.get(path).await.status(), 404, "{path}");
        assert_eq!(net.staff.get(path).await.status(), 200, "{path}");
    }
    let found = Page::of(net.member.get("/search?q=edition").await).await;
    assert!(!found.has(".result-publication h3 a"));
}

#[tokio::test]
async fn bad_files_and_choices_are_refused_in_words_and_a_hostile_pdf_is_kept_without_text() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let new = "/staff/publications/new";
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    exe.extend(vec![0u8; 4096]);
    let page = publish(&net.staff, new, &[], Some(("brief.pdf", exe))).await;
    assert_eq!(page.status, 422);
    assert!(
        page.text("#file-error").contains("Programs and scripts"),
        "{}",
        page.text("#file-error")
    );
    let page = publish(&net.staff, new, &[("visibility", "cohorts")], None).await;
    assert!(
        page.text(".error-summary")
            .contains("Choose at least one cohort")
    );
    let page = publish(
        &net.staff,
        new,
        &[("external_url", "javascript:alert(1)"), ("kind", "poster")],
        None,
    )
    .await;
    let summary = page.text(".error-summary");
    assert!(
        summary.contains("https://") && summary.contains("type of publication"),
        "{summary}"
    );
    let page = publish(&net.staff, new, &[], None).await;
    assert!(
        page.text(".error-summary")
            .contains("Add a file or a link before publishing")
    );
    let count = |app: &TestApp| {
        let pool = app.state.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM publications")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(count(&app).await, 0, "nothing half-written");
    // A truncated PDF, and one whose content is garbage: kept, said to have no text.
    let truncated = pdf("Cut", "cut short")[..60].to_vec();
    let page = publish(
        &net.staff,
        new,
        &[("title", "Truncated")],
        Some(("cut.pdf", truncated)),
    )
    .await;
    assert_eq!(
        page.path(),
        "/publications/truncated",
        "{:?}",
        page.texts(".error-summary li")
    );
    let form = Page::of(net.staff.get("/staff/publications/truncated/edit").await).await;
    assert!(
        form.text(".history").contains("could not be read")
            || form.text(".history").contains("no text"),
        "{}",
        form.text(".history")
    );
    // The same address twice: said, nothing kept of the second.
    let page = publish(
        &net.staff,
        new,
        &[
            ("title", "Truncated"),
            ("external_url", "https://example.org/x"),
        ],
        None,
    )
    .await;
    assert!(
        page.text(".error-summary")
            .contains("Another publication has this address")
    );
    assert_eq!(count(&app).await, 1);
    // Members cannot publish.
    assert_eq!(net.facilitator.get(new).await.status(), 403);
    let crafted = publish(
        &net.facilitator,
        new,
        &[("external_url", "https://example.org/x")],
        None,
    )
    .await;
    assert_eq!(crafted.status, 403);
    assert_eq!(count(&app).await, 1);
}

/// The demo's publications (called from the demo's test, in `news`).
pub async fn the_demo_publications_are_alive(app: &TestApp, report: &portal::demo::Report) {
    let login = |name: &str| {
        let l = report
            .logins
            .iter()
            .find(|l| l.1.starts_with(name))
            .unwrap();
        (l.2.clone(), l.3.clone())
    };
    let public = Page::of(app.visitor().get("/publications").await).await;
    assert_eq!(
        public.texts(".publications h3").len(),
        3,
        "{:?}",
        public.texts(".publications h3")
    );
    let staff = app.visitor();
    let (email, password) = login("Alex Rivera");
    staff.log_in(&email, &password).await;
    let list = Page::of(staff.get("/staff/publications").await).await;
    assert_eq!(list.texts("tbody tr").len(), 12);
    assert!(list.text("tbody").contains("Draft"));
    let first = Page::of(
        staff
            .get("/staff/publications/the-state-of-mayoral-innovation-2026/edit")
            .await,
    )
    .await;
    assert_eq!(first.texts(".history li").len(), 2, "two versions");
    // Andre Whitaker, mayor of Durham, is in no cohort: he finds a members' brief by a phrase
    // of its PDF, never a cohort's toolkit.
    let luis = app.visitor();
    let (email, password) = login("Andre Whitaker");
    luis.log_in(&email, &password).await;
    let found = Page::of(luis.get("/search?q=daycares").await).await;
    assert_eq!(
        found.texts(".result-publication h3"),
        ["Lead Service Line Replacement: Where to Start"]
    );
    let hidden = Page::of(luis.get("/search?q=lifeline+tier").await).await;
    assert!(
        hidden.texts(".result-publication h3").is_empty(),
        "{:?}",
        hidden.texts(".result-publication h3")
    );
    assert_eq!(
        luis.get("/publications/tiered-water-rates-toolkit/download")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn a_readable_match_ranked_below_hundreds_the_reader_may_not_open_is_still_found() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    // 450 documents of a cohort nobody here is in, each full of the word.
    let mut conn = app.state.pool.acquire().await.unwrap();
    for i in 0..450 {
        portal::search::put(
            &mut conn,
            &portal::search::Doc {
                kind: "thread",
                ref_id: 100_000 + i,
                title: "Water water water".to_owned(),
                body: "Water, water and more water.".to_owned(),
                url: format!("/cohorts/elsewhere/discussion/{i}"),
                context: "Elsewhere".to_owned(),
                at: 0,
                visible_from: 0,
                access: vec![portal::search::Access::Cohort(999_999)],
            },
        )
        .await
        .unwrap();
    }
    drop(conn);
    publish(
        &net.staff,
        "/staff/publications/new",
        &[
            ("title", "Rates report"),
            (
                "summary",
                "A long summary that mentions water once among many other words about budgets.",
            ),
        ],
        Some(("r.pdf", pdf("Rates", "Budgets"))),
    )
    .await;
    let found = Page::of(net.other_city.get("/search?q=water").await).await;
    assert_eq!(found.texts(".result-publication h3"), ["Rates report"]);
    assert!(found.texts(".result-thread h3").is_empty());
    assert!(!found.text("main").contains("Elsewhere"));
    // Staff, who may open all, get a page of the best, and the next pages by cursor: every
    // one of the 450 once.
    let mut seen = std::collections::HashSet::new();
    let mut next = Some("/search?q=water&kind=thread".to_owned());
    let mut pages = 0;
    while let Some(path) = next {
        let page = Page::of(net.staff.get(&path).await).await;
        let titles = page.texts(".result-thread h3 a");
        assert!(titles.len() <= 20);
        let sel = scraper::Selector::parse(".result-thread h3 a").unwrap();
        for a in page.html.select(&sel) {
            assert!(
                seen.insert(a.value().attr("href").unwrap().to_owned()),
                "twice"
            );
        }
        next = page.attr("a[rel=next]", "href");
        pages += 1;
    }
    assert_eq!(seen.len(), 450);
    assert_eq!(pages, 23);
}
