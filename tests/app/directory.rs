//! The member directory: the public sees cities; the people of active member cities and staff
//! also see each city's listed mayor and advisors, filter and search; each person chooses on
//! the account page whether to be listed and which email to show.

use crate::fixture::{Cities, Fixture};
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
    let net = Fixture::with(&app).lapse_later().build().await;
    let (staff, mayor, advisor) = (&net.staff, &net.facilitator, &net.member);

    // The mayor lists the account email; the colleague lists and is then deactivated; the
    // advisor and the other city's mayor never choose; the third city's mayor lists, then
    // that city lapses.
    assert_eq!(list_me(mayor, "account", "").await.path(), "/account");
    assert_eq!(list_me(&net.colleague, "none", "").await.path(), "/account");
    assert_eq!(list_me(&net.lapsed, "account", "").await.path(), "/account");
    sqlx::query("UPDATE people SET active = 0 WHERE email = 'colleague@a.gov'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    net.lapse(&app).await;

    let expected = vec!["Mayor A, Mayor · Lafayette, CO mayor@a.gov".to_owned()];
    assert_eq!(listed(advisor, "").await, expected);
    assert_eq!(listed(mayor, "").await, expected);
    assert_eq!(listed(staff, "").await, expected);
    let member_page = Page::of(advisor.get("/members").await).await;
    assert!(member_page.has("form.filters select#state"));

    // The public, and the people of a lapsed city, see the active cities and nobody, whatever
    // they ask.
    for v in [&app.visitor(), &net.lapsed] {
        let page = Page::of(v.get("/members?q=Mayor").await).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.texts(".city-name"), ["Lafayette", "Madison"]);
        assert!(!page.has(".directory-person"));
        assert!(!page.has("form.filters"));
        let body = page.html.html();
        for secret in ["Mayor A", "mayor@a.gov", "Advisor A", "Colleague A"] {
            assert!(!body.contains(secret), "{secret} shown to the public");
        }
    }
}

