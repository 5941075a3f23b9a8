//! The state every handler shares: pool, backend, configuration, clock.

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use sqlx::AnyPool;
use tokio::sync::Semaphore;

use crate::{
    config::Config,
    db::{self, Backend, WriteGate, WriteTx},
};

/// The most password hashes computed at once, whatever the number of cores: each takes
/// argon2's 19 MiB, so a burst of a hundred log-ins holds at most this many of them at once
/// (on a 36-core host, one a core let a burst take the process to 731 MB) and queues the rest.
pub const HASHES_AT_ONCE: usize = 4;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    /// The database, SQLite or PostgreSQL behind sqlx `Any`.
    pub pool: AnyPool,
    /// Which engine `pool` talks to, for the few queries that differ.
    pub backend: Backend,
    /// Everything the command line and environment configured.
    pub config: Config,
    /// The time as the portal sees it; tests move it forward instead of sleeping.
    pub clock: Clock,
    /// Bounds the password hashes computed at once (one a core, up to [`HASHES_AT_ONCE`]), so a burst of log-ins queues instead
    /// of taking memory or the threads that serve pages. Shared with the blocking task of
    /// each hash, which holds its permit until the hash is done.
    pub hashing: Arc<Semaphore>,
    /// One image decoded at a time in the whole process: a decode may take a few hundred
    /// megabytes and seconds of CPU, and four at once took 636 MB.
    pub decoding: Semaphore,
    /// Takes turns for write transactions; see [`crate::db::WriteGate`].
    pub writes: WriteGate,
    /// The organization's identity as last read, kept briefly; see [`crate::web::identity`].
    pub identity: crate::web::identity::Cache,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(pool: AnyPool, backend: Backend, config: Config) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        AppState(Arc::new(Inner {
            pool,
            backend,
            config,
            clock: Clock::default(),
            hashing: Arc::new(Semaphore::new(cores.min(HASHES_AT_ONCE))),
            decoding: Semaphore::new(1),
            writes: WriteGate::for_backend(backend),
            identity: Default::default(),
        }))
    }

    /// Begins a transaction that will write: its turn at the gate, then `BEGIN IMMEDIATE` on
    /// SQLite or `BEGIN` on PostgreSQL ([`crate::db::begin_write`]).
    pub async fn begin_write(&self) -> sqlx::Result<WriteTx> {
        db::begin_write(&self.pool, self.backend, &self.writes).await
    }

    /// A write the page does not depend on (the reading of a thread, forgiving a right
    /// log-in's earlier failures): run on a task of its own, waited for [`ASIDE_WAIT`] at
    /// most, so that a locked or unreachable database delays the page by that much and no
    /// more. A write that cannot happen is given up after the lock wait, with a log line;
    /// `what` names it there.
    pub async fn write_aside<F, Fut>(&self, what: &'static str, write: F)
    where
        F: FnOnce(AppState) -> Fut,
        Fut: std::future::Future<Output = sqlx::Result<()>> + Send + 'static,
    {
        let limit = self.config.lock_wait() + Duration::from_secs(5);
        let writing = write(self.clone());
        let mut task = tokio::spawn(async move {
            match tokio::time::timeout(limit, writing).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => match crate::error::Trouble::of(&e) {
                    Some(trouble) => crate::error::log_trouble(trouble, what, &e),
                    None => tracing::warn!(error = %e, "{what} was not recorded"),
                },
                Err(_) => crate::error::log_trouble(
                    crate::error::Trouble::Busy,
                    what,
                    &format_args!("not done within {} s", limit.as_secs()),
                ),
            }
        });
        let _ = tokio::time::timeout(ASIDE_WAIT, &mut task).await;
    }
}

/// How long a request waits for a [`AppState::write_aside`] before answering: long enough
/// for the write to land at once when the database is well (so the next page sees it), short
/// enough not to be noticed when it is not.
pub const ASIDE_WAIT: Duration = Duration::from_millis(250);

/// Unix time in seconds, plus an offset that only tests change.
#[derive(Debug, Default, Clone)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> i64 {
        let system = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        system + self.offset.load(Ordering::Relaxed)
    }

    /// Moves the clock forward; for tests of expiry and scheduling.
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::Relaxed);
    }
}
