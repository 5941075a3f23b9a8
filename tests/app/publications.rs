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
    let parts = file.map(|(name, bytes)| ("file", name, bytes));
    publish_parts(who, path, fields, parts.into_iter().collect()).await
}

/// The publishing form with these file parts: (part, file name, bytes).
pub async fn publish_parts(
    who: &Visitor,
    path: &str,
    fields: &[(&str, &str)],
    parts: Vec<(&str, &str, Vec<u8>)>,
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
        match values
            .iter_mut()
            .find(|(n, _)| n == k && *k != "cohort" && *k != "topic")
        {
            Some(slot) => slot.1 = (*v).to_owned(),
            None => values.push(((*k).to_owned(), (*v).to_owned())),
        }
    }
    let mut form = Form::new();
    for (k, v) in values {
        form = form.text(k, v);
    }
    for (part, name, bytes) in parts {
        form = form.part(
            part.to_owned(),
            Part::bytes(bytes).file_name(name.to_owned()),
        );
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
    // A picture as the file: the message names what a publication may be, and no picture.
    let page = publish(&net.staff, new, &[], Some(("brief.png", cover()))).await;
    assert_eq!(
        page.text("#file-error"),
        "Error: Files of this type are not accepted. Add a PDF, a Word, Excel or PowerPoint \
         document, or a CSV or text file."
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
    // 520 documents of a cohort nobody here is in, each full of the word.
    let mut conn = app.state.pool.acquire().await.unwrap();
    for i in 0..520 {
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
    // Staff, who may open all, get a page of the best, and the next pages by cursor: the best
    // of the 200 most recent matches, each once, then a pointer to the newest-first order,
    // which reaches every one of the 520.
    for (sort, all) in [("", 200), ("&sort=new", 520)] {
        let mut seen = std::collections::HashSet::new();
        let mut next = Some(format!("/search?q=water&kind=thread{sort}"));
        let mut last = None;
        while let Some(path) = next {
            let page = Page::of(net.staff.get(&path).await).await;
            let sel = scraper::Selector::parse(".result-thread h3 a").unwrap();
            let links: Vec<_> = page.html.select(&sel).collect();
            assert!(links.len() <= 20);
            for a in links {
                assert!(
                    seen.insert(a.value().attr("href").unwrap().to_owned()),
                    "twice"
                );
            }
            next = page.attr("a[rel=next]", "href");
            last = Some(page);
        }
        assert_eq!(seen.len(), all, "{sort}");
        assert_eq!(last.unwrap().has(".search-more"), sort.is_empty());
    }
}

#[tokio::test]
async fn topics_filter_the_list_unpublish_takes_it_offline_and_staff_get_downloads_per_month() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    for name in ["Water", "Housing"] {
        net.staff
            .post_form("/staff/topics", &[("name", name)])
            .await;
    }
    let topic = |name: &'static str| {
        let pool = app.state.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT id FROM topics WHERE name = $1")
                .bind(name)
                .fetch_one(&pool)
                .await
                .unwrap()
                .to_string()
        }
    };
    let (water, housing) = (topic("Water").await, topic("Housing").await);
    let saved = publish(
        &net.staff,
        "/staff/publications/new",
        &[
            ("title", "Rate relief"),
            ("topic", &water),
            ("topic", &housing),
            ("topic", "999999"),
        ],
        Some(("r.pdf", pdf("Rate relief", "Relief"))),
    )
    .await;
    assert_eq!(saved.path(), "/publications/rate-relief");
    assert_eq!(saved.texts(".facts dd a"), ["Housing", "Water"]);
    publish(
        &net.staff,
        "/staff/publications/new",
        &[("title", "Zoning basics"), ("topic", &housing)],
        Some(("z.pdf", pdf("Zoning", "Basics"))),
    )
    .await;
    let member = &net.member;
    let list = |q: &'static str| async move {
        Page::of(member.get(&format!("/publications{q}")).await)
            .await
            .texts(".publications h3")
    };
    assert_eq!(list("?topic=water").await, ["Rate relief"]);
    assert_eq!(list("?topic=housing").await.len(), 2);
    assert!(list("?topic=nothing-here").await.is_empty());
    let page = Page::of(net.member.get("/publications").await).await;
    assert_eq!(
        page.texts("#topic option"),
        ["Any", "Housing", "Water"],
        "the topics offered"
    );

    // Two downloads from the member's city and one from another city, this month.
    for who in [&net.member, &net.member, &net.other_city] {
        assert_eq!(
            who.get("/publications/rate-relief/download").await.status(),
            200
        );
    }
    let csv = net.staff.get("/staff/publications/downloads.csv").await;
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    let month = app
        .state
        .config
        .time_zone
        .iso_date(app.state.clock.now())
        .chars()
        .take(7)
        .collect::<String>();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "\"Month\",\"Publication\",\"Address\",\"City\",\"Downloads\""
    );
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "\"{month}\",\"Rate relief\",\"/publications/rate-relief\","
        )) && l.ends_with(",\"2\"")),
        "{text}"
    );
    assert_eq!(
        net.member
            .get("/staff/publications/downloads.csv")
            .await
            .status(),
        403
    );

    // Unpublished: a draft, out of the list, the search and the download, for readers; kept
    // for staff with its versions.
    let done = Page::of(
        net.staff
            .post_form("/staff/publications/rate-relief/unpublish", &[])
            .await,
    )
    .await;
    assert_eq!(
        done.text(".flash"),
        "“Rate relief” is a draft now: only staff see it."
    );
    assert_eq!(list("?topic=water").await, Vec::<String>::new());
    for path in [
        "/publications/rate-relief",
        "/publications/rate-relief/download",
    ] {
        assert_eq!(net.member.get(path).await.status(), 404, "{path}");
    }
    assert!(
        Page::of(net.member.get("/search?q=relief").await)
            .await
            .texts(".results h3")
            .is_empty()
    );
    assert_eq!(
        net.staff.get("/publications/rate-relief").await.status(),
        200
    );
    assert_eq!(
        net.member
            .post_form("/staff/publications/zoning-basics/unpublish", &[])
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn new_versions_uploaded_at_once_each_get_their_own_number() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    publish(
        &net.staff,
        "/staff/publications/new",
        &[("title", "Busy brief")],
        Some(("v.pdf", pdf("Busy", "First"))),
    )
    .await;
    let uploads = (0..12).map(|i| {
        let staff = &net.staff;
        async move {
            publish(
                staff,
                "/staff/publications/busy-brief/edit",
                &[("title", "Busy brief"), ("slug", "busy-brief")],
                Some((&format!("v{i}.pdf"), pdf("Busy", &format!("Version {i}")))),
            )
            .await
            .path()
            .to_owned()
        }
    });
    let paths = futures_util::future::join_all(uploads).await;
    assert!(
        paths.iter().all(|p| p == "/publications/busy-brief"),
        "{paths:?}"
    );
    let versions: Vec<i64> = sqlx::query_scalar(
        "SELECT v.version FROM publication_files v JOIN publications p ON p.id = v.publication_id \
         WHERE p.slug = 'busy-brief' ORDER BY v.version",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(versions, (1..=13).collect::<Vec<i64>>());
}

#[tokio::test]
async fn a_facilitator_publishes_for_their_cohort_from_its_space_and_for_no_other() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let path = format!("/cohorts/{SLUG}/publish");
    let mine = cohort_id(&app).await;
    crate::fixture::create_cohort(
        &net.staff,
        "Broadband Equity",
        &[("join_policy", "open"), ("visible", "1")],
    )
    .await;
    let theirs: i64 = sqlx::query_scalar("SELECT id FROM cohorts WHERE slug = $1")
        .bind("broadband-equity")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let theirs = theirs.to_string();
    // The cohort's resources lead facilitators here; the form offers the cohorts they lead.
    let resources = Page::of(
        net.facilitator
            .get(&format!("/cohorts/{SLUG}/resources"))
            .await,
    )
    .await;
    assert!(resources.has(&format!("a[href='{path}']")));
    let plain = Page::of(net.member.get(&format!("/cohorts/{SLUG}/resources")).await).await;
    assert!(!plain.has(&format!("a[href='{path}']")));
    let form = Page::of(net.facilitator.get(&path).await).await;
    assert_eq!(form.status, 200);
    assert_eq!(form.h1(), "Publish for Water Affordability");
    assert_eq!(form.texts("#visibility label"), ["Water Affordability"]);
    assert!(!form.has("#status"), "published at once");
    // Members who do not lead it are told; other cities do not learn it exists.
    assert_eq!(net.member.get(&path).await.status(), 403);
    assert_eq!(net.other_city.get(&path).await.status(), 404);
    assert_eq!(app.visitor().get(&path).await.url().path(), "/login");

    // A crafted audience: another cohort, members at large, the public: refused in words,
    // nothing written.
    for fields in [
        vec![("visibility", "cohorts"), ("cohort", theirs.as_str())],
        vec![
            ("visibility", "cohorts"),
            ("cohort", mine.as_str()),
            ("cohort", theirs.as_str()),
        ],
        vec![("visibility", "members")],
        vec![("visibility", "public")],
    ] {
        let mut all = vec![("title", "Shutoff playbook")];
        all.extend(fields.iter().copied());
        let page = publish(
            &net.facilitator,
            &path,
            &all,
            Some(("p.pdf", pdf("Playbook", "Shutoffs"))),
        )
        .await;
        assert_eq!(page.status, 422, "{fields:?}");
        assert!(
            page.text("#visibility .field-error")
                .contains("cohorts you lead"),
            "{}",
            page.text("#visibility")
        );
    }
    let none: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM publications")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(none, 0);

    let done = publish(
        &net.facilitator,
        &path,
        &[
            ("title", "Shutoff playbook"),
            ("visibility", "cohorts"),
            ("cohort", &mine),
            ("status", "draft"),
        ],
        Some(("p.pdf", pdf("Playbook", "Moratorium steps"))),
    )
    .await;
    assert_eq!(done.path(), "/publications/shutoff-playbook");
    assert_eq!(done.text(".flash"), "“Shutoff playbook” is published.");
    // The cohort's members read it and find it; nobody else does.
    for (who, reads) in [
        (&net.member, true),
        (&net.facilitator, true),
        (&net.staff, true),
        (&net.other_city, false),
    ] {
        let status = who
            .get("/publications/shutoff-playbook/download")
            .await
            .status();
        assert_eq!(status, if reads { 200 } else { 404 });
        let found = Page::of(who.get("/search?q=moratorium+steps").await).await;
        assert_eq!(found.has(".result-publication"), reads);
    }
}

