//! The worker that sends the outbox: over SMTP when SMTP_URL is set, otherwise as .eml files.

use std::time::{Duration, UNIX_EPOCH};

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart, header},
    transport::smtp::authentication::Credentials,
};

use super::outbox::{self, Claimed};
use crate::state::AppState;

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Each email a `<id>.eml` file in this folder, for reading on disk.
    Files(AsyncFileTransport<Tokio1Executor>, std::path::PathBuf),
}

impl Mailer {
    /// The mailer the configuration asks for.
    pub fn from_config(config: &crate::config::Config) -> Result<Mailer, String> {
        match &config.smtp_url {
            Some(url) => {
                // smtp:// means STARTTLS when the server offers it, unless the URL says otherwise.
                let url = if url.starts_with("smtp://") && !url.contains("tls=") {
                    format!(
                        "{url}{}tls=opportunistic",
                        if url.contains('?') { '&' } else { '?' }
                    )
                } else {
                    url.clone()
                };
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
                    .map_err(|e| format!("SMTP_URL is not usable: {e}"))?
                    .timeout(Some(Duration::from_secs(30)));
                if let (Some(user), Some(password)) = (&config.smtp_username, &config.smtp_password)
                {
                    builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
                }
                Ok(Mailer::Smtp(builder.build()))
            }
            None => {
                let dir = config.mail_dir();
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create the mail folder {}: {e}", dir.display()))?;
                Ok(Mailer::Files(
                    AsyncFileTransport::<Tokio1Executor>::new(&dir),
                    dir,
                ))
            }
        }
    }

    async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Mailer::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Mailer::Files(t, _) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        }
    }
}

fn build(state: &AppState, row: &Claimed) -> Result<Message, String> {
    let from: Mailbox = state
        .config
        .mail_from()
        .parse()
        .map_err(|e| format!("PORTAL_MAIL_FROM is not an address: {e}"))?;
    let to: Mailbox = row
        .to_addr
        .parse()
        .map_err(|e| format!("the recipient is not an address: {e}"))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(row.message_id.clone()))
        .date(UNIX_EPOCH + Duration::from_secs(row.created_at.max(0) as u64))
        .raw_header(header::HeaderValue::new(
            header::HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ))
        .multipart(MultiPart::alternative_plain_html(
            row.text_body.clone(),
            row.html_body.clone(),
        ))
        .map_err(|e| e.to_string())
}

/// Sends every email due now; returns how many were sent.
pub async fn deliver_due(state: &AppState, mailer: &Mailer, worker: &str) -> sqlx::Result<usize> {
    let mut sent = 0;
    loop {
        let now = state.clock.now();
        let batch = outbox::claim(&state.pool, state.backend, worker, now, 20).await?;
        if batch.is_empty() {
            return Ok(sent);
        }
        for row in batch {
            let result = match build(state, &row) {
                Ok(message) => mailer.send(message).await,
                Err(e) => Err(e),
            };
            let now = state.clock.now();
            match result {
                Ok(()) => {
                    outbox::mark_sent(&state.pool, row.id, worker, now).await?;
                    tracing::info!(outbox_id = row.id, "email sent");
                    sent += 1;
                }
                Err(e) => {
                    tracing::warn!(outbox_id = row.id, attempt = row.attempts + 1, error = %e, "email not sent");
                    outbox::mark_attempt_failed(
                        &state.pool,
                        &row,
                        worker,
                        now,
                        state.config.mail_max_attempts,
                        &e,
                    )
                    .await?;
                }
            }
        }
    }
}

/// Runs for the life of the server, looking at the outbox every few seconds.
pub async fn run(state: AppState, mailer: Mailer) {
    let worker = format!(
        "{}-{}",
        std::process::id(),
        &crate::accounts::tokens::generate()[..8]
    );
    let mut tick =
        tokio::time::interval(Duration::from_secs(state.config.mail_poll_seconds.max(1)));
    loop {
        tick.tick().await;
        if let Err(e) = deliver_due(&state, &mailer, &worker).await {
            tracing::warn!(error = %e, "the outbox could not be read");
        }
    }
}
