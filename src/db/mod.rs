//! Opening the pool on SQLite or PostgreSQL, migrations, and the few queries that differ by backend.

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    Any, AnyConnection, AnyPool, Transaction,
    any::AnyPoolOptions,
    migrate::Migrator,
    postgres::PgConnectOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub mod health;

// Migrations up to 0023 (the personal calendar feed of cohorts).
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database engine the pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Why the database could not be opened, in words for one log line.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("DATABASE_URL must start with sqlite:// or postgres://, got {0:?}")]
    Scheme(String),
    #[error("DATABASE_URL is malformed: {0}")]
    Malformed(String),
    #[error("cannot create the folder {0}: {1}")]
    Folder(String, std::io::Error),
    /// Where (" at host:port", " file path"; never the password) and why, in the driver's own
    /// words: "connection refused", "password authentication failed", "unable to open
    /// database file".
    #[error("cannot connect to the database{0}: {1}")]
    Connect(String, String),
    #[error("cannot migrate the database: {0}")]
    Migrate(sqlx::migrate::MigrateError),
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Self, OpenError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            let scheme = url.split(':').next().unwrap_or_default();
            Err(OpenError::Scheme(format!("{scheme}:")))
        }
    }
}

/// Opens a pool on the URL, creating the SQLite file and its folder when needed; a write
/// waits [`LOCK_WAIT`] for a lock held elsewhere.
pub async fn open(url: &str) -> Result<(AnyPool, Backend), OpenError> {
    open_with(url, LOCK_WAIT).await
}

/// How long a write waits for another's lock by default (`--db-lock-wait-ms`).
pub const LOCK_WAIT: Duration = Duration::from_secs(10);

/// [`open`], with how long a write waits for a lock held elsewhere (SQLite's busy timeout,
/// PostgreSQL's lock_timeout) before it fails as busy.
pub async fn open_with(url: &str, lock_wait: Duration) -> Result<(AnyPool, Backend), OpenError> {
    let lock_wait_ms = lock_wait.as_millis().min(i32::MAX as u128) as u64;
    sqlx::any::install_default_drivers();
    let backend = Backend::of_url(url)?;
    let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(5));
    let options = match backend {
        Backend::Sqlite => sqlite_pool(url, options, lock_wait_ms).await?,
        Backend::Postgres => postgres_pool(url, options, lock_wait_ms).await?,
    };
    let pool = options
        .connect(url)
        .await
        .map_err(|e| OpenError::Connect(String::new(), cause(&e)))?;
    Ok((pool, backend))
}

/// SQLite: the file (and its folder) created in WAL mode, then the pool's options, each
/// connection with foreign keys, the busy timeout and `synchronous = NORMAL`.
async fn sqlite_pool(
    url: &str,
    options: AnyPoolOptions,
    lock_wait_ms: u64,
) -> Result<AnyPoolOptions, OpenError> {
    let parsed = SqliteConnectOptions::from_str(url)
        .map_err(|e| OpenError::Malformed(e.to_string()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_millis(lock_wait_ms))
        .foreign_keys(true);
    if let Some(parent) = parsed.get_filename().parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| OpenError::Folder(parent.display().to_string(), e))?;
    }
    // The file is created (and put in WAL mode) by a typed connection; the Any pool
    // then opens it with the URL's own options.
    use sqlx::ConnectOptions;
    let file = format!(" file {}", parsed.get_filename().display());
    let conn = parsed
        .connect()
        .await
        .map_err(|e| OpenError::Connect(file.clone(), cause(&e)))?;
    drop(conn);
    Ok(options.max_connections(8).after_connect(move |conn, _| {
        Box::pin(async move {
            sqlx::query("PRAGMA foreign_keys = ON")
                .execute(&mut *conn)
                .await?;
            // Built from a number only.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "PRAGMA busy_timeout = {lock_wait_ms}"
            )))
            .execute(&mut *conn)
            .await?;
            sqlx::query("PRAGMA synchronous = NORMAL")
                .execute(&mut *conn)
                .await?;
            Ok(())
        })
    }))
}

