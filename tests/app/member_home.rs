//! The member home: where mayors and advisors land, what it shows, and the header that
//! error pages keep.

use crate::support::{MEMBER_PASSWORD, Page, STAFF_PASSWORD, spawn_app};

#[tokio::test]
async fn a_mayor_lands_on_the_member_home_with_the_city_its_people_and_the_member_areas() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let city = app.insert_city("Lafayette", "CO", "active").await;
    sqlx::query("UPDATE cities SET renewal_date = '2027-03-31' WHERE id = $1")
        .bind(city)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let mayor = app
        .invite_and_accept(
            &staff,
            "jamie@lafayetteco.gov",
            "Jamie Harkins",
            "mayor",
            city,
        )
        .await;
    app.invite_and_accept(
        &mayor,
        "sam@lafayetteco.gov",
        "Sam Advisor",
        "advisor",
        city,
    )
    .await;
    // Another city's people are not this city's.
    let other = app.insert_city("Madison", "WI", "active").await;
    app.invite_and_accept(&staff, "dana@madison.gov", "Dana Whitfield", "mayor", other)
        .await;

    mayor.post_form("/logout", &[]).await;
    let home = mayor.log_in("jamie@lafayetteco.gov", MEMBER_PASSWORD).await;
    assert_eq!(home.path(), "/home");
    assert_eq!(home.h1(), "Welcome, Jamie Harkins");
    assert_eq!(home.text("#city-heading"), "Lafayette, CO");
    assert_eq!(
        home.texts(".member-city dd")[..3],
        ["Active", "1 January 2024", "31 March 2027"]
    );
    let people = home.texts(".people-list li");
    assert_eq!(people.len(), 2, "{people:?}");
    assert!(people[0].starts_with("Jamie Harkins") && people[0].contains("Mayor"));
    assert!(people[1].starts_with("Sam Advisor") && people[1].contains("Advisor"));
    assert_eq!(
        home.texts(".panel h3"),
        [
            "Cohorts & networks",
            "Annual meeting",
            "Technical assistance",
            "Publications"
        ]
    );
    assert_eq!(
        home.attr("nav.site-nav a[aria-current=page]", "href")
            .as_deref(),
        Some("/home")
    );
    assert!(
        home.has("a[href='/invitations']"),
        "the mayor can invite from home"
    );

    // A member is never asked to apply to become one.
    let front = Page::of(mayor.get("/").await).await;
    assert!(!front.has("a[href='/join']"));
    let directory = Page::of(mayor.get("/members").await).await;
    assert!(!directory.has("a[href='/join']"));
}

#[tokio::test]
async fn an_advisor_of_a_lapsed_city_sees_the_home_with_the_areas_closed() {
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
    let advisor = app
        .invite_and_accept(
            &mayor,
            "sam@lafayetteco.gov",
            "Sam Advisor",
            "advisor",
            city,
        )
        .await;
    sqlx::query("UPDATE cities SET status = 'lapsed' WHERE id = $1")
        .bind(city)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let home = Page::of(advisor.get("/home").await).await;
    assert_eq!(home.status, 200);
    assert!(home.text(".notice").contains("has lapsed"));
    assert_eq!(home.texts(".member-city dd")[0], "Lapsed");
    assert!(
        home.text(".member-areas")
            .contains("open again when the membership of your city is renewed")
    );
    assert!(
        !home.has("a[href='/invitations']"),
        "an advisor does not invite"
    );
}

#[tokio::test]
async fn staff_land_on_their_desk_and_visitors_are_asked_to_log_in() {
    let app = spawn_app().await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let visitor = app.visitor();
    let login = Page::of(visitor.get("/home").await).await;
    assert_eq!(login.path(), "/login?next=/home");

    let desk = visitor
        .log_in("ada@mayorsinnovation.org", STAFF_PASSWORD)
        .await;
    assert_eq!(desk.path(), "/staff");
    assert_eq!(Page::of(visitor.get("/home").await).await.path(), "/staff");
    // Asked for a page, log-in returns there instead.
    visitor.post_form("/logout", &[]).await;
    let back = Page::of(
        visitor
            .post_form(
                "/login",
                &[
                    ("email", "ada@mayorsinnovation.org"),
                    ("password", STAFF_PASSWORD),
                    ("next", "/news"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(back.path(), "/news");
}

#[tokio::test]
async fn an_error_page_keeps_the_logged_in_header() {
    let app = spawn_app().await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let visitor = app.visitor();
    visitor
        .log_in("ada@mayorsinnovation.org", STAFF_PASSWORD)
        .await;
    for path in [
        "/no/such/page",
        "/news/no-such-post",
        "/staff/cities/999999",
    ] {
        let page = Page::of(visitor.get(path).await).await;
        assert_eq!(page.status, 404, "{path}");
        assert_eq!(page.text("header .who strong"), "Ada Staff", "{path}");
        assert!(!page.has("header a[href='/login']"), "{path}");
    }
    let anonymous = Page::of(app.visitor().get("/no/such/page").await).await;
    assert!(anonymous.has("header a[href='/login']"));
}