#[tokio::test]
async fn a_new_publication_emails_those_who_may_read_it_and_follow_its_cohort_or_asked_once() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    // Mayor B (another city) and Mayor C (a lapsed city, in the cohort) ask for publication
    // news; Advisor A does not, and follows the cohort.
    for who in [&net.other_city, &net.lapsed] {
        let page = Page::of(
            who.post_form("/account/publications", &[("news", "yes")])
                .await,
        )
        .await;
        assert_eq!(
            page.text(".flash"),
            "You will get an email about each new publication you may read."
        );
    }
    let junk = net
        .member
        .post_form("/account/publications", &[("news", "maybe")])
        .await;
    assert_eq!(junk.status(), 422);
    let about = |subject: &'static str| {
        let app = &app;
        async move {
            let mut to: Vec<String> = app
                .outbox()
                .await
                .into_iter()
                .filter(|m| m.subject == subject)
                .map(|m| m.to)
                .collect();
            to.sort();
            to
        }
    };
    // For members: those who asked and may read it.
    publish(
        &net.staff,
        "/staff/publications/new",
        &[("title", "Broadband map"), ("visibility", "members")],
        Some(("b.pdf", pdf("Broadband", "Maps"))),
    )
    .await;
    assert_eq!(
        about("New policy brief: Broadband map").await,
        ["mayor@b.gov"]
    );
    let mail = app.last_mail_to("mayor@b.gov").await;
    assert!(
        mail.text.contains("/publications/broadband-map"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("/account"));
    // For the cohort, by its facilitator: its followers who may read it, never another city.
    let cohort = cohort_id(&app).await;
    publish(
        &net.facilitator,
        &format!("/cohorts/{SLUG}/publish"),
        &[
            ("title", "Shutoff toolkit"),
            ("kind", "toolkit"),
            ("visibility", "cohorts"),
            ("cohort", &cohort),
        ],
        Some(("t.pdf", pdf("Shutoffs", "Steps"))),
    )
    .await;
    let to = about("New toolkit: Shutoff toolkit").await;
    assert!(to.contains(&"advisor@a.gov".to_owned()), "{to:?}");
    assert!(!to.contains(&"mayor@b.gov".to_owned()), "{to:?}");
    assert!(
        !to.contains(&"mayor@c.gov".to_owned()),
        "a lapsed city: {to:?}"
    );
    assert!(
        !to.contains(&"mayor@a.gov".to_owned()),
        "the publisher: {to:?}"
    );
    // A draft sends nothing; publishing it later sends once; an edit or a new version, never.
    let before = app.outbox().await.len();
    publish(
        &net.staff,
        "/staff/publications/new",
        &[("title", "Later brief"), ("status", "draft")],
        Some(("l.pdf", pdf("Later", "Soon"))),
    )
    .await;
    assert_eq!(app.outbox().await.len(), before);
    for _ in 0..2 {
        publish(
            &net.staff,
            "/staff/publications/later-brief/edit",
            &[("title", "Later brief"), ("slug", "later-brief")],
            Some(("l2.pdf", pdf("Later", "Now"))),
        )
        .await;
    }
    assert_eq!(
        about("New policy brief: Later brief").await,
        ["mayor@b.gov"]
    );
}

