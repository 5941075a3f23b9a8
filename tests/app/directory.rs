//! The member directory: the public sees cities; the people of active member cities and staff
//! also see each city's listed mayor and advisors, filter and search; each person chooses on
//! the account page whether to be listed and which email to show.

use crate::support::{Page, TestApp, Visitor, spawn_app};

/// The names of the people the directory lists, with what is shown beside them.
async fn listed(v: &Visitor, query: &str) -> Vec<String> {
    let page = Page::of(v.get(&format!("/members{query}")).await).await;
    assert_eq!(page.status, 200);
    page.texts(".directory-person")
}

async fn list_me(v: &Visitor, kind: &str, other: &str) -> Page {
    Page::of(
        v.post_form(
            "/account/listing",
            &[
                ("listed", "yes"),
                ("shown_email_kind", kind),
                ("shown_email", other),
            ],
        )
        .await,
    )
    .await
}

async fn set_population(app: &TestApp, city: i64, population: i64) {
    sqlx::query("UPDATE cities SET population = $1 WHERE id = $2")
        .bind(population)
        .bind(city)
        .execute(&app.state.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_member_directory_shows_listed_people_only_and_never_to_the_public() {
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
        .invite_and_accept(&mayor, "sam@lafayetteco.gov", "Sam Quiet", "advisor", city)
        .await;
    let lapsed = app.insert_city("Dubuque", "IA", "active").await;
    let lapsed_mayor = app
        .invite_and_accept(&staff, "roy@dubuque.gov", "Roy Lapsed", "mayor", lapsed)
        .await;
    let gone = app
        .invite_and_accept(&mayor, "pat@lafayetteco.gov", "Pat Gone", "advisor", city)
        .await;

    // The mayor lists the account email; the second advisor lists and is then deactivated;
    // the first advisor never chooses; the other city's mayor lists, then the city lapses.
    assert_eq!(list_me(&mayor, "account", "").await.path(), "/account");
    assert_eq!(list_me(&gone, "none", "").await.path(), "/account");
    assert_eq!(
        list_me(&lapsed_mayor, "account", "").await.path(),
        "/account"
    );
    sqlx::query("UPDATE people SET active = 0 WHERE email = 'pat@lafayetteco.gov'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE cities SET status = 'lapsed' WHERE id = $1")
        .bind(lapsed)
        .execute(&app.state.pool)
        .await
        .unwrap();

    let expected = vec!["Jamie Harkins, Mayor jamie@lafayetteco.gov".to_owned()];
    assert_eq!(listed(&advisor, "").await, expected);
    assert_eq!(listed(&mayor, "").await, expected);
    assert_eq!(listed(&staff, "").await, expected);
    let member_page = Page::of(advisor.get("/members").await).await;
    assert!(member_page.has("form.filters select#state"));

    // The public, and the people of a lapsed city, see the cities and nobody.
    for v in [app.visitor(), lapsed_mayor] {
        let page = Page::of(v.get("/members?q=Jamie").await).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.texts(".city-name"), vec!["Lafayette".to_owned()]);
        assert!(!page.has(".directory-person"));
        assert!(!page.has("form.filters"));
        let body = page.html.html();
        for secret in ["Jamie Harkins", "jamie@lafayetteco.gov", "Sam Quiet"] {
            assert!(!body.contains(secret), "{secret} shown to the public");
        }
    }
}

#[tokio::test]
async fn a_person_chooses_whether_to_be_listed_and_which_email_and_keeps_the_choice() {
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

    // Not listed until chosen: "not yet listed", with neither answer ticked for them.
    let account = Page::of(mayor.get("/account").await).await;
    assert_eq!(account.attr("#listed-no", "checked"), None);
    assert_eq!(account.attr("#listed", "checked"), None);
    assert_eq!(
        account.text("#listing-state"),
        "You are not yet listed in the members' directory: you have not chosen."
    );
    assert!(listed(&staff, "").await.is_empty());

    // Another address must be an address.
    let refused = list_me(&mayor, "other", "not an address").await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.attr("#shown_email", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(
        refused.attr("#shown_email", "value").as_deref(),
        Some("not an address")
    );
    assert!(listed(&staff, "").await.is_empty());
    let unknown = Page::of(
        mayor
            .post_form(
                "/account/listing",
                &[("listed", "maybe"), ("shown_email_kind", "none")],
            )
            .await,
    )
    .await;
    assert_eq!(unknown.status, 422);
    assert_eq!(unknown.texts(".error-summary li").len(), 1);

    let saved = list_me(&mayor, "other", "office@lafayetteco.gov").await;
    assert_eq!(saved.path(), "/account");
    assert_eq!(saved.attr("#listed", "checked").as_deref(), Some(""));
    assert_eq!(
        saved.attr("#shown_email_kind-other", "checked").as_deref(),
        Some("")
    );
    assert_eq!(
        listed(&staff, "").await,
        vec!["Jamie Harkins, Mayor office@lafayetteco.gov".to_owned()]
    );

    // Changing the name and title keeps the choice.
    let profile = mayor
        .post_form(
            "/account/profile",
            &[
                ("name", "Jamie H. Harkins"),
                ("title", "Mayor of Lafayette"),
            ],
        )
        .await;
    assert_eq!(Page::of(profile).await.path(), "/account");
    assert_eq!(
        listed(&staff, "").await,
        vec!["Jamie H. Harkins, Mayor (Mayor of Lafayette) office@lafayetteco.gov".to_owned()]
    );

    // No email, then not listed at all.
    list_me(&mayor, "none", "").await;
    assert_eq!(
        listed(&staff, "").await,
        vec!["Jamie H. Harkins, Mayor (Mayor of Lafayette)".to_owned()]
    );
    let off = mayor
        .post_form(
            "/account/listing",
            &[("listed", "no"), ("shown_email_kind", "none")],
        )
        .await;
    assert_eq!(Page::of(off).await.path(), "/account");
    assert!(listed(&staff, "").await.is_empty());
}

#[tokio::test]
async fn members_filter_the_directory_by_state_and_size_and_search_city_and_person_names() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let small = app.insert_city("Lafayette", "CO", "active").await;
    let medium = app.insert_city("Madison", "WI", "active").await;
    let large = app.insert_city("Milwaukee", "WI", "active").await;
    set_population(&app, small, 24_999).await;
    set_population(&app, medium, 100_000).await;
    set_population(&app, large, 100_001).await;
    let dana = app
        .invite_and_accept(
            &staff,
            "dana@madison.gov",
            "Dana Whitfield",
            "mayor",
            medium,
        )
        .await;
    list_me(&dana, "none", "").await;

    let cities = |query: &'static str| {
        let staff = &staff;
        async move {
            let page = Page::of(staff.get(&format!("/members{query}")).await).await;
            assert_eq!(page.status, 200);
            page.texts(".directory-city h3")
        }
    };
    let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        cities("").await,
        names(&["Lafayette", "Madison", "Milwaukee"])
    );
    assert_eq!(cities("?state=WI").await, names(&["Madison", "Milwaukee"]));
    assert_eq!(cities("?size=small").await, names(&["Lafayette"]));
    assert_eq!(cities("?size=medium").await, names(&["Madison"]));
    assert_eq!(cities("?size=large&state=WI").await, names(&["Milwaukee"]));
    assert_eq!(cities("?size=large&state=CO").await, names(&[]));
    assert_eq!(cities("?q=milw").await, names(&["Milwaukee"]));
    assert_eq!(cities("?q=whitfield").await, names(&["Madison"]));
    // Unknown values filter nothing; the form keeps what was understood.
    assert_eq!(
        cities("?state=ZZ&size=huge&q=").await,
        names(&["Lafayette", "Madison", "Milwaukee"])
    );
    let page = Page::of(staff.get("/members?state=WI&size=large&q=Mil").await).await;
    assert_eq!(page.attr("#q", "value").as_deref(), Some("Mil"));
    assert_eq!(
        page.attr("#state option[selected]", "value").as_deref(),
        Some("WI")
    );
    assert_eq!(
        page.attr("#size option[selected]", "value").as_deref(),
        Some("large")
    );
    assert_eq!(page.text("p[role=status]"), "1 of 3 cities match.");
}
