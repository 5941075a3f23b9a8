//! News: publishing, what the public and members see on pages, the feed, search and the
//! sitemap, scheduling, slugs, sanitizing, images, pagination, the home page.

use reqwest::multipart::{Form, Part};

use crate::support::{MEMBER_PASSWORD, Page, TestApp, Visitor, spawn_app};

/// Sends the editor's form: `fields` as text, and a cover file when given.
pub async fn editor(
    staff: &Visitor,
    path: &str,
    fields: &[(&str, &str)],
    cover: Option<(&str, Vec<u8>)>,
) -> Page {
    let mut form = Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some((name, bytes)) = cover {
        form = form.part("cover", Part::bytes(bytes).file_name(name.to_owned()));
    }
    Page::of(
        staff
            .client
            .post(staff.url(path))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Publishes a post through the editor; returns its id.
pub async fn publish(staff: &Visitor, title: &str, body: &str, extra: &[(&str, &str)]) -> i64 {
    let mut fields = vec![("title", title), ("body", body), ("action", "publish")];
    fields.extend_from_slice(extra);
    let page = editor(staff, "/staff/news", &fields, None).await;
    assert_eq!(
        page.text(".flash"),
        format!("“{title}” is published."),
        "{:?}",
        page.texts(".error-summary li")
    );
    page.path().split('/').nth(3).unwrap().parse().unwrap()
}

async fn topic(app: &TestApp, staff: &Visitor, name: &str) -> String {
    staff.post_form("/staff/topics", &[("name", name)]).await;
    sqlx::query_scalar::<_, i64>("SELECT id FROM topics WHERE name = $1")
        .bind(name)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
        .to_string()
}

async fn feed(app: &TestApp) -> String {
    let r = app.visitor().get("/news/feed.xml").await;
    assert_eq!(
        r.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    r.text().await.unwrap()
}

fn atom_entries(xml: &str) -> Vec<(String, bool)> {
    let doc = roxmltree::Document::parse(xml).expect("the feed is well-formed XML");
    let root = doc.root_element();
    let atom = "http://www.w3.org/2005/Atom";
    assert_eq!(root.tag_name().name(), "feed");
    assert_eq!(root.tag_name().namespace(), Some(atom));
    for required in ["id", "title", "updated"] {
        assert!(
            root.children().any(|c| c.has_tag_name((atom, required))),
            "feed lacks {required}"
        );
    }
    root.children()
        .filter(|c| c.has_tag_name((atom, "entry")))
        .map(|e| {
            for required in ["id", "title", "updated", "link", "author"] {
                assert!(
                    e.children().any(|c| c.has_tag_name((atom, required))),
                    "entry lacks {required}"
                );
            }
            let title = e
                .children()
                .find(|c| c.has_tag_name((atom, "title")))
                .unwrap()
                .text()
                .unwrap_or_default()
                .to_owned();
            (
                title,
                e.children().any(|c| c.has_tag_name((atom, "content"))),
            )
        })
        .collect()
}

async fn sitemap(app: &TestApp) -> String {
    app.visitor()
        .get("/sitemap.xml")
        .await
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_public_sees_only_published_posts_on_pages_the_feed_search_and_the_sitemap() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let draft = editor(
        &staff,
        "/staff/news",
        &[
            ("title", "Water Rates Draft"),
            ("body", "Affordable water for every household."),
            ("action", "save"),
        ],
        None,
    )
    .await;
    assert_eq!(
        draft.text(".flash"),
        "“Water Rates Draft” is saved as a draft."
    );
    let public = app.visitor();
    assert_eq!(public.get("/news/water-rates-draft").await.status(), 404);
    assert_eq!(
        Page::of(public.get("/news").await).await.text("main p"),
        "No news yet."
    );
    assert!(atom_entries(&feed(&app).await).is_empty());
    assert!(!sitemap(&app).await.contains("water-rates-draft"));
    assert!(
        Page::of(public.get("/search?q=affordable").await)
            .await
            .texts(".results li")
            .is_empty()
    );

    let id: String = draft.path().split('/').nth(3).unwrap().to_owned();
    let published = editor(
        &staff,
        &format!("/staff/news/{id}"),
        &[
            ("title", "Water Rates Draft"),
            ("slug", "water-rates"),
            ("body", "Affordable water for every household."),
            ("action", "publish"),
        ],
        None,
    )
    .await;
    assert_eq!(
        published.text(".flash"),
        "“Water Rates Draft” is published."
    );
    let article = Page::of(public.get("/news/water-rates").await).await;
    assert_eq!(article.h1(), "Water Rates Draft");
    assert_eq!(
        article.text(".prose p"),
        "Affordable water for every household."
    );
    assert_eq!(
        article.text(".byline"),
        "By Grace Staff · ".to_owned()
            + &app
                .state
                .config
                .time_zone
                .clone()
                .date(app.state.clock.now())
    );
    assert_eq!(
        Page::of(public.get("/news").await)
            .await
            .texts(".card-title"),
        vec!["Water Rates Draft".to_owned()]
    );
    assert_eq!(
        atom_entries(&feed(&app).await),
        vec![("Water Rates Draft".to_owned(), true)]
    );
    assert!(
        sitemap(&app)
            .await
            .contains(&format!("{}/news/water-rates</loc>", app.address))
    );
    let found = Page::of(public.get("/search?q=affordable+household").await).await;
    assert_eq!(
        found.texts(".results h3"),
        vec!["Water Rates Draft".to_owned()]
    );
    assert!(
        found
            .html
            .select(&scraper::Selector::parse(".snippet mark").unwrap())
            .count()
            >= 1,
        "matches are highlighted"
    );

    // Unpublished again, it disappears everywhere.
    staff
        .post_form(&format!("/staff/news/{id}/unpublish"), &[])
        .await;
    assert_eq!(public.get("/news/water-rates").await.status(), 404);
    assert!(atom_entries(&feed(&app).await).is_empty());
}

#[tokio::test]
async fn members_only_bodies_are_shown_only_to_members_of_active_cities() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    publish(
        &staff,
        "Broadband Cohort Notes",
        "The secret budget figures are here.",
        &[
            ("members_only", "1"),
            ("excerpt", "Notes from the broadband cohort."),
        ],
    )
    .await;
    let secret = "secret budget figures";

    // Without an excerpt of its own, a members-only post shows the public nothing of its body.
    publish(
        &staff,
        "Quiet Notes",
        "Private words of the cohort.",
        &[("members_only", "1")],
    )
    .await;
    let quiet = app
        .visitor()
        .get("/news/quiet-notes")
        .await
        .text()
        .await
        .unwrap();
    assert!(!quiet.contains("Private words"));
    assert!(
        !app.visitor()
            .get("/news")
            .await
            .text()
            .await
            .unwrap()
            .contains("Private words")
    );
    assert!(!feed(&app).await.contains("Private words"));
    let public = Page::of(app.visitor().get("/news/broadband-cohort-notes").await).await;
    assert_eq!(public.h1(), "Broadband Cohort Notes");
    assert_eq!(public.text(".lead"), "Notes from the broadband cohort.");
    assert_eq!(public.text(".members-prompt a.button"), "Log in to read");
    assert!(!public.has(".prose"));
    let raw = app
        .visitor()
        .get("/news/broadband-cohort-notes")
        .await
        .text()
        .await
        .unwrap();
    assert!(!raw.contains(secret));
    let entries = atom_entries(&feed(&app).await);
    assert!(
        entries.contains(&("Broadband Cohort Notes".to_owned(), false)),
        "{entries:?}"
    );
    assert!(
        entries.iter().all(|(_, has_content)| !has_content),
        "members-only entries carry no content"
    );
    assert!(!feed(&app).await.contains(secret));
    assert!(!sitemap(&app).await.contains("broadband-cohort-notes"));
    assert!(
        Page::of(app.visitor().get("/search?q=secret+budget").await)
            .await
            .texts(".results li")
            .is_empty()
    );

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
    let member = Page::of(mayor.get("/news/broadband-cohort-notes").await).await;
    assert_eq!(
        member.text(".prose p"),
        "The secret budget figures are here."
    );
    assert_eq!(
        Page::of(mayor.get("/search?q=secret+budget").await)
            .await
            .texts(".results h3"),
        vec!["Broadband Cohort Notes".to_owned()]
    );

    // A lapsed city's people no longer read members-only news.
    sqlx::query("UPDATE cities SET status = 'lapsed'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let lapsed = Page::of(mayor.get("/news/broadband-cohort-notes").await).await;
    assert!(!lapsed.has(".prose"));
    let _ = MEMBER_PASSWORD;
}

#[tokio::test]
async fn a_scheduled_post_appears_by_itself_at_its_time() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let at = app.state.clock.now() + 2 * 3600;
    // Entered as the author's clock shows it: the organization's zone, theirs by default.
    let when = app.state.config.time_zone.clone().field_value(at);
    let page = editor(
        &staff,
        "/staff/news",
        &[
            ("title", "Annual Meeting Announced"),
            ("body", "See you in Madison."),
            ("action", "schedule"),
            ("publish_at", &when),
        ],
        None,
    )
    .await;
    assert!(
        page.text(".flash")
            .starts_with("“Annual Meeting Announced” is scheduled for")
    );
    let list = Page::of(staff.get("/staff/news").await).await;
    assert!(list.texts("h2").contains(&"Scheduled (1)".to_owned()));
    assert_eq!(
        app.visitor()
            .get("/news/annual-meeting-announced")
            .await
            .status(),
        404
    );
    assert!(atom_entries(&feed(&app).await).is_empty());

    app.state.clock.advance(2 * 3600);
    assert_eq!(
        app.visitor()
            .get("/news/annual-meeting-announced")
            .await
            .status(),
        200
    );
    assert_eq!(
        Page::of(app.visitor().get("/").await)
            .await
            .text(".lead-card-title"),
        "Annual Meeting Announced"
    );
    assert_eq!(atom_entries(&feed(&app).await).len(), 1);

    let past = editor(
        &staff,
        "/staff/news",
        &[
            ("title", "Too Late"),
            ("body", "x"),
            ("action", "schedule"),
            ("publish_at", "2001-01-01T00:00"),
        ],
        None,
    )
    .await;
    assert_eq!(past.status, 422);
    assert!(past.text("#publish_at-error").contains("in the future"));
    let garbage = editor(
        &staff,
        "/staff/news",
        &[
            ("title", "Bad Time"),
            ("body", "x"),
            ("action", "schedule"),
            ("publish_at", "soon"),
        ],
        None,
    )
    .await;
    assert_eq!(garbage.status, 422);
}

#[tokio::test]
async fn a_changed_slug_redirects_the_old_address_permanently() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let id = publish(&staff, "City Data in 2020", "Dashboards.", &[]).await;
    editor(
        &staff,
        &format!("/staff/news/{id}"),
        &[
            ("title", "City Data in 2020"),
            ("slug", "city-data"),
            ("body", "Dashboards."),
            ("action", "save"),
        ],
        None,
    )
    .await;
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_follow
        .get(app.url("/news/city-data-in-2020"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 301);
    assert_eq!(r.headers()["location"], "/news/city-data");
    assert_eq!(
        Page::of(app.visitor().get("/news/city-data-in-2020").await)
            .await
            .h1(),
        "City Data in 2020"
    );

    // Another post may not take a slug in use; the form says so and keeps the values.
    let clash = editor(
        &staff,
        "/staff/news",
        &[
            ("title", "Other"),
            ("slug", "city-data"),
            ("body", "b"),
            ("action", "save"),
        ],
        None,
    )
    .await;
    assert_eq!(clash.status, 422);
    assert_eq!(
        clash.text("#slug-error"),
        "Error: Another post has the address /news/city-data. Choose another."
    );
    assert_eq!(clash.attr("#title", "value").as_deref(), Some("Other"));
    let bad = editor(
        &staff,
        "/staff/news",
        &[
            ("title", "Other"),
            ("slug", "Not A Slug!"),
            ("body", "b"),
            ("action", "save"),
        ],
        None,
    )
    .await;
    assert!(bad.has("#slug-error"));
}

#[tokio::test]
async fn scripts_event_attributes_and_javascript_links_in_markdown_come_out_inert() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let body = "Hello <script>alert('x')</script>\n\n<img src=\"/x.png\" onerror=\"alert(1)\">\n\n[click me](javascript:alert(2)) <a href=\"javascript:alert(3)\" onclick=\"alert(4)\">x</a> <iframe src=\"https://evil.example\"></iframe>";
    publish(
        &staff,
        "<b>Bold</b> title",
        body,
        &[("excerpt", "<script>alert(5)</script>")],
    )
    .await;
    let page = Page::of(app.visitor().get("/news/b-bold-b-title").await).await;
    assert_eq!(
        page.h1(),
        "<b>Bold</b> title",
        "the title is text, not markup"
    );
    for sel in [
        "main script",
        "main iframe",
        "main [onerror]",
        "main [onclick]",
        "main a[href^='javascript']",
    ] {
        assert!(!page.has(sel), "{sel} survived");
    }
    let home = Page::of(app.visitor().get("/").await).await;
    assert!(!home.has("main script"));
    assert!(
        home.text(".lead-card p:last-child").contains("<script>"),
        "the excerpt is shown as text"
    );
    let xml = feed(&app).await;
    roxmltree::Document::parse(&xml).unwrap();
    assert!(
        !xml.contains("<script"),
        "the feed's escaped content has no raw script"
    );
}

/// A PNG header claiming `w` × `h` pixels, with a real CRC but no image data worth decoding.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    // A first data chunk, so that a decoder reads the header as complete.
    let mut idat = b"IDAT".to_vec();
    idat.extend_from_slice(&[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    out.extend_from_slice(&8u32.to_be_bytes());
    out.extend_from_slice(&idat);
    out.extend_from_slice(&crc32(&idat).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]);
    out
}

#[tokio::test]
async fn cover_images_are_checked_by_their_bytes_bounded_in_pixels_and_served_resized_with_long_caching()
 {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let fields = [
        ("title", "Cover Test"),
        ("body", "b"),
        ("cover_alt", "A skyline"),
        ("action", "publish"),
    ];

    let fake = editor(
        &staff,
        "/staff/news",
        &fields,
        Some(("photo.jpg", b"this is not an image at all".to_vec())),
    )
    .await;
    assert_eq!(fake.status, 422);
    assert_eq!(
        fake.text("#cover-error"),
        "Error: The file is not a JPEG, PNG or WebP image."
    );
    assert_eq!(fake.attr("#title", "value").as_deref(), Some("Cover Test"));

    let huge = editor(
        &staff,
        "/staff/news",
        &fields,
        Some(("huge.png", png_header(10_000, 10_000))),
    )
    .await;
    assert_eq!(huge.status, 422);
    assert!(
        huge.text("#cover-error").contains("10000 × 10000 pixels"),
        "{}",
        huge.text("#cover-error")
    );

    let png = portal::demo::cover_png([10, 60, 120], [200, 220, 240], 1);
    let no_alt = editor(
        &staff,
        "/staff/news",
        &[
            ("title", "Cover Test"),
            ("body", "b"),
            ("action", "publish"),
        ],
        Some(("sky.png", png.clone())),
    )
    .await;
    assert_eq!(no_alt.status, 422);
    assert!(no_alt.has("#cover_alt-error"));
    assert!(
        no_alt.has("input[name=cover_image_id]"),
        "the uploaded picture is kept for the next try"
    );
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM posts")
            .fetch_one(&app.state.pool)
            .await
            .unwrap(),
        0
    );

    let ok = editor(&staff, "/staff/news", &fields, Some(("sky.png", png))).await;
    assert_eq!(ok.text(".flash"), "“Cover Test” is published.");
    let article = Page::of(app.visitor().get("/news/cover-test").await).await;
    assert_eq!(
        article.attr(".article-image", "alt").as_deref(),
        Some("A skyline")
    );
    let src = article.attr(".article-image", "src").unwrap();
    assert!(src.ends_with("-960.jpg"), "{src}");
    assert!(
        article
            .attr(".article-image", "srcset")
            .unwrap()
            .contains("480w")
    );
    assert!(
        article
            .attr("meta[property='og:image']", "content")
            .unwrap()
            .starts_with(&app.address)
    );
    let image = app.visitor().get(&src).await;
    assert_eq!(image.headers()["content-type"], "image/jpeg");
    assert_eq!(
        image.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let bytes = image.bytes().await.unwrap();
    assert_eq!(
        image::guess_format(&bytes).unwrap(),
        image::ImageFormat::Jpeg
    );
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 960);
    assert_eq!(
        app.visitor()
            .get("/news/covers/..%2F..%2Fetc%2Fpasswd")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn search_never_errors_whatever_is_typed() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    publish(
        &staff,
        "Annual Meeting in Madison",
        "The annual meeting gathers mayors.",
        &[],
    )
    .await;
    let long = "water ".repeat(350);
    for q in [
        "\"annual",
        "annual\"",
        "NOT",
        "a OR b AND",
        "-meeting",
        "(annual",
        "mayor*",
        "'; DROP TABLE posts; --",
        "\\",
        "%",
        "日本語",
        long.as_str(),
        "\0",
        "annual\u{1}\r\nmeeting",
    ] {
        let r = app
            .visitor()
            .client
            .get(app.url("/search"))
            .query(&[("q", q)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "query {q:?}");
        // What is shown back is the cleaned query: no control character in the page.
        let page = Page::of(r).await;
        let shown = page
            .attr("input[name=q]", "value")
            .expect("the search field");
        assert!(
            !shown.chars().any(char::is_control),
            "query {q:?} shown as {shown:?}"
        );
    }
    let found = Page::of(
        app.visitor()
            .client
            .get(app.url("/search"))
            .query(&[("q", "\"annual meeting")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        found.texts(".results h3"),
        vec!["Annual Meeting in Madison".to_owned()]
    );
    assert_eq!(
        found.attr("#q", "value").as_deref(),
        Some("\"annual meeting")
    );
    let none = Page::of(app.visitor().get("/search?q=zebra").await).await;
    assert_eq!(none.text(".results-heading"), "No results");
}

#[tokio::test]
async fn more_news_pages_through_every_post_once_in_both_directions() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let water = topic(&app, &staff, "Water").await;
    for i in 0..30 {
        let mut extra = vec![];
        if i % 3 == 0 {
            extra.push(("topic", water.as_str()));
        }
        publish(&staff, &format!("Post number {i:02}"), "Body.", &extra).await;
        app.state.clock.advance(60);
    }
    let mut seen = Vec::new();
    let mut path = "/news".to_owned();
    let mut pages = Vec::new();
    loop {
        let page = Page::of(app.visitor().get(&path).await).await;
        seen.extend(page.texts(".card-title"));
        pages.push(path.clone());
        match page.attr("a[rel=next]", "href") {
            Some(next) => path = next,
            None => break,
        }
    }
    assert_eq!(pages.len(), 3);
    assert_eq!(seen.len(), 30);
    assert_eq!(seen.first().unwrap(), "Post number 29");
    assert_eq!(seen.last().unwrap(), "Post number 00");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 30);
    // From the last page, "Newer" goes back to the second page.
    let last = Page::of(app.visitor().get(&pages[2]).await).await;
    let back = Page::of(
        app.visitor()
            .get(&last.attr("a[rel=prev]", "href").unwrap())
            .await,
    )
    .await;
    assert_eq!(
        back.texts(".card-title"),
        Page::of(app.visitor().get(&pages[1]).await)
            .await
            .texts(".card-title")
    );

    let topic_page = Page::of(app.visitor().get("/news?topic=water").await).await;
    assert_eq!(topic_page.h1(), "Water");
    assert_eq!(topic_page.texts(".card-title").len(), 10);
    assert!(topic_page.texts(".card-topic").iter().all(|t| t == "Water"));
    assert_eq!(app.visitor().get("/news?topic=nope").await.status(), 404);
    assert_eq!(app.visitor().get("/news?after=garbage").await.status(), 404);
    assert_eq!(app.visitor().get("/news/no-such-post").await.status(), 404);
}

#[tokio::test]
async fn a_post_is_deleted_only_after_confirmation() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let id = publish(&staff, "Short Lived", "Body.", &[]).await;
    let confirm = Page::of(staff.get(&format!("/staff/news/{id}/delete")).await).await;
    assert_eq!(confirm.h1(), "Delete “Short Lived”?");
    assert_eq!(
        app.visitor().get("/news/short-lived").await.status(),
        200,
        "opening the confirmation deletes nothing"
    );
    let done = Page::of(
        staff
            .post_form(&format!("/staff/news/{id}/delete"), &[])
            .await,
    )
    .await;
    assert_eq!(done.text(".flash"), "“Short Lived” is deleted.");
    assert_eq!(app.visitor().get("/news/short-lived").await.status(), 404);
    assert!(
        Page::of(app.visitor().get("/search?q=short").await)
            .await
            .texts(".results li")
            .is_empty()
    );
}

#[tokio::test]
async fn only_staff_reach_the_publishing_pages() {
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
    let id = publish(&staff, "Staff Only Editing", "Body.", &[]).await;
    for path in [
        "/staff/news",
        "/staff/news/new",
        &format!("/staff/news/{id}/edit"),
        &format!("/staff/news/{id}/preview"),
        "/staff/topics",
        "/staff/site",
    ] {
        assert_eq!(mayor.get(path).await.status(), 403, "{path}");
    }
    assert_eq!(
        mayor
            .post_form(&format!("/staff/news/{id}/delete"), &[])
            .await
            .status(),
        403
    );
    assert_eq!(
        app.visitor().get("/news/staff-only-editing").await.status(),
        200
    );
}

#[tokio::test]
async fn articles_carry_a_description_open_graph_tags_and_a_canonical_address() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    publish(
        &staff,
        "Healthy Babies Grants",
        "Grants for **three** cities.",
        &[("excerpt", "Three cities receive grants.")],
    )
    .await;
    let page = Page::of(app.visitor().get("/news/healthy-babies-grants").await).await;
    assert_eq!(
        page.attr("meta[name=description]", "content").as_deref(),
        Some("Three cities receive grants.")
    );
    assert_eq!(
        page.attr("link[rel=canonical]", "href"),
        Some(format!("{}/news/healthy-babies-grants", app.address))
    );
    assert_eq!(
        page.attr("meta[property='og:title']", "content").as_deref(),
        Some("Healthy Babies Grants")
    );
    assert_eq!(
        page.attr("meta[property='og:type']", "content").as_deref(),
        Some("article")
    );
    let robots = app.visitor().get("/robots.txt").await.text().await.unwrap();
    assert!(robots.contains("Disallow: /staff"));
    assert!(robots.contains(&format!("Sitemap: {}/sitemap.xml", app.address)));
    let map = sitemap(&app).await;
    let doc = roxmltree::Document::parse(&map).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "urlset");
}