/// Raw DEFLATE (fixed Huffman): one zero byte, then `runs` copies of the previous 258 bytes:
/// about 258 × `runs` bytes when unpacked, from 13 bits each.
fn deflate_bomb(runs: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u64, bits: u32) {
            self.acc |= value << self.n;
            self.n += bits;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code, most significant bit first.
        fn code(&mut self, code: u64, bits: u32) {
            let mut reversed = 0;
            for i in 0..bits {
                reversed |= ((code >> i) & 1) << (bits - 1 - i);
            }
            self.put(reversed, bits);
        }
    }
    let mut b = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    b.put(1, 1); // the last block
    b.put(1, 2); // fixed Huffman codes
    b.code(0b0011_0000, 8); // the literal 0
    for _ in 0..runs {
        b.code(0b1100_0101, 8); // length 258
        b.code(0, 5); // distance 1
    }
    b.code(0, 7); // end of block
    b.put(0, 7);
    b.out
}

/// A zip that names itself a Word document and holds `inner` claimed to unpack to `claimed`
/// bytes.
fn office_zip(inner: &[u8], claimed: u32) -> Vec<u8> {
    let entries: [(&str, u16, &[u8], u32); 2] = [
        ("word/document.xml", 8, inner, claimed),
        ("[Content_Types].xml", 0, b"<Types/>", 8),
    ];
    let mut zip = Vec::new();
    let mut central = Vec::new();
    for (name, method, data, size) in entries {
        let offset = zip.len() as u32;
        let header = |sig: u32, central: bool| {
            let mut h = sig.to_le_bytes().to_vec();
            if central {
                h.extend(20u16.to_le_bytes());
            }
            h.extend(20u16.to_le_bytes());
            h.extend(0u16.to_le_bytes());
            h.extend(method.to_le_bytes());
            h.extend([0u8; 4]); // time, date
            h.extend(0u32.to_le_bytes()); // crc
            h.extend((data.len() as u32).to_le_bytes());
            h.extend(size.to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes());
            if central {
                h.extend([0u8; 8]); // comment, disk, attributes
                h.extend(0u32.to_le_bytes());
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        zip.extend(header(0x0403_4b50, false));
        zip.extend_from_slice(data);
        central.extend(header(0x0201_4b50, true));
    }
    let at = zip.len() as u32;
    zip.extend(&central);
    zip.extend(0x0605_4b50u32.to_le_bytes());
    zip.extend([0u8; 4]);
    zip.extend(2u16.to_le_bytes());
    zip.extend(2u16.to_le_bytes());
    zip.extend((central.len() as u32).to_le_bytes());
    zip.extend(at.to_le_bytes());
    zip.extend(0u16.to_le_bytes());
    zip
}

#[tokio::test]
async fn a_zip_bomb_named_docx_is_kept_unopened_and_101_megabytes_are_refused_in_words() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    // About 4 GB unpacked from about 1.6 MB: stored as the Word document it claims to be,
    // never unpacked (the server reads only its first bytes for its type).
    let bomb = office_zip(&deflate_bomb(1_000_000), u32::MAX);
    assert!(bomb.len() < 2_000_000);
    let started = std::time::Instant::now();
    let page = publish(
        &net.staff,
        "/staff/publications/new",
        &[("title", "Archive report")],
        Some(("report.docx", bomb.clone())),
    )
    .await;
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(
        page.path(),
        "/publications/archive-report",
        "{}",
        page.text("main")
    );
    assert!(
        page.text(".actions").contains("Word"),
        "{}",
        page.text(".actions")
    );
    let got = net
        .member
        .get("/publications/archive-report/download")
        .await;
    assert_eq!(got.bytes().await.unwrap().len(), bomb.len());

    // 101 MB: the form comes back with the limit said, and nothing is written.
    let big = vec![b'x'; 101 * 1024 * 1024];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.extend_from_slice(&big);
    drop(big);
    let page = publish(
        &net.staff,
        "/staff/publications/new",
        &[("title", "Too big")],
        Some(("big.pdf", pdf)),
    )
    .await;
    assert!(
        page.status == 422 || page.status == 413,
        "{}: {}",
        page.status,
        page.text("main")
    );
    assert!(
        page.text("main").contains("larger than 100"),
        "{}",
        page.text("main")
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM publications WHERE slug = 'too-big'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn a_pdf_over_25_mb_is_kept_without_reading_its_text_and_staff_are_told() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let mut big = portal::demo::cohorts::pdf("Atlas", &["Floodplain atlas"]);
    big.resize(26 * 1024 * 1024, b' ');
    let started = std::time::Instant::now();
    let page = publish(
        &net.staff,
        "/staff/publications/new",
        &[("title", "Flood atlas")],
        Some(("atlas.pdf", big)),
    )
    .await;
    assert_eq!(
        page.path(),
        "/publications/flood-atlas",
        "{}",
        page.text("main")
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let edit = Page::of(net.staff.get("/staff/publications/flood-atlas/edit").await).await;
    assert!(
        edit.text(".history").contains("over 25 MB"),
        "{}",
        edit.text(".history")
    );
    // Found by its title, not by its text.
    let found = Page::of(net.member.get("/search?q=atlas").await).await;
    assert_eq!(found.texts(".result-publication h3"), ["Flood atlas"]);
    let text = Page::of(net.member.get("/search?q=floodplain").await).await;
    assert!(text.texts(".result-publication h3").is_empty());
}

fn cover() -> Vec<u8> {
    portal::demo::cover_png([20, 80, 140], [230, 210, 160], 5)
}

#[tokio::test]
async fn a_cover_picture_is_described_shown_to_its_readers_only_and_never_borrowed() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let new = "/staff/publications/new";
    // A picture with no description: the form comes back holding it for the next try.
    let first = publish_parts(
        &net.staff,
        new,
        &[],
        vec![
            ("file", "v1.pdf", pdf("One", "first edition")),
            ("cover", "c.png", cover()),
        ],
    )
    .await;
    assert_eq!(first.status, 422);
    assert_eq!(
        first.text("#cover_alt-error"),
        "Error: Describe the picture for people who cannot see it."
    );
    let held = first.attr("input[name=cover_image_id]", "value").unwrap();
    assert!(
        first
            .text("#cover-field")
            .contains("The picture you chose is kept")
    );
    // Not a picture: refused in words, nothing written.
    let junk = publish_parts(
        &net.staff,
        new,
        &[("cover_alt", "A map")],
        vec![("cover", "c.png", b"just some words, not a picture".to_vec())],
    )
    .await;
    assert_eq!(junk.status, 422);
    assert_eq!(
        junk.text("#cover-error"),
        "Error: The file is not a JPEG, PNG or WebP image."
    );
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM publications")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    let done = publish_parts(
        &net.staff,
        new,
        &[
            ("cover_image_id", &held),
            ("cover_alt", "Crews replacing a lead pipe"),
        ],
        vec![("file", "v1.pdf", pdf("One", "first edition"))],
    )
    .await;
    assert_eq!(done.path(), "/publications/lead-service-lines");
    let img = done.attr("img.publication-cover", "src").unwrap();
    assert_eq!(
        done.attr("img.publication-cover", "alt").unwrap(),
        "Crews replacing a lead pipe"
    );
    let list = Page::of(net.member.get("/publications").await).await;
    assert!(list.has("li.with-cover img.publication-thumb"));
    // A members' brief keeps its picture as it keeps its text.
    assert_eq!(net.member.get(&img).await.status(), 200);
    assert_eq!(app.visitor().get(&img).await.status(), 404);
    assert_eq!(net.lapsed.get(&img).await.status(), 404);

    // Another's picture cannot be borrowed by its number: a facilitator's crafted form is
    // told the picture is not kept, and the brief's picture stays private.
    let path = format!("/cohorts/{SLUG}/publish");
    let mine = cohort_id(&app).await;
    let borrowed = publish(
        &net.facilitator,
        &path,
        &[
            ("title", "Borrowed"),
            ("visibility", "cohorts"),
            ("cohort", &mine),
            ("cover_image_id", &held),
            ("cover_alt", "Taken"),
        ],
        Some(("p.pdf", pdf("B", "borrowed"))),
    )
    .await;
    assert_eq!(borrowed.status, 422);
    assert_eq!(
        borrowed.text("#cover-error"),
        "Error: The picture uploaded earlier is no longer kept. Attach it again."
    );

    // Nor one pending in someone else's form: staff's refused news post holds its picture,
    // which the facilitator cannot claim by its number, while staff can.
    let pending = crate::news::editor(
        &net.staff,
        "/staff/news",
        &[("title", "Pending"), ("body", "b"), ("action", "publish")],
        Some((
            "p.png",
            portal::demo::cover_png([90, 20, 20], [240, 200, 200], 9),
        )),
    )
    .await;
    assert_eq!(pending.status, 422);
    let pending = pending.attr("input[name=cover_image_id]", "value").unwrap();
    let claimed = publish(
        &net.facilitator,
        &path,
        &[
            ("title", "Claimed"),
            ("visibility", "cohorts"),
            ("cohort", &mine),
            ("cover_image_id", &pending),
            ("cover_alt", "Taken"),
        ],
        Some(("p.pdf", pdf("C", "claimed"))),
    )
    .await;
    assert_eq!(claimed.status, 422);
    assert!(claimed.text("#cover-error").contains("no longer kept"));
    let own = crate::news::editor(
        &net.staff,
        "/staff/news",
        &[
            ("title", "Pending"),
            ("body", "b"),
            ("cover_alt", "A red sky"),
            ("cover_image_id", &pending),
            ("action", "publish"),
        ],
        None,
    )
    .await;
    assert_eq!(own.status, 200, "{}", own.text(".error-summary"));

    // Public: the public sees it; removed: it is gone from the page.
    let edit = "/staff/publications/lead-service-lines/edit";
    publish(
        &net.staff,
        edit,
        &[("visibility", "public"), ("cover_alt", "Crews")],
        None,
    )
    .await;
    assert_eq!(app.visitor().get(&img).await.status(), 200);
    let page = Page::of(app.visitor().get("/publications/lead-service-lines").await).await;
    assert_eq!(page.attr("img.publication-cover", "alt").unwrap(), "Crews");
    let form = Page::of(net.staff.get(edit).await).await;
    assert!(form.has("img.editor-cover"));
    let removed = publish(
        &net.staff,
        edit,
        &[("visibility", "public"), ("remove_cover", "1")],
        None,
    )
    .await;
    assert!(
        !removed.has("img.publication-cover"),
        "{}",
        removed.text("main")
    );
    assert_eq!(app.visitor().get(&img).await.status(), 404);
    // Unused for an hour, it is swept.
    app.state.clock.advance(3601);
    portal::housekeep(&app.state).await;
    let images: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM images i \
         WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.cover_image_id = i.id)",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(images, 0, "only the news post's picture stays");
}

