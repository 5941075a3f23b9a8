//! The annual meeting: staff prepare it, everyone reads it in the venue's time zone, members
//! register (a mayor also the city's advisors, never another city's), capacity and the
//! waitlist exact under concurrency, cancellation promoting the first waiting person, the
//! deadlines, bad input, the roster's CSV, check-in, and the attendee list.

use futures_util::future::join_all;
use portal::time::Zone;

use crate::support::{MEMBER_PASSWORD, Page, TestApp, Visitor, spawn_app};

const SLUG: &str = "annual-meeting-2027";
const MEETING: &str = "/meetings/annual-meeting-2027";
const DAY: i64 = 24 * 3600;

/// Staff, two active cities with a mayor and an advisor each, and a lapsed city's mayor.
pub struct World {
    pub app: TestApp,
    pub staff: Visitor,
    pub mayor_a: Visitor,
    pub advisor_a: Visitor,
    pub mayor_b: Visitor,
    pub advisor_b: Visitor,
    pub lapsed: Visitor,
}

pub async fn world() -> World {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let a = app.insert_city("Lafayette", "CO", "active").await;
    let b = app.insert_city("Providence", "RI", "active").await;
    let c = app.insert_city("Dubuque", "IA", "active").await;
    let mayor_a = app
        .invite_and_accept(&staff, "mayor@a.gov", "Tomás Aragon", "mayor", a)
        .await;
    let advisor_a = app
        .invite_and_accept(&staff, "advisor@a.gov", "Nina Begay", "advisor", a)
        .await;
    let mayor_b = app
        .invite_and_accept(&staff, "mayor@b.gov", "Ben Mayor", "mayor", b)
        .await;
    let advisor_b = app
        .invite_and_accept(&staff, "advisor@b.gov", "Bea Advisor", "advisor", b)
        .await;
    let lapsed = app
        .invite_and_accept(&staff, "mayor@c.gov", "Cal Mayor", "mayor", c)
        .await;
    sqlx::query("UPDATE cities SET status = 'lapsed' WHERE id = $1")
        .bind(c)
        .execute(&app.state.pool)
        .await
        .unwrap();
    World {
        app,
        staff,
        mayor_a,
        advisor_a,
        mayor_b,
        advisor_b,
        lapsed,
    }
}

/// A `datetime-local` value in Denver `days` from now at `clock` ("09:00").
fn denver(app: &TestApp, days: i64, clock: &str) -> String {
    let zone = Zone::parse("America/Denver").unwrap();
    let date = zone.iso_date(app.state.clock.now() + days * DAY);
    format!("{date}T{clock}")
}

/// The meeting form's fields, open now, held in 60 days in Lafayette, CO.
pub fn meeting_form(app: &TestApp, capacity: &str) -> Vec<(&'static str, String)> {
    vec![
        ("title", "Annual Meeting 2027".to_owned()),
        ("slug", SLUG.to_owned()),
        ("host_city", "Lafayette, CO".to_owned()),
        ("venue", "Lafayette Event Center".to_owned()),
        (
            "venue_address",
            "1000 S Public Rd, Lafayette, CO 80026".to_owned(),
        ),
        ("time_zone", "America/Denver".to_owned()),
        ("starts", denver(app, 60, "09:00")),
        ("ends", denver(app, 62, "17:00")),
        ("opens", denver(app, -1, "08:00")),
        ("closes", denver(app, 30, "23:00")),
        ("capacity", capacity.to_owned()),
        ("status", "open".to_owned()),
        (
            "description",
            "Three days of **learning** together.".to_owned(),
        ),
    ]
}

async fn post(v: &Visitor, path: &str, form: &[(&str, String)]) -> Page {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Page::of(v.post_form(path, &form).await).await
}