#[tokio::test]
async fn the_home_page_shows_the_statement_the_latest_news_a_testimonial_and_the_call_to_join() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let before = Page::of(app.visitor().get("/").await).await;
    assert_eq!(before.h1(), "A learning network for mayors.");
    assert_eq!(
        before.text(".join-cta a.button"),
        "Apply to become a Member City"
    );

    staff
        .post_form(
            "/staff/site/statement",
            &[
                ("heading", "Mayors learning together."),
                ("body", "A network of cities."),
            ],
        )
        .await;
    staff
        .post_form(
            "/staff/testimonials",
            &[
                ("quote", "The best place to get new ideas."),
                ("t_name", "Mayor Jamie Harkins"),
                ("t_city", "Lafayette, CO"),
            ],
        )
        .await;
    for i in 0..9 {
        publish(&staff, &format!("Headline {i}"), "Body.", &[]).await;
        app.state.clock.advance(60);
    }
    let home = Page::of(app.visitor().get("/").await).await;
    assert_eq!(home.h1(), "Mayors learning together.");
    assert_eq!(home.text(".statement .lead"), "A network of cities.");
    assert_eq!(home.text(".lead-card-title"), "Headline 8");
    assert_eq!(home.texts(".card-grid .card-title").len(), 6);
    assert_eq!(
        home.text(".testimonial blockquote"),
        "“The best place to get new ideas.”"
    );
    assert_eq!(
        home.text(".testimonial figcaption"),
        "Mayor Jamie Harkins, Lafayette, CO"
    );
    assert_eq!(
        home.attr(".more-news a.button", "href").as_deref(),
        Some("/news")
    );

    let bad = Page::of(
        staff
            .post_form(
                "/staff/site/statement",
                &[("heading", ""), ("body", &"x".repeat(10_000))],
            )
            .await,
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(bad.has("#heading-error"));
}