#[tokio::test]
async fn a_facilitator_edits_and_versions_their_cohort_publication_and_no_other() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let mine = cohort_id(&app).await;
    publish(
        &net.facilitator,
        &format!("/cohorts/{SLUG}/publish"),
        &[
            ("title", "Shutoff playbook"),
            ("visibility", "cohorts"),
            ("cohort", &mine),
        ],
        Some(("v1.pdf", pdf("Playbook", "first edition"))),
    )
    .await;
    let edit = format!("/cohorts/{SLUG}/publications/shutoff-playbook/edit");
    // Its page leads its facilitator (and staff) to edit it; a member gets no such link.
    let page = Page::of(net.facilitator.get("/publications/shutoff-playbook").await).await;
    assert!(page.has(&format!(".breadcrumb a[href='{edit}']")));
    let plain = Page::of(net.member.get("/publications/shutoff-playbook").await).await;
    assert!(!plain.has(".breadcrumb a[href*='edit']"));
    let form = Page::of(net.facilitator.get(&edit).await).await;
    assert_eq!(form.status, 200);
    assert_eq!(form.h1(), "Edit Shutoff playbook");
    assert!(
        !form.has("form[action$='/unpublish']"),
        "unpublishing is staff's"
    );
    assert_eq!(net.member.get(&edit).await.status(), 403);
    assert_eq!(net.other_city.get(&edit).await.status(), 404);

    let saved = publish(
        &net.facilitator,
        &edit,
        &[
            ("title", "Shutoff playbook, second edition"),
            ("slug", "shutoff-playbook"),
            ("visibility", "cohorts"),
            ("cohort", &mine),
        ],
        Some(("v2.pdf", pdf("Playbook", "moratorium calendar"))),
    )
    .await;
    assert_eq!(saved.path(), "/publications/shutoff-playbook");
    assert_eq!(saved.h1(), "Shutoff playbook, second edition");
    let r = net
        .member
        .get("/publications/shutoff-playbook/download")
        .await;
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("v2.pdf")
    );
    let found = Page::of(net.member.get("/search?q=moratorium+calendar").await).await;
    assert!(found.has(".result-publication"));
    let versions = Page::of(net.facilitator.get(&edit).await)
        .await
        .texts(".history li");
    assert_eq!(versions.len(), 2, "{versions:?}");
    // Widening its audience from the space is refused in words.
    let wider = publish(&net.facilitator, &edit, &[("visibility", "members")], None).await;
    assert_eq!(wider.status, 422);
    assert!(
        wider
            .text("#visibility .field-error")
            .contains("cohorts you lead")
    );

    // Staff's members' brief, and one also for a cohort they do not lead: not theirs.
    publish(
        &net.staff,
        "/staff/publications/new",
        &[],
        Some(("b.pdf", pdf("B", "brief"))),
    )
    .await;
    crate::fixture::create_cohort(
        &net.staff,
        "Broadband Equity",
        &[("join_policy", "open"), ("visible", "1")],
    )
    .await;
    let theirs: i64 = sqlx::query_scalar("SELECT id FROM cohorts WHERE slug = 'broadband-equity'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    publish(
        &net.staff,
        "/staff/publications/new",
        &[
            ("title", "Shared toolkit"),
            ("visibility", "cohorts"),
            ("cohort", &mine),
            ("cohort", &theirs.to_string()),
        ],
        Some(("s.pdf", pdf("S", "shared"))),
    )
    .await;
    for slug in [
        "lead-service-lines",
        "shared-toolkit",
        "no-such-thing",
        "%27%20OR%201%3D1",
    ] {
        let path = format!("/cohorts/{SLUG}/publications/{slug}/edit");
        assert_eq!(net.facilitator.get(&path).await.status(), 404, "{slug}");
        let crafted = publish(&net.facilitator, &path, &[("title", "Mine now")], None).await;
        assert_eq!(crafted.status, 404, "{slug}");
        let page = Page::of(net.facilitator.get(&format!("/publications/{slug}")).await).await;
        assert!(!page.has(".breadcrumb a[href*='edit']"), "{slug}");
        if slug.starts_with("no") || slug.starts_with('%') {
            let staff = format!("/staff/publications/{slug}/edit");
            assert_eq!(net.staff.get(&staff).await.status(), 404, "{slug}");
            let crafted = publish(&net.staff, &staff, &[("title", "Nothing")], None).await;
            assert_eq!(crafted.status, 404, "{slug}");
        }
    }
    // Staff took it offline: a draft is staff's alone, to read and to edit.
    net.staff
        .post_form("/staff/publications/shutoff-playbook/unpublish", &[])
        .await;
    assert_eq!(net.facilitator.get(&edit).await.status(), 404);
    let draft = publish(
        &net.facilitator,
        &edit,
        &[
            ("title", "Taken back"),
            ("slug", "shutoff-playbook"),
            ("visibility", "cohorts"),
            ("cohort", &mine),
        ],
        None,
    )
    .await;
    assert_eq!(draft.status, 404);
    let titles: Vec<String> = sqlx::query_scalar("SELECT title FROM publications ORDER BY id")
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(
        titles,
        [
            "Shutoff playbook, second edition",
            "Lead service lines",
            "Shared toolkit"
        ]
    );
}