async fn id_of(app: &TestApp, sql: &'static str, name: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(name)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

pub async fn type_id(app: &TestApp, name: &str) -> String {
    id_of(app, "SELECT id FROM meeting_types WHERE name = $1", name)
        .await
        .to_string()
}

pub async fn question(app: &TestApp, prompt: &str) -> String {
    format!(
        "q{}",
        id_of(
            app,
            "SELECT id FROM meeting_questions WHERE prompt = $1",
            prompt
        )
        .await
    )
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

/// Creates the meeting with its types (Mayor, Advisor with `advisor_places`, Guest for staff
/// only), three questions and an agenda item.
pub async fn meeting(w: &World, capacity: &str, advisor_places: &str) {
    let page = post(&w.staff, "/staff/meetings", &meeting_form(&w.app, capacity)).await;
    assert_eq!(
        page.path(),
        format!("/staff/meetings/{SLUG}/edit"),
        "{:?}",
        page.texts(".error-summary li")
    );
    let types = [
        ("Mayor", "mayors", ""),
        ("Advisor", "advisors", advisor_places),
        ("Guest", "staff", ""),
    ];
    for (name, who, places) in types {
        let page = post(
            &w.staff,
            &format!("/staff/meetings/{SLUG}/types"),
            &[
                ("name", name.to_owned()),
                ("who", who.to_owned()),
                ("type_capacity", places.to_owned()),
                ("fee", "$250".to_owned()),
            ],
        )
        .await;
        assert_eq!(page.texts(".error-summary li"), Vec::<String>::new());
    }
    let questions = [
        ("Dietary needs", "text", "", "1"),
        (
            "Sessions you plan to attend",
            "choices",
            "Housing\nClimate\nBudgets",
            "",
        ),
        ("Do you need accessibility help?", "yesno", "", ""),
    ];
    for (prompt, kind, choices, required) in questions {
        let page = post(
            &w.staff,
            &format!("/staff/meetings/{SLUG}/questions"),
            &[
                ("prompt", prompt.to_owned()),
                ("kind", kind.to_owned()),
                ("choices", choices.to_owned()),
                ("required", required.to_owned()),
            ],
        )
        .await;
        assert_eq!(page.texts(".error-summary li"), Vec::<String>::new());
    }
    let page = post(
        &w.staff,
        &format!("/staff/meetings/{SLUG}/agenda"),
        &[
            ("item_title", "Opening plenary".to_owned()),
            ("item_starts", denver(&w.app, 60, "09:00")),
            ("item_ends", denver(&w.app, 60, "10:30")),
            ("room", "Main hall".to_owned()),
            ("speakers", "Mayor Tomás Aragon".to_owned()),
        ],
    )
    .await;
    assert_eq!(page.texts(".error-summary li"), Vec::<String>::new());
}

/// A registration form for `who` (empty: oneself) with the type and the required answer.
async fn registration(app: &TestApp, who: &str, type_name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("for", who.to_owned()),
        ("type", type_id(app, type_name).await),
        ("listed", "1".to_owned()),
    ]
}

async fn register(
    v: &Visitor,
    form: Vec<(&'static str, String)>,
    dietary: &str,
    app: &TestApp,
) -> Page {
    let mut form = form;
    let q = question(app, "Dietary needs").await;
    let q: &'static str = Box::leak(q.into_boxed_str());
    form.push((q, dietary.to_owned()));
    post(v, &format!("{MEETING}/register"), &form).await
}

async fn person_id(app: &TestApp, email: &str) -> String {
    id_of(app, "SELECT id FROM people WHERE email_norm = $1", email)
        .await
        .to_string()
}

#[tokio::test]
async fn staff_prepare_a_meeting_that_everyone_reads_in_the_venues_zone_with_their_own_beside_it() {
    let w = world().await;
    // A form with the end before the start comes back, and nothing is stored.
    let mut bad = meeting_form(&w.app, "");
    bad[7] = ("ends", denver(&w.app, 59, "09:00"));
    let page = post(&w.staff, "/staff/meetings", &bad).await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.texts(".error-summary li"),
        ["The meeting must end after it starts."]
    );
    assert_eq!(count(&w.app, "SELECT COUNT(*) FROM meetings").await, 0);

    meeting(&w, "", "").await;
    let public = w.app.visitor();
    let page = Page::of(public.get(MEETING).await).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.h1(), "Annual Meeting 2027");
    let when = page.text(".facts dd");
    assert!(
        when.contains("9:00 AM MDT") || when.contains("9:00 AM MST"),
        "{when}"
    );
    assert!(when.contains("Mountain time"), "{when}");
    // The public reads in the organization's zone (Central): theirs is beside the venue's.
    let item = page.text(".agenda li");
    assert!(item.contains("Opening plenary"), "{item}");
    assert!(item.contains("Your time: 10:00 AM"), "{item}");
    assert_eq!(
        page.texts("table td[data-label='Places']"),
        ["Places available"; 3]
    );
    assert!(page.has("a[href='/login?next=/meetings/annual-meeting-2027']"));
    // The calendar file holds the meeting and its agenda.
    let ics = public
        .get(&format!("{MEETING}/calendar.ics"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2, "{ics}");
    assert!(
        ics.contains("SUMMARY:Opening plenary (Annual Meeting 2027)"),
        "{ics}"
    );

    // A draft is staff's alone.
    let mut draft = meeting_form(&w.app, "");
    draft[0] = ("title", "Winter retreat".to_owned());
    draft[1] = ("slug", "winter-retreat".to_owned());
    draft[11] = ("status", "draft".to_owned());
    post(&w.staff, "/staff/meetings", &draft).await;
    assert_eq!(public.get("/meetings/winter-retreat").await.status(), 404);
    assert_eq!(
        w.mayor_a.get("/meetings/winter-retreat").await.status(),
        404
    );
    assert_eq!(
        w.mayor_a
            .get("/meetings/winter-retreat/register")
            .await
            .status(),
        404
    );
    assert_eq!(w.staff.get("/meetings/winter-retreat").await.status(), 200);
    let list = Page::of(public.get("/meetings").await).await;
    assert_eq!(list.texts("main h3 a"), ["Annual Meeting 2027"]);
}

#[tokio::test]
async fn a_mayor_registers_an_advisor_of_the_city_but_never_of_another_city() {
    let w = world().await;
    meeting(&w, "", "").await;
    let advisor_a = person_id(&w.app, "advisor@a.gov").await;
    let advisor_b = person_id(&w.app, "advisor@b.gov").await;
    let form = Page::of(w.mayor_a.get(&format!("{MEETING}/register")).await).await;
    assert_eq!(
        form.texts("#for label"),
        ["Myself, Tomás Aragon", "Nina Begay, advisor"]
    );

    // A crafted POST naming another city's advisor is refused with one message.
    let page = register(
        &w.mayor_a,
        registration(&w.app, &advisor_b, "Advisor").await,
        "None",
        &w.app,
    )
    .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.texts(".error-summary li"),
        ["Choose whom to register among the people listed."]
    );
    assert_eq!(
        count(&w.app, "SELECT COUNT(*) FROM meeting_registrations").await,
        0
    );
    // An advisor may not register the mayor, nor take the mayors' type.
    let mayor_a = person_id(&w.app, "mayor@a.gov").await;
    let page = register(
        &w.advisor_a,
        registration(&w.app, &mayor_a, "Mayor").await,
        "None",
        &w.app,
    )
    .await;
    assert_eq!(page.status, 422);
    let page = register(
        &w.advisor_a,
        registration(&w.app, "", "Mayor").await,
        "None",
        &w.app,
    )
    .await;
    assert_eq!(
        page.texts(".error-summary li"),
        ["The type “Mayor” is for mayors: choose another."]
    );

    let page = register(
        &w.mayor_a,
        registration(&w.app, &advisor_a, "Advisor").await,
        "Vegetarian",
        &w.app,
    )
    .await;
    assert_eq!(page.h1(), "Registration of Nina Begay");
    assert_eq!(page.text("#status"), "Registered");
    let mail = w.app.last_mail_to("advisor@a.gov").await;
    assert_eq!(mail.subject, "Registered: Annual Meeting 2027");
    // The advisor reads it too; the other city's mayor gets the 404 of no registration.
    let path = page.path();
    assert_eq!(w.advisor_a.get(&path).await.status(), 200);
    assert_eq!(w.mayor_b.get(&path).await.status(), 404);
    assert_eq!(w.advisor_b.get(&path).await.status(), 404);
    // A lapsed city's mayor cannot register.
    assert_eq!(
        w.lapsed.get(&format!("{MEETING}/register")).await.status(),
        403
    );
    // The mayor's home shows the city's registration.
    let home = Page::of(w.mayor_a.get("/home").await).await;
    let links = home.texts("section[aria-labelledby='panel-meeting'] a");
    assert!(links.contains(&"Nina Begay".to_owned()), "{links:?}");
    assert!(
        links.contains(&"Register for Annual Meeting 2027".to_owned()),
        "{links:?}"
    );
}

/// `n` advisors of a new city, each logged in on a browser of their own.
async fn many_members(w: &World, n: usize) -> Vec<(Visitor, String)> {
    let city = w.app.insert_city("Madison", "WI", "active").await;
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM people WHERE email_norm = 'advisor@b.gov'")
            .fetch_one(&w.app.state.pool)
            .await
            .unwrap();
    let now = w.app.state.clock.now();
    for i in 0..n {
        sqlx::query(
            "INSERT INTO people (email, email_norm, name, role, password_hash, active, created_at, city_id) \
             VALUES ($1, $1, $2, 'advisor', $3, 1, $4, $5)",
        )
        .bind(format!("p{i}@madison.gov"))
        .bind(format!("Person {i:02}"))
        .bind(&hash)
        .bind(now)
        .bind(city)
        .execute(&w.app.state.pool)
        .await
        .unwrap();
    }
    let mut out = Vec::new();
    for i in 0..n {
        let v = w.app.visitor();
        let page = v
            .log_in(&format!("p{i}@madison.gov"), MEMBER_PASSWORD)
            .await;
        assert_eq!(page.text("header .who strong"), format!("Person {i:02}"));
        out.push((v, format!("p{i}@madison.gov")));
    }
    out
}