#[tokio::test]
async fn the_demo_fills_an_empty_database_with_the_five_headlines_and_their_pictures() {
    let app = spawn_app().await;
    let report = portal::demo::run(&app.state, 0).await.unwrap();
    assert!(report.logins.iter().any(|(role, _, _, _)| role == "staff"));
    assert!(report.logins.iter().any(|(role, _, _, _)| role == "mayor"));
    assert!(
        report
            .logins
            .iter()
            .any(|(role, _, _, _)| role == "advisor")
    );
    let home = Page::of(app.visitor().get("/").await).await;
    let mut titles = vec![home.text(".lead-card-title")];
    titles.extend(home.texts(".card-grid .card-title"));
    for headline in [
        "City Data and Pandemic Response",
        "COVID-19 and Water Affordability",
        "Announcing Healthy Babies Initiative Grant Recipients",
        "Ending Police Brutality: A Mayor's Perspective & Call to Action",
        "City Leadership in Addressing Racial Inequities",
    ] {
        assert!(
            titles.contains(&headline.to_owned()),
            "{headline} missing from {titles:?}"
        );
    }
    assert_eq!(
        home.texts("main img").len(),
        titles.len() - 1,
        "every card has its picture, but the members-only post's is for members"
    );
    assert!(
        home.text(".testimonial blockquote")
            .contains("the best place to get new ideas")
    );
    // The printed passwords work.
    let (_, _, email, password) = report
        .logins
        .iter()
        .find(|l| l.0 == "mayor")
        .unwrap()
        .clone();
    assert!(
        app.visitor()
            .log_in(&email, &password)
            .await
            .has("header .who")
    );
    crate::cohorts_resources::the_demo_cohorts_are_alive(&app, &report).await;
    crate::meetings::the_demo_meetings_are_alive(&app, &report).await;
    crate::assistance::the_demo_requests_are_alive(&app, &report).await;
    crate::publications::the_demo_publications_are_alive(&app, &report).await;
    let directory = Page::of(app.visitor().get("/members").await).await;
    assert_eq!(
        directory.texts(".city-name").len(),
        11,
        "the lapsed city is not listed"
    );
    assert!(directory.texts("h2").contains(&"Colorado".to_owned()));
    assert!(
        portal::demo::run(&app.state, 0).await.is_err(),
        "a second run refuses a database that is not empty"
    );
}