#[tokio::test]
async fn many_publishes_unpublishes_and_facilitator_versions_at_once_write_one_email_and_lose_nothing()
 {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    net.other_city
        .post_form("/account/publications", &[("news", "yes")])
        .await;
    publish(
        &net.staff,
        "/staff/publications/new",
        &[("title", "Later brief"), ("status", "draft")],
        Some(("l.pdf", pdf("Later", "Soon"))),
    )
    .await;
    let edit = "/staff/publications/later-brief/edit";
    // 25 first publishes at once: each lands on the page; one email is written.
    let publishes = (0..25).map(|_| async {
        let page = publish(
            &net.staff,
            edit,
            &[("title", "Later brief"), ("slug", "later-brief")],
            None,
        )
        .await;
        (page.status, page.path().to_owned())
    });
    for (status, path) in futures_util::future::join_all(publishes).await {
        assert_eq!((status, path.as_str()), (200, "/publications/later-brief"));
    }
    let mails = app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.subject == "New policy brief: Later brief")
        .count();
    assert_eq!(mails, 1);
    // 25 unpublishes at once: all answered, a draft once.
    let unpublish = "/staff/publications/later-brief/unpublish";
    let unpublishes = (0..25).map(|_| async { net.staff.post_form(unpublish, &[]).await.status() });
    for status in futures_util::future::join_all(unpublishes).await {
        assert_eq!(status, 200);
    }
    assert_eq!(
        net.member.get("/publications/later-brief").await.status(),
        404
    );

    // A facilitator sends 20 new versions of their cohort's toolkit at once: each is kept.
    let mine = cohort_id(&app).await;
    publish(
        &net.facilitator,
        &format!("/cohorts/{SLUG}/publish"),
        &[
            ("title", "Toolkit"),
            ("visibility", "cohorts"),
            ("cohort", &mine),
        ],
        Some(("t.pdf", pdf("Toolkit", "First"))),
    )
    .await;
    let path = format!("/cohorts/{SLUG}/publications/toolkit/edit");
    let versions = (0..20).map(|i| {
        let (path, mine, facilitator) = (&path, &mine, &net.facilitator);
        async move {
            publish(
                facilitator,
                path,
                &[
                    ("title", "Toolkit"),
                    ("slug", "toolkit"),
                    ("visibility", "cohorts"),
                    ("cohort", mine),
                ],
                Some((
                    &format!("t{i}.pdf"),
                    pdf("Toolkit", &format!("Version {i}")),
                )),
            )
            .await
            .status
        }
    });
    for status in futures_util::future::join_all(versions).await {
        assert_eq!(status, 200);
    }
    let numbers: Vec<i64> = sqlx::query_scalar(
        "SELECT v.version FROM publication_files v JOIN publications p ON p.id = v.publication_id \
         WHERE p.slug = 'toolkit' ORDER BY v.version",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(numbers, (1..=21).collect::<Vec<i64>>());
}