#[tokio::test]
async fn fifty_registrations_at_once_for_ten_places_leave_ten_registered_and_forty_waiting_in_order()
 {
    let w = world().await;
    meeting(&w, "10", "").await;
    let people = many_members(&w, 50).await;
    let form = registration(&w.app, "", "Advisor").await;
    let q = question(&w.app, "Dietary needs").await;
    let answers = join_all(people.iter().map(|(v, _)| {
        let mut form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        form.push((q.as_str(), "None"));
        async move {
            v.post_form(&format!("{MEETING}/register"), &form)
                .await
                .status()
                .as_u16()
        }
    }))
    .await;
    assert!(answers.iter().all(|s| *s == 200), "{answers:?}");
    assert_eq!(
        count(
            &w.app,
            "SELECT COUNT(*) FROM meeting_registrations WHERE status = 'registered'"
        )
        .await,
        10
    );
    assert_eq!(
        count(
            &w.app,
            "SELECT COUNT(*) FROM meeting_registrations WHERE status = 'waiting'"
        )
        .await,
        40
    );
    // Each waiting person has a number of their own, 1 to 40.
    let mut numbers = Vec::new();
    for (v, _) in &people {
        let page = Page::of(v.get(&format!("{MEETING}/registration")).await).await;
        let status = page.text("#status");
        if let Some(n) = status.strip_prefix("You are number ") {
            numbers.push(n.split(' ').next().unwrap().parse::<i64>().unwrap());
        }
    }
    numbers.sort();
    assert_eq!(numbers, (1..=40).collect::<Vec<_>>());
    // Everyone got one email: ten registered, forty waiting.
    let outbox = w.app.outbox().await;
    assert_eq!(
        outbox
            .iter()
            .filter(|m| m.subject == "Registered: Annual Meeting 2027")
            .count(),
        10
    );
    assert_eq!(
        outbox
            .iter()
            .filter(|m| m.subject == "On the waitlist: Annual Meeting 2027")
            .count(),
        40
    );
    let page = Page::of(w.app.visitor().get(MEETING).await).await;
    assert_eq!(
        page.texts("table td[data-label='Places']")[1],
        "Full: new registrations join the waitlist"
    );
}

#[tokio::test]
async fn twenty_identical_submissions_by_one_person_leave_one_registration_and_one_email() {
    let w = world().await;
    meeting(&w, "", "").await;
    let mut form = registration(&w.app, "", "Advisor").await;
    form.push(("q", String::new()));
    let q = question(&w.app, "Dietary needs").await;
    let fields: Vec<(String, String)> = form
        .into_iter()
        .filter(|(k, _)| *k != "q")
        .map(|(k, v)| (k.to_owned(), v))
        .chain([(q, "None".to_owned())])
        .collect();
    let statuses = join_all((0..20).map(|_| {
        let f: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let v = &w.advisor_a;
        async move {
            v.post_form(&format!("{MEETING}/register"), &f)
                .await
                .status()
                .as_u16()
        }
    }))
    .await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(
        count(&w.app, "SELECT COUNT(*) FROM meeting_registrations").await,
        1
    );
    assert_eq!(
        w.app
            .outbox()
            .await
            .iter()
            .filter(|m| m.to == "advisor@a.gov" && m.subject.starts_with("Registered"))
            .count(),
        1
    );
}

#[tokio::test]
async fn a_cancellation_gives_the_place_to_the_first_waiting_person_who_is_told() {
    let w = world().await;
    meeting(&w, "1", "").await;
    let first = register(
        &w.advisor_a,
        registration(&w.app, "", "Advisor").await,
        "None",
        &w.app,
    )
    .await;
    assert_eq!(first.text("#status"), "Registered");
    let second = register(
        &w.advisor_b,
        registration(&w.app, "", "Advisor").await,
        "None",
        &w.app,
    )
    .await;
    assert_eq!(second.text("#status"), "You are number 1 on the waitlist");
    assert!(
        second.text(".flash").contains("number 1 on the waitlist"),
        "{}",
        second.text(".flash")
    );
    let third = register(
        &w.mayor_b,
        registration(&w.app, "", "Mayor").await,
        "None",
        &w.app,
    )
    .await;
    assert_eq!(third.text("#status"), "You are number 2 on the waitlist");

    let confirm = Page::of(w.advisor_a.get(&format!("{}/cancel", first.path())).await).await;
    assert_eq!(
        confirm.h1(),
        "Cancel your registration for Annual Meeting 2027?"
    );
    let done = Page::of(
        w.advisor_a
            .post_form(&format!("{}/cancel", first.path()), &[])
            .await,
    )
    .await;
    assert_eq!(done.path(), MEETING);
    let second = Page::of(w.advisor_b.get(&second.path()).await).await;
    assert_eq!(second.text("#status"), "Registered");
    let third = Page::of(w.mayor_b.get(&third.path()).await).await;
    assert_eq!(third.text("#status"), "You are number 1 on the waitlist");
    assert_eq!(
        w.app.last_mail_to("advisor@b.gov").await.subject,
        "You have a place: Annual Meeting 2027"
    );
    assert_eq!(
        w.app.last_mail_to("advisor@a.gov").await.subject,
        "Cancelled: your registration for Annual Meeting 2027"
    );
    // Twenty cancellations at once of the now registered person promote one, once.
    let path = format!("{}/cancel", second.path());
    join_all((0..20).map(|_| w.advisor_b.post_form(&path, &[]))).await;
    assert_eq!(
        count(
            &w.app,
            "SELECT COUNT(*) FROM meeting_registrations WHERE status = 'registered'"
        )
        .await,
        1
    );
    let promoted = w
        .app
        .outbox()
        .await
        .iter()
        .filter(|m| m.to == "mayor@b.gov" && m.subject.starts_with("You have a place"))
        .count();
    assert_eq!(promoted, 1);
}

