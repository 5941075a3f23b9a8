//! The one search: news, pages, meetings and publications in one list for everyone, each with
//! its kind, a highlighted snippet and its date; filtered by kind, best match or newest first;
//! drafts and scheduled posts are found by nobody until they are out.

use crate::{
    fixture::Fixture,
    meetings::meeting_form,
    news,
    publications::publish,
    support::{Page, spawn_app},
};

#[tokio::test]
async fn one_list_finds_news_pages_meetings_and_publications_with_kind_filters_and_two_orders() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let staff = &net.staff;
    // The same rare word in a news post, a page, a meeting and a public publication; drafts of
    // each hold it too.
    news::publish(
        staff,
        "Quillwort wetlands",
        "Quillwort grows where water stays.",
        &[],
    )
    .await;
    news::editor(
        staff,
        "/staff/news",
        &[
            ("title", "Quillwort draft"),
            ("body", "A quillwort draft."),
            ("action", "draft"),
        ],
        None,
    )
    .await;
    for (title, action) in [
        ("Our quillwort pledge", "publish"),
        ("Quillwort plans", "draft"),
    ] {
        let page = Page::of(
            staff
                .post_form(
                    "/staff/pages",
                    &[
                        ("title", title),
                        ("slug", ""),
                        ("body", "The network's **quillwort** pledge."),
                        ("placement", "none"),
                        ("position", "1"),
                        ("action", action),
                    ],
                )
                .await,
        )
        .await;
        assert_eq!(page.texts(".error-summary li"), Vec::<String>::new());
    }
    let mut form = meeting_form(&app, "");
    form.retain(|(k, _)| *k != "description" && *k != "status");
    form.push((
        "description",
        "A field trip to the quillwort bog.".to_owned(),
    ));
    form.push(("status", "draft".to_owned()));
    let post = |form: Vec<(&'static str, String)>| async move {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Page::of(staff.post_form("/staff/meetings", &form).await).await
    };
    post(form.clone()).await;
    let public = app.visitor();
    let kinds = |page: &Page| page.texts(".results .result-kind");
    // A draft meeting is found by nobody but staff.
    let found = Page::of(public.get("/search?q=quillwort").await).await;
    assert_eq!(kinds(&found), ["News", "Page"], "{}", found.text("main"));
    // Announced, it is found by everyone.
    let id: i64 = sqlx::query_scalar("SELECT id FROM meetings")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let mut open = meeting_form(&app, "");
    open.retain(|(k, _)| *k != "description");
    open.push((
        "description",
        "A field trip to the quillwort bog.".to_owned(),
    ));
    let slug = open.iter().find(|(k, _)| *k == "slug").unwrap().1.clone();
    let saved = {
        let form: Vec<(&str, &str)> = open.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Page::of(
            staff
                .post_form(&format!("/staff/meetings/{slug}/edit"), &form)
                .await,
        )
        .await
    };
    assert_eq!(
        saved.texts(".error-summary li"),
        Vec::<String>::new(),
        "{id}"
    );
    for fields in [
        [
            ("title", "Quillwort restoration guide"),
            ("summary", "How cities restored quillwort."),
            ("visibility", "public"),
            ("kind", "toolkit"),
        ],
        [
            ("title", "Quillwort members' brief"),
            ("slug", "quillwort-members"),
            ("summary", "Quillwort, for members."),
            ("visibility", "members"),
        ],
    ] {
        let page = publish(
            staff,
            "/staff/publications/new",
            &fields,
            Some(("guide.pdf", portal::demo::cohorts::pdf("Guide", &["Bogs"]))),
        )
        .await;
        assert_eq!(page.texts(".error-summary li"), Vec::<String>::new());
    }

    // The public home page links the newest public publication, never a members' one.
    let home = Page::of(public.get("/").await).await;
    assert_eq!(
        home.texts(".home-publications li a"),
        ["Quillwort restoration guide"]
    );
    let members_home = Page::of(net.member.get("/").await).await;
    assert_eq!(members_home.texts(".home-publications li a").len(), 2);
    let found = Page::of(public.get("/search?q=quillwort").await).await;
    let mut seen = kinds(&found);
    seen.sort();
    assert_eq!(seen, ["Meeting", "News", "Page", "Publication"]);
    assert!(!found.text("main").contains("draft"));
    assert!(!found.text("main").contains("plans"));
    assert!(!found.text("main").contains("members' brief"));
    // Each result: its link, its kind, a snippet with the word marked, its date.
    assert_eq!(found.text(".result-page h3 a"), "Our quillwort pledge");
    assert_eq!(
        found.attr(".result-page h3 a", "href").as_deref(),
        Some("/pages/our-quillwort-pledge")
    );
    assert!(found.has(".result-news .snippet mark"));
    assert!(found.has(".result-meeting time[datetime]"));
    // A member finds the members' brief too.
    let member = Page::of(net.member.get("/search?q=quillwort").await).await;
    assert_eq!(member.texts(".results li").len(), 5);
    // Filtered by kind: only that kind; the filters the public may use, with the one shown
    // marked.
    let pages = Page::of(public.get("/search?q=quillwort&kind=page").await).await;
    assert_eq!(pages.texts(".results h3"), ["Our quillwort pledge"]);
    assert_eq!(pages.text(".search-kinds a[aria-current=page]"), "Page");
    assert_eq!(
        pages.texts(".search-kinds a"),
        ["Everything", "News", "Publication", "Meeting", "Page"]
    );
    // A kind the reader may not have is not offered and shows everything instead.
    let requests = Page::of(public.get("/search?q=quillwort&kind=request").await).await;
    assert_eq!(requests.texts(".results li").len(), 4);
    // Newest first: the meeting, 60 days ahead, leads.
    let newest = Page::of(public.get("/search?q=quillwort&sort=new").await).await;
    assert_eq!(kinds(&newest)[0], "Meeting");
    assert_eq!(newest.text(".search-order strong"), "Newest first");
    // Junk in the cursor or the order shows the first page, never an error.
    for q in [
        "after=zz",
        "after=1e999~3",
        "after=~",
        "sort=%00",
        "kind=%FF",
    ] {
        let r = public.get(&format!("/search?q=quillwort&{q}")).await;
        assert_eq!(r.status(), 200, "{q}");
    }
    // Unpublished and deleted things leave the index.
    let page_id: i64 =
        sqlx::query_scalar("SELECT id FROM pages WHERE slug = 'our-quillwort-pledge'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    staff
        .post_form(&format!("/staff/pages/{page_id}/unpublish"), &[])
        .await;
    let post_id: i64 = sqlx::query_scalar("SELECT id FROM posts WHERE slug = 'quillwort-wetlands'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    staff
        .post_form(&format!("/staff/news/{post_id}/unpublish"), &[])
        .await;
    let found = Page::of(public.get("/search?q=quillwort").await).await;
    let mut seen = kinds(&found);
    seen.sort();
    assert_eq!(seen, ["Meeting", "Publication"]);
    // `portal reindex` rebuilds the same.
    portal::search::reindex(&app.state).await.unwrap();
    let again = Page::of(public.get("/search?q=quillwort").await).await;
    assert_eq!(again.texts(".results h3"), found.texts(".results h3"));
    // Rebuilt area by area, its documents are numbered by date, as normal writes number them.
    let dates: Vec<i64> = sqlx::query_scalar("SELECT at FROM search_docs ORDER BY id")
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted);
    let kinds: Vec<String> = sqlx::query_scalar("SELECT DISTINCT kind FROM search_docs")
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    assert!(kinds.len() >= 2, "{kinds:?}");
}

#[tokio::test]
async fn a_scheduled_post_is_found_from_its_time_and_a_members_post_only_by_members() {
    let app = spawn_app().await;
    let net = Fixture::new(&app).await;
    let when = app
        .state
        .config
        .time_zone
        .clone()
        .field_value(app.state.clock.now() + 3 * 86_400);
    news::editor(
        &net.staff,
        "/staff/news",
        &[
            ("title", "Halophyte forecast"),
            ("body", "Halophyte news to come."),
            ("publish_at", &when),
            ("action", "schedule"),
        ],
        None,
    )
    .await;
    news::publish(
        &net.staff,
        "Halophyte members note",
        "Halophyte figures for members.",
        &[("members_only", "1")],
    )
    .await;
    let titles = |p: Page| p.texts(".results h3");
    let public = app.visitor();
    assert!(titles(Page::of(public.get("/search?q=halophyte").await).await).is_empty());
    assert_eq!(
        titles(Page::of(net.member.get("/search?q=halophyte").await).await),
        ["Halophyte members note"]
    );
    app.state.clock.advance(4 * 86_400);
    assert_eq!(
        titles(Page::of(public.get("/search?q=halophyte").await).await),
        ["Halophyte forecast"]
    );
}