/// Sends the publishing form as `who` with its file in two halves, and runs `between` once
/// the store holds part of it (the request is past its door, in the middle of the upload).
async fn upload_around<F: std::future::Future<Output = ()>>(
    app: &TestApp,
    (who, path): (&Visitor, &str),
    fields: &[(&str, &str)],
    between: F,
) -> reqwest::Response {
    let (halves, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|piece| (piece, rx))
    });
    let mut form = Form::new();
    for (k, v) in fields {
        form = form.text((*k).to_owned(), (*v).to_owned());
    }
    let form = form.part(
        "file",
        Part::stream(reqwest::Body::wrap_stream(body)).file_name("p.pdf"),
    );
    let sending = {
        let client = who.client.clone();
        let url = who.url(path);
        tokio::spawn(async move { client.post(url).multipart(form).send().await.unwrap() })
    };
    let files_before = files_count(app).await;
    let mut first = pdf("Playbook", "Steps");
    first.extend(std::iter::repeat_n(b'%', 300 * 1024));
    first.push(b'\n');
    halves.send(Ok(first)).await.unwrap();
    let mut waited = 0;
    while files_count(app).await == files_before {
        assert!(waited < 100, "the upload never reached the file store");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    between.await;
    halves
        .send(Ok(b"%%EOF\n".to_vec()))
        .await
        .expect("the upload was still being read");
    drop(halves);
    sending.await.unwrap()
}

