//! A listed member's page in the members' directory (`/members/{id}`): name, title, city, the
//! cohorts the person shares with the reader, the email they chose to show, and a Contact
//! form that relays a message by email without showing the person's address, with the
//! sender's address for replies. Whom it shows, to whom, is `policy::directory_lists`, the
//! rule the directory's list asks too; anyone else gets the 404 of a missing page.

use askama::Template;
use axum::{
    Router,
    extract::Path,
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;
use sqlx::AnyConnection;

use super::directory::{Listed, designation};
use crate::{
    email_templates,
    error::{AppError, AppResult},
    notify::{self, Email},
    policy::{self, DirectoryStanding},
    state::AppState,
    viewer::Person,
    web::{
        self, Ctx, FormErrors, Layout,
        form::{self, Field, Fields, Form},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/members/{id}", get(show))
        .route("/members/{id}/contact", post(contact))
}

/// The Contact form's one field.
pub static FIELDS: Fields = Fields(&[Field {
    name: "message",
    label: "your message",
    max_len: 5_000,
    required: true,
    lines: true,
}]);

/// Messages are counted over this window for the limit per sender (`contact_daily_limit`).
pub const LIMIT_WINDOW: i64 = 24 * 60 * 60;

/// A listed person as their page shows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Shown {
    #[sqlx(flatten)]
    pub standing: DirectoryStanding,
    #[sqlx(flatten)]
    pub listed: Listed,
    pub city_name: String,
    pub city_state: String,
    /// The account's address, where a message goes: never shown to the sender.
    pub account_email: String,
}

impl Shown {
    pub fn designation(&self) -> String {
        designation(self.listed.role, &self.listed.title)
    }
}

/// The person with this id (a path key that is no number is no person), with what the
/// directory's rule asks, on any connection (a write transaction's included).
async fn find(conn: &mut AnyConnection, key: &str) -> AppResult<Option<Shown>> {
    let Ok(id) = key.parse::<i64>() else {
        return Ok(None);
    };
    Ok(sqlx::query_as::<_, Shown>(concat!(
        "SELECT ",
        crate::directory_standing!("p", "c"),
        ", p.id, p.city_id, p.name, p.title, \
         CASE p.shown_email_kind WHEN 'account' THEN p.email WHEN 'other' THEN p.shown_email ELSE '' END AS email, \
         c.name AS city_name, c.state AS city_state, p.email AS account_email \
         FROM people p JOIN cities c ON c.id = p.city_id WHERE p.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The person's page as this reader may see it, or the 404 of a missing page.
async fn open(conn: &mut AnyConnection, reader: Option<&Person>, key: &str) -> AppResult<Shown> {
    find(conn, key)
        .await?
        .filter(|s| policy::directory_lists(reader, &s.standing))
        .ok_or(AppError::NotFound)
}

/// A cohort both people are in, as the reader may enter it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Shared {
    pub slug: String,
    pub name: String,
    pub status: String,
    /// The person's own listing choice, and a staff override of it for this cohort.
    listed: crate::db::Flag,
    listed_override: Option<crate::db::Flag>,
}

/// The cohorts the reader enters (the cohort scope) and is in, which the person is in too,
/// where the cohort's members list would show the person to the reader.
async fn shared_cohorts(
    state: &AppState,
    reader: &Person,
    person_id: i64,
) -> AppResult<Vec<Shared>> {
    let scope = policy::cohort_scope(Some(reader));
    let rows = sqlx::query_as::<_, Shared>(concat!(
        "SELECT c.slug, c.name, c.status, p.listed, t.listed_override \
         FROM cohorts c \
         JOIN cohort_members m ON m.cohort_id = c.id AND m.person_id = $1 \
         JOIN cohort_members t ON t.cohort_id = c.id AND t.person_id = $4 \
         JOIN people p ON p.id = t.person_id \
         WHERE ",
        crate::cohort_entered!("m", "$2", "$3"),
        " ORDER BY CASE c.status WHEN 'active' THEN 0 ELSE 1 END, c.name, c.id"
    ))
    .bind(scope.person)
    .bind(scope.open)
    .bind(scope.all)
    .bind(person_id)
    .fetch_all(&state.pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            policy::cohort_lists_member(
                reader,
                true,
                r.listed.get(),
                r.listed_override.map(crate::db::Flag::get),
            )
        })
        .collect())
}

#[derive(Template)]
#[template(path = "members/member.html")]
struct PersonPage {
    layout: Layout,
    shown: Shown,
    shared: Vec<Shared>,
    /// The Contact form is offered (the reader is not the person, who accepts messages).
    offers_contact: bool,
    /// The reader is the person.
    is_self: bool,
    /// The reader's address, which goes with a message for replies.
    reply_to: String,
    message: String,
    errors: FormErrors,
    fields: &'static Fields,
}

impl PersonPage {
    async fn new(ctx: &Ctx, reader: &Person, shown: Shown) -> AppResult<Self> {
        let shared = shared_cohorts(&ctx.state, reader, shown.listed.id).await?;
        let mut layout = ctx.layout().await;
        layout.meta.title = shown.listed.name.clone();
        Ok(PersonPage {
            layout,
            offers_contact: policy::offers_contact(reader, &shown.standing),
            is_self: reader.id == shown.listed.id,
            reply_to: reader.email.clone(),
            shown,
            shared,
            message: String::new(),
            errors: FormErrors::default(),
            fields: &FIELDS,
        })
    }
}

async fn show(ctx: Ctx, Path(key): Path<String>) -> AppResult<Response> {
    let mut conn = ctx.state.pool.acquire().await?;
    let shown = open(&mut conn, ctx.person.as_ref(), &key).await?;
    drop(conn);
    let reader = ctx.person.clone().ok_or(AppError::NotFound)?;
    Ok(web::render(&PersonPage::new(&ctx, &reader, shown).await?))
}

#[derive(Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    message: String,
}

/// A message from one member to another, relayed through the outbox.
pub struct MemberMessage {
    pub org_name: String,
    pub recipient_name: String,
    pub sender_name: String,
    /// "Mayor, Lafayette, CO", or "Staff".
    pub sender_about: String,
    pub sender_email: String,
    pub message: String,
    pub account_link: String,
}
email_templates!(
    MemberMessage,
    "email/member_message.txt",
    "email/member_message.html"
);

impl Email for MemberMessage {
    const KIND: &'static str = "member-message";
    fn subject(&self) -> String {
        format!(
            "{} wrote to you through the {} members' directory",
            self.sender_name, self.org_name
        )
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
    fn reply_to(&self) -> Option<String> {
        Some(self.sender_email.clone())
    }
}

/// Sends a message to a listed person: checked by the form kit, then, in one write
/// transaction, the door asked again, the sender's messages of the last 24 hours counted
/// against `contact_daily_limit` and this one reserved, and the email written to the outbox
/// (only when the person accepts messages: otherwise the sender is told it was sent all the
/// same, and nothing is).
async fn contact(
    ctx: Ctx,
    Path(key): Path<String>,
    Form(form): Form<ContactForm>,
) -> AppResult<Response> {
    let mut conn = ctx.state.pool.acquire().await?;
    let shown = open(&mut conn, ctx.person.as_ref(), &key).await?;
    drop(conn);
    let sender = ctx.person.clone().ok_or(AppError::NotFound)?;
    policy::contact_door(&sender, &shown.standing)?;

    let mut check = FIELDS.check();
    let message = check.text("message", &form.message);
    let again = |errors: FormErrors, status: StatusCode| {
        let ctx = &ctx;
        let sender = &sender;
        let shown = shown.clone();
        let typed = FIELDS.keep("message", &form.message);
        async move {
            let page = PersonPage {
                message: typed,
                errors,
                ..PersonPage::new(ctx, sender, shown).await?
            };
            AppResult::Ok(form::again_with(status, &page))
        }
    };
    if let Err(errors) = check.finish() {
        return again(errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    let state = &ctx.state;
    let now = state.clock.now();
    let mut tx = state.begin_write().await?;
    crate::db::lock_key(
        &mut tx,
        state.backend,
        &format!("member-message:{}", sender.id),
    )
    .await?;
    // The sender and the person as they are now: deactivated, lapsed or unlisted meanwhile,
    // the message is not sent.
    let sender = crate::viewer::find_active_on(&mut tx, sender.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let target = open(&mut tx, Some(&sender), &key).await?;
    policy::contact_door(&sender, &target.standing)?;
    if let Some(refusal) = over_daily_limit(&mut tx, state, sender.id, now).await? {
        tx.rollback().await?;
        let mut errors = FormErrors::default();
        errors.add("message", refusal);
        return again(errors, StatusCode::TOO_MANY_REQUESTS).await;
    }
    let relays = policy::relays_message(&target.standing);
    sqlx::query(
        "INSERT INTO member_messages (sender_id, recipient_id, sent_at, delivered) VALUES ($1, $2, $3, $4)",
    )
    .bind(sender.id)
    .bind(target.listed.id)
    .bind(now)
    .bind(i64::from(relays))
    .execute(&mut *tx)
    .await?;
    if relays {
        relay(&mut tx, state, &sender, &target, message).await?;
    }
    tx.commit().await?;
    ctx.flash(format!("Your message to {} is sent.", target.listed.name))
        .await?;
    Ok(web::see_other(&format!("/members/{}", target.listed.id)))
}

/// The refusal to show when the sender has used up the day's messages (counted in the
/// write transaction that holds the sender's lock).
async fn over_daily_limit(
    tx: &mut sqlx::AnyConnection,
    state: &crate::state::AppState,
    sender_id: i64,
    now: i64,
) -> AppResult<Option<String>> {
    let sent: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM member_messages WHERE sender_id = $1 AND sent_at > $2",
    )
    .bind(sender_id)
    .bind(now - LIMIT_WINDOW)
    .fetch_one(&mut *tx)
    .await?;
    let limit = state.config.contact_daily_limit;
    Ok((sent >= limit).then(|| format!(
        "You have sent {limit} messages to members in the last 24 hours, the most one person may send in a day. Your message is kept below: send it again tomorrow."
    )))
}

/// Writes the message's email to the outbox, in the transaction that reserved it.
async fn relay(
    tx: &mut sqlx::AnyConnection,
    state: &crate::state::AppState,
    sender: &crate::viewer::Person,
    target: &Shown,
    message: String,
) -> AppResult<()> {
    let org_name = crate::web::identity::org_name_on(&mut *tx, state).await?;
    let sender_about = match sender.city_label() {
        city if city.is_empty() => designation(sender.role, &sender.title),
        city => format!("{}, {city}", designation(sender.role, &sender.title)),
    };
    notify::enqueue(
        tx,
        state,
        &target.account_email,
        &MemberMessage {
            org_name,
            recipient_name: target.listed.name.clone(),
            sender_name: sender.name.clone(),
            sender_about,
            sender_email: sender.email.clone(),
            message,
            account_link: format!("{}/account#messages-heading", state.config.base()),
        },
    )
    .await?;
    Ok(())
}
