//! The organization's face: identity settings in the header and footer, the logo, and the
//! simple pages staff write.

use reqwest::multipart::{Form, Part};

use crate::support::{Page, Visitor, spawn_app};

async fn save_identity(staff: &Visitor, fields: &[(&str, &str)]) -> Page {
    let mut form = vec![
        ("org_name", ""),
        ("org_tagline", ""),
        ("contact_email", ""),
        ("address", ""),
        ("social", ""),
    ];
    for (k, v) in fields {
        if let Some(slot) = form.iter_mut().find(|(name, _)| name == k) {
            slot.1 = v;
        }
    }
    Page::of(staff.post_form("/staff/site/identity", &form).await).await
}

async fn upload_logo(staff: &Visitor, name: &str, bytes: Vec<u8>) -> Page {
    let form = Form::new().part("logo", Part::bytes(bytes).file_name(name.to_owned()));
    Page::of(
        staff
            .client
            .post(staff.url("/staff/site/logo"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn save_page(staff: &Visitor, path: &str, fields: &[(&str, &str)]) -> Page {
    Page::of(staff.post_form(path, fields).await).await
}

#[tokio::test]
async fn the_footer_shows_each_setting_once_set_and_hides_it_when_empty() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let public = app.visitor();

    let home = Page::of(public.get("/").await).await;
    assert!(!home.has("footer address"), "no address before one is set");
    assert!(
        !home.has("footer .footer-email"),
        "no email before one is set"
    );
    assert!(
        !home.has("footer .footer-social"),
        "no social links before any is set"
    );
    assert!(
        home.text("footer .footer-name")
            .starts_with("Mayors Innovation Project")
    );
    assert_eq!(
        home.attr(
            "footer nav[aria-label='Site information'] a[href='/news/feed.xml']",
            "href"
        )
        .as_deref(),
        Some("/news/feed.xml")
    );

    let saved = save_identity(
        &staff,
        &[
            ("org_name", "Mayors Innovation Lab"),
            ("org_tagline", "Where mayors learn from each other."),
            ("contact_email", "hello@mayorslab.org"),
            ("address", "1180 Observatory Drive\nMadison, WI 53706"),
            ("social", "Bluesky https://bsky.app/profile/mayorslab\nLinkedIn https://www.linkedin.com/company/mayorslab"),
        ],
    )
    .await;
    assert_eq!(saved.path(), "/staff/site");
    assert_eq!(
        saved.text(".flash"),
        "The organization's details are saved."
    );

    let home = Page::of(public.get("/").await).await;
    assert_eq!(home.text("header .brand-name"), "Mayors Innovation Lab");
    assert_eq!(
        home.text("header .tagline"),
        "Where mayors learn from each other."
    );
    assert_eq!(
        home.text("footer address"),
        "1180 Observatory DriveMadison, WI 53706"
    );
    assert_eq!(
        home.texts("footer address br").len(),
        1,
        "one line break between the two lines"
    );
    assert_eq!(
        home.attr("footer .footer-email a", "href").as_deref(),
        Some("mailto:hello@mayorslab.org")
    );
    assert_eq!(
        home.texts("footer .footer-social a"),
        ["Bluesky", "LinkedIn"]
    );
    assert_eq!(
        home.attr("footer .footer-social a", "href").as_deref(),
        Some("https://bsky.app/profile/mayorslab")
    );
    assert!(home.has("footer .footer-social[aria-label='Elsewhere']"));

    // Emptied one by one: each line goes, and the name falls back to the configured one.
    save_identity(&staff, &[("contact_email", "hello@mayorslab.org")]).await;
    let home = Page::of(public.get("/").await).await;
    assert_eq!(home.text("header .brand-name"), "Mayors Innovation Project");
    assert!(!home.has("footer address"));
    assert!(!home.has("footer .footer-social"));
    assert!(home.has("footer .footer-email"));
    save_identity(&staff, &[]).await;
    let home = Page::of(public.get("/").await).await;
    assert!(!home.has("footer .footer-email"));
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM settings WHERE key LIKE 'identity.%'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0, "an emptied setting is removed, not stored empty");
}

#[tokio::test]
async fn identity_settings_with_a_bad_email_or_link_come_back_with_messages_and_change_nothing() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let response = staff
        .post_form(
            "/staff/site/identity",
            &[
                ("org_name", "New Name"),
                ("org_tagline", ""),
                ("contact_email", "not an email"),
                ("address", ""),
                ("social", "Bluesky javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = Page::of(response).await;
    assert_eq!(page.texts(".error-summary li").len(), 2);
    assert!(page.has("#contact_email[aria-invalid='true']"));
    assert!(page.has("#social[aria-invalid='true']"));
    assert_eq!(page.attr("#org_name", "value").as_deref(), Some("New Name"));
    let home = Page::of(app.visitor().get("/").await).await;
    assert_eq!(home.text("header .brand-name"), "Mayors Innovation Project");
}

#[tokio::test]
async fn an_uploaded_logo_shows_in_the_header_with_the_name_as_its_text_and_an_svg_is_served_inert()
{
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let public = app.visitor();
    let home = Page::of(public.get("/").await).await;
    assert!(!home.has("header img.logo"));

    let svg = br##"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10" fill="#fff"/></svg>"##;
    let saved = upload_logo(&staff, "logo.svg", svg.to_vec()).await;
    assert_eq!(
        saved.path(),
        "/staff/site",
        "{:?}",
        saved.texts(".error-summary li")
    );
    let home = Page::of(public.get("/").await).await;
    let src = home.attr("header a.brand-name img.logo", "src").unwrap();
    assert_eq!(
        home.attr("header img.logo", "alt").as_deref(),
        Some("Mayors Innovation Project")
    );
    let logo = public.get(&src).await;
    assert_eq!(logo.status(), 200);
    let headers = logo.headers().clone();
    assert_eq!(headers["content-type"], "image/svg+xml");
    // Drawn with its own styles; no script, no fetch, no form, no frame, and a sandbox.
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; \
         frame-ancestors 'none'; sandbox"
    );
    assert_eq!(
        headers["content-disposition"],
        "inline; filename=\"logo.svg\""
    );
    assert_eq!(logo.bytes().await.unwrap().as_ref(), svg.as_slice());

    // A PNG replaces it; the old address is gone.
    let png = portal::demo::cover_png([10, 60, 120], [200, 220, 240], 3);
    upload_logo(&staff, "logo.png", png).await;
    let home = Page::of(public.get("/").await).await;
    let new_src = home.attr("header img.logo", "src").unwrap();
    assert_ne!(new_src, src);
    assert_eq!(public.get(&new_src).await.status(), 200);
    assert_eq!(public.get(&src).await.status(), 404);

    // An HTML file is no logo.
    let refused = upload_logo(
        &staff,
        "page.html",
        b"<html><script>alert(1)</script></html>".to_vec(),
    )
    .await;
    assert_eq!(
        refused.text("#logo-error"),
        "Error: The logo must be a PNG, SVG or JPEG file."
    );

    let removed = Page::of(staff.post_form("/staff/site/logo/delete", &[]).await).await;
    assert_eq!(removed.path(), "/staff/site");
    let home = Page::of(public.get("/").await).await;
    assert!(!home.has("header img.logo"));
    assert_eq!(public.get(&new_src).await.status(), 404);
}

#[tokio::test]
async fn a_draft_page_is_missing_to_the_public_and_shown_to_staff_until_published() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let public = app.visitor();
    let saved = save_page(
        &staff,
        "/staff/pages",
        &[
            ("title", "About us"),
            ("slug", ""),
            ("body", "We are a **learning network**."),
            ("placement", "footer"),
            ("position", "1"),
            ("action", "draft"),
        ],
    )
    .await;
    assert_eq!(saved.path(), "/staff/pages");
    assert_eq!(saved.text(".flash"), "“About us” is saved as a draft.");

    assert_eq!(public.get("/pages/about-us").await.status(), 404);
    let home = Page::of(public.get("/").await).await;
    assert!(
        !home.has("footer a[href='/pages/about-us']"),
        "a draft is not linked"
    );
    let draft = Page::of(staff.get("/pages/about-us").await).await;
    assert_eq!(draft.h1(), "About us");
    assert!(draft.text(".notice").starts_with("This page is a draft"));

    let id: i64 = sqlx::query_scalar("SELECT id FROM pages WHERE slug = 'about-us'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let published = save_page(
        &staff,
        &format!("/staff/pages/{id}"),
        &[
            ("title", "About us"),
            ("slug", "about-us"),
            ("body", "We are a **learning network**."),
            ("placement", "footer"),
            ("position", "1"),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(
        published.text(".flash"),
        "“About us” is published at /pages/about-us."
    );
    let page = Page::of(public.get("/pages/about-us").await).await;
    assert_eq!(page.h1(), "About us");
    assert_eq!(page.text(".page-body strong"), "learning network");
    assert!(!page.has(".notice"));
}

#[tokio::test]
async fn published_pages_are_linked_in_the_header_or_the_footer_as_placed_and_in_order() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    for (title, placement, position) in [
        ("Privacy", "footer", "3"),
        ("About us", "footer", "1"),
        ("Annual meeting", "header", "0"),
        ("Unlinked", "none", "0"),
    ] {
        let page = save_page(
            &staff,
            "/staff/pages",
            &[
                ("title", title),
                ("slug", ""),
                ("body", "Text."),
                ("placement", placement),
                ("position", position),
                ("action", "publish"),
            ],
        )
        .await;
        assert_eq!(
            page.path(),
            "/staff/pages",
            "{:?}",
            page.texts(".error-summary li")
        );
    }
    let home = Page::of(app.visitor().get("/").await).await;
    assert_eq!(
        home.texts("footer nav[aria-label='Site information'] a"),
        ["About us", "Privacy", "News feed"]
    );
    assert!(home.has("header nav a[href='/pages/annual-meeting']"));
    assert!(!home.has("footer a[href='/pages/annual-meeting']"));
    assert!(!home.has("a[href='/pages/unlinked']"));
    assert_eq!(app.visitor().get("/pages/unlinked").await.status(), 200);
    let on_it = Page::of(app.visitor().get("/pages/annual-meeting").await).await;
    assert_eq!(
        on_it
            .attr("header nav a[href='/pages/annual-meeting']", "aria-current")
            .as_deref(),
        Some("page")
    );
}

#[tokio::test]
async fn page_markdown_is_sanitized_and_a_taken_or_bad_address_is_refused() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let body =
        "Hello <script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror=alert(3)>";
    save_page(
        &staff,
        "/staff/pages",
        &[
            ("title", "Contact"),
            ("slug", "contact"),
            ("body", body),
            ("placement", "footer"),
            ("position", ""),
            ("action", "publish"),
        ],
    )
    .await;
    let page = Page::of(app.visitor().get("/pages/contact").await).await;
    assert!(!page.has(".page-body script"));
    assert!(!page.has(".page-body [onerror]"));
    assert!(
        page.attr(".page-body a", "href")
            .is_none_or(|h| !h.contains("javascript")),
        "no javascript: link"
    );

    let response = staff
        .post_form(
            "/staff/pages",
            &[
                ("title", "Contact again"),
                ("slug", "contact"),
                ("body", "Text."),
                ("placement", "none"),
                ("position", "0"),
                ("action", "publish"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = Page::of(response).await;
    assert_eq!(
        page.text("#slug-error"),
        "Error: Another page has this address. Choose another one."
    );
    let response = staff
        .post_form(
            "/staff/pages",
            &[
                ("title", "Bad"),
                ("slug", "Not A Slug"),
                ("body", ""),
                ("placement", "none"),
                ("position", "x"),
                ("action", "publish"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = Page::of(response).await;
    assert_eq!(page.texts(".error-summary li").len(), 3);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pages")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn staff_delete_a_page_and_its_address_and_link_go() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    save_page(
        &staff,
        "/staff/pages",
        &[
            ("title", "Accessibility"),
            ("slug", ""),
            ("body", "We aim for WCAG 2.2 AA."),
            ("placement", "footer"),
            ("position", "0"),
            ("action", "publish"),
        ],
    )
    .await;
    let list = Page::of(staff.get("/staff/pages").await).await;
    assert_eq!(list.texts("tbody td:first-child a"), ["Accessibility"]);
    let id: i64 = sqlx::query_scalar("SELECT id FROM pages")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let done = Page::of(
        staff
            .post_form(&format!("/staff/pages/{id}/delete"), &[])
            .await,
    )
    .await;
    assert_eq!(done.text(".flash"), "The page is deleted.");
    assert_eq!(
        app.visitor().get("/pages/accessibility").await.status(),
        404
    );
    let home = Page::of(app.visitor().get("/").await).await;
    assert!(!home.has("footer a[href='/pages/accessibility']"));
}

#[tokio::test]
async fn the_demo_sets_a_drawn_logo_contact_details_and_the_pages_the_footer_and_home_page_promise()
{
    let app = spawn_app().await;
    let report = portal::demo::run(&app.state, 0).await.unwrap();
    assert_demo_printout(&report.text("http://localhost:8080"));
    let public = app.visitor();
    let home = Page::of(public.get("/").await).await;
    let src = home.attr("header img.logo", "src").unwrap();
    let logo = public.get(&src).await;
    assert_eq!(logo.status(), 200);
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
    assert_eq!(
        home.texts("footer nav[aria-label='Site information'] a"),
        [
            "About us",
            "Contact",
            "Privacy",
            "Accessibility",
            "News feed"
        ]
    );
    assert!(home.has("footer address"));
    assert!(home.has("footer .footer-email a"));
    assert_eq!(home.texts("footer .footer-social a").len(), 2);
    // The public navigation leads to what members get, in order.
    let nav: Vec<String> = home
        .texts("header nav.site-nav a")
        .into_iter()
        .filter(|t| {
            [
                "Cohorts & networks",
                "Annual meeting",
                "Technical assistance",
                "Publications",
            ]
            .contains(&t.as_str())
        })
        .collect();
    assert_eq!(
        nav,
        [
            "Cohorts & networks",
            "Annual meeting",
            "Technical assistance",
            "Publications"
        ]
    );
    // The hero asks visitors to join, and the tagline is said once.
    assert_eq!(
        home.attr("main .statement a.button", "href").as_deref(),
        Some("/join")
    );
    assert_eq!(
        home.text("main .statement a.button"),
        "Become a Member City"
    );
    let tagline = app.state.config.org_tagline.clone();
    assert_eq!(home.h1(), tagline);
    assert!(!home.has("header .tagline"), "the heading says it already");
    assert!(!home.text("footer").contains(tagline.as_str()));
    let news = Page::of(public.get("/news").await).await;
    assert_eq!(news.text("header .tagline"), tagline, "other pages keep it");
    // /join says what membership costs, gives and how long review takes, from a page staff edit.
    let join = Page::of(public.get("/join").await).await;
    let terms = join.text(".membership-terms");
    for words in ["costs", "gives", "review takes"] {
        assert!(terms.contains(words), "{terms}");
    }
    assert!(join.has(".membership-terms li"));
    for slug in [
        "about-us",
        "contact",
        "privacy",
        "accessibility",
        "cohorts-and-networks",
        "annual-meeting",
        "technical-assistance",
        "publications",
    ] {
        let page = Page::of(public.get(&format!("/pages/{slug}")).await).await;
        assert_eq!(page.status, 200, "{slug}");
        assert!(page.texts(".page-body p").len() >= 2, "{slug} has a body");
    }
}

#[tokio::test]
async fn the_feed_carries_the_stored_name_and_tagline() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    save_identity(
        &staff,
        &[
            ("org_name", "Mayors Innovation Lab"),
            ("org_tagline", "Where mayors learn from each other."),
        ],
    )
    .await;
    let xml = app
        .visitor()
        .get("/news/feed.xml")
        .await
        .text()
        .await
        .unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let text = |name: &str| {
        doc.root_element()
            .children()
            .find(|n| n.has_tag_name(name))
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(text("title"), "Mayors Innovation Lab — News");
    assert_eq!(text("subtitle"), "Where mayors learn from each other.");
}

#[tokio::test]
async fn every_page_names_its_own_address_as_canonical_without_the_query() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let public = app.visitor();
    for (path, canonical) in [
        ("/", "/"),
        ("/news", "/news"),
        ("/members", "/members"),
        ("/join", "/join"),
        ("/login?next=%2Fhome", "/login"),
        ("/search?q=water", "/search"),
    ] {
        let page = Page::of(public.get(path).await).await;
        assert_eq!(page.status, 200, "{path}");
        let expected = format!("{}{canonical}", app.address);
        assert_eq!(
            page.attr("link[rel=canonical]", "href").as_deref(),
            Some(expected.as_str()),
            "{path}"
        );
        assert_eq!(
            page.attr("meta[property='og:url']", "content").as_deref(),
            Some(expected.as_str()),
            "{path}"
        );
    }
    let page = Page::of(staff.get("/staff/site").await).await;
    assert_eq!(
        page.attr("link[rel=canonical]", "href"),
        Some(format!("{}/staff/site", app.address))
    );
    // An error page is no page of its own: it names none, rather than the home page.
    let missing = Page::of(public.get("/no/such/page").await).await;
    assert_eq!(missing.status, 404);
    assert!(!missing.has("link[rel=canonical]"));
    assert!(!missing.has("meta[property='og:url']"));
}

#[tokio::test]
async fn a_jpeg_logo_is_taken_drawn_again_as_a_png_and_previewed_on_the_headers_colour() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    // A white logo, 400 by 200, as a JPEG.
    let white = image::RgbImage::from_pixel(400, 200, image::Rgb([255, 255, 255]));
    let mut jpeg = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(white)
        .write_to(&mut jpeg, image::ImageFormat::Jpeg)
        .unwrap();
    let saved = upload_logo(&staff, "logo.jpg", jpeg.into_inner()).await;
    assert_eq!(
        saved.path(),
        "/staff/site",
        "{:?}",
        saved.texts(".error-summary li")
    );
    let src = saved.attr(".logo-preview img", "src").unwrap();
    let logo = app.visitor().get(&src).await;
    assert_eq!(logo.status(), 200);
    assert_eq!(logo.headers()["content-type"], "image/png");
    let bytes = logo.bytes().await.unwrap();
    let drawn = image::load_from_memory(&bytes).unwrap();
    assert_eq!((drawn.width(), drawn.height()), (192, 96));
    // The preview sits on the header's colour, so a white logo shows.
    let css = app
        .visitor()
        .get(&saved.attr("link[rel=stylesheet]", "href").unwrap())
        .await;
    let css = css.text().await.unwrap();
    let rule = css
        .lines()
        .find(|l| l.starts_with(".logo-preview {"))
        .expect("the preview has its own rule");
    assert!(rule.contains("background: var(--brand)"), "{rule}");
    assert!(css.contains(".site-header { background: var(--brand)"));
    // A file that says it is a JPEG but is none is refused with a message, not a 500.
    let mut broken = vec![0xFF, 0xD8, 0xFF, 0xE0];
    broken.extend_from_slice(&[0; 64]);
    let refused = upload_logo(&staff, "broken.jpg", broken).await;
    assert!(
        (400..500).contains(&refused.status),
        "{}",
        refused.text("main")
    );
    assert!(refused.text("#logo-error").starts_with("Error: "));
}

/// The demo's printout: the logins in aligned columns, then who facilitates which cohort.
fn assert_demo_printout(text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim_start().starts_with("Role"))
        .expect("a header row");
    let logins: Vec<&str> = lines[start..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .copied()
        .collect();
    assert!(logins.len() > 5, "{text}");
    // The email column starts at the same character in every row.
    let column = |l: &str| {
        let at = l.find('@').or_else(|| l.find("Email")).unwrap();
        let before = &l[..at];
        before
            .trim_end_matches(|c: char| !c.is_whitespace())
            .chars()
            .count()
    };
    let first = column(logins[0]);
    for l in &logins {
        assert_eq!(column(l), first, "misaligned: {l:?}\n{text}");
    }
    let facilitation = text
        .split("Who facilitates which cohort:")
        .nth(1)
        .expect("the cohorts' facilitators are listed");
    assert!(
        facilitation.contains("Robin Chen, Samuel Okafor"),
        "{facilitation}"
    );
    let rows: Vec<&str> = facilitation
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(rows.len(), 4, "a header and three cohorts: {facilitation}");
    let second = |l: &str| {
        l.find("  ")
            .map(|i| i + l[i..].find(|c: char| c != ' ').unwrap())
    };
    let at = second(rows[0].trim_start()).unwrap();
    for r in &rows {
        assert_eq!(second(r.trim_start()), Some(at), "misaligned: {r:?}");
    }
}