async fn files_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM files")
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_facilitators_upload_finished_after_their_access_changed_is_refused_and_nothing_is_kept()
{
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let mine = cohort_id(&app).await;
    let fields = [
        ("title", "Shutoff playbook"),
        ("slug", "shutoff-playbook"),
        ("published_on", "2026-11-30"),
        ("kind", "toolkit"),
        ("visibility", "cohorts"),
        ("cohort", mine.as_str()),
    ];
    // Staff turn the toolkit into a members' publication while its facilitator sends a new
    // version: the edit is refused, and the staff's change stands.
    publish(
        &net.facilitator,
        &format!("/cohorts/{SLUG}/publish"),
        &fields,
        Some(("v1.pdf", pdf("Playbook", "First"))),
    )
    .await;
    let files = files_count(&app).await;
    let edit = format!("/cohorts/{SLUG}/publications/shutoff-playbook/edit");
    let answer = upload_around(&app, (&net.facilitator, &edit), &fields, async {
        sqlx::query(
            "UPDATE publications SET visibility = 'members' WHERE slug = 'shutoff-playbook'",
        )
        .execute(&app.state.pool)
        .await
        .unwrap();
    })
    .await;
    assert_eq!(answer.status(), 404);
    let visibility: String =
        sqlx::query_scalar("SELECT visibility FROM publications WHERE slug = 'shutoff-playbook'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(visibility, "members");
    assert_eq!(
        files_count(&app).await,
        files,
        "the new version is not kept"
    );

    // The mayor stops leading the cohort while sending a new one: refused, nothing written.
    let new = [("title", "Rate tiers"), ("slug", "rate-tiers")];
    let fields: Vec<(&str, &str)> = new.iter().chain(&fields[2..]).copied().collect();
    let answer = upload_around(
        &app,
        (&net.facilitator, &format!("/cohorts/{SLUG}/publish")),
        &fields,
        async {
            sqlx::query(
                "UPDATE cohort_members SET role = 'member' \
                 WHERE person_id = (SELECT id FROM people WHERE email = 'mayor@a.gov')",
            )
            .execute(&app.state.pool)
            .await
            .unwrap();
        },
    )
    .await;
    assert_eq!(answer.status(), 403);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM publications")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    assert_eq!(files_count(&app).await, files, "the upload is not kept");
}
