//! The worker that sends the outbox: over SMTP when SMTP_URL is set, otherwise as .eml files.

use std::time::{Duration, UNIX_EPOCH};

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart, SinglePart, header, header::ContentType},
    transport::smtp::authentication::Credentials,
};

use tokio::sync::watch;

use super::{
    Attachment, PartRole,
    outbox::{self, Claimed},
};
use crate::{state::AppState, web::identity::Identity};

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
                failure: classify(&e),
                reason: e.to_string(),
            }),
            Mailer::Files(t, dir) => t.send(message).await.map(|_| ()).map_err(|e| {
                // lettre's own words ("response error: …") name neither the folder nor the cause.
                let cause =
                    std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string());
                SendError {
                    // A folder that takes no file takes no email: as a server that is down.
                    failure: Failure::Server,
                    reason: format!("cannot write to the mail folder {}: {cause}", dir.display()),
                }
            }),
        }
    }
}

/// Whom an SMTP error concerns. A reply of 5xx is a refusal for good; 421 ("service not
/// available") and no reply at all (refused, reset, timed out, TLS) say the server is out of
/// reach for every email; any other 4xx concerns this email (a mailbox busy or full,
/// greylisting), and says nothing of the others.
fn classify(e: &lettre::transport::smtp::Error) -> Failure {
    match e.status().map(u16::from) {
        Some(500..) => Failure::Permanent,
        Some(421) | None => Failure::Server,
        Some(_) => Failure::Message,
    }
}

/// Why an email was not sent, and whether trying again could help.
#[derive(Debug)]
struct SendError {
    reason: String,
    failure: Failure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The receiving server refused for good (SMTP 5xx), or the message cannot be made.
    Permanent,
    /// This email could not be sent now; another might be.
    Message,
    /// Nothing can be sent now: the server is out of reach, or the folder takes no file.
    Server,
}

impl SendError {
    fn permanent(reason: String) -> Self {
        SendError {
            reason,
            failure: Failure::Permanent,
        }
    }
}

/// How often a worker records that it is alive while it holds claims: a few times within
/// `outbox::CLAIM_TIMEOUT`, so that one slow write does not lose them.
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// While the mail server seems out of reach, the waiting email due soonest is tried this
/// often (seconds), whatever its backoff, so that the queue drains soon after the server
/// returns rather than an hour later.
pub const PROBE_EVERY: i64 = 15;

/// Who the portal's emails are from, as the organization's stored identity (`/staff/site`)
/// says at the time of sending: its name over the configured sender's, and its contact
/// address for replies to emails that name none of their own.
struct Sender {
    from: Mailbox,
    reply_to: Option<Mailbox>,
}

impl Sender {
    fn of(state: &AppState, identity: &Identity) -> Result<Sender, SendError> {
        // A wrong PORTAL_MAIL_FROM is fixed by the operator, after which every email can go out.
        let mut from: Mailbox = state.config.mail_from().parse().map_err(|e| SendError {
            reason: format!("PORTAL_MAIL_FROM is not an address: {e}"),
            failure: Failure::Server,
        })?;
        if !identity.name.is_empty() {
            from.name = Some(identity.name.clone());
        }
        // The address was checked when saved; one that does not parse is left out.
        let reply_to = identity.email.parse().ok();
        Ok(Sender { from, reply_to })
    }
}

fn build(sender: &Sender, row: &Claimed, parts: &[Attachment]) -> Result<Message, SendError> {
    let to: Mailbox = row
        .to_addr
        .parse()
        .map_err(|e| SendError::permanent(format!("the recipient is not an address: {e}")))?;
    let mut builder = Message::builder().from(sender.from.clone()).to(to);
    if !row.reply_to.is_empty() {
        let reply_to: Mailbox = row.reply_to.parse().map_err(|e| {
            SendError::permanent(format!("the address for replies is not an address: {e}"))
        })?;
        builder = builder.reply_to(reply_to);
    } else if let Some(reply_to) = &sender.reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    builder
        .subject(row.subject.clone())
        .message_id(Some(row.message_id.clone()))
        .date(UNIX_EPOCH + Duration::from_secs(row.created_at.max(0) as u64))
        .raw_header(header::HeaderValue::new(
            header::HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ))
        .multipart(body(row, parts)?)
        .map_err(|e| SendError {
            reason: e.to_string(),
            failure: Failure::Message,
        })
}

