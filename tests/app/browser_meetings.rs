//! The annual meeting in headless Chromium: a member registers, changes an answer and cancels;
//! every meeting page, in the states people see it, passes the axe scan at phone and desktop
//! widths and fits 320 pixels; staff check someone in from a phone.

use crate::{
    meetings::{meeting, question, type_id, world},
    support::{MEMBER_PASSWORD, Page, STAFF_PASSWORD},
    webdriver::{Browser, Scanner, Widths, log_in},
};

const MEETING: &str = "/meetings/annual-meeting-2027";

#[tokio::test]
#[ignore = "needs chromium; .ci/run runs the browser suite"]
async fn browser_a_member_registers_changes_an_answer_and_cancels_and_every_meeting_page_passes_axe()
 {
    let w = world().await;
    meeting(&w, "", "").await;
    let app = &w.app;
    let mut scan = Scanner::new(app, "meetings");
    let advisor = type_id(app, "Advisor").await;
    let dietary = question(app, "Dietary needs").await;

    // The journey, at a desktop's width.
    let browser = Browser::start(1280).await;
    log_in(&browser, app, "advisor@a.gov", MEMBER_PASSWORD).await;
    browser.goto(&app.url(MEETING)).await;
    browser.click("main a[href$='/register']").await;
    browser
        .wait_for_text("main h1", "Register for Annual Meeting 2027")
        .await;
    browser.click(&format!("#type-{advisor}")).await;
    browser
        .type_into(&format!("#{dietary}"), "Vegetarian")
        .await;
    // She chooses to appear on the list of who is coming (nobody is listed unasked).
    browser.click("#listed").await;
    browser.click("main form button[type=submit]").await;
    browser.wait_for_text("main h1", "Your registration").await;
    assert_eq!(browser.text("#status").await, "Registered");
    let registration = browser.current_url().await;
    browser
        .find(&format!("#{dietary}"))
        .await
        .clear()
        .await
        .unwrap();
    browser.type_into(&format!("#{dietary}"), "Vegan").await;
    browser.click("main form button[type=submit]").await;
    browser
        .wait_for_text(".flash", "Your answers are saved.")
        .await;
    assert_eq!(browser.value(&format!("#{dietary}")).await, "Vegan");

    // Every page a member sees, at both widths, registered.
    let member = Widths::start().await;
    member
        .log_in(app, "advisor@a.gov", MEMBER_PASSWORD, "/home")
        .await;
    scan.page(
        &member,
        "/meetings",
        "meetings",
        "Annual meeting",
        "Annual Meeting 2027",
    )
    .await;
    scan.page(
        &member,
        MEETING,
        "meeting registered",
        "Annual Meeting 2027",
        "You are registered.",
    )
    .await;
    scan.page(
        &member,
        &registration,
        "registration",
        "Your registration",
        "Registered",
    )
    .await;
    scan.page(
        &member,
        &format!("{MEETING}/attendees"),
        "attendees",
        "Who is coming",
        "Nina Begay",
    )
    .await;
    scan.page(
        &member,
        &format!("{registration}/cancel"),
        "cancel",
        "Cancel your registration for Annual Meeting 2027?",
        "first person waiting",
    )
    .await;
    scan.page(
        &member,
        "/home",
        "member home registered",
        "",
        "Your registration",
    )
    .await;
    // The form, blank and sent with nothing chosen, by the city's mayor.
    let mayor = Widths::start().await;
    mayor
        .log_in(app, "mayor@a.gov", MEMBER_PASSWORD, "/home")
        .await;
    scan.page(
        &mayor,
        &format!("{MEETING}/register"),
        "register",
        "Register for Annual Meeting 2027",
        "Whom to register",
    )
    .await;
    scan.clicked(
        &mayor,
        &format!("{MEETING}/register"),
        "main form button[type=submit]",
        "register with errors",
        "Register for Annual Meeting 2027",
        "There is a problem",
    )
    .await;
    // The public's page.
    let public = Widths::start().await;
    scan.page(
        &public,
        MEETING,
        "meeting public",
        "Annual Meeting 2027",
        "Log in to register",
    )
    .await;

    // The member cancels, on the confirmation page.
    browser.goto(&format!("{registration}/cancel")).await;
    browser.click("main form button[type=submit]").await;
    browser
        .wait_for_text_containing(".flash", "The registration is cancelled.")
        .await;

    // Staff pages, the check-in at a phone's width.
    let staff = Widths::start().await;
    staff
        .log_in(app, "grace@mayorsinnovation.org", STAFF_PASSWORD, "/staff")
        .await;
    let guest = Page::of(
        w.staff
            .post_form(
                &format!("{MEETING}/register"),
                &[
                    ("for", "other"),
                    ("email", "dana@example.org"),
                    ("guest_name", "Dana Speaker"),
                    ("type", &type_id(app, "Guest").await),
                    (&dietary, "None"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(guest.h1(), "Registration of Dana Speaker");
    scan.page(
        &staff,
        "/staff/meetings",
        "staff meetings",
        "Meetings",
        "Annual Meeting 2027",
    )
    .await;
    scan.page(
        &staff,
        "/staff/meetings/new",
        "staff new meeting",
        "New meeting",
        "Registration opens",
    )
    .await;
    scan.clicked(
        &staff,
        "/staff/meetings/new",
        "main form.editor button[type=submit]",
        "staff new meeting with errors",
        "New meeting",
        "There is a problem",
    )
    .await;
    scan.page(
        &staff,
        "/staff/meetings/annual-meeting-2027/edit",
        "staff edit meeting",
        "Edit Annual Meeting 2027",
        "Add a question",
    )
    .await;
    scan.page(
        &staff,
        "/staff/meetings/annual-meeting-2027",
        "roster",
        "Roster: Annual Meeting 2027",
        "Dana Speaker",
    )
    .await;
    scan.page(
        &staff,
        "/staff/meetings/annual-meeting-2027/email",
        "write to registrants",
        "Write to the registrants",
        "goes to",
    )
    .await;
    scan.page(
        &staff,
        "/staff/meetings/annual-meeting-2027/checkin?q=dana",
        "check-in search",
        "Check-in",
        "Dana Speaker",
    )
    .await;
    let code: String = sqlx::query_scalar(
        "SELECT checkin_code FROM meeting_registrations WHERE name = 'Dana Speaker'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    let card = format!("/staff/meetings/annual-meeting-2027/checkin/{code}");
    scan.page(&staff, &card, "check-in card", "Dana Speaker", "Guest")
        .await;
    let phone = &staff.0[0].1;
    phone.goto(&app.url(&card)).await;
    phone.click("main form button[type=submit]").await;
    phone
        .wait_for_text(".flash", "Dana Speaker is checked in.")
        .await;
    scan.check(phone, "check-in done", 375).await;
    scan.assert_none();
}
