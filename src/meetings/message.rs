//! Staff write to a meeting's registrants: all of them, or the set the roster's filters
//! show. One email per address, through the outbox, written in one transaction.

use askama::Template;
use axum::{
    extract::{Path, Query},
    response::Response,
};
use serde::Deserialize;

use super::{
    Meeting,
    roster::{Filters, lines, managed},
};
use crate::{
    email_templates,
    error::AppResult,
    notify::{self, Email},
    policy,
    web::{
        self, FormErrors, Layout, Staff,
        form::{self, Field, Fields, Form},
    },
};

pub static FIELDS: Fields = Fields(&[
    Field {
        name: "subject",
        label: "the subject",
        max_len: 200,
        required: true,
        lines: false,
    },
    Field {
        name: "message",
        label: "the message",
        max_len: 20_000,
        required: true,
        lines: true,
    },
]);

#[derive(Debug, Default, Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub message: String,
}

/// To a registrant: a message from staff about the meeting.
pub struct Message {
    pub org_name: String,
    pub name: String,
    pub meeting_title: String,
    pub subject: String,
    pub message: String,
    pub link: String,
}
email_templates!(
    Message,
    "email/meeting_message.txt",
    "email/meeting_message.html"
);

impl Email for Message {
    const KIND: &'static str = "meeting-message";
    fn subject(&self) -> String {
        format!("{}: {}", self.meeting_title, self.subject)
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
}

#[derive(Template)]
#[template(path = "meetings/message.html")]
struct MessagePage {
    layout: Layout,
    meeting: Meeting,
    /// Distinct addresses the message goes to.
    recipients: usize,
    query: String,
    form: MessageForm,
    errors: FormErrors,
    fields: &'static Fields,
}

/// The distinct (email, name) of the filtered registrations that are not cancelled (unless
/// the filter asks for cancelled ones).
async fn recipients(
    ctx: &web::Ctx,
    meeting: &Meeting,
    filters: &Filters,
) -> AppResult<Vec<(String, String)>> {
    let bound = filters.bound()?;
    let all = lines(
        &mut *ctx.state.pool.acquire().await?,
        meeting.id,
        &bound,
        None,
    )
    .await?;
    let mut out: Vec<(String, String)> = Vec::new();
    for l in all {
        if filters.status.is_empty() && l.r.status == super::RegStatus::Cancelled {
            continue;
        }
        if !out.iter().any(|(e, _)| e.eq_ignore_ascii_case(&l.r.email)) {
            out.push((l.r.email.clone(), l.r.name.clone()));
        }
    }
    Ok(out)
}

async fn page(
    ctx: &web::Ctx,
    meeting: Meeting,
    filters: &Filters,
    form: MessageForm,
    errors: FormErrors,
) -> AppResult<Response> {
    let recipients = recipients(ctx, &meeting, filters).await?.len();
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Write to the registrants of {}", meeting.title);
    let failed = !errors.is_empty();
    let page = MessagePage {
        layout,
        meeting,
        recipients,
        query: filters.query(),
        form,
        errors,
        fields: &FIELDS,
    };
    Ok(if failed {
        form::again(&page)
    } else {
        web::render(&page)
    })
}

pub async fn form(
    Staff(ctx, person): Staff,
    Path(slug): Path<String>,
    Query(filters): Query<Filters>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    page(
        &ctx,
        meeting,
        &filters,
        MessageForm::default(),
        FormErrors::default(),
    )
    .await
}

pub async fn send(
    Staff(ctx, person): Staff,
    Path(slug): Path<String>,
    Query(filters): Query<Filters>,
    Form(form): Form<MessageForm>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = managed(&ctx, &slug).await?;
    let mut check = FIELDS.check();
    let subject = check.text("subject", &form.subject);
    let message = check.text("message", &form.message);
    if let Err(errors) = check.finish() {
        let kept = MessageForm {
            subject: FIELDS.keep("subject", &form.subject),
            message: FIELDS.keep("message", &form.message),
        };
        return page(&ctx, meeting, &filters, kept, errors).await;
    }
    let to = recipients(&ctx, &meeting, &filters).await?;
    let state = &ctx.state;
    let mut tx = state.begin_write().await?;
    let org_name = crate::web::identity::org_name_on(&mut tx, state).await?;
    for (email, name) in &to {
        let mail = Message {
            org_name: org_name.clone(),
            name: name.clone(),
            meeting_title: meeting.title.clone(),
            subject: subject.clone(),
            message: message.clone(),
            link: format!("{}{}", state.config.base(), meeting.href()),
        };
        notify::enqueue(&mut tx, state, email, &mail).await?;
    }
    tx.commit().await?;
    ctx.flash(format!(
        "The message is on its way to {} {}.",
        to.len(),
        if to.len() == 1 { "person" } else { "people" }
    ))
    .await?;
    let query = filters.query();
    Ok(web::see_other(&if query.is_empty() {
        format!("/staff/meetings/{}", meeting.slug)
    } else {
        format!("/staff/meetings/{}?{query}", meeting.slug)
    }))
}