/// The body: text and HTML as alternatives (with any calendar alternative beside them), in a
/// `multipart/related` with the pictures the HTML shows when there are any, in a
/// `multipart/mixed` with the files when there are any; no more nesting than the parts need.
fn body(row: &Claimed, parts: &[Attachment]) -> Result<MultiPart, SendError> {
    let mut alternative =
        MultiPart::alternative_plain_html(row.text_body.clone(), row.html_body.clone());
    let mut inline = Vec::new();
    let mut files = Vec::new();
    for part in parts {
        // A stored type that does not parse never will: the email fails, with its reason.
        let content_type = ContentType::parse(&part.content_type).map_err(|e| {
            SendError::permanent(format!(
                "the part {:?} has a content type that is not one ({:?}): {e}",
                part.filename, part.content_type
            ))
        })?;
        let content = part.body.clone();
        match &part.role {
            PartRole::Alternative => {
                alternative = alternative
                    .singlepart(SinglePart::builder().header(content_type).body(content));
            }
            // The HTML names it `cid:<content_id>`; lettre adds the angle brackets.
            PartRole::Inline { content_id } if content_id.trim_matches(['<', '>']).is_empty() => {
                return Err(SendError::permanent(format!(
                    "the inline part {:?} has no Content-ID",
                    part.filename
                )));
            }
            PartRole::Inline { content_id } => inline.push(
                lettre::message::Attachment::new_inline_with_name(
                    content_id.trim_matches(['<', '>']).to_owned(),
                    part.filename.clone(),
                )
                .body(content, content_type),
            ),
            PartRole::File => files.push(
                lettre::message::Attachment::new(part.filename.clone()).body(content, content_type),
            ),
        }
    }
    let shown = if inline.is_empty() {
        alternative
    } else {
        inline
            .into_iter()
            .fold(MultiPart::related().multipart(alternative), |m, p| {
                m.singlepart(p)
            })
    };
    if files.is_empty() {
        return Ok(shown);
    }
    Ok(files
        .into_iter()
        .fold(MultiPart::mixed().multipart(shown), |m, p| m.singlepart(p)))
}

/// One sender of the outbox (one per running instance), and what it has learned of the mail
/// server between passes.
pub struct Worker {
    id: String,
    /// The server was last found out of reach (or this worker has not tried it yet): the
    /// waiting email due soonest is tried every `PROBE_EVERY` seconds.
    probing: bool,
    /// The server was found out of reach since the last email went out (or this worker has not
    /// sent one yet): the next email that goes out makes every waiting email due.
    catch_up: bool,
    /// The last attempt that found the server out of reach, or the last probe.
    last_probe: Option<i64>,
    /// The last heartbeat that was written.
    last_beat: i64,
}

impl Worker {
    /// A worker with this id, which names its claims in the outbox.
    pub fn new(id: impl Into<String>) -> Worker {
        Worker {
            id: id.into(),
            probing: true,
            catch_up: true,
            last_probe: None,
            last_beat: i64::MIN,
        }
    }

    /// A worker for this process: an id no other instance has, now or later.
    pub fn for_this_process() -> Worker {
        Worker::new(format!(
            "{}-{}",
            std::process::id(),
            &crate::accounts::tokens::generate()[..12]
        ))
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Sends every email due now, or until `stop` turns true: then it finishes the email in
    /// hand and gives back the rest of its claim for the next worker to send at once. Returns
    /// how many were sent.
    pub async fn deliver_due(
        &mut self,
        state: &AppState,
        mailer: &Mailer,
        stop: &watch::Receiver<bool>,
    ) -> sqlx::Result<usize> {
        let mut sent = 0;
        let result = self.deliver_claims(state, mailer, stop, &mut sent).await;
        // Stopped, or the database failed mid-batch: whatever is still claimed goes back now
        // rather than waiting for the claim to time out.
        if result.is_err() || *stop.borrow() {
            match outbox::release(&state.pool, &self.id).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(released = n, "emails given back to the outbox"),
                Err(e) => tracing::warn!(error = %e, "claimed emails could not be given back"),
            }
        }
        result.map(|()| sent)
    }

