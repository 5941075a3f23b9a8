//! The organization's stored identity (`/staff/site`) beyond the pages: the name and reply
//! address of every email sent after a save, and the brief cache every page reads it from,
//! dropped by the save.

use crate::{
    smtp::SmtpServer,
    support::{Page, Visitor, spawn_app, spawn_app_with},
};

async fn save_identity(staff: &Visitor, name: &str, email: &str) {
    let form = [
        ("org_name", name),
        ("org_tagline", ""),
        ("contact_email", email),
        ("address", ""),
        ("social", ""),
    ];
    let saved = Page::of(staff.post_form("/staff/site/identity", &form).await).await;
    assert_eq!(saved.path(), "/staff/site");
    assert_eq!(
        saved.text(".flash"),
        "The organization's details are saved."
    );
}

#[tokio::test]
async fn emails_sent_after_staff_rename_the_organization_carry_its_new_name_and_reply_address() {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    let staff = app.staff_visitor().await;
    let city = app
        .insert_city("Lafayette", "CO", "active")
        .await
        .to_string();
    let invite = |email: &'static str| {
        let staff = &staff;
        let city = city.clone();
        async move {
            let r = staff
                .post_form(
                    "/invitations",
                    &[("email", email), ("role", "advisor"), ("city_id", &city)],
                )
                .await;
            assert_eq!(r.status(), 200);
        }
    };
    // Before: the configured name, no Reply-To.
    invite("before@lafayetteco.gov").await;
    app.deliver_mail().await;

    save_identity(&staff, "Mayors for Clean Water", "hello@cleanwater.example").await;
    invite("after@lafayetteco.gov").await;
    let queued = app.last_mail_to("after@lafayetteco.gov").await;
    assert!(
        queued.subject.contains("Mayors for Clean Water"),
        "the template names the stored organization: {}",
        queued.subject
    );
    assert!(
        queued.text.contains("Mayors for Clean Water"),
        "{}",
        queued.text
    );
    app.deliver_mail().await;

    let messages = smtp.messages();
    let to = |who: &str| {
        messages
            .iter()
            .find(|m| m.rcpt.iter().any(|r| r == who))
            .unwrap_or_else(|| panic!("nothing sent to {who}"))
            .clone()
    };
    let before = to("before@lafayetteco.gov");
    assert!(
        before
            .header("From")
            .unwrap()
            .contains("Mayors Innovation Project"),
        "{:?}",
        before.header("From")
    );
    assert_eq!(before.header("Reply-To"), None);

    let after = to("after@lafayetteco.gov");
    let from = after.header("From").unwrap();
    assert!(from.contains("Mayors for Clean Water"), "{from}");
    assert!(
        from.contains("<portal@"),
        "the address stays the configured one: {from}"
    );
    assert_eq!(
        after.header("Reply-To").as_deref(),
        Some("hello@cleanwater.example")
    );
}

#[tokio::test]
async fn an_email_with_its_own_reply_address_keeps_it_over_the_organizations() {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    let staff = app.staff_visitor().await;
    save_identity(&staff, "Mayors for Clean Water", "hello@cleanwater.example").await;
    sqlx::query(
        "INSERT INTO outbox (kind, to_addr, subject, text_body, html_body, message_id, created_at, status, attempts, next_attempt_at, reply_to) \
         VALUES ('member-message', 'pat@madison.gov', 'A message', 'Hello.', '<p>Hello.</p>', '<m1@localhost>', 0, 'pending', 0, 0, 'jamie@lafayetteco.gov')",
    )
    .execute(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(app.deliver_mail().await, 1);
    let sent = smtp.messages().pop().unwrap();
    assert_eq!(
        sent.header("Reply-To").as_deref(),
        Some("jamie@lafayetteco.gov")
    );
}

#[tokio::test]
async fn pages_read_the_identity_once_in_a_while_and_show_a_saved_change_at_once() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let public = app.visitor();
    let brand = |page: &Page| page.text("header .brand-name");
    let home = Page::of(public.get("/").await).await;
    assert_eq!(brand(&home), "Mayors Innovation Project");

    // Another instance's save, which this one has not heard of: its pages keep the identity
    // they read a moment ago rather than reading it again for every page.
    sqlx::query("INSERT INTO settings (key, value) VALUES ('identity.name', 'Elsewhere')")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let home = Page::of(public.get("/").await).await;
    assert_eq!(brand(&home), "Mayors Innovation Project");

    // A save here drops what was kept: the next page shows it.
    save_identity(&staff, "Mayors Innovation Lab", "").await;
    let home = Page::of(public.get("/").await).await;
    assert_eq!(brand(&home), "Mayors Innovation Lab");
    let news = Page::of(public.get("/news").await).await;
    assert_eq!(brand(&news), "Mayors Innovation Lab");
}