/// PostgreSQL: one direct connection first to name a refusal, then the pool's options, each
/// connection with the lock timeout.
async fn postgres_pool(
    url: &str,
    options: AnyPoolOptions,
    lock_wait_ms: u64,
) -> Result<AnyPoolOptions, OpenError> {
    let parsed =
        PgConnectOptions::from_str(url).map_err(|e| OpenError::Malformed(e.to_string()))?;
    let server = match parsed.get_socket() {
        Some(socket) => format!(" at {}", socket.display()),
        None => format!(" at {}:{}", parsed.get_host(), parsed.get_port()),
    };
    // One direct connection first: the pool retries a refused connection until its
    // acquire timeout and then says only "pool timed out", hiding the cause.
    use sqlx::Connection;
    match tokio::time::timeout(CONNECT_TIMEOUT, sqlx::AnyConnection::connect(url)).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
        }
        Ok(Err(e)) => return Err(OpenError::Connect(server, cause(&e))),
        Err(_) => {
            return Err(OpenError::Connect(
                server,
                format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
            ));
        }
    }
    Ok(options.max_connections(16).after_connect(move |conn, _| {
        Box::pin(async move {
            // A lock held elsewhere is waited for as long as SQLite's busy timeout,
            // then the request answers 503 instead of hanging. Built from a number only.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SET lock_timeout = {lock_wait_ms}"
            )))
            .execute(&mut *conn)
            .await?;
            Ok(())
        })
    }))
}

/// Bounds the write transactions one process runs at once. Writers beyond the bound wait
/// here, holding no connection, so the pool keeps connections for pages that only read
/// (with 80 invitations at once on PostgreSQL, a page read meanwhile answered in 0.3 s
/// instead of 0.7 s). On SQLite one writer at a time is all the database allows anyway;
/// the others would each hold a connection while waiting on the lock.
#[derive(Clone)]
pub struct WriteGate(Arc<Semaphore>);

/// How long a writer waits for its turn before the request fails, like SQLite's busy timeout.
const WRITE_WAIT: Duration = Duration::from_secs(10);

impl WriteGate {
    pub fn for_backend(backend: Backend) -> Self {
        let writers = match backend {
            Backend::Sqlite => 1,
            // A quarter of the pool (16).
            Backend::Postgres => 4,
        };
        WriteGate(Arc::new(Semaphore::new(writers)))
    }
}

/// A transaction that writes: a `Transaction` that also holds its turn at the [`WriteGate`]
/// until it is committed or dropped (dropped: rolled back). `&mut *tx` is the connection.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    _turn: OwnedSemaphorePermit,
}

impl WriteTx {
    pub async fn commit(self) -> sqlx::Result<()> {
        self.tx.commit().await
    }

    /// Ends the transaction without its changes (dropping it does the same, later).
    pub async fn rollback(self) -> sqlx::Result<()> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

/// Begins a transaction that will write. On SQLite it starts as a write transaction
/// (`BEGIN IMMEDIATE`): a deferred one reads first and then fails at once (SQLITE_BUSY,
/// without waiting on the busy timeout) when it tries to write while another connection
/// holds the write lock; an immediate one waits its turn on the busy timeout instead (other
/// processes, and writes outside transactions, still compete for the lock). On PostgreSQL
/// a plain `BEGIN`: row locks and guarded updates serialize what must be.
///
/// Inside the transaction, every query goes through it (`&mut *tx`): asking the pool for a
/// second connection while holding one deadlocks a busy pool.
pub async fn begin_write(
    pool: &AnyPool,
    backend: Backend,
    gate: &WriteGate,
) -> sqlx::Result<WriteTx> {
    let turn = tokio::time::timeout(WRITE_WAIT, gate.0.clone().acquire_owned())
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)?
        .map_err(|_| sqlx::Error::PoolClosed)?;
    let tx = match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    };
    Ok(WriteTx { tx, _turn: turn })
}