    async fn deliver_claims(
        &mut self,
        state: &AppState,
        mailer: &Mailer,
        stop: &watch::Receiver<bool>,
        sent: &mut usize,
    ) -> sqlx::Result<()> {
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let now = state.clock.now();
            let mut batch = outbox::claim(
                &state.pool,
                state.backend,
                &self.id,
                now,
                outbox::CLAIM_BATCH,
            )
            .await?;
            self.last_beat = now;
            if batch.is_empty() && self.may_probe(now) {
                self.last_probe = Some(now);
                batch.extend(
                    outbox::claim_next_waiting(&state.pool, state.backend, &self.id, now).await?,
                );
            }
            if batch.is_empty() {
                return Ok(());
            }
            for row in batch {
                if *stop.borrow() || !self.keep_claims(state).await {
                    return Ok(());
                }
                self.deliver_one(state, mailer, &row, sent).await?;
            }
        }
    }

    /// A probe is due while the server seems out of reach, at most every `PROBE_EVERY`
    /// seconds after the last attempt that found it so.
    fn may_probe(&self, now: i64) -> bool {
        self.probing && self.last_probe.is_none_or(|t| now - t >= PROBE_EVERY)
    }

    /// Renews this worker's claims when a heartbeat is due; false when they may have been
    /// taken over (heartbeats have failed for too long), so that it sends no more of them.
    async fn keep_claims(&mut self, state: &AppState) -> bool {
        let now = state.clock.now();
        if now - self.last_beat < HEARTBEAT.as_secs() as i64 {
            return true;
        }
        match outbox::beat(&state.pool, &self.id, now).await {
            Ok(()) => {
                self.last_beat = now;
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "the claim on emails to send could not be renewed");
                now - self.last_beat < outbox::CLAIM_TIMEOUT - HEARTBEAT.as_secs() as i64
            }
        }
    }

    async fn deliver_one(
        &mut self,
        state: &AppState,
        mailer: &Mailer,
        row: &Claimed,
        sent: &mut usize,
    ) -> sqlx::Result<()> {
        let parts = outbox::parts(&state.pool, row.id).await?;
        let identity = crate::web::identity::load(state).await;
        let result = match Sender::of(state, &identity).and_then(|s| build(&s, row, &parts)) {
            Ok(message) => self.send_renewing_claim(state, mailer, message).await,
            Err(e) => Err(e),
        };
        let now = state.clock.now();
        match result {
            Ok(()) => {
                mark_sent(state, row.id, now).await?;
                tracing::info!(outbox_id = row.id, "email sent");
                *sent += 1;
                self.probing = false;
                if self.catch_up {
                    // The server is back (or this worker is new): the emails waiting out
                    // their backoff are tried now rather than one by one as it ends.
                    let waiting = outbox::catch_up(&state.pool, now).await?;
                    if waiting > 0 {
                        tracing::info!(
                            waiting,
                            "the mail server takes mail again: the waiting emails are sent now"
                        );
                    }
                    self.catch_up = false;
                }
            }
            Err(e) => {
                if e.failure == Failure::Server {
                    self.probing = true;
                    self.catch_up = true;
                    self.last_probe = Some(now);
                } else {
                    // The server answered, about this email only.
                    self.probing = false;
                }
                let after = outbox::mark_attempt_failed(
                    &state.pool,
                    row,
                    &self.id,
                    now,
                    state.config.mail_give_up_hours * 3600,
                    &e.reason,
                    e.failure == Failure::Permanent,
                )
                .await?;
                tracing::warn!(
                    outbox_id = row.id,
                    attempt = row.attempts + 1,
                    failure = ?e.failure,
                    error = %e.reason,
                    next = ?after,
                    "email not sent"
                );
            }
        }
        Ok(())
    }

    /// Sends one message, renewing this worker's claims every `HEARTBEAT` until it is done.
    async fn send_renewing_claim(
        &mut self,
        state: &AppState,
        mailer: &Mailer,
        message: Message,
    ) -> Result<(), SendError> {
        let send = mailer.send(message);
        tokio::pin!(send);
        let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
        loop {
            tokio::select! {
                result = &mut send => return result,
                _ = beat.tick() => {
                    let now = state.clock.now();
                    match outbox::beat(&state.pool, &self.id, now).await {
                        Ok(()) => self.last_beat = now,
                        Err(e) => tracing::warn!(error = %e, "the claim on emails being sent could not be renewed"),
                    }
                }
            }
        }
    }
}

/// Marks the email sent, trying a few times over some seconds: the server has it, and an
/// email left unmarked would be sent again.
async fn mark_sent(state: &AppState, id: i64, now: i64) -> sqlx::Result<()> {
    let mut wait = Duration::from_millis(200);
    for _ in 0..4 {
        match outbox::mark_sent(&state.pool, id, now).await {
            Ok(()) => return Ok(()),
            Err(e) => {
                tracing::warn!(outbox_id = id, error = %e, "a sent email could not be marked sent yet");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
        }
    }
    outbox::mark_sent(&state.pool, id, now).await
}

/// One pass of a new worker named `worker`: sends every email due now; returns how many.
pub async fn deliver_due(state: &AppState, mailer: &Mailer, worker: &str) -> sqlx::Result<usize> {
    let (_never, stop) = watch::channel(false);
    Worker::new(worker).deliver_due(state, mailer, &stop).await
}

/// Runs until `stop` turns true, looking at the outbox every few seconds; on stop it finishes
/// the email in hand and gives back the rest of its claim.
pub async fn run(state: AppState, mailer: Mailer, stop: watch::Receiver<bool>) {
    run_as(state, mailer, stop, new_worker_id()).await
}

/// A worker's name in the outbox's claims: one no other instance has, now or later.
pub fn new_worker_id() -> String {
    Worker::for_this_process().id().to_owned()
}

/// [`run`] under a name the caller knows, so that it can give back the worker's claim
/// ([`outbox::release`]) when the worker is stopped before it finishes (shutdown's deadline).
pub async fn run_as(
    state: AppState,
    mailer: Mailer,
    mut stop: watch::Receiver<bool>,
    worker_id: String,
) {
    let mut worker = Worker::new(worker_id);
    if let Err(e) = outbox::forget_dead_workers(&state.pool, state.clock.now()).await {
        tracing::warn!(error = %e, "the outbox could not be read");
    }
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
        if let Err(e) = worker.deliver_due(&state, &mailer, &stop).await {
            tracing::warn!(error = %e, "the outbox could not be read");
        }
    }
    if let Err(e) = outbox::retire(&state.pool, worker.id()).await {
        tracing::warn!(error = %e, "the mail worker could not sign off");
    }
    tracing::info!("mail worker stopped");
}
