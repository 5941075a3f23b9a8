//! Command line and environment configuration: every flag is also an environment variable.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

/// The member portal of a learning network for mayors.
#[derive(Debug, Clone, Parser)]
#[command(name = "portal", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the portal (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Fill an empty database with a demo network: cities, people, news, a testimonial.
    Demo {
        /// Also add this many short generated posts (for trying pagination and speed).
        #[arg(long, default_value_t = 0)]
        extra_posts: usize,
    },
    /// Rebuild the search index from what the database holds (each area writes it in the
    /// transaction of every change; this is for an index lost or a rule changed).
    Reindex,
    /// Create a staff account; the password is read from the terminal, or from standard input.
    CreateStaff {
        /// Email address of the new staff member.
        #[arg(long)]
        email: String,
        /// Full name of the new staff member.
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(
        long,
        env = "PORTAL_BIND",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub bind: SocketAddr,

    /// Public base URL, used for links in emails; https makes cookies Secure.
    #[arg(
        long,
        env = "PORTAL_BASE_URL",
        default_value = "http://127.0.0.1:3000",
        global = true
    )]
    pub base_url: String,

    /// Database URL: sqlite://path or postgres://user@host/db. Default: <data-dir>/portal.db.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Folder for the SQLite database and other files the portal writes.
    #[arg(long, env = "PORTAL_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// Name of the organization, shown on every page.
    #[arg(
        long,
        env = "PORTAL_ORG_NAME",
        default_value = "Mayors Innovation Project",
        global = true
    )]
    pub org_name: String,

    /// Tagline shown under the organization's name.
    #[arg(
        long,
        env = "PORTAL_ORG_TAGLINE",
        default_value = "A learning network for mayors.",
        global = true
    )]
    pub org_tagline: String,

    /// Log format.
    #[arg(
        long,
        env = "PORTAL_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,

    /// The organization's IANA time zone: times are shown in it to visitors, and to people
    /// whose city has no zone and who chose none.
    #[arg(
        long,
        env = "PORTAL_TIME_ZONE",
        default_value = crate::time::DEFAULT_ZONE,
        value_parser = parse_zone,
        global = true
    )]
    pub time_zone: crate::time::Zone,

    /// Days of inactivity after which a session ends.
    #[arg(
        long,
        env = "PORTAL_SESSION_IDLE_DAYS",
        default_value_t = 14,
        global = true
    )]
    pub session_idle_days: i64,

    /// Days after log-in at which a session ends however active it is; the person logs in again.
    #[arg(
        long,
        env = "PORTAL_SESSION_MAX_DAYS",
        default_value_t = 30,
        global = true
    )]
    pub session_max_days: i64,

    /// Trust the X-Forwarded-For header for the client address (only behind your own proxy).
    #[arg(
        long,
        env = "PORTAL_TRUST_PROXY",
        default_value_t = false,
        global = true
    )]
    pub trust_proxy: bool,

    /// Seconds browsers keep to https once they have seen the portal over it
    /// (Strict-Transport-Security); sent only when the base URL is https. 0 tells them to forget.
    #[arg(
        long,
        env = "PORTAL_HSTS_MAX_AGE",
        default_value_t = 31_536_000,
        global = true
    )]
    pub hsts_max_age: u64,

    /// SMTP server for outgoing mail: smtp://user:pass@host:587 (STARTTLS when offered; add
    /// ?tls=required to insist) or smtps://host:465. Unset: mail is written as .eml files
    /// under <data-dir>/mail.
    #[arg(long, env = "SMTP_URL", global = true)]
    pub smtp_url: Option<String>,

    /// SMTP user name, when not given in SMTP_URL.
    #[arg(long, env = "SMTP_USERNAME", global = true)]
    pub smtp_username: Option<String>,

    /// SMTP password, when not given in SMTP_URL.
    #[arg(long, env = "SMTP_PASSWORD", global = true, hide_env_values = true)]
    pub smtp_password: Option<String>,

    /// The From address of every email. Default: the organization's name and portal@<base-url host>.
    /// A name stored at /staff/site replaces the display name when the email is sent.
    #[arg(long, env = "PORTAL_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,

    /// Hours an email that cannot be sent is retried (at most an hour apart) before it is
    /// marked failed; 0 marks it failed at the first failure. A permanent refusal (SMTP 5xx)
    /// marks it failed at once.
    #[arg(
        long,
        env = "PORTAL_MAIL_GIVE_UP_HOURS",
        default_value_t = 72,
        value_parser = clap::value_parser!(i64).range(0..=24 * 365),
        global = true
    )]
    pub mail_give_up_hours: i64,

    /// Seconds between looks at the outbox.
    #[arg(
        long,
        env = "PORTAL_MAIL_POLL_SECONDS",
        default_value_t = 5,
        global = true
    )]
    pub mail_poll_seconds: u64,

    /// How many messages one member may send to other members through the directory's
    /// Contact form in 24 hours.
    #[arg(
        long,
        env = "PORTAL_CONTACT_DAILY_LIMIT",
        default_value_t = 10,
        value_parser = clap::value_parser!(i64).range(0..=10_000),
        global = true
    )]
    pub contact_daily_limit: i64,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "PORTAL_MAX_BODY_BYTES", default_value_t = 1024 * 1024, global = true)]
    pub max_body_bytes: usize,

    /// Milliseconds a write waits for a lock held elsewhere (SQLite's busy timeout,
    /// PostgreSQL's lock_timeout) before the request answers 503 and gives the form back.
    #[arg(
        long,
        env = "PORTAL_DB_LOCK_WAIT_MS",
        default_value_t = 10_000,
        global = true
    )]
    pub db_lock_wait_ms: u64,

    /// /healthz answers 503 when the data folder's file system has less free space than this,
    /// in megabytes (0: not checked).
    #[arg(long, env = "PORTAL_MIN_FREE_MB", default_value_t = 200, global = true)]
    pub min_free_mb: u64,

    /// Posts (cohort threads and replies together) one person may write in an hour; one more
    /// is refused with a message and the text given back.
    #[arg(
        long,
        env = "PORTAL_POSTS_PER_HOUR",
        default_value_t = 60,
        global = true
    )]
    pub posts_per_hour: i64,

    /// Megabytes of files one cohort may hold among its resources; an upload that would pass
    /// it is refused with a message.
    #[arg(
        long,
        env = "PORTAL_COHORT_QUOTA_MB",
        default_value_t = 2048,
        global = true
    )]
    pub cohort_quota_mb: u64,

    /// Seconds a client has to send a request's headers; a connection that has not sent them
    /// by then is closed.
    #[arg(
        long,
        env = "PORTAL_HEADER_TIMEOUT_SECONDS",
        default_value_t = 30,
        global = true
    )]
    pub header_timeout_seconds: u64,

    /// Seconds SIGTERM or SIGINT waits for the requests in flight and the email in hand;
    /// then the connections left are closed, the emails still claimed are given back, and
    /// the portal exits.
    #[arg(
        long,
        env = "PORTAL_SHUTDOWN_SECONDS",
        default_value_t = 30,
        global = true
    )]
    pub shutdown_seconds: u64,
}