/// Applies the migrations of the pool's backend.
pub async fn migrate(pool: &AnyPool, backend: Backend) -> Result<(), OpenError> {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.run(pool).await.map_err(OpenError::Migrate)?;
    let data = async {
        digest_calendar_secrets(pool).await?;
        zone_cities_by_state(pool).await?;
        fill_rendered(pool).await
    };
    data.await
        .map_err(|e| OpenError::Migrate(sqlx::migrate::MigrateError::Execute(e)))
}

/// The Markdown bodies stored rendered (migration 0019): table, key, source, HTML column.
const RENDERED: [(&str, &str, &str, &str); 5] = [
    ("cohort_posts", "id", "body", "body_html"),
    ("cohort_resources", "id", "note", "note_html"),
    ("cohort_sessions", "id", "notes", "notes_html"),
    ("cohorts", "id", "description", "description_html"),
    ("pages", "id", "body", "body_html"),
];

/// Renders the Markdown bodies not rendered yet (rows from before bodies were stored
/// rendered, or written by hand, as the demo's are), in batches, off the async threads. Each
/// is stored only if its source is still the one rendered. Run at start-up and after the
/// demo's seeding; pages render a missing one themselves meanwhile.
pub async fn fill_rendered(pool: &AnyPool) -> sqlx::Result<()> {
    for (table, key, source, html) in RENDERED {
        loop {
            let select = format!(
                "SELECT {key}, {source} FROM {table} WHERE {html} IS NULL ORDER BY {key} LIMIT 200"
            );
            let rows: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(select))
                .fetch_all(pool)
                .await?;
            if rows.is_empty() {
                break;
            }
            let rendered = tokio::task::spawn_blocking(move || {
                rows.into_iter()
                    .map(|(id, body)| {
                        let (html, _) = crate::text::markdown::render(&body);
                        (id, body, html)
                    })
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(|e| sqlx::Error::Protocol(format!("rendering stopped: {e}")))?;
            let update = format!(
                "UPDATE {table} SET {html} = $1 WHERE {key} = $2 AND {source} = $3 AND {html} IS NULL"
            );
            let mut stored = 0;
            for (id, body, rendered) in rendered {
                stored += sqlx::query(sqlx::AssertSqlSafe(update.clone()))
                    .bind(rendered)
                    .bind(id)
                    .bind(body)
                    .execute(pool)
                    .await?
                    .rows_affected();
            }
            if stored == 0 {
                // Every row of the batch changed meanwhile: the next start fills them.
                break;
            }
        }
    }
    Ok(())
}

/// Cities created before zones were inferred (December 2026) without a zone of their own
/// take their state's, where the state has one zone: a Providence mayor reads Eastern time
/// without anyone's effort. Cities of states that span several keep the organization's
/// until staff choose.
async fn zone_cities_by_state(pool: &AnyPool) -> sqlx::Result<()> {
    let unzoned: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, state FROM cities WHERE time_zone = ''")
            .fetch_all(pool)
            .await?;
    for (id, state) in unzoned {
        if let Some(zone) = crate::time::zone_of_state(&state) {
            sqlx::query("UPDATE cities SET time_zone = $1 WHERE id = $2 AND time_zone = ''")
                .bind(zone)
                .bind(id)
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}

/// Calendar feed secrets were stored as sent until December 2026 (32 hex digits); since
/// then only their SHA-256 (64) is, as for every other secret. A data step SQL cannot do on
/// SQLite: each stored secret becomes its digest, once, so that addresses already
/// subscribed keep working.
async fn digest_calendar_secrets(pool: &AnyPool) -> sqlx::Result<()> {
    let plain: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT cohort_id, person_id, calendar_token FROM cohort_members \
         WHERE length(calendar_token) = 32",
    )
    .fetch_all(pool)
    .await?;
    for (cohort_id, person_id, secret) in plain {
        sqlx::query(
            "UPDATE cohort_members SET calendar_token = $1 \
             WHERE cohort_id = $2 AND person_id = $3 AND calendar_token = $4",
        )
        .bind(crate::secret::digest(&secret))
        .bind(cohort_id)
        .bind(person_id)
        .bind(&secret)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// How long the first connection to PostgreSQL may take before the server is called silent.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The words of an error that say its cause, without sqlx's wrapping ("error communicating
/// with database: …", "error returned from database: …").
pub fn cause(e: &sqlx::Error) -> String {
    let words = match e {
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Database(db) => db.message().to_owned(),
        sqlx::Error::Tls(tls) => format!("TLS: {tls}"),
        other => other.to_string(),
    };
    // "Connection refused (os error 111)" reads as part of the sentence it ends.
    let mut chars = words.chars();
    match chars.next() {
        Some(first) if chars.clone().next().is_some_and(char::is_lowercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => words,
    }
}

/// Makes a type with `parse(&str) -> Option<Self>` and `as_str(self) -> &'static str` a text
/// column: it binds as its word and decodes only from a word it knows. An unknown word in the
/// database is a decoding error (the request fails with a logged 500), never a default.
#[macro_export]
macro_rules! stored_as_text {
    ($t:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        impl $t {
            /// The value stored as `s`, or `None` for any other word.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
            /// The word stored for the value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }
        $crate::stored_as_text!($t);
    };
    ($t:ty) => {
        impl sqlx::Type<sqlx::Any> for $t {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }
            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $t {
            fn decode(
                value: <sqlx::Any as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let word = <&str as sqlx::Decode<sqlx::Any>>::decode(value)?;
                <$t>::parse(word).ok_or_else(|| {
                    format!("unknown {} {word:?} in the database", stringify!($t)).into()
                })
            }
        }

        impl sqlx::Encode<'_, sqlx::Any> for $t {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Any>>::encode(self.as_str(), buf)
            }
        }
    };
}

/// Holds, until the transaction on `conn` ends, the right to act on `key` (an address, an
/// account, an invitation's email): on PostgreSQL an advisory lock every instance shares;
/// on SQLite nothing, since its write transaction (`BEGIN IMMEDIATE`) already runs alone.
/// Always take several keys in the same order, so that two holders never wait on each other.
pub async fn lock_key(conn: &mut AnyConnection, backend: Backend, key: &str) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        sqlx::query(
            "SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))) AS locked",
        )
        .bind(key)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// A status column that moves only by guarded transitions, for status enums stored as text
/// (`stored_as_text!`): a decision is taken once, by the request whose update changed the row.
pub trait Status:
    Copy + Send + Sync + 'static + sqlx::Type<Any> + for<'q> sqlx::Encode<'q, Any>
{
    /// The guarded update, a fixed statement: `$1` the new status, `$2` the row's id, `$3`
    /// the status the row must still have, `$4` the instant, `$5` who decided (or NULL).
    const TRANSITION: &'static str;
}

/// Moves row `id` from `from` to `to`, recording when and by whom: true for the one request
/// that changed it, false when it was no longer `from` (decided meanwhile). Side effects
/// (emails, rows elsewhere) follow only a true.
pub async fn transition<S: Status>(
    conn: &mut AnyConnection,
    id: i64,
    from: S,
    to: S,
    now: i64,
    by: Option<i64>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(S::TRANSITION)
        .bind(to)
        .bind(id)
        .bind(from)
        .bind(now)
        .bind(by)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A 0/1 integer column read as a `bool` (sqlx `Any` decodes integers, not booleans, from
/// SQLite), and written back as 0 or 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flag(pub bool);

impl Flag {
    pub fn get(self) -> bool {
        self.0
    }
}

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0
    }
}

impl sqlx::Type<Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<Any>>::type_info()
    }
    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, Any> for Flag {
    fn decode(
        value: <Any as sqlx::Database>::ValueRef<'r>,
    ) -> Result<Self, sqlx::error::BoxDynError> {
        match <i64 as sqlx::Decode<Any>>::decode(value)? {
            0 => Ok(Flag(false)),
            1 => Ok(Flag(true)),
            n => Err(format!("a flag must be 0 or 1, the database holds {n}").into()),
        }
    }
}

impl sqlx::Encode<'_, Any> for Flag {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as sqlx::Database>::ArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <i64 as sqlx::Encode<Any>>::encode(i64::from(self.0), buf)
    }
}
