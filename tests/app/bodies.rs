//! Markdown bodies written by people: nesting bounded when written (the sanitizer's cost
//! grows with the square of depth), rendered once when saved, and served as stored.

use crate::support::{Page, Visitor, spawn_app};

/// A page's form with `body`; `action` publish or preview.
async fn save_page(staff: &Visitor, slug: &str, body: &str, action: &str) -> reqwest::Response {
    staff
        .post_form(
            "/staff/pages",
            &[
                ("title", "Deep"),
                ("slug", slug),
                ("body", body),
                ("placement", "none"),
                ("position", "0"),
                ("action", action),
            ],
        )
        .await
}

#[tokio::test]
async fn a_page_nesting_quotes_past_the_limit_is_refused_with_a_message_and_its_preview_says_why() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let deep = format!("{} too deep", ">".repeat(17));
    let response = save_page(&staff, "deep", &deep, "publish").await;
    assert_eq!(response.status(), 422);
    let page = Page::of(response).await;
    assert_eq!(
        page.text("#body-error"),
        "Error: The text nests quotes, lists or HTML elements more than 16 levels deep. Use at most 16 levels."
    );
    assert_eq!(page.text("textarea#body"), deep, "the text is given back");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pages")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing stored");

    // Elements left open count as deep as quotes; the preview says why it shows nothing.
    let open = "<div>\n\n".repeat(40) + "text";
    let page = Page::of(save_page(&staff, "deep", &open, "preview").await).await;
    assert!(
        page.text("main").contains("more than 16 levels deep"),
        "{}",
        page.text("main")
    );

    // Sixteen levels are accepted and shown as sixteen quotes.
    let fine = format!("{} sixteen", ">".repeat(16));
    save_page(&staff, "fine", &fine, "publish").await;
    let page = Page::of(app.visitor().get("/pages/fine").await).await;
    assert!(page.has("blockquote ".repeat(16).trim_end()));
    assert_eq!(page.text(".page-body"), "sixteen");
}

#[tokio::test]
async fn a_page_serves_the_html_stored_when_it_was_saved_and_renders_one_never_rendered() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    save_page(&staff, "stored", "Water **rates**.", "publish").await;
    let stored: Option<String> =
        sqlx::query_scalar("SELECT body_html FROM pages WHERE slug = 'stored'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(
        stored.as_deref(),
        Some("<p>Water <strong>rates</strong>.</p>\n")
    );
    // The page shows what is stored, not the source rendered again.
    sqlx::query("UPDATE pages SET body_html = '<p>As stored.</p>' WHERE slug = 'stored'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let page = Page::of(app.visitor().get("/pages/stored").await).await;
    assert_eq!(page.text(".page-body"), "As stored.");

    // A row written by hand (or before bodies were stored rendered) is rendered on view, and
    // the start-up step fills it.
    sqlx::query("UPDATE pages SET body_html = NULL, body = 'By *hand*.' WHERE slug = 'stored'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let page = Page::of(app.visitor().get("/pages/stored").await).await;
    assert_eq!(page.text(".page-body em"), "hand");
    portal::db::fill_rendered(&app.state.pool).await.unwrap();
    let stored: Option<String> =
        sqlx::query_scalar("SELECT body_html FROM pages WHERE slug = 'stored'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(stored.as_deref(), Some("<p>By <em>hand</em>.</p>\n"));
}
