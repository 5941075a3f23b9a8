//! Cross-site requests, headers, limits, static files, error pages, health.

use crate::support::{Page, spawn_app, spawn_app_with, spawn_app_with_routes};

#[tokio::test]
async fn a_cross_site_post_is_refused_with_a_page_that_says_why() {
    let app = spawn_app().await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let by_fetch_metadata = app
        .client
        .post(app.url("/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("email", "ada@mayorsinnovation.org"),
            ("password", crate::support::STAFF_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let page = Page::of(by_fetch_metadata).await;
    assert_eq!(page.status, 403);
    assert_eq!(page.h1(), "Not allowed");
    // The refused log-in did not happen: no session on the server, and the next page asks
    // this browser to log in.
    let sessions: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE person_id IS NOT NULL")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(sessions, 0);
    assert_eq!(
        Page::of(app.get("/account").await).await.path(),
        "/login?next=/account"
    );

    // A cross-site log-out is refused too: the person stays logged in.
    app.log_in("ada@mayorsinnovation.org", crate::support::STAFF_PASSWORD)
        .await;
    let by_origin = app
        .client
        .post(app.url("/logout"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(by_origin.status(), 403);
    let still = Page::of(app.get("/account").await).await;
    assert_eq!(still.path(), "/account");
    assert_eq!(still.text("header .who strong"), "Ada Staff");
}

#[tokio::test]
async fn a_same_origin_post_goes_through() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/login"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", &app.address)
        .form(&[("email", ""), ("password", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        422,
        "reached the form handler, which asks for the fields"
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/", "/login", "/no-such-page", "/static/portal.css"] {
        let response = app.get(path).await;
        let h = response.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(
            h["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_secure_under_https() {
    let app = spawn_app_with(|c| c.base_url = "https://portal.example.org".to_owned()).await;
    app.create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .post(app.url("/login"))
        .form(&[
            ("email", "ada@mayorsinnovation.org"),
            ("password", crate::support::STAFF_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let cookie = cookies
        .iter()
        .find(|c| c.starts_with("portal_session="))
        .expect("a session cookie");
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Max-Age=1209600"] {
        assert!(cookie.contains(flag), "{flag} missing from {cookie}");
    }
    // The device cookie goes to the log-in form only, and as carefully.
    let device = cookies
        .iter()
        .find(|c| c.starts_with("portal_device="))
        .expect("a device cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/login"] {
        assert!(device.contains(flag), "{flag} missing from {device}");
    }

    let plain = spawn_app().await;
    plain
        .create_staff("ada@mayorsinnovation.org", "Ada Staff")
        .await;
    let response = client
        .post(plain.url("/login"))
        .form(&[
            ("email", "ada@mayorsinnovation.org"),
            ("password", crate::support::STAFF_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().contains("Secure"))
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413() {
    let app = spawn_app().await;
    let big = "a".repeat(2 * 1024 * 1024);
    let response = app
        .post_form("/login", &[("email", &big), ("password", "x")])
        .await;
    let page = Page::of(response).await;
    assert_eq!(page.status, 413);
    assert_eq!(page.h1(), "Too large");
}

#[tokio::test]
async fn unknown_pages_get_the_404_page_in_the_layout() {
    let app = spawn_app().await;
    let page = Page::of(app.get("/nothing/here").await).await;
    assert_eq!(page.status, 404);
    assert_eq!(page.h1(), "Page not found");
    assert_eq!(page.text("header .brand-name"), "Mayors Innovation Project");
    assert_eq!(page.text(".skip-link"), "Skip to main content");
    assert!(page.has("footer"));
}

#[tokio::test]
async fn static_files_are_cached_by_fingerprint_and_revalidated_by_etag() {
    let app = spawn_app().await;
    let home = Page::of(app.get("/").await).await;
    let css = home.attr("link[rel=stylesheet]", "href").unwrap();
    assert!(css.starts_with("/static/portal.css?v="));
    let response = app.get(&css).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/css; charset=utf-8"
    );
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = response.headers()["etag"].clone();

    let again = app
        .client
        .get(app.url("/static/portal.css"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["cache-control"], "public, no-cache");
    assert_eq!(app.get("/static/missing.css").await.status(), 404);
}

#[tokio::test]
async fn pages_are_compressed_for_clients_that_accept_gzip() {
    let app = spawn_app().await;
    let raw = reqwest::Client::new();
    let response = raw
        .get(app.url("/static/portal.css"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn healthz_answers_200_with_the_database_and_503_without_it() {
    let app = spawn_app().await;
    let ok = app.get("/healthz").await;
    assert_eq!(ok.status(), 200);
    app.state.pool.close().await;
    assert_eq!(app.get("/healthz").await.status(), 503);
}

#[tokio::test]
async fn the_staff_area_is_hidden_from_visitors_and_in_the_navigation() {
    let app = spawn_app().await;
    let home = Page::of(app.get("/").await).await;
    assert!(!home.texts("nav a").contains(&"Staff".to_owned()));
    assert_eq!(home.text(".account a"), "Log in");
    app.log_in_as_new_staff().await;
    let home = Page::of(app.get("/").await).await;
    assert!(home.texts("nav a").contains(&"Staff".to_owned()));
}

#[tokio::test]
async fn an_origin_with_another_scheme_or_a_foreign_origin_beside_same_origin_fetch_metadata_is_refused()
 {
    let app = spawn_app().await;
    let host = app.address.trim_start_matches("http://").to_owned();
    let post = |origin: String, fetch_site: Option<&'static str>| {
        let mut request = app
            .client
            .post(app.url("/login"))
            .header("origin", origin)
            .form(&[("email", ""), ("password", "")]);
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        request.send()
    };
    // The portal is served over http: an https page of the same host is another origin.
    let other_scheme = Page::of(post(format!("https://{host}"), None).await.unwrap()).await;
    assert_eq!(other_scheme.status, 403);
    assert_eq!(other_scheme.h1(), "Not allowed");
    let foreign = post("https://evil.example".to_owned(), Some("same-origin"))
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    // The portal's own origin still goes through, with or without fetch metadata.
    let own = post(app.address.clone(), Some("same-origin"))
        .await
        .unwrap();
    assert_eq!(own.status(), 422, "reached the log-in form");
    let own = post(app.address.clone(), None).await.unwrap();
    assert_eq!(own.status(), 422, "reached the log-in form");
}

#[tokio::test]
async fn under_https_every_response_says_strict_transport_security_for_the_configured_time() {
    let app = spawn_app_with(|c| c.base_url = "https://portal.example.org".to_owned()).await;
    let long = format!("/news?q={}", "a".repeat(20_000));
    for path in ["/", "/no-such-page", "/static/portal.css", long.as_str()] {
        let response = app.get(path).await;
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000",
            "{}",
            &path[..path.len().min(20)]
        );
    }
    let refused = app
        .client
        .post(app.url("/login"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.headers()["strict-transport-security"],
        "max-age=31536000"
    );

    let short = spawn_app_with(|c| {
        c.base_url = "https://portal.example.org".to_owned();
        c.hsts_max_age = 600;
    })
    .await;
    assert_eq!(
        short.get("/").await.headers()["strict-transport-security"],
        "max-age=600"
    );
    let plain = spawn_app().await;
    assert!(
        !plain
            .get("/")
            .await
            .headers()
            .contains_key("strict-transport-security")
    );
}

#[tokio::test]
async fn an_over_long_address_gets_the_414_page_with_the_security_headers() {
    let app = spawn_app().await;
    let response = app.get(&format!("/news/{}", "a".repeat(20_000))).await;
    let h = response.headers().clone();
    let page = Page::of(response).await;
    assert_eq!(page.status, 414);
    assert_eq!(page.h1(), "Address too long");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["cache-control"], "no-store");
}

#[tokio::test]
async fn public_pages_are_cacheable_for_anonymous_readers_and_never_for_a_logged_in_person() {
    let app = spawn_app().await;
    let anonymous = reqwest::Client::new();
    for path in ["/", "/news", "/members"] {
        let response = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=60",
            "{path}"
        );
        let vary: Vec<_> = response
            .headers()
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_lowercase())
            .collect();
        assert!(
            vary.iter().any(|v| v.contains("cookie")),
            "{path}: {vary:?}"
        );
    }
    // The log-in page and the join form are not on the public list.
    let login = anonymous.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.headers()["cache-control"], "no-store");

    app.log_in_as_new_staff().await;
    for path in ["/", "/news", "/members", "/account"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        let vary: Vec<_> = response
            .headers()
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_lowercase())
            .collect();
        assert!(
            vary.iter().any(|v| v.contains("cookie")),
            "{path}: {vary:?}"
        );
    }
    let account = anonymous.get(app.url("/account")).send().await.unwrap();
    assert_eq!(account.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn an_address_with_a_nul_byte_is_the_404_page_on_both_databases() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let public = app.visitor();
    let paths = [
        "/news/a%00b",
        "/pages/a%00b",
        "/invite/a%00b",
        "/setup/a%00b",
        "/cohorts/calendar/a%00b.ics",
        "/static/portal%00.css",
        // A query that names a thing: the topic without its NUL does not exist.
        "/news?topic=a%00b",
        "/news?topic=a%%0000b",
    ];
    for path in paths {
        let page = Page::of(public.get(path).await).await;
        assert_eq!(page.status, 404, "{path}");
        assert_eq!(page.h1(), "Page not found", "{path}");
    }
    // A query that carries text: read without the NUL, as a form's text is.
    let search = Page::of(public.get("/search?q=water%00").await).await;
    assert_eq!(search.status, 200);
    assert_eq!(
        search.attr("input[name=q]", "value").as_deref(),
        Some("water")
    );
    let login = Page::of(public.get("/login?next=/home%00").await).await;
    assert_eq!(login.status, 200);
    // And a form's field, which the form kit cleans.
    let refused = public
        .post_form(
            "/login",
            &[
                ("email", "ada\0@example.org"),
                ("password", "a long wrong password"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    for path in ["/cohorts/a%00b", "/cohorts/a%00b/resources", "/people/1%00"] {
        let page = Page::of(staff.get(path).await).await;
        assert_eq!(page.status, 404, "{path}");
        assert_eq!(page.h1(), "Page not found", "{path}");
        // Refused before anything is looked up, with the person still logged in.
        assert_eq!(page.text("header .who strong"), "Grace Staff", "{path}");
    }
    let posted = staff.post_form("/cohorts/a%00b/join", &[]).await;
    assert_eq!(posted.status(), 404);
    // Should a NUL reach the database some other way, PostgreSQL's refusal of it (22021) is
    // an error of the request, not "busy, try again".
    if let Err(e) = sqlx::query("SELECT $1")
        .bind("a\0b")
        .execute(&app.state.pool)
        .await
    {
        assert!(!portal::error::is_busy(&e), "{e}");
    }
}

/// Log lines written while the test runs, as the server writes them.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_handler_that_panics_answers_the_500_page_logs_the_cause_and_the_portal_goes_on() {
    // The test's runtime is one thread: the server's tasks log to this subscriber.
    let logs = Captured::default();
    let writer = logs.clone();
    let _guard = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish(),
    );
    // No route of the portal panics on purpose; a bug such as `Fields::get` of an undeclared
    // field does, so the test adds a handler with that bug.
    let buggy = axum::Router::new().route(
        "/test/bug",
        axum::routing::get(|| async {
            panic!("undeclared form field `nickname`");
            #[expect(unreachable_code)]
            ""
        }),
    );
    let app = spawn_app_with_routes(|_| {}, buggy).await;
    let staff = app.staff_visitor().await;

    let got = staff.get("/test/bug").await;
    assert_eq!(got.status(), 500);
    let headers = got.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(headers.contains_key("content-security-policy"));
    assert_eq!(headers["cache-control"], "no-store");
    let page = Page::of(got).await;
    assert_eq!(page.h1(), "Something went wrong");
    assert_eq!(
        page.text("main p"),
        "The portal could not complete this request. It has been logged; please try again later."
    );
    assert_eq!(page.text("header .who strong"), "Grace Staff");
    assert!(
        !page.html.html().contains("nickname"),
        "the cause stays in the log"
    );

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged
            .lines()
            .any(|l| l.contains("ERROR") && l.contains("undeclared form field `nickname`")),
        "{logged}"
    );
    // The same person goes on with the same connection pool and session.
    let home = Page::of(staff.get("/staff").await).await;
    assert_eq!(home.status, 200);
    assert_eq!(home.text("header .who strong"), "Grace Staff");
}