impl Config {
    /// The database URL, defaulting to an SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("portal.db").display()
            ),
        }
    }

    /// Cookies get the Secure flag when the portal is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// The Strict-Transport-Security max-age, when the portal is served over https.
    pub fn hsts_max_age(&self) -> Option<u64> {
        self.secure_cookies().then_some(self.hsts_max_age)
    }

    /// The From header: configured, or "<org name> <portal@host of the base URL>".
    pub fn mail_from(&self) -> String {
        if let Some(from) = &self.mail_from {
            return from.clone();
        }
        let host = self.base().split("://").nth(1).unwrap_or("localhost");
        let host = host.split(['/', ':']).next().unwrap_or("localhost");
        let host = if host.parse::<std::net::IpAddr>().is_ok() || !host.contains('.') {
            "localhost"
        } else {
            host
        };
        format!(
            "{} <portal@{host}>",
            self.org_name.replace(['<', '>', '"'], "")
        )
    }

    /// The folder where mail is written when no SMTP server is configured.
    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    /// How long a write waits for a lock held elsewhere.
    pub fn lock_wait(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.db_lock_wait_ms)
    }

    /// The base URL without a trailing slash, for building absolute links.
    pub fn base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }

    /// A configuration for tests and tools: defaults with the given database.
    pub fn for_database(database_url: &str, data_dir: PathBuf) -> Self {
        let mut config = Cli::parse_from(["portal"]).config;
        config.database_url = Some(database_url.to_owned());
        config.data_dir = data_dir;
        config
    }
}

/// Accepts a time zone the bundled database knows, by its IANA name: the organization's zone, parsed once here; every page and email takes it from the
/// configuration.
fn parse_zone(s: &str) -> Result<crate::time::Zone, String> {
    crate::time::Zone::parse(s)
}