#[tokio::test]
async fn every_demo_post_has_a_picture_of_its_own_that_its_alt_text_describes() {
    use sha2::{Digest, Sha256};
    let app = spawn_app().await;
    portal::demo::run(&app.state, 0).await.unwrap();
    let covers: Vec<(String, Option<String>, String)> = sqlx::query_as(
        "SELECT p.title, i.hash, p.cover_alt FROM posts p \
         LEFT JOIN images i ON i.id = p.cover_image_id WHERE p.status = 'published' ORDER BY p.id",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(covers.len(), portal::demo::Scene::ALL.len());
    let mut hashes = Vec::new();
    for (title, hash, alt) in &covers {
        let hash = hash
            .as_ref()
            .unwrap_or_else(|| panic!("{title} has no cover"));
        // The picture is the one drawn for the scene its alt text describes.
        let scene = portal::demo::Scene::ALL
            .into_iter()
            .find(|s| s.alt() == alt)
            .unwrap_or_else(|| panic!("{title}: {alt:?} is no scene's description"));
        let drawn = hex::encode(Sha256::digest(scene.png()));
        assert_eq!(
            &drawn[..16],
            hash,
            "{title}: the cover is not the picture of {alt:?}"
        );
        hashes.push(hash.clone());
    }
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), covers.len(), "two posts share a picture");
    let alts: std::collections::BTreeSet<&str> = covers.iter().map(|c| c.2.as_str()).collect();
    assert_eq!(alts.len(), covers.len(), "two posts share an alt text");
}