#[tokio::test]
async fn registration_opens_and_closes_at_its_times_and_staff_still_register_after() {
    let w = world().await;
    let mut form = meeting_form(&w.app, "");
    form[8] = ("opens", denver(&w.app, 2, "08:00"));
    form[9] = ("closes", denver(&w.app, 5, "08:00"));
    post(&w.staff, "/staff/meetings", &form).await;
    post(
        &w.staff,
        &format!("/staff/meetings/{SLUG}/types"),
        &[
            ("name", "Advisor".to_owned()),
            ("who", "members".to_owned()),
        ],
    )
    .await;
    let early = Page::of(w.advisor_a.get(&format!("{MEETING}/register")).await).await;
    assert_eq!(early.status, 403);
    assert!(
        early.text("main").contains("Registration opens on"),
        "{}",
        early.text("main")
    );
    w.app.state.clock.advance(3 * DAY);
    let page = post(
        &w.advisor_a,
        &format!("{MEETING}/register"),
        &registration(&w.app, "", "Advisor").await,
    )
    .await;
    assert_eq!(page.text("#status"), "Registered");
    assert!(
        page.has("form[action$='/registrations/1']"),
        "the answers can be changed while open"
    );
    w.app.state.clock.advance(3 * DAY);
    let late = Page::of(w.advisor_b.get(&format!("{MEETING}/register")).await).await;
    assert_eq!(late.status, 403);
    assert!(
        late.text("main").contains("Registration closed on"),
        "{}",
        late.text("main")
    );
    // After closing the registrant can no longer change or cancel it; staff can.
    let mine = Page::of(w.advisor_a.get(&page.path()).await).await;
    assert!(!mine.has("form[action$='/registrations/1']"));
    assert_eq!(
        w.advisor_a
            .post_form(&format!("{}/cancel", page.path()), &[])
            .await
            .status(),
        403
    );
    let advisor_b = person_id(&w.app, "advisor@b.gov").await;
    let staff = post(
        &w.staff,
        &format!("{MEETING}/register"),
        &[
            ("for", "other".to_owned()),
            ("email", "advisor@b.gov".to_owned()),
            ("type", type_id(&w.app, "Advisor").await),
        ],
    )
    .await;
    assert_eq!(
        staff.h1(),
        "Registration of Bea Advisor",
        "{advisor_b}: {:?}",
        staff.texts(".error-summary li")
    );
}

