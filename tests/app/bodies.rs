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

/// Sixteen quote levels and one more: the first is kept, the second refused.
fn too_deep() -> String {
    format!("{} too deep", ">".repeat(17))
}

#[tokio::test]
async fn cohort_posts_descriptions_and_session_notes_nesting_too_deep_are_refused_and_kept_in_the_form()
 {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let city = app.insert_city("Lafayette", "CO", "active").await;
    let mayor = app
        .invite_and_accept(&staff, "mayor@a.gov", "Mayor A", "mayor", city)
        .await;
    let cohort = |description| {
        [
            ("name", "Water Affordability"),
            ("join_policy", "open"),
            ("visible", "1"),
            ("status", "active"),
            ("facilitators", "mayor@a.gov"),
            ("description", description),
        ]
    };
    let deep = too_deep();
    let r = staff.post_form("/staff/cohorts", &cohort(&deep)).await;
    assert_eq!(r.status(), 422);
    let page = Page::of(r).await;
    assert!(
        page.text("#description-error").contains(
            "The description nests quotes, lists or HTML elements more than 16 levels deep."
        ),
        "{}",
        page.text("#description-error")
    );
    assert_eq!(page.text("textarea#description"), too_deep());
    let r = staff
        .post_form("/staff/cohorts", &cohort("Rates **people** can pay."))
        .await;
    assert_eq!(r.status(), 200);

    // A thread and a reply nesting too deep: refused, the text given back, nothing stored.
    let discussion = "/cohorts/water-affordability/discussion";
    let r = mayor
        .post_form(discussion, &[("title", "Deep"), ("body", &too_deep())])
        .await;
    assert_eq!(r.status(), 422);
    let page = Page::of(r).await;
    assert!(
        page.text("#body-error")
            .contains("more than 16 levels deep")
    );
    assert_eq!(page.text("textarea#body"), too_deep());
    let r = mayor
        .post_form(
            discussion,
            &[("title", "Rates"), ("body", "Our **rates**.")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let thread: i64 = sqlx::query_scalar("SELECT id FROM cohort_threads")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let r = mayor
        .post_form(&format!("{discussion}/{thread}"), &[("body", &too_deep())])
        .await;
    assert_eq!(r.status(), 422);
    let page = Page::of(r).await;
    assert!(
        page.text("#body-error")
            .contains("more than 16 levels deep")
    );
    assert_eq!(page.text("textarea#body"), too_deep());
    let posts: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT body, body_html FROM cohort_posts")
            .fetch_all(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(
        posts,
        vec![(
            "Our **rates**.".to_owned(),
            Some("<p>Our <strong>rates</strong>.</p>\n".to_owned())
        )],
        "one post, stored with its HTML"
    );

    // The thread shows the HTML stored, not the source rendered again.
    sqlx::query("UPDATE cohort_posts SET body_html = '<p>As stored.</p>'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let page = Page::of(mayor.get(&format!("{discussion}/{thread}")).await).await;
    assert_eq!(page.text(".post-body"), "As stored.");
    let page = Page::of(mayor.get("/cohorts/water-affordability").await).await;
    assert_eq!(
        page.text(".prose strong"),
        "people",
        "the description as rendered"
    );

    // Session notes too.
    let r = mayor
        .post_form(
            "/cohorts/water-affordability/sessions",
            &[
                ("title", "Rates"),
                ("starts", "2031-01-14T09:00"),
                ("duration", "60"),
                ("time_zone", "America/Denver"),
                ("notes", &too_deep()),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = Page::of(r).await;
    assert!(
        page.text("#notes-error")
            .contains("more than 16 levels deep")
    );
    assert_eq!(page.text("textarea#notes"), too_deep());
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cohort_sessions")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
}