#[tokio::test]
async fn a_person_chooses_whether_to_be_listed_and_which_email_and_keeps_the_choice() {
    let app = spawn_app().await;
    let net = Cities::new(&app).await;
    let (staff, mayor) = (&net.staff, &net.facilitator);

    // Not listed until chosen: "not yet listed", with neither answer ticked for them.
    let account = Page::of(mayor.get("/account").await).await;
    assert_eq!(account.attr("#listed-no", "checked"), None);
    assert_eq!(account.attr("#listed", "checked"), None);
    assert_eq!(
        account.text("#listing-state"),
        "You are not yet listed in the members' directory: you have not chosen."
    );
    assert!(listed(staff, "").await.is_empty());

    // Another address must be an address.
    let refused = list_me(mayor, "other", "not an address").await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.attr("#shown_email", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(
        refused.attr("#shown_email", "value").as_deref(),
        Some("not an address")
    );
    assert!(listed(staff, "").await.is_empty());
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

    let saved = list_me(mayor, "other", "office@lafayetteco.gov").await;
    assert_eq!(saved.path(), "/account");
    assert_eq!(saved.attr("#listed", "checked").as_deref(), Some(""));
    assert_eq!(
        saved.attr("#shown_email_kind-other", "checked").as_deref(),
        Some("")
    );
    assert_eq!(
        listed(staff, "").await,
        vec!["Mayor A, Mayor · Lafayette, CO office@lafayetteco.gov".to_owned()]
    );

    // Changing the name and title keeps the choice.
    let profile = mayor
        .post_form(
            "/account/profile",
            &[
                ("name", "Mayor A. Harkins"),
                ("title", "Mayor of Lafayette"),
            ],
        )
        .await;
    assert_eq!(Page::of(profile).await.path(), "/account");
    assert_eq!(
        listed(staff, "").await,
        vec![
            "Mayor A. Harkins, Mayor of Lafayette · Lafayette, CO office@lafayetteco.gov"
                .to_owned()
        ]
    );

    // No email, then not listed at all.
    list_me(mayor, "none", "").await;
    assert_eq!(
        listed(staff, "").await,
        vec!["Mayor A. Harkins, Mayor of Lafayette · Lafayette, CO".to_owned()]
    );
    let off = mayor
        .post_form(
            "/account/listing",
            &[("listed", "no"), ("shown_email_kind", "none")],
        )
        .await;
    assert_eq!(Page::of(off).await.path(), "/account");
    assert!(listed(staff, "").await.is_empty());
}

#[tokio::test]
async fn members_filter_the_directory_by_state_and_size_and_search_city_and_person_names() {
    let app = spawn_app().await;
    let net = Cities::new(&app).await;
    let staff = &net.staff;
    let (small, medium) = (net.city_a, net.city_b);
    let large = app.insert_city("Milwaukee", "WI", "active").await;
    set_population(&app, small, 24_999).await;
    set_population(&app, medium, 100_000).await;
    set_population(&app, large, 100_001).await;
    list_me(&net.other_city, "none", "").await;

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
    assert_eq!(cities("?q=mayor%20b").await, names(&["Madison"]));
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

/// The text of every element matching the selector exactly as written, spaces included.
fn raw_texts(page: &Page, selector: &str) -> Vec<String> {
    let sel = scraper::Selector::parse(selector).unwrap();
    page.html
        .select(&sel)
        .map(|e| e.text().collect::<String>())
        .collect()
}

async fn set_title(app: &TestApp, email: &str, title: &str) {
    sqlx::query("UPDATE people SET title = $1 WHERE email = $2")
        .bind(title)
        .bind(email)
        .execute(&app.state.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_entry_reads_name_role_and_city_and_search_finds_names_titles_and_cities_whatever_their_accents()
 {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let flagstaff = app.insert_city("Flagstaff", "AZ", "active").await;
    let san_jose = app.insert_city("San José", "CA", "active").await;
    app.insert_city("Dubuque", "IA", "lapsed").await;
    let rosa = app
        .invite_and_accept(
            &staff,
            "rosa@flagstaff.gov",
            "Rosa Yazzie",
            "mayor",
            flagstaff,
        )
        .await;
    let jose = app
        .invite_and_accept(
            &rosa,
            "jose@flagstaff.gov",
            "José Núñez",
            "advisor",
            flagstaff,
        )
        .await;
    let lee = app
        .invite_and_accept(&staff, "lee@sanjose.gov", "Lee Park", "mayor", san_jose)
        .await;
    for v in [&rosa, &jose, &lee] {
        assert_eq!(list_me(v, "none", "").await.path(), "/account");
    }
    set_title(&app, "rosa@flagstaff.gov", "Mayor").await;
    set_title(&app, "jose@flagstaff.gov", "Sustainability Manager").await;
    set_title(&app, "lee@sanjose.gov", "Mayor of San José").await;

    let page = Page::of(staff.get("/members").await).await;
    // Exactly as written: no stray space, the role not repeated by the title.
    assert_eq!(
        raw_texts(&page, ".directory-entry"),
        vec![
            "Rosa Yazzie, Mayor · Flagstaff, AZ".to_owned(),
            "José Núñez, Advisor, Sustainability Manager · Flagstaff, AZ".to_owned(),
            "Lee Park, Mayor of San José · San José, CA".to_owned(),
        ]
    );
    // The state filter offers only the states with a member city in the directory.
    assert_eq!(
        page.texts("#state option"),
        vec!["Any state", "Arizona", "California"]
    );

    let found = |query: &'static str| {
        let staff = &staff;
        async move {
            let page = Page::of(staff.get(&format!("/members?q={query}")).await).await;
            assert_eq!(page.status, 200);
            page.texts(".directory-entry .person-name")
        }
    };
    let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    // Names, without their accents or in capitals ("jose" finds San José's mayor too).
    assert_eq!(found("jose").await, names(&["José Núñez", "Lee Park"]));
    assert_eq!(found("NUNEZ").await, names(&["José Núñez"]));
    assert_eq!(found("n%C3%BA%C3%B1ez").await, names(&["José Núñez"]));
    // Titles: only the people who match, not their whole city.
    assert_eq!(found("sustainability").await, names(&["José Núñez"]));
    assert_eq!(found("MANAGER").await, names(&["José Núñez"]));
    // Cities: everyone listed there.
    assert_eq!(found("san+jose").await, names(&["Lee Park"]));
    assert_eq!(
        found("flagstaff").await,
        names(&["Rosa Yazzie", "José Núñez"])
    );
    assert_eq!(found("zzz").await, names(&[]));
    // Each name leads to the person's page.
    let page = Page::of(staff.get("/members?q=nunez").await).await;
    let href = page.attr(".directory-entry a.person-name", "href").unwrap();
    let person = Page::of(staff.get(&href).await).await;
    assert_eq!(person.h1(), "José Núñez");
}

mod person {
    //! A listed member's page and its Contact form.

    use crate::fixture::{Fixture, SLUG, add, create_cohort};
    use crate::support::{Page, TestApp, Visitor, spawn_app, spawn_app_with};

    async fn id_of(app: &TestApp, email: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM people WHERE email = $1")
            .bind(email)
            .fetch_one(&app.state.pool)
            .await
            .unwrap()
    }

    async fn list(v: &Visitor) {
        let page = super::list_me(v, "none", "").await;
        assert_eq!(page.path(), "/account");
    }

    async fn write(v: &Visitor, to: i64, message: &str) -> Page {
        Page::of(
            v.post_form(&format!("/members/{to}/contact"), &[("message", message)])
                .await,
        )
        .await
    }

    async fn member_messages_to(app: &TestApp, to: &str) -> Vec<crate::support::Mail> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT subject FROM outbox WHERE kind = 'member-message' AND to_addr = $1",
        )
        .bind(to)
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
        app.outbox()
            .await
            .into_iter()
            .filter(|m| m.to == to && ids.contains(&m.subject))
            .collect()
    }

    #[tokio::test]
    async fn a_listed_members_page_shows_the_cohorts_shared_with_the_reader_and_is_a_404_to_everyone_else()
     {
        let app = spawn_app().await;
        let net = Fixture::with(&app).outsider().build().await;
        // Mayor A (the facilitator) and Advisor A are in the cohort; Mayor C too, but that
        // city lapsed.
        list(&net.facilitator).await;
        list(&net.member).await;
        list(&net.lapsed).await;
        // A hidden cohort Mayor A is in and Advisor A is not, and one both are in where staff
        // keep Mayor A off the members' list.
        create_cohort(
            &net.staff,
            "Hidden Circle",
            &[("join_policy", "invite"), ("facilitators", "mayor@a.gov")],
        )
        .await;
        create_cohort(
            &net.staff,
            "Budget Lab",
            &[
                ("join_policy", "open"),
                ("visible", "1"),
                ("facilitators", "mayor@a.gov"),
            ],
        )
        .await;
        add(&net.staff, "budget-lab", "advisor@a.gov").await;
        let ana = id_of(&app, "mayor@a.gov").await;
        sqlx::query(
            "UPDATE cohort_members SET listed_override = 0 WHERE person_id = $1 \
             AND cohort_id = (SELECT id FROM cohorts WHERE slug = 'budget-lab')",
        )
        .bind(ana)
        .execute(&app.state.pool)
        .await
        .unwrap();

        let page = Page::of(net.member.get(&format!("/members/{ana}")).await).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.h1(), "Mayor A");
        assert_eq!(page.text("main .lead"), "Mayor · Lafayette, CO");
        assert_eq!(
            page.texts(".shared-cohorts li"),
            vec!["Water Affordability"]
        );
        assert_eq!(
            page.attr(".shared-cohorts a", "href").as_deref(),
            Some(format!("/cohorts/{SLUG}").as_str())
        );
        // Another city's mayor shares nothing with her, and sees that.
        let other = Page::of(net.other_city.get(&format!("/members/{ana}")).await).await;
        assert_eq!(other.status, 200);
        assert!(other.texts(".shared-cohorts li").is_empty());
        assert!(
            other
                .text("main")
                .contains("You are in no cohort together yet.")
        );

        // The public and a lapsed city's people get the 404 of a missing page, as does
        // everyone for a person not listed, deactivated, or of a lapsed city.
        let missing = Page::of(net.member.get("/members/999999").await).await;
        assert_eq!(missing.status, 404);
        for v in [&app.visitor(), &net.lapsed] {
            let page = Page::of(v.get(&format!("/members/{ana}")).await).await;
            assert_eq!(page.status, 404);
            assert_eq!(page.h1(), missing.h1());
            assert!(!page.html.html().contains("Mayor A"));
            let sent = write(v, ana, "Hello").await;
            assert_eq!(sent.status, 404);
        }
        let olga = id_of(&app, "outsider@a.gov").await;
        let cal = id_of(&app, "mayor@c.gov").await;
        for (who, id) in [("unlisted", olga), ("lapsed city", cal)] {
            for v in [&net.member, &net.staff] {
                let page = Page::of(v.get(&format!("/members/{id}")).await).await;
                assert_eq!(page.status, 404, "{who}");
            }
            assert_eq!(write(&net.member, id, "Hello").await.status, 404, "{who}");
        }
        sqlx::query("UPDATE people SET active = 0 WHERE id = $1")
            .bind(ana)
            .execute(&app.state.pool)
            .await
            .unwrap();
        let gone = Page::of(net.member.get(&format!("/members/{ana}")).await).await;
        assert_eq!(gone.status, 404);
        assert!(
            app.outbox()
                .await
                .iter()
                .all(|m| m.subject.find("wrote to you").is_none())
        );
    }

    #[tokio::test]
    async fn a_message_goes_by_email_with_the_senders_address_for_replies_and_the_sender_never_sees_the_recipients()
     {
        let smtp = crate::smtp::SmtpServer::start(0).await;
        let url = smtp.url();
        let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
        let net = Fixture::new(&app).await;
        list(&net.facilitator).await;
        let ana = id_of(&app, "mayor@a.gov").await;

        let page = Page::of(net.other_city.get(&format!("/members/{ana}")).await).await;
        assert_eq!(page.text("#contact-heading"), "Contact Mayor A");
        assert!(page.has(&format!(
            "form[action='/members/{ana}/contact'] textarea#message"
        )));
        assert!(page.text("#contact-heading + p").contains("mayor@b.gov"));
        assert!(!page.html.html().contains("mayor@a.gov"));

        // An empty message comes back with its message, and nothing is sent.
        let empty = write(&net.other_city, ana, "  ").await;
        assert_eq!(empty.status, 422);
        assert_eq!(
            empty.texts(".error-summary li"),
            vec!["Enter your message."]
        );
        assert_eq!(
            empty.attr("#message", "aria-invalid").as_deref(),
            Some("true")
        );
        assert!(member_messages_to(&app, "mayor@a.gov").await.is_empty());

        let sent = write(
            &net.other_city,
            ana,
            "Hello Ana,\nhow did Lafayette set its water rates?",
        )
        .await;
        assert_eq!(sent.status, 200);
        assert_eq!(sent.path(), format!("/members/{ana}"));
        assert_eq!(sent.text(".flash"), "Your message to Mayor A is sent.");
        assert!(!sent.html.html().contains("mayor@a.gov"));

        let mails = member_messages_to(&app, "mayor@a.gov").await;
        assert_eq!(mails.len(), 1);
        let mail = &mails[0];
        assert_eq!(mail.reply_to, "mayor@b.gov");
        assert_eq!(
            mail.subject,
            "Mayor B wrote to you through the Mayors Innovation Project members' directory"
        );
        assert!(
            mail.text
                .contains("Mayor B (Mayor, Madison, WI) wrote to you")
        );
        assert!(
            mail.text
                .contains("Hello Ana,\nhow did Lafayette set its water rates?")
        );
        assert!(mail.text.contains("/account#messages-heading"));

        // The message as the mail server receives it: to her, replies to him.
        assert!(app.deliver_mail().await >= 1);
        let received = smtp
            .messages()
            .into_iter()
            .find(|m| m.rcpt == ["mayor@a.gov"] && m.text().contains("water rates"))
            .expect("the message reached the mail server");
        assert_eq!(received.header("Reply-To").as_deref(), Some("mayor@b.gov"));
        assert!(
            received
                .text()
                .contains("how did Lafayette set its water rates?")
        );

        // Nobody writes to themselves: the page offers no form.
        let own = Page::of(net.facilitator.get(&format!("/members/{ana}")).await).await;
        assert_eq!(own.status, 200);
        assert!(!own.has("#contact-heading"));
        assert_eq!(write(&net.facilitator, ana, "Me").await.status, 403);
    }

    #[tokio::test]
    async fn a_person_who_turned_messages_off_gets_none_and_the_sender_is_told_only_that_it_was_sent()
     {
        let app = spawn_app().await;
        let net = Fixture::new(&app).await;
        list(&net.facilitator).await;
        let ana = id_of(&app, "mayor@a.gov").await;

        let account = Page::of(net.facilitator.get("/account").await).await;
        assert_eq!(account.attr("#accepts", "checked").as_deref(), Some(""));
        let off = Page::of(
            net.facilitator
                .post_form("/account/messages", &[("accepts", "no")])
                .await,
        )
        .await;
        assert_eq!(off.path(), "/account");
        assert_eq!(
            off.text(".flash"),
            "Members can no longer write to you through the directory."
        );
        assert_eq!(off.attr("#accepts-no", "checked").as_deref(), Some(""));
        let unknown = Page::of(
            net.facilitator
                .post_form("/account/messages", &[("accepts", "maybe")])
                .await,
        )
        .await;
        assert_eq!(unknown.status, 422);
        assert_eq!(
            unknown.texts(".error-summary li"),
            vec!["Choose whether members may write to you through the directory."]
        );

        // The page offers no form; a message sent anyway is "sent", and nothing goes out.
        let page = Page::of(net.member.get(&format!("/members/{ana}")).await).await;
        assert_eq!(page.status, 200);
        assert!(!page.has("form[action$='/contact']"));
        let before = app.outbox().await.len();
        let sent = write(&net.member, ana, "Are you there?").await;
        assert_eq!(sent.status, 200);
        assert_eq!(sent.text(".flash"), "Your message to Mayor A is sent.");
        assert_eq!(app.outbox().await.len(), before);

        // Turned on again, the form is back and the next message goes out.
        net.facilitator
            .post_form("/account/messages", &[("accepts", "yes")])
            .await;
        let page = Page::of(net.member.get(&format!("/members/{ana}")).await).await;
        assert!(page.has("form[action$='/contact']"));
        write(&net.member, ana, "Now?").await;
        assert_eq!(member_messages_to(&app, "mayor@a.gov").await.len(), 1);
    }

    #[tokio::test]
    async fn twenty_parallel_messages_never_pass_the_daily_limit_which_frees_up_a_day_later() {
        let app = spawn_app_with(|c| c.contact_daily_limit = 3).await;
        let net = Fixture::new(&app).await;
        list(&net.facilitator).await;
        let ana = id_of(&app, "mayor@a.gov").await;

        let sends = (0..20).map(|i| {
            let member = &net.member;
            async move { write(member, ana, &format!("Message {i}")).await }
        });
        let pages = futures_util::future::join_all(sends).await;
        let statuses: Vec<u16> = pages.iter().map(|p| p.status).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            3,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 429).count(),
            17,
            "{statuses:?}"
        );
        let refused = pages.iter().find(|p| p.status == 429).unwrap();
        assert!(
            refused
                .text("#message-error")
                .contains("You have sent 3 messages to members in the last 24 hours")
        );
        // The message typed comes back with the refusal.
        assert!(refused.text("#message").starts_with("Message "));
        assert_eq!(member_messages_to(&app, "mayor@a.gov").await.len(), 3);

        // Another sender has a limit of their own; a day later the first may write again.
        assert_eq!(write(&net.other_city, ana, "Hi").await.status, 200);
        assert_eq!(write(&net.member, ana, "One more").await.status, 429);
        app.state.clock.advance(24 * 60 * 60 + 1);
        assert_eq!(write(&net.member, ana, "One more").await.status, 200);
        assert_eq!(member_messages_to(&app, "mayor@a.gov").await.len(), 5);
    }

    #[tokio::test]
    async fn the_public_is_never_shown_a_person_page() {
        let app = spawn_app().await;
        let net = super::Cities::new(&app).await;
        let staff = &net.staff;
        list(&net.facilitator).await;
        let id = id_of(&app, "mayor@a.gov").await;
        assert_eq!(
            Page::of(staff.get(&format!("/members/{id}")).await)
                .await
                .status,
            200
        );
        let public = app.visitor();
        for path in [format!("/members/{id}"), "/members/not-a-number".to_owned()] {
            let page = Page::of(public.get(&path).await).await;
            assert_eq!(page.status, 404, "{path}");
        }
    }
}
