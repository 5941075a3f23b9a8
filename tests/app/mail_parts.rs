//! Parts beside an email's text and HTML: stored with the email in its transaction, replaced
//! when a newer email takes a waiting one's place, sent in the nesting they need (and no
//! more), and a part whose stored type is not one fails its email with the reason.

use portal::notify::{Attachment, Email, PartRole, enqueue, enqueue_coalesced};

use crate::{
    smtp::SmtpServer,
    support::{TestApp, spawn_app, spawn_app_with},
};

struct WithParts {
    subject: String,
    parts: Vec<Attachment>,
}

impl Email for WithParts {
    const KIND: &'static str = "test-parts";
    fn subject(&self) -> String {
        self.subject.clone()
    }
    fn render(&self) -> askama::Result<(String, String)> {
        Ok((
            "See the attached.".to_owned(),
            "<p>See the attached.</p><img src=\"cid:qr\" alt=\"\">".to_owned(),
        ))
    }
    fn attachments(&self) -> Vec<Attachment> {
        self.parts.clone()
    }
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR not really a picture \xff\x00";

fn part(filename: &str, content_type: &str, body: &[u8], role: PartRole) -> Attachment {
    Attachment {
        filename: filename.to_owned(),
        content_type: content_type.to_owned(),
        body: body.to_vec(),
        role,
    }
}

fn every_kind() -> Vec<Attachment> {
    vec![
        part(
            "invite.ics",
            "text/calendar; charset=utf-8; method=REQUEST",
            b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
            PartRole::Alternative,
        ),
        part(
            "meeting.ics",
            "text/calendar; charset=utf-8; method=PUBLISH",
            b"BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\nEND:VCALENDAR\r\n",
            PartRole::File,
        ),
        part(
            "qr.png",
            "image/png",
            PNG,
            PartRole::Inline {
                content_id: "qr".to_owned(),
            },
        ),
    ]
}

async fn queue(app: &TestApp, to: &str, parts: Vec<Attachment>) -> i64 {
    let mut tx = app.state.pool.begin().await.unwrap();
    let email = WithParts {
        subject: "Your place".to_owned(),
        parts,
    };
    let id = enqueue(&mut tx, &app.state, to, &email).await.unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn parts_are_stored_with_their_email_in_order_and_roll_back_with_it() {
    let app = spawn_app().await;
    queue(&app, "jamie@lafayetteco.gov", every_kind()).await;
    let mail = app.last_mail_to("jamie@lafayetteco.gov").await;
    let names: Vec<&str> = mail.parts.iter().map(|p| p.filename.as_str()).collect();
    assert_eq!(names, ["invite.ics", "meeting.ics", "qr.png"]);
    assert_eq!(mail.part("qr.png").body, PNG, "bytes kept as they were");
    assert_eq!(mail.part("qr.png").role, "inline");
    assert_eq!(mail.part("qr.png").content_id, "qr");
    assert_eq!(mail.part("invite.ics").role, "alternative");
    assert_eq!(mail.part("meeting.ics").role, "file");
    assert_eq!(mail.part("qr.png").content_type, "image/png");

    // A change rolled back takes its email's parts with it.
    let mut tx = app.state.pool.begin().await.unwrap();
    let email = WithParts {
        subject: "Never".to_owned(),
        parts: every_kind(),
    };
    enqueue(&mut tx, &app.state, "robin@lafayetteco.gov", &email)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let parts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox_parts")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(parts, 3);

    // Staff see what an email carries.
    let staff = app.staff_visitor().await;
    let page = crate::support::Page::of(staff.get("/staff/outbox").await).await;
    assert_eq!(
        page.texts("table .attachments"),
        ["Attached: invite.ics, meeting.ics, qr.png"]
    );
}

#[tokio::test]
async fn a_newer_email_in_a_waiting_ones_place_brings_its_own_parts() {
    let app = spawn_app().await;
    for (subject, file) in [("First", "first.ics"), ("Second", "second.ics")] {
        let mut tx = app.state.pool.begin().await.unwrap();
        let email = WithParts {
            subject: subject.to_owned(),
            parts: vec![part(
                file,
                "text/calendar",
                b"BEGIN:VCALENDAR",
                PartRole::File,
            )],
        };
        enqueue_coalesced(
            &mut tx,
            &app.state,
            "jamie@lafayetteco.gov",
            "thing:1",
            &email,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let outbox = app.outbox().await;
    assert_eq!(outbox.len(), 1, "one email stands for both");
    assert_eq!(outbox[0].subject, "Second");
    let names: Vec<&str> = outbox[0]
        .parts
        .iter()
        .map(|p| p.filename.as_str())
        .collect();
    assert_eq!(names, ["second.ics"]);
}

#[tokio::test]
async fn an_email_with_every_kind_of_part_is_sent_nested_as_mail_programs_expect() {
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    queue(&app, "jamie@lafayetteco.gov", every_kind()).await;
    queue(&app, "robin@lafayetteco.gov", Vec::new()).await;
    queue(
        &app,
        "kim@lafayetteco.gov",
        vec![part(
            "notes.txt",
            "text/plain; charset=utf-8",
            b"Bring a pen.",
            PartRole::File,
        )],
    )
    .await;
    assert_eq!(app.deliver_mail().await, 3);
    let messages = smtp.messages();
    let to = |who: &str| {
        messages
            .iter()
            .find(|m| m.rcpt.iter().any(|r| r == who))
            .unwrap()
            .mime()
    };

    let full = to("jamie@lafayetteco.gov");
    assert_eq!(
        full.shape(),
        "multipart/mixed[multipart/related[multipart/alternative[text/plain, text/html, text/calendar], image/png], text/calendar]"
    );
    let all = full.all();
    let request = all
        .iter()
        .find(|p| {
            p.header("content-type")
                .is_some_and(|c| c.contains("method=REQUEST"))
        })
        .unwrap();
    assert!(
        request
            .body
            .starts_with(b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST")
    );
    assert!(
        request.header("content-disposition").is_none(),
        "an alternative, not a file"
    );
    let picture = all.iter().find(|p| p.media_type() == "image/png").unwrap();
    assert_eq!(picture.body, PNG);
    assert_eq!(picture.header("content-id"), Some("<qr>"));
    assert!(
        picture
            .header("content-disposition")
            .unwrap()
            .starts_with("inline")
    );
    let file = all
        .iter()
        .find(|p| {
            p.header("content-disposition")
                .is_some_and(|d| d.contains("meeting.ics"))
        })
        .unwrap();
    assert!(
        file.header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    assert!(file.body.starts_with(b"BEGIN:VCALENDAR\r\nMETHOD:PUBLISH"));

    // No parts: exactly the two alternatives, as before.
    assert_eq!(
        to("robin@lafayetteco.gov").shape(),
        "multipart/alternative[text/plain, text/html]"
    );
    // A file alone: mixed around the alternatives, no related.
    let with_file = to("kim@lafayetteco.gov");
    assert_eq!(
        with_file.shape(),
        "multipart/mixed[multipart/alternative[text/plain, text/html], text/plain]"
    );
    assert_eq!(with_file.parts[1].body, b"Bring a pen.");
}

#[tokio::test]
async fn a_part_whose_stored_type_is_not_one_fails_its_email_with_the_reason() {
    let app = spawn_app().await;
    queue(
        &app,
        "jamie@lafayetteco.gov",
        vec![part("x.bin", "not a type", b"x", PartRole::File)],
    )
    .await;
    queue(&app, "robin@lafayetteco.gov", every_kind()).await;
    assert_eq!(app.deliver_mail().await, 1, "the other email goes out");
    let (status, error): (String, String) = sqlx::query_as(
        "SELECT status, last_error FROM outbox WHERE to_addr = 'jamie@lafayetteco.gov'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(status, "failed", "trying again cannot help");
    assert!(
        error.contains("x.bin") && error.contains("not a type"),
        "{error}"
    );

    // The .eml file of the other carries its parts.
    let dir = app.state.config.mail_dir();
    let eml = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let data = std::fs::read_to_string(eml).unwrap();
    let message = crate::smtp::Part::parse(&data.replace("\r\n", "\n").replace('\n', "\r\n"));
    assert!(
        message
            .shape()
            .starts_with("multipart/mixed[multipart/related["),
        "{}",
        message.shape()
    );
}
