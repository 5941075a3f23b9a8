//! Opening the pool on SQLite or PostgreSQL, migrations, and the few queries that differ by backend.

use std::{str::FromStr, time::Duration};

use sqlx::{
    AnyPool,
    any::AnyPoolOptions,
    migrate::Migrator,
    postgres::PgConnectOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode},
};

pub mod health;

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

/// Opens a pool on the URL, creating the SQLite file and its folder when needed.
pub async fn open(url: &str) -> Result<(AnyPool, Backend), OpenError> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of_url(url)?;
    let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(5));
    match backend {
        Backend::Sqlite => {
            let parsed = SqliteConnectOptions::from_str(url)
                .map_err(|e| OpenError::Malformed(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
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
            options = options.max_connections(8).after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query(SQLITE_BUSY_TIMEOUT).execute(&mut *conn).await?;
                    sqlx::query("PRAGMA synchronous = NORMAL")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            });
        }
        Backend::Postgres => {
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
            options = options.max_connections(16);
        }
    }
    let pool = options
        .connect(url)
        .await
        .map_err(|e| OpenError::Connect(String::new(), cause(&e)))?;
    Ok((pool, backend))
}

/// Applies the migrations of the pool's backend.
pub async fn migrate(pool: &AnyPool, backend: Backend) -> Result<(), OpenError> {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.run(pool).await.map_err(OpenError::Migrate)
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so that it waits on the busy timeout instead of failing when a read
/// inside it would later need to become a write; on PostgreSQL it is a plain transaction.
pub async fn begin_write(
    pool: &AnyPool,
    backend: Backend,
) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
    match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => pool.begin().await,
    }
}

/// How long an SQLite writer waits for another's lock (the `busy_timeout` above, for every
/// connection of the pool).
const SQLITE_BUSY_TIMEOUT: &str = "PRAGMA busy_timeout = 10000";

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
