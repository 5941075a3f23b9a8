//! Email: the one outbox every email goes through, the worker that sends it, the templates.
//!
//! An email is a row written in the same transaction as the change that causes it, so a
//! change and its email happen together or not at all; the worker sends rows later, retries
//! with backoff, and leaves failures visible at /staff/outbox.

pub mod emails;
pub mod outbox;
mod pages;
pub mod worker;

use axum::Router;
use sqlx::AnyConnection;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    pages::router()
}

/// An email the portal sends: a subject and text and HTML parts from askama templates.
pub trait Email {
    /// A short name for the outbox list ("invitation", "password-reset", …).
    const KIND: &'static str;
    fn subject(&self) -> String;
    /// The text and HTML parts.
    fn render(&self) -> askama::Result<(String, String)>;
    /// The subject, text and HTML of this email standing for `earlier` unsent ones about the
    /// same thing too ([`enqueue_coalesced`]); by default, the email as it is.
    fn merged(&self, earlier: i64) -> askama::Result<(String, String, String)> {
        let _ = earlier;
        let (text, html) = self.render()?;
        Ok((self.subject(), text, html))
    }

    /// Where replies go when it is not the sender (a member's message relayed: the member's
    /// address); `None`: replies go to the portal's address.
    fn reply_to(&self) -> Option<String> {
        None
    }

    /// Parts beside the text and HTML: a calendar entry, a file, a picture the HTML shows.
    fn attachments(&self) -> Vec<Attachment> {
        Vec::new()
    }
}

/// A part of an email beside its text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name a mail program shows (and saves under).
    pub filename: String,
    /// For example `text/calendar; method=REQUEST; charset=utf-8` or `image/png`.
    pub content_type: String,
    pub body: Vec<u8>,
    pub role: PartRole,
}

/// Where a part goes in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartRole {
    /// A file the reader can open or save (`Content-Disposition: attachment`).
    File,
    /// A third alternative beside text and HTML, as calendar invitations are sent
    /// (`text/calendar; method=…` inside `multipart/alternative`), so that mail programs
    /// offer to add or update the entry in place.
    Alternative,
    /// A picture the HTML part shows by `cid:<content_id>`.
    Inline { content_id: String },
}

/// Declares the text and HTML templates of an email: `templates/email/<name>.{txt,html}`,
/// both reading the email's fields through `e`.
#[macro_export]
macro_rules! email_templates {
    ($email:ident, $text:literal, $html:literal) => {
        const _: () = {
            #[derive(askama::Template)]
            #[template(path = $text)]
            struct Text<'a> {
                e: &'a $email,
                #[allow(dead_code)]
                earlier: i64,
            }
            #[derive(askama::Template)]
            #[template(path = $html)]
            struct Html<'a> {
                e: &'a $email,
                #[allow(dead_code)]
                earlier: i64,
            }
            impl $email {
                pub(crate) fn render_parts(&self) -> askama::Result<(String, String)> {
                    self.render_parts_merged(0)
                }
                /// The parts, telling of `earlier` unsent emails this one takes the place of.
                #[allow(dead_code)]
                pub(crate) fn render_parts_merged(
                    &self,
                    earlier: i64,
                ) -> askama::Result<(String, String)> {
                    use askama::Template;
                    Ok((
                        Text { e: self, earlier }.render()?,
                        Html { e: self, earlier }.render()?,
                    ))
                }
            }
        };
    };
}

/// Writes an email to the outbox on `conn`, which should be the transaction of the change
/// that causes it.
pub async fn enqueue<E: Email>(
    conn: &mut AnyConnection,
    state: &AppState,
    to: &str,
    email: &E,
) -> crate::error::AppResult<i64> {
    let (text, html) = email.render().map_err(crate::error::AppError::internal)?;
    let reply_to = email.reply_to().unwrap_or_default();
    let parts = email.attachments();
    outbox::insert(
        conn,
        state,
        outbox::NewEmail {
            kind: E::KIND,
            to,
            reply_to: &reply_to,
            subject: &email.subject(),
            text: &text,
            html: &html,
            parts: &parts,
        },
    )
    .await
    .map_err(Into::into)
}

/// Writes an email about `about` (for example `cohort-thread:12`) to `to`, unless one about the
/// same thing to the same person is still waiting unsent: then this one takes its place (its
/// Message-ID and turn kept), telling how many it stands for, so that a burst of replies sends
/// one email per person, not one per reply. Serialized per person and thing (a lock on
/// PostgreSQL; SQLite's write transaction), so parallel causes queue one email too.
pub async fn enqueue_coalesced<E: Email>(
    conn: &mut AnyConnection,
    state: &AppState,
    to: &str,
    about: &str,
    email: &E,
) -> crate::error::AppResult<i64> {
    crate::db::lock_key(conn, state.backend, &format!("outbox:{to}:{about}")).await?;
    if let Some((id, merged)) = outbox::waiting_about(conn, to, about).await? {
        let (subject, text, html) = email
            .merged(merged + 1)
            .map_err(crate::error::AppError::internal)?;
        let parts = email.attachments();
        if outbox::merge(conn, id, &subject, &text, &html, &parts).await? {
            return Ok(id);
        }
    }
    let id = enqueue(conn, state, to, email).await?;
    outbox::set_about(conn, id, about).await?;
    Ok(id)
}
