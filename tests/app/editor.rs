//! The Markdown editors' preview (news posts and pages): the Preview button shows the form
//! again with the text rendered and sanitized, and stores nothing; the fragment the script
//! asks for as one types.

use crate::news::{editor, publish};
use crate::support::{Page, TestApp, spawn_app};

const BODY: &str = "Cities replace **every** lead line.\n\n<script>alert(1)</script>\n\n<img src=\"x.png\" onerror=\"alert(2)\"> [a link](javascript:alert(3))";

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

/// The preview panel shows the body rendered, with nothing that could run.
fn assert_rendered_and_sanitized(page: &Page) {
    assert_eq!(page.text(".preview h2"), "Preview");
    assert_eq!(
        page.attr("#preview-body", "aria-live").as_deref(),
        Some("polite")
    );
    assert_eq!(page.text("#preview-body strong"), "every");
    assert!(!page.has("#preview-body script"), "the script is removed");
    assert!(page.has("#preview-body img"), "the picture stays");
    assert_eq!(page.attr("#preview-body img", "onerror"), None);
    assert_eq!(
        page.attr("#preview-body a", "href"),
        None,
        "no javascript: link"
    );
    assert_eq!(page.text("#preview-body a"), "a link");
}

#[tokio::test]
async fn a_previewed_new_post_shows_its_body_rendered_and_sanitized_its_values_again_and_stores_nothing()
 {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let png = portal::demo::cover_png([10, 90, 60], [220, 200, 150], 11);
    let page = editor(
        &staff,
        "/staff/news",
        &[
            ("title", "Lead Pipes Out"),
            ("slug", "lead-pipes"),
            ("excerpt", "Three cities set a date."),
            ("body", BODY),
            ("members_only", "1"),
            ("guest_byline", "Guest post by Mayor Ana Ruiz"),
            ("cover_alt", "Pipes in a trench"),
            ("publish_at", "2030-01-02T09:00"),
            ("action", "preview"),
        ],
        Some(("pipes.png", png)),
    )
    .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.h1(), "Write a post");
    assert!(!page.has(".error-summary"));
    assert_rendered_and_sanitized(&page);
    // The values entered come back.
    assert_eq!(page.attr("#title", "value").unwrap(), "Lead Pipes Out");
    assert_eq!(page.attr("#slug", "value").unwrap(), "lead-pipes");
    assert_eq!(page.text("#excerpt"), "Three cities set a date.");
    assert!(page.text("#body").contains("<script>alert(1)</script>"));
    assert!(page.text("#body").starts_with("Cities replace **every**"));
    assert!(page.has("#members_only[checked]"));
    assert_eq!(
        page.attr("#guest_byline", "value").unwrap(),
        "Guest post by Mayor Ana Ruiz"
    );
    assert_eq!(
        page.attr("#cover_alt", "value").unwrap(),
        "Pipes in a trench"
    );
    assert_eq!(
        page.attr("#publish_at", "value").unwrap(),
        "2030-01-02T09:00"
    );
    // The picture is not kept, and the page says so.
    assert!(page.text(".preview .notice").contains("not kept"));
    assert!(!page.has("input[name=cover_image_id]"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM posts").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM post_topics").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM images").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM files").await, 0);
}

#[tokio::test]
async fn a_previewed_change_to_a_post_leaves_the_saved_post_as_it_was() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let id = publish(&staff, "Water Rates", "The *old* text.", &[]).await;
    let before: (String, String, i64) =
        sqlx::query_as("SELECT title, body_md, updated_at FROM posts WHERE id = $1")
            .bind(id)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let page = editor(
        &staff,
        &format!("/staff/news/{id}"),
        &[
            ("title", "Water Rates, Revised"),
            ("body", BODY),
            ("action", "preview"),
        ],
        None,
    )
    .await;
    assert_eq!(page.status, 200);
    assert_rendered_and_sanitized(&page);
    assert_eq!(page.h1(), "Edit “Water Rates, Revised”");
    assert_eq!(
        page.attr("main form.editor", "action").unwrap(),
        format!("/staff/news/{id}"),
        "saving goes on from the preview"
    );
    assert!(
        !page.has(".preview .notice"),
        "no picture was sent, so none is said to be dropped"
    );
    let after: (String, String, i64) =
        sqlx::query_as("SELECT title, body_md, updated_at FROM posts WHERE id = $1")
            .bind(id)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(after, before);
    let public = Page::of(app.visitor().get("/news/water-rates").await).await;
    assert_eq!(public.text("article .prose em"), "old");
}

#[tokio::test]
async fn the_editor_keeps_its_formatting_help_and_an_empty_preview_panel_before_any_preview() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    for path in ["/staff/news/new", "/staff/pages/new"] {
        let page = Page::of(staff.get(path).await).await;
        assert_eq!(page.status, 200, "{path}");
        let help = page.texts(".markdown-help li").join(" ");
        for syntax in ["## Heading", "**bold**", "[link text](https://…)", "- item"] {
            assert!(
                help.contains(syntax),
                "{path}: {syntax} missing from {help}"
            );
        }
        assert_eq!(
            page.attr("#body", "aria-describedby").as_deref(),
            Some("body-help")
        );
        assert_eq!(page.text(".preview h2"), "Preview", "{path}");
        assert!(page.text("#preview-body").contains("Press Preview"));
        assert!(page.has("button[name=action][value=preview]"), "{path}");
    }
}