#[tokio::test]
async fn a_nul_in_a_post_title_is_refused_with_a_message_and_the_feed_stays_valid_xml() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let page = editor(
        &staff,
        "/staff/news",
        &[
            ("title", "City\0 Data\r\n2020\u{1b}"),
            ("body", "First line.\r\n\r\nSecond\0 paragraph."),
            ("action", "publish"),
        ],
        None,
    )
    .await;
    // Nothing is stored; the editor comes back with what is left and a message by each field.
    assert_eq!(page.status, 422);
    assert!(
        page.text("#title-error").contains("control characters"),
        "{}",
        page.text("#title-error")
    );
    assert!(page.text("#body-error").contains("control characters"));
    assert_eq!(
        page.attr("#title", "value").as_deref(),
        Some("City Data 2020")
    );
    assert_eq!(page.text("#body"), "First line. Second paragraph.");
    let posts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM posts")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(posts, 0);
    // Sent again as shown, it is published, and the feed stays valid XML.
    let page = editor(
        &staff,
        "/staff/news",
        &[
            ("title", "City Data 2020"),
            ("body", "First line.\r\n\r\nSecond paragraph."),
            ("action", "publish"),
        ],
        None,
    )
    .await;
    assert_eq!(page.text(".flash"), "“City Data 2020” is published.");
    let (title, body): (String, String) = sqlx::query_as("SELECT title, body_md FROM posts")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(title, "City Data 2020");
    assert_eq!(body, "First line.\n\nSecond paragraph.");
    let entries = atom_entries(&feed(&app).await);
    assert_eq!(entries, vec![("City Data 2020".to_owned(), true)]);
}

