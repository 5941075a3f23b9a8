//! The worker that sends the outbox: over SMTP when SMTP_URL is set, otherwise as .eml files.

use std::time::{Duration, UNIX_EPOCH};

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart, header},
    transport::smtp::authentication::Credentials,
};

use tokio::sync::watch;

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
                // A folder that exists but takes no files would otherwise only show in each
                // email's error, one by one; say so at start instead.
                let probe = dir.join(format!(".write-check-{}", std::process::id()));
                std::fs::write(&probe, b"")
                    .and_then(|()| std::fs::remove_file(&probe))
                    .map_err(|e| {
                        format!("cannot write to the mail folder {}: {e}", dir.display())
                    })?;
                Ok(Mailer::Files(
                    AsyncFileTransport::<Tokio1Executor>::new(&dir),
                    dir,
                ))
            }
        }
    }

    async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            Mailer::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| SendError {
                permanent: e.is_permanent(),
                reason: e.to_string(),
            }),
            Mailer::Files(t, dir) => t.send(message).await.map(|_| ()).map_err(|e| {
                // lettre's own words ("response error: …") name neither the folder nor the cause.
                let cause =
                    std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string());
                SendError {
                    permanent: false,
                    reason: format!("cannot write to the mail folder {}: {cause}", dir.display()),
                }
            }),
        }
    }
}

/// Why an email was not sent, and whether trying again could help.
#[derive(Debug)]
struct SendError {
    reason: String,
    /// The receiving server refused for good (SMTP 5xx), or the message cannot be made.
    permanent: bool,
}

impl SendError {
    fn transient(reason: String) -> Self {
        SendError {
            reason,
            permanent: false,
        }
    }
}

/// Renew this worker's claim this often while an email is being sent, well within
/// `CLAIM_TIMEOUT`, since an SMTP exchange may take minutes on a slow server.
const HEARTBEAT: Duration = Duration::from_secs(30);

fn build(state: &AppState, row: &Claimed) -> Result<Message, SendError> {
    // A wrong PORTAL_MAIL_FROM is fixed by the operator, after which the email can go out.
    let from: Mailbox =
        state.config.mail_from().parse().map_err(|e| {
            SendError::transient(format!("PORTAL_MAIL_FROM is not an address: {e}"))
        })?;
    let to: Mailbox = row.to_addr.parse().map_err(|e| SendError {
        reason: format!("the recipient is not an address: {e}"),
        permanent: true,
    })?;
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
        .map_err(|e| SendError::transient(e.to_string()))
}

/// Sends every email due now; returns how many were sent.
pub async fn deliver_due(state: &AppState, mailer: &Mailer, worker: &str) -> sqlx::Result<usize> {
    let (_never, stop) = watch::channel(false);
    deliver_due_until(state, mailer, worker, &stop).await
}

/// Sends every email due now, or until `stop` turns true: then it finishes the email in hand
/// and gives back the rest of its claim for the next worker to send at once.
pub async fn deliver_due_until(
    state: &AppState,
    mailer: &Mailer,
    worker: &str,
    stop: &watch::Receiver<bool>,
) -> sqlx::Result<usize> {
    let mut sent = 0;
    let result = deliver_claims(state, mailer, worker, stop, &mut sent).await;
    // Stopped, or the database failed mid-batch: whatever is still claimed goes back now
    // rather than waiting for the claim to time out.
    if result.is_err() || *stop.borrow() {
        match outbox::release(&state.pool, worker).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(released = n, "emails given back to the outbox"),
            Err(e) => tracing::warn!(error = %e, "claimed emails could not be given back"),
        }
    }
    result.map(|()| sent)
}

async fn deliver_claims(
    state: &AppState,
    mailer: &Mailer,
    worker: &str,
    stop: &watch::Receiver<bool>,
    sent: &mut usize,
) -> sqlx::Result<()> {
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let now = state.clock.now();
        let batch =
            outbox::claim(&state.pool, state.backend, worker, now, outbox::CLAIM_BATCH).await?;
        if batch.is_empty() {
            return Ok(());
        }
        for row in batch {
            if *stop.borrow() {
                return Ok(());
            }
            let result = match build(state, &row) {
                Ok(message) => send_renewing_claim(state, mailer, worker, message).await,
                Err(e) => Err(e),
            };
            let now = state.clock.now();
            match result {
                Ok(()) => {
                    outbox::mark_sent(&state.pool, row.id, worker, now).await?;
                    tracing::info!(outbox_id = row.id, "email sent");
                    *sent += 1;
                }
                Err(e) => {
                    tracing::warn!(
                        outbox_id = row.id,
                        attempt = row.attempts + 1,
                        permanent = e.permanent,
                        error = %e.reason,
                        "email not sent"
                    );
                    outbox::mark_attempt_failed(
                        &state.pool,
                        &row,
                        worker,
                        now,
                        state.config.mail_max_attempts,
                        &e.reason,
                        e.permanent,
                    )
                    .await?;
                }
            }
        }
    }
}

/// Sends one message, renewing this worker's claim every `HEARTBEAT` until it is done.
async fn send_renewing_claim(
    state: &AppState,
    mailer: &Mailer,
    worker: &str,
    message: Message,
) -> Result<(), SendError> {
    let send = mailer.send(message);
    tokio::pin!(send);
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    loop {
        tokio::select! {
            result = &mut send => return result,
            _ = beat.tick() => {
                if let Err(e) = outbox::heartbeat(&state.pool, worker, state.clock.now()).await {
                    tracing::warn!(error = %e, "the claim on emails being sent could not be renewed");
                }
            }
        }
    }
}

/// Runs until `stop` turns true, looking at the outbox every few seconds; on stop it finishes
/// the email in hand and gives back the rest of its claim.
pub async fn run(state: AppState, mailer: Mailer, stop: watch::Receiver<bool>) {
    run_as(state, mailer, stop, new_worker_id()).await
}

/// A worker's name in the outbox's claims: the process and a random part.
pub fn new_worker_id() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        &crate::accounts::tokens::generate()[..8]
    )
}

/// [`run`] under a name the caller knows, so that it can give back the worker's claim
/// ([`outbox::release`]) when the worker is stopped before it finishes (shutdown's deadline).
pub async fn run_as(
    state: AppState,
    mailer: Mailer,
    mut stop: watch::Receiver<bool>,
    worker: String,
) {
    let mut tick =
        tokio::time::interval(Duration::from_secs(state.config.mail_poll_seconds.max(1)));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            changed = stop.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
        if *stop.borrow() {
            break;
        }
        if let Err(e) = deliver_due_until(&state, &mailer, &worker, &stop).await {
            tracing::warn!(error = %e, "the outbox could not be read");
        }
    }
    tracing::info!("mail worker stopped");
}