#[tokio::test]
async fn bad_answers_come_back_with_their_messages_and_store_nothing() {
    let w = world().await;
    meeting(&w, "", "").await;
    let dietary = question(&w.app, "Dietary needs").await;
    let sessions = question(&w.app, "Sessions you plan to attend").await;
    let advisor = type_id(&w.app, "Advisor").await;
    let long = "x".repeat(10_000);
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![("type", advisor.clone())],
            "Dietary needs Answer this question: it is required.",
        ),
        (
            vec![("type", advisor.clone()), (dietary.as_str(), long.clone())],
            "Dietary needs Use at most 500 characters for this answer.",
        ),
        (
            vec![
                ("type", advisor.clone()),
                (dietary.as_str(), "None".to_owned()),
                (sessions.as_str(), "Golf".to_owned()),
            ],
            "Sessions you plan to attend Choose among the choices offered.",
        ),
        (
            vec![
                ("type", advisor.clone()),
                (dietary.as_str(), "None".to_owned()),
                ("q999999", "x".to_owned()),
            ],
            "The form holds an answer to a question this meeting does not ask. Reload the page and send it again.",
        ),
        (
            vec![
                ("type", type_id(&w.app, "Guest").await),
                (dietary.as_str(), "None".to_owned()),
            ],
            "The type “Guest” is given by staff only: choose another.",
        ),
        (
            vec![
                ("type", "abc".to_owned()),
                (dietary.as_str(), "None".to_owned()),
            ],
            "Choose a registration type.",
        ),
    ];
    for (form, message) in cases {
        let page = post(&w.advisor_a, &format!("{MEETING}/register"), &form).await;
        assert_eq!(page.status, 422, "{message}");
        assert!(
            page.texts(".error-summary li")
                .contains(&message.to_owned()),
            "{message}: {:?}",
            page.texts(".error-summary li")
        );
    }
    assert_eq!(
        count(&w.app, "SELECT COUNT(*) FROM meeting_registrations").await,
        0
    );
    assert_eq!(
        count(
            &w.app,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'meeting-notice'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn only_staff_check_in_and_a_second_scan_says_when() {
    let w = world().await;
    meeting(&w, "", "").await;
    let page = register(
        &w.advisor_a,
        registration(&w.app, "", "Advisor").await,
        "None",
        &w.app,
    )
    .await;
    assert_eq!(page.text("#status"), "Registered");
    let code: String = sqlx::query_scalar("SELECT checkin_code FROM meeting_registrations")
        .fetch_one(&w.app.state.pool)
        .await
        .unwrap();
    let path = format!("/staff/meetings/{SLUG}/checkin/{code}");
    assert_eq!(w.advisor_a.get(&path).await.status(), 403);
    assert_eq!(w.advisor_a.post_form(&path, &[]).await.status(), 403);
    assert_eq!(
        count(
            &w.app,
            "SELECT COUNT(*) FROM meeting_registrations WHERE checked_in_at IS NOT NULL"
        )
        .await,
        0
    );
    let card = Page::of(w.staff.get(&path).await).await;
    assert_eq!(card.h1(), "Nina Begay");
    assert_eq!(card.text("main form button"), "Check in");
    let first = Page::of(w.staff.post_form(&path, &[]).await).await;
    assert_eq!(first.text(".flash"), "Nina Begay is checked in.");
    let again = Page::of(w.staff.post_form(&path, &[]).await).await;
    assert!(
        again
            .text(".flash")
            .starts_with("Nina Begay was already checked in at "),
        "{}",
        again.text(".flash")
    );
    // By name, accents or not.
    let found = Page::of(
        w.staff
            .get(&format!("/staff/meetings/{SLUG}/checkin?q=begay"))
            .await,
    )
    .await;
    assert_eq!(found.texts("main li a"), ["Nina Begay"]);
    let undo = Page::of(w.staff.post_form(&format!("{path}/undo"), &[]).await).await;
    assert_eq!(undo.text("main form button"), "Check in");
}

#[tokio::test]
async fn the_roster_exports_every_answer_with_formulas_neutralized_and_marks_payments() {
    let w = world().await;
    meeting(&w, "", "").await;
    let sessions = question(&w.app, "Sessions you plan to attend").await;
    let mut form = registration(&w.app, "", "Advisor").await;
    let s: &'static str = Box::leak(sessions.into_boxed_str());
    form.push((s, "Housing".to_owned()));
    form.push((s, "Budgets".to_owned()));
    register(&w.advisor_a, form, "=HYPERLINK(\"http://x\")", &w.app).await;
    let guest = post(
        &w.staff,
        &format!("{MEETING}/register"),
        &[
            ("for", "other".to_owned()),
            ("email", "speaker@example.org".to_owned()),
            ("guest_name", "Dana Speaker".to_owned()),
            ("organization", "Urban Institute".to_owned()),
            ("type", type_id(&w.app, "Guest").await),
            (
                Box::leak(question(&w.app, "Dietary needs").await.into_boxed_str()),
                "None".to_owned(),
            ),
        ],
    )
    .await;
    assert_eq!(
        guest.h1(),
        "Registration of Dana Speaker",
        "{:?}",
        guest.texts(".error-summary li")
    );
    let roster = Page::of(w.staff.get(&format!("/staff/meetings/{SLUG}")).await).await;
    assert_eq!(
        roster.texts("tbody td:first-child a"),
        ["Dana Speaker", "Nina Begay"]
    );
    let csv = w
        .staff
        .get(&format!("/staff/meetings/{SLUG}/roster.csv"))
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].ends_with(
            "\"Dietary needs\",\"Sessions you plan to attend\",\"Do you need accessibility help?\""
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[2].contains("\"'=HYPERLINK(\"\"http://x\"\")\""),
        "{}",
        lines[2]
    );
    assert!(lines[2].contains("\"Housing; Budgets\""), "{}", lines[2]);
    assert!(lines[1].contains("\"Urban Institute\""), "{}", lines[1]);
    // Payment marked, then filtered on.
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM meeting_registrations WHERE name = 'Nina Begay'")
            .fetch_one(&w.app.state.pool)
            .await
            .unwrap();
    w.staff
        .post_form(
            &format!("/staff/meetings/{SLUG}/registrations/{id}/payment"),
            &[("payment", "paid")],
        )
        .await;
    let paid = Page::of(
        w.staff
            .get(&format!("/staff/meetings/{SLUG}?payment=paid"))
            .await,
    )
    .await;
    assert_eq!(paid.texts("tbody td:first-child a"), ["Nina Begay"]);
    // Counts per type: Mayor, Advisor, Guest.
    assert_eq!(paid.texts("td[data-label='Paid']"), ["0", "1", "0"]);
    assert_eq!(paid.texts("td[data-label='Due']"), ["0", "0", "1"]);
    assert_eq!(
        w.staff
            .get(&format!("/staff/meetings/{SLUG}?payment=free"))
            .await
            .status(),
        400
    );
    assert_eq!(
        w.mayor_a
            .get(&format!("/staff/meetings/{SLUG}/roster.csv"))
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn the_attendee_list_shows_only_those_who_agreed_and_only_to_members() {
    let w = world().await;
    meeting(&w, "", "").await;
    register(
        &w.advisor_a,
        registration(&w.app, "", "Advisor").await,
        "None",
        &w.app,
    )
    .await;
    let mut hidden = registration(&w.app, "", "Mayor").await;
    hidden.retain(|(k, _)| *k != "listed");
    register(&w.mayor_b, hidden, "None", &w.app).await;
    let list = Page::of(w.advisor_b.get(&format!("{MEETING}/attendees")).await).await;
    assert_eq!(list.texts("main li strong"), ["Nina Begay"]);
    assert!(list.text("main li").contains("Lafayette, CO"));
    let public = w.app.visitor().get(&format!("{MEETING}/attendees")).await;
    assert!(public.url().path().starts_with("/login"));
    assert_eq!(
        w.lapsed.get(&format!("{MEETING}/attendees")).await.status(),
        403
    );
}

/// What `portal demo` made of meetings (called from the demo's test, in `news`): the coming
/// meeting in Lafayette at 9:00 AM Mountain time, its advisors' type full with two waiting;
/// Tomás Aragon, not registered, registers himself and his advisor Nina Begay; last year's
/// meeting is past, with who came.
pub async fn the_demo_meetings_are_alive(app: &TestApp, report: &portal::demo::Report) {
    let public = Page::of(app.visitor().get(MEETING).await).await;
    assert_eq!(public.h1(), "Annual Meeting 2027");
    assert!(
        public.text(".facts dd").contains("9:00 AM M"),
        "{}",
        public.text(".facts dd")
    );
    assert_eq!(
        public.texts("table td[data-label='Places']")[1],
        "Full: new registrations join the waitlist"
    );
    assert_eq!(public.texts(".agenda h3").len(), 4);
    let (_, _, email, password) = report
        .logins
        .iter()
        .find(|l| l.1.starts_with("Tomás Aragon"))
        .unwrap()
        .clone();
    let mayor = app.visitor();
    mayor.log_in(&email, &password).await;
    let form = Page::of(mayor.get(&format!("{MEETING}/register")).await).await;
    assert_eq!(
        form.texts("#for label"),
        ["Myself, Tomás Aragon", "Nina Begay, advisor"]
    );
    let access = question(app, "Do you need accessibility help at the venue?").await;
    let mine = post(
        &mayor,
        &format!("{MEETING}/register"),
        &[
            ("for", String::new()),
            (
                "type",
                type_id_of(app, "annual-meeting-2027", "Mayor").await,
            ),
            (leak(access.clone()), "no".to_owned()),
        ],
    )
    .await;
    assert_eq!(
        mine.text("#status"),
        "Registered",
        "{:?}",
        mine.texts(".error-summary li")
    );
    let nina = person_id(app, &email.replace("tomas.aragon", "nina.begay")).await;
    let hers = post(
        &mayor,
        &format!("{MEETING}/register"),
        &[
            ("for", nina),
            (
                "type",
                type_id_of(app, "annual-meeting-2027", "Advisor").await,
            ),
            (leak(access), "no".to_owned()),
        ],
    )
    .await;
    assert_eq!(
        hers.text("#status"),
        "Nina Begay is number 3 on the waitlist"
    );
    let past = Page::of(app.visitor().get("/meetings").await).await;
    assert!(
        past.texts("main li a")
            .contains(&"Annual Meeting 2026".to_owned())
    );
    let came: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM meeting_registrations r JOIN meetings m ON m.id = r.meeting_id WHERE m.slug = 'annual-meeting-2026' AND r.checked_in_at IS NOT NULL")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(came, 5);
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

async fn type_id_of(app: &TestApp, slug: &str, name: &str) -> String {
    sqlx::query_scalar::<_, i64>("SELECT t.id FROM meeting_types t JOIN meetings m ON m.id = t.meeting_id WHERE m.slug = $1 AND t.name = $2")
        .bind(slug)
        .bind(name)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn staff_write_to_the_filtered_registrants_once_each_and_the_desk_and_home_page_count_them() {
    let w = world().await;
    meeting(&w, "", "1").await;
    register(
        &w.advisor_a,
        registration(&w.app, "", "Advisor").await,
        "None",
        &w.app,
    )
    .await;
    register(
        &w.advisor_b,
        registration(&w.app, "", "Advisor").await,
        "None",
        &w.app,
    )
    .await;
    register(
        &w.mayor_a,
        registration(&w.app, "", "Mayor").await,
        "None",
        &w.app,
    )
    .await;
    // The desk counts the week's registrations, who waits and what is due.
    let desk = Page::of(w.staff.get("/staff").await).await;
    let tasks = desk.texts("main li");
    for expected in [
        "3 registrations for Annual Meeting 2027 this week",
        "1 person on the waitlist of Annual Meeting 2027",
        "2 payments due for Annual Meeting 2027",
    ] {
        assert!(
            tasks.iter().any(|t| t.contains(expected)),
            "{expected} not in {tasks:?}"
        );
    }
    assert!(desk.has(&format!("a[href='/staff/meetings/{SLUG}?status=waiting']")));
    // The public home page announces the meeting.
    let home = Page::of(w.app.visitor().get("/").await).await;
    assert_eq!(home.text(".next-meeting a"), "Annual Meeting 2027");

    let form = Page::of(
        w.staff
            .get(&format!("/staff/meetings/{SLUG}/email?status=waiting"))
            .await,
    )
    .await;
    let said = form.texts("main p").join(" ");
    assert!(said.contains("goes to 1 person"), "{said}");
    let empty = w
        .staff
        .post_form(
            &format!("/staff/meetings/{SLUG}/email?status=waiting"),
            &[("subject", ""), ("message", "")],
        )
        .await;
    assert_eq!(empty.status(), 422);
    let before = w.app.outbox().await.len();
    let sent = Page::of(
        w.staff
            .post_form(
                &format!("/staff/meetings/{SLUG}/email?status=waiting"),
                &[
                    ("subject", "A place may open"),
                    ("message", "Keep the dates free."),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(
        sent.text(".flash"),
        "The message is on its way to 1 person."
    );
    let new: Vec<_> = w.app.outbox().await.into_iter().skip(before).collect();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].to, "advisor@b.gov");
    assert_eq!(new[0].subject, "Annual Meeting 2027: A place may open");
    // To all: three people, once each.
    w.staff
        .post_form(
            &format!("/staff/meetings/{SLUG}/email"),
            &[("subject", "Hotel block"), ("message", "Book by March.")],
        )
        .await;
    let hotel: Vec<String> = w
        .app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.subject.ends_with("Hotel block"))
        .map(|m| m.to)
        .collect();
    assert_eq!(hotel.len(), 3, "{hotel:?}");
}

/// The calendar a notice carries, in both its forms (the alternative part and the file), parsed
/// as a calendar program would; its content type.
fn calendar_of(mail: &crate::support::Mail) -> (String, icalendar::Calendar) {
    let alternative = mail
        .parts
        .iter()
        .find(|p| p.role == "alternative")
        .expect("a calendar part");
    let file = mail.part("annual-meeting-2027.ics");
    assert_eq!(alternative.body, file.body);
    assert_eq!(alternative.content_type, file.content_type);
    let body = String::from_utf8(file.body.clone()).unwrap();
    (
        file.content_type.clone(),
        body.parse().unwrap_or_else(|e| panic!("{e}\n{body}")),
    )
}

#[tokio::test]
async fn the_confirmation_carries_the_calendar_entry_that_a_change_updates_and_a_cancellation_withdraws()
 {
    use icalendar::Component;
    let w = world().await;
    meeting(&w, "", "").await;
    let page = register(
        &w.advisor_a,
        registration(&w.app, "", "Advisor").await,
        "None",
        &w.app,
    )
    .await;
    let mail = w.app.last_mail_to("advisor@a.gov").await;
    let (content_type, cal) = calendar_of(&mail);
    assert_eq!(content_type, "text/calendar; charset=utf-8; method=REQUEST");
    assert_eq!(cal.property_value("METHOD"), Some("REQUEST"));
    let event = cal.events().next().unwrap();
    // 9:00 in Denver, in UTC: the instant the meeting's form said.
    let zone = Zone::parse("America/Denver").unwrap();
    let starts = zone.parse_local(&denver(&w.app, 60, "09:00")).unwrap();
    assert_eq!(
        event.property_value("DTSTART"),
        Some(portal::text::ics::utc(starts).as_str())
    );
    let uid = event.get_uid().unwrap().to_owned();
    let first = event.get_sequence().unwrap();
    let ics = String::from_utf8_lossy(&mail.part("annual-meeting-2027.ics").body).to_string();
    // The registrant is the entry's attendee (a property icalendar keeps among the repeated
    // ones): read in the unfolded text.
    assert!(ics.replace("\r\n ", "").contains("ATTENDEE;CN=\"Nina Begay\";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:mailto:advisor@a.gov"), "{ics}");
    assert!(
        event
            .property_value("ORGANIZER")
            .is_some_and(|o| o.starts_with("mailto:"))
    );
    assert!(
        event
            .property_value("LOCATION")
            .is_some_and(|l| l.contains("Lafayette Event Center"))
    );
    // A waiting person's notice carries no entry: they have no place yet.
    // Staff move the meeting an hour later: the same entry, updated.
    let mut form = meeting_form(&w.app, "");
    form[6] = ("starts", denver(&w.app, 60, "10:00"));
    let saved = post(&w.staff, &format!("/staff/meetings/{SLUG}/edit"), &form).await;
    assert!(
        saved
            .text(".flash")
            .contains("1 registrant will get an email"),
        "{}",
        saved.text(".flash")
    );
    let mail = w.app.last_mail_to("advisor@a.gov").await;
    assert_eq!(mail.subject, "Changed: Annual Meeting 2027");
    let (_, cal) = calendar_of(&mail);
    let event = cal.events().next().unwrap();
    assert_eq!(event.get_uid(), Some(uid.as_str()));
    assert!(event.get_sequence().unwrap() > first);
    assert_eq!(
        event.property_value("DTSTART"),
        Some(portal::text::ics::utc(starts + 3600).as_str())
    );
    let changed = event.get_sequence().unwrap();
    // The registrant cancels: the entry is withdrawn.
    w.advisor_a
        .post_form(&format!("{}/cancel", page.path()), &[])
        .await;
    let mail = w.app.last_mail_to("advisor@a.gov").await;
    let (content_type, cal) = calendar_of(&mail);
    assert_eq!(content_type, "text/calendar; charset=utf-8; method=CANCEL");
    assert_eq!(cal.property_value("METHOD"), Some("CANCEL"));
    let event = cal.events().next().unwrap();
    assert_eq!(event.get_uid(), Some(uid.as_str()));
    assert!(event.get_sequence().unwrap() > changed);
    assert_eq!(event.property_value("STATUS"), Some("CANCELLED"));
}

/// Review h4: a cancelled meeting must not hand out places. Editing the cancelled meeting
/// (here its capacity, status left at cancelled) or staff cancelling a registration in it ran
/// `promote`, which registered the waiting person and sent "You have a place" with a
/// `METHOD:REQUEST` calendar entry at a higher SEQUENCE than the cancellation, putting the
/// cancelled meeting back in their calendar.
#[tokio::test]
async fn a_cancelled_meeting_gives_no_place_to_the_waiting() {
    let w = world().await;
    meeting(&w, "1", "").await;
    let first = register(
        &w.advisor_a,
        registration(&w.app, "", "Advisor").await,
        "None",
        &w.app,
    )
    .await;
    assert_eq!(first.text("#status"), "Registered");
    let second = register(
        &w.advisor_b,
        registration(&w.app, "", "Advisor").await,
        "None",
        &w.app,
    )
    .await;
    assert_eq!(second.text("#status"), "You are number 1 on the waitlist");

    let edit = format!("/staff/meetings/{SLUG}/edit");
    let mut form = meeting_form(&w.app, "1");
    form.retain(|(k, _)| *k != "status");
    form.push(("status", "cancelled".to_owned()));
    let page = post(&w.staff, &edit, &form).await;
    assert_eq!(page.texts(".error-summary li"), Vec::<String>::new());
    assert_eq!(
        w.app.last_mail_to("advisor@b.gov").await.subject,
        "Cancelled: Annual Meeting 2027"
    );

    // Staff fix something on the cancelled meeting: the capacity grows, it stays cancelled.
    let mut form = meeting_form(&w.app, "2");
    form.retain(|(k, _)| *k != "status");
    form.push(("status", "cancelled".to_owned()));
    let page = post(&w.staff, &edit, &form).await;
    assert_eq!(page.texts(".error-summary li"), Vec::<String>::new());
    // Staff tidy the roster of the cancelled meeting.
    let id = first.path().rsplit('/').next().unwrap().to_owned();
    w.staff
        .post_form(
            &format!("/staff/meetings/{SLUG}/registrations/{id}/cancel"),
            &[],
        )
        .await;

    assert_eq!(
        count(
            &w.app,
            "SELECT COUNT(*) FROM meeting_registrations WHERE status = 'waiting'"
        )
        .await,
        1,
        "nobody waiting is given a place in a cancelled meeting"
    );
    let told = w
        .app
        .outbox()
        .await
        .iter()
        .filter(|m| m.subject.starts_with("You have a place"))
        .count();
    assert_eq!(
        told, 0,
        "nobody is told they have a place in a cancelled meeting"
    );
}

/// Review h4: `waitlist_number` says it is the number "on the waitlist of its type", and the
/// flash says "full for this type: number n", but it counts everyone waiting ahead whatever
/// their type, although `promote` skips those whose type is full. Here the mayor is told
/// "number 2" behind an advisor who can never take a mayor's place, and is promoted first.
#[tokio::test]
async fn the_waitlist_number_counts_only_those_ahead_of_the_same_type() {
    let w = world().await;
    meeting(&w, "2", "1").await;
    let mayor = register(
        &w.mayor_a,
        registration(&w.app, "", "Mayor").await,
        "None",
        &w.app,
    )
    .await;
    assert_eq!(mayor.text("#status"), "Registered");
    let advisor = register(
        &w.advisor_a,
        registration(&w.app, "", "Advisor").await,
        "None",
        &w.app,
    )
    .await;
    assert_eq!(advisor.text("#status"), "Registered");
    let advisor_b = register(
        &w.advisor_b,
        registration(&w.app, "", "Advisor").await,
        "None",
        &w.app,
    )
    .await;
    assert_eq!(
        advisor_b.text("#status"),
        "You are number 1 on the waitlist"
    );
    let mayor_b = register(
        &w.mayor_b,
        registration(&w.app, "", "Mayor").await,
        "None",
        &w.app,
    )
    .await;
    // Nobody of the mayor's type is ahead: the advisor waits for an advisor's place.
    assert_eq!(mayor_b.text("#status"), "You are number 1 on the waitlist");
}

/// Review h4: the edit form reads the meeting's times as wall-clock times in the zone chosen,
/// so choosing another venue zone moves the meeting's instants but leaves the agenda's, stored
/// as instants read in the old zone: the opening plenary, at the meeting's first minute in
/// Denver, is shown two hours after the meeting starts once the venue is set to New York.
#[tokio::test]
async fn changing_the_venues_zone_moves_the_agenda_with_the_meeting() {
    let w = world().await;
    meeting(&w, "", "").await;
    let mut form = meeting_form(&w.app, "");
    form.retain(|(k, _)| *k != "time_zone");
    form.push(("time_zone", "America/New_York".to_owned()));
    let page = post(&w.staff, &format!("/staff/meetings/{SLUG}/edit"), &form).await;
    assert_eq!(page.texts(".error-summary li"), Vec::<String>::new());
    let meeting_starts = count(&w.app, "SELECT starts_at FROM meetings").await;
    let plenary_starts = count(
        &w.app,
        "SELECT starts_at FROM meeting_agenda WHERE title = 'Opening plenary'",
    )
    .await;
    assert_eq!(
        plenary_starts, meeting_starts,
        "the plenary still opens the meeting"
    );
}

#[tokio::test]
async fn staff_are_asked_before_answers_go_and_a_registered_meetings_address_and_agenda_hold() {
    let w = world().await;
    meeting(&w, "", "").await;
    // Nobody is put on the attendee list without choosing it.
    let form = Page::of(w.mayor_a.get(&format!("{MEETING}/register")).await).await;
    assert!(form.has("#listed") && !form.has("#listed[checked]"));
    register(
        &w.advisor_a,
        registration(&w.app, "", "Advisor").await,
        "Vegan",
        &w.app,
    )
    .await;
    // Removing a question says how many answers go with it, and only the POST removes it.
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM meeting_questions WHERE prompt = 'Dietary needs'")
            .fetch_one(&w.app.state.pool)
            .await
            .unwrap();
    let path = format!("/staff/meetings/{SLUG}/questions/{id}/remove");
    let confirm = Page::of(w.staff.get(&path).await).await;
    assert_eq!(confirm.h1(), "Remove the question “Dietary needs”?");
    assert!(
        confirm.text("main").contains("Its one answer goes with it"),
        "{}",
        confirm.text("main")
    );
    assert_eq!(
        count(&w.app, "SELECT COUNT(*) FROM meeting_answers").await,
        1
    );
    w.staff.post_form(&path, &[]).await;
    assert_eq!(
        count(&w.app, "SELECT COUNT(*) FROM meeting_answers").await,
        0
    );
    // With people registered, the address the emails link to stays.
    let mut moved = meeting_form(&w.app, "");
    moved[1] = ("slug", "am-2027".to_owned());
    let page = post(&w.staff, &format!("/staff/meetings/{SLUG}/edit"), &moved).await;
    assert_eq!(page.status, 422);
    assert!(
        page.texts(".error-summary li")[0]
            .starts_with("The address stays while people are registered")
    );
    assert_eq!(w.app.visitor().get(MEETING).await.status(), 200);
    // An agenda item falls within the meeting.
    let page = post(
        &w.staff,
        &format!("/staff/meetings/{SLUG}/agenda"),
        &[
            ("item_title", "Too early".to_owned()),
            ("item_starts", denver(&w.app, 50, "09:00")),
            ("item_ends", denver(&w.app, 50, "10:00")),
        ],
    )
    .await;
    assert_eq!(page.status, 422);
    assert!(
        page.texts(".error-summary li")[0].starts_with("An agenda item falls within the meeting")
    );
}

/// The text a QR code in this PNG holds, read as a phone reads it.
fn read_qr(png: &[u8]) -> String {
    let img = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .unwrap()
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        img.width() as usize,
        img.height() as usize,
        |x, y| img.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the picture");
    grids[0].decode().unwrap().1
}

/// The registration of `name`: its id and check-in code.
async fn registration_of(app: &TestApp, name: &str) -> (i64, String) {
    sqlx::query_as("SELECT id, checkin_code FROM meeting_registrations WHERE name = $1")
        .bind(name)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_registration_email_and_page_show_the_qr_code_of_the_staff_checkin_address() {
    let w = world().await;
    meeting(&w, "", "").await;
    register(
        &w.advisor_a,
        registration(&w.app, "", "Advisor").await,
        "None",
        &w.app,
    )
    .await;
    let (id, code) = registration_of(&w.app, "Nina Begay").await;
    let url = format!(
        "{}/staff/meetings/{SLUG}/checkin/{code}",
        w.app.state.config.base()
    );

    // The part the email carries, drawn from the stored registration.
    let mut conn = w.app.state.pool.acquire().await.unwrap();
    let m = portal::meetings::by_slug(&mut conn, SLUG)
        .await
        .unwrap()
        .unwrap();
    let r = portal::meetings::registration(&mut conn, m.id, id)
        .await
        .unwrap()
        .unwrap();
    drop(conn);
    assert_eq!(
        portal::meetings::checkin::checkin_url(&w.app.state, &m, &r),
        url
    );
    let part = portal::meetings::checkin::email_part(&w.app.state, &m, &r).unwrap();
    assert_eq!(part.filename, "check-in.png");
    assert_eq!(part.content_type, "image/png");
    assert_eq!(
        part.role,
        portal::notify::PartRole::Inline {
            content_id: "checkin@portal".to_owned()
        }
    );
    assert_eq!(read_qr(&part.body), url);

    // The email shows it by its content id and says what it is for.
    let mail = w.app.last_mail_to("advisor@a.gov").await;
    let html = scraper::Html::parse_document(&mail.html);
    let img = html
        .select(&scraper::Selector::parse("img").unwrap())
        .next()
        .expect("the code in the HTML");
    assert_eq!(img.attr("src"), Some("cid:checkin@portal"));
    assert_eq!(img.attr("alt"), Some("Check-in code for Nina Begay"));
    assert!(
        mail.html
            .contains("Show this code at the door: staff scan it to check you in.")
    );
    assert!(
        mail.text
            .contains("Show your check-in code at the door: staff scan it to check you in.")
    );

    // The registrant's page shows it; another city's mayor gets the 404 of the page itself.
    let page = Page::of(
        w.advisor_a
            .get(&format!("{MEETING}/registrations/{id}"))
            .await,
    )
    .await;
    let src = page.attr("#checkin-code", "src").unwrap();
    let own = w.advisor_a.get(&src).await;
    assert_eq!(own.status(), 200);
    assert_eq!(own.headers()["content-type"], "image/png");
    assert_eq!(read_qr(&own.bytes().await.unwrap()), url);
    assert_eq!(w.mayor_b.get(&src).await.status(), 404);

    // Cancelled: no code any more.
    w.advisor_a
        .post_form(&format!("{MEETING}/registrations/{id}/cancel"), &[])
        .await;
    assert_eq!(w.advisor_a.get(&src).await.status(), 404);
}

/// The text of a PDF, as a reader extracts it.
fn pdf_text(pdf: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(pdf).unwrap()
}

fn pdf_pages(pdf: &[u8]) -> usize {
    printpdf::lopdf::Document::load_mem(pdf)
        .unwrap()
        .get_pages()
        .len()
}

async fn badges(v: &Visitor, query: &str) -> Vec<u8> {
    let response = v
        .get(&format!("/staff/meetings/{SLUG}/badges.pdf{query}"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn badges_print_every_registered_name_with_its_accents_for_staff_only_and_keep_the_filters() {
    let w = world().await;
    meeting(&w, "", "").await;
    register(
        &w.mayor_a,
        registration(&w.app, "", "Mayor").await,
        "None",
        &w.app,
    )
    .await;
    register(
        &w.advisor_a,
        registration(&w.app, "", "Advisor").await,
        "None",
        &w.app,
    )
    .await;
    sqlx::query("UPDATE people SET title = 'Mayor of Lafayette' WHERE name = 'Tomás Aragon'")
        .execute(&w.app.state.pool)
        .await
        .unwrap();

    let all = badges(&w.staff, "").await;
    assert_eq!(pdf_pages(&all), 1);
    let text = pdf_text(&all);
    for words in [
        "Tomás Aragon",
        "Nina Begay",
        "Mayor of Lafayette",
        "Lafayette, CO",
        "Advisor",
    ] {
        assert!(text.contains(words), "{words} in {text}");
    }
    assert!(
        text.find("Nina Begay") < text.find("Tomás Aragon"),
        "in name order: {text}"
    );

    let advisor = type_id(&w.app, "Advisor").await;
    let text = pdf_text(&badges(&w.staff, &format!("?type={advisor}")).await);
    assert!(text.contains("Nina Begay"), "{text}");
    assert!(!text.contains("Tomás"), "{text}");
    let text = pdf_text(&badges(&w.staff, "?status=waiting").await);
    assert!(
        text.contains("No one registered matches these filters."),
        "{text}"
    );

    // The roster links to the badges of what it shows.
    let roster = Page::of(
        w.staff
            .get(&format!("/staff/meetings/{SLUG}?type={advisor}"))
            .await,
    )
    .await;
    assert_eq!(
        roster.attr("#print-badges", "href").unwrap(),
        format!("/staff/meetings/{SLUG}/badges.pdf?type={advisor}")
    );

    let path = format!("/staff/meetings/{SLUG}/badges.pdf");
    assert_eq!(w.mayor_a.get(&path).await.status(), 403);
}

#[tokio::test]
async fn two_thousand_badges_make_a_pdf_of_six_to_a_page() {
    let w = world().await;
    meeting(&w, "", "").await;
    let meeting_id: i64 = sqlx::query_scalar("SELECT id FROM meetings WHERE slug = $1")
        .bind(SLUG)
        .fetch_one(&w.app.state.pool)
        .await
        .unwrap();
    let guest: i64 = type_id(&w.app, "Guest").await.parse().unwrap();
    let mut tx = w.app.state.pool.begin().await.unwrap();
    for i in 0..2000 {
        let name = format!("Guest {i:04} Núñez");
        sqlx::query(
            "INSERT INTO meeting_registrations (meeting_id, type_id, name, name_folded, email, \
             organization, status, checkin_code, uid, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'Urban Institute', 'registered', $6, $7, 0, 0)",
        )
        .bind(meeting_id)
        .bind(guest)
        .bind(&name)
        .bind(name.to_lowercase())
        .bind(format!("guest{i}@example.org"))
        .bind(format!("code{i:04}abcdefghijklmnopqrstuvwx"))
        .bind(format!("uid-{i}@portal"))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let started = std::time::Instant::now();
    let pdf = badges(&w.staff, "").await;
    eprintln!("2,000 badges: {:?}, {} bytes", started.elapsed(), pdf.len());
    assert_eq!(pdf_pages(&pdf), 2000_usize.div_ceil(6));
    let text = pdf_text(&pdf);
    assert!(text.contains("Guest 0000 Núñez"), "first");
    assert!(text.contains("Guest 1999 Núñez"), "last");
}