#[tokio::test]
async fn a_topic_chosen_twice_counts_once() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let water = topic(&app, &staff, "Water").await;
    let page = editor(
        &staff,
        "/staff/news",
        &[
            ("title", "Water Rates"),
            ("body", "b"),
            ("topic", &water),
            ("topic", &water),
            ("action", "publish"),
        ],
        None,
    )
    .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text(".flash"), "“Water Rates” is published.");
    let links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM post_topics")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(links, 1);
    let id = page.path().split('/').nth(3).unwrap().to_owned();
    let again = editor(
        &staff,
        &format!("/staff/news/{id}"),
        &[
            ("title", "Water Rates"),
            ("body", "b"),
            ("topic", &water),
            ("topic", &water),
            ("action", "publish"),
        ],
        None,
    )
    .await;
    assert_eq!(again.status, 200, "{:?}", again.texts(".error-summary li"));
}

#[tokio::test]
async fn a_cover_over_24_megapixels_is_refused_before_decoding() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let page = editor(
        &staff,
        "/staff/news",
        &[
            ("title", "Cover Test"),
            ("body", "b"),
            ("cover_alt", "A skyline"),
            ("action", "publish"),
        ],
        Some(("big.png", png_header(5_000, 5_000))),
    )
    .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.text("#cover-error"),
        "Error: The image is too large (5000 × 5000 pixels). Use one under 24 megapixels."
    );
}