#[tokio::test]
async fn a_previewed_page_shows_its_text_rendered_and_sanitized_its_values_again_and_stores_nothing()
 {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let page = Page::of(
        staff
            .post_form(
                "/staff/pages",
                &[
                    ("title", "About Us"),
                    ("slug", "about-us"),
                    ("body", BODY),
                    ("placement", "header"),
                    ("position", "3"),
                    ("action", "preview"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.h1(), "Write a page");
    assert_rendered_and_sanitized(&page);
    assert_eq!(page.attr("#title", "value").unwrap(), "About Us");
    assert_eq!(page.attr("#slug", "value").unwrap(), "about-us");
    assert!(page.text("#body").contains("<script>alert(1)</script>"));
    assert!(page.has("#placement-header[checked]"));
    assert_eq!(page.attr("#position", "value").unwrap(), "3");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM pages").await, 0);
    assert_eq!(
        app.visitor().get("/pages/about-us").await.status(),
        404,
        "not published by a preview"
    );
}

#[tokio::test]
async fn a_previewed_change_to_a_page_leaves_the_saved_page_as_it_was() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    staff
        .post_form(
            "/staff/pages",
            &[
                ("title", "Contact"),
                ("body", "Write to *us*."),
                ("placement", "footer"),
                ("action", "publish"),
            ],
        )
        .await;
    let id: i64 = count(&app, "SELECT MAX(id) FROM pages").await;
    let page = Page::of(
        staff
            .post_form(
                &format!("/staff/pages/{id}"),
                &[
                    ("title", "Contact the Office"),
                    ("body", BODY),
                    ("placement", "footer"),
                    ("action", "preview"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(page.status, 200);
    assert_rendered_and_sanitized(&page);
    assert_eq!(page.attr("#title", "value").unwrap(), "Contact the Office");
    let stored: (String, String, String) =
        sqlx::query_as("SELECT title, body, status FROM pages WHERE id = $1")
            .bind(id)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(
        stored,
        (
            "Contact".to_owned(),
            "Write to *us*.".to_owned(),
            "published".to_owned()
        )
    );
}

#[tokio::test]
async fn the_preview_as_one_types_is_the_rendered_and_sanitized_fragment_and_stores_nothing() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let response = staff.post_form("/staff/preview", &[("body", BODY)]).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let fragment = Page::of(response).await;
    assert_eq!(fragment.text("strong"), "every");
    assert!(!fragment.has("script"));
    assert_eq!(fragment.attr("img", "onerror"), None);
    assert!(!fragment.has("header"), "a fragment, not a page");
    let empty = Page::of(staff.post_form("/staff/preview", &[("body", "  ")]).await).await;
    assert!(empty.text("p").contains("Nothing to preview"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM posts").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM pages").await, 0);
}

/// The button Enter presses in a form: its first submit button, as (name, value).
fn default_button(page: &Page) -> (String, String) {
    let sel = scraper::Selector::parse("main form.editor button[type=submit]").unwrap();
    let b = page
        .html
        .select(&sel)
        .next()
        .expect("the form has a button");
    (
        b.value().attr("name").unwrap_or("").to_owned(),
        b.value().attr("value").unwrap_or("").to_owned(),
    )
}

#[tokio::test]
async fn enter_saves_and_taking_a_published_page_or_post_offline_is_asked_first() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    // A new page: Enter saves a draft, never a preview.
    let new = Page::of(staff.get("/staff/pages/new").await).await;
    assert_eq!(
        default_button(&new),
        ("action".to_owned(), "draft".to_owned())
    );
    Page::of(
        staff
            .post_form(
                "/staff/pages",
                &[
                    ("title", "About us"),
                    ("slug", ""),
                    ("body", "Who we are."),
                    ("placement", "footer"),
                    ("position", "0"),
                    ("action", "publish"),
                ],
            )
            .await,
    )
    .await;
    let id: i64 = count(&app, "SELECT id FROM pages").await;
    let edit = Page::of(staff.get(&format!("/staff/pages/{id}/edit")).await).await;
    // The editor says where the page stands; Enter keeps it published.
    assert!(edit.text(".status-line").starts_with("Status: Published"));
    assert_eq!(
        default_button(&edit),
        ("action".to_owned(), "publish".to_owned())
    );
    assert!(
        !edit
            .texts("main button")
            .iter()
            .any(|b| b.contains("draft")),
        "no 'Save as draft' on a published page"
    );
    // "Unpublish" asks first, and says it takes the page offline.
    let href = edit.attr("main a[href$='/unpublish']", "href").unwrap();
    assert_eq!(edit.text("main a[href$='/unpublish']"), "Unpublish…");
    let ask = Page::of(staff.get(&href).await).await;
    assert_eq!(ask.h1(), "Take “About us” offline?");
    assert!(ask.text("main").contains("stops working for readers"));
    assert_eq!(app.visitor().get("/pages/about-us").await.status(), 200);
    let done = Page::of(staff.post_form(&href, &[]).await).await;
    assert_eq!(done.text(".flash"), "“About us” is a draft now, offline.");
    assert!(done.text(".status-line").starts_with("Status: Draft"));
    assert_eq!(app.visitor().get("/pages/about-us").await.status(), 404);

    // A published post: Enter saves as it is; Unpublish asks first.
    let post = publish(&staff, "Water Rates", "The text.", &[]).await;
    let edit = Page::of(staff.get(&format!("/staff/news/{post}/edit")).await).await;
    assert_eq!(
        default_button(&edit),
        ("action".to_owned(), "save".to_owned())
    );
    assert!(edit.text(".status-line").starts_with("Status: Published"));
    assert!(
        !edit
            .texts("main button")
            .iter()
            .any(|b| b.contains("draft"))
    );
    let href = edit.attr("main a[href$='/unpublish']", "href").unwrap();
    let ask = Page::of(staff.get(&href).await).await;
    assert_eq!(ask.h1(), "Take “Water Rates” offline?");
    assert_eq!(app.visitor().get("/news/water-rates").await.status(), 200);
}