#[tokio::test]
async fn a_cover_waits_while_another_image_is_being_decoded() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    // Another upload holds the one decoding place.
    let busy = app.state.decoding.acquire().await.unwrap();
    let png = portal::demo::cover_png([10, 60, 120], [200, 220, 240], 1);
    let upload = tokio::spawn(async move {
        editor(
            &staff,
            "/staff/news",
            &[
                ("title", "Cover Test"),
                ("body", "b"),
                ("cover_alt", "A skyline"),
                ("action", "publish"),
            ],
            Some(("sky.png", png)),
        )
        .await
        .text(".flash")
    });
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert!(!upload.is_finished(), "the second decode waited");
    drop(busy);
    assert_eq!(upload.await.unwrap(), "“Cover Test” is published.");
}

#[tokio::test]
async fn a_publication_time_outside_the_years_1900_to_2200_is_refused_next_to_its_field() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    for when in [
        "-9999-01-01T00:00",
        "0000-01-01T00:00",
        "9999-12-31T09:00",
        "2201-01-01T00:00",
    ] {
        let page = editor(
            &staff,
            "/staff/news",
            &[
                ("title", "Far Away"),
                ("body", "x"),
                ("action", "schedule"),
                ("publish_at", when),
            ],
            None,
        )
        .await;
        assert_eq!(page.status, 422, "{when}");
        assert_eq!(
            page.text("#publish_at-error"),
            "Error: Enter the date and time to publish with a year between 1900 and 2200.",
            "{when}"
        );
    }
    let none: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM posts")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(none, 0);
}

#[tokio::test]
async fn a_members_only_card_without_a_picture_keeps_the_cards_shape_and_says_what_it_is() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    for title in ["First Notes", "Second Notes", "Quiet Notes"] {
        publish(
            &staff,
            title,
            "Private words of the cohort.",
            &[("members_only", "1")],
        )
        .await;
    }
    let list = Page::of(app.visitor().get("/news").await).await;
    let home = Page::of(app.visitor().get("/").await).await;
    for page in [&list, &home] {
        let cards = page.texts(".card");
        assert!(!cards.is_empty());
        // In the picture's place, a plain band hidden from screen readers.
        let sel = scraper::Selector::parse(".card").unwrap();
        let band = scraper::Selector::parse(".card-image-none[aria-hidden=true]").unwrap();
        let excerpt = scraper::Selector::parse(".card-excerpt").unwrap();
        for card in page.html.select(&sel) {
            assert!(card.select(&band).next().is_some(), "{}", card.html());
            let said: String = card.select(&excerpt).next().unwrap().text().collect();
            assert_eq!(said, "For the people of member cities: log in to read it.");
        }
    }
}
