//! The `portal` binary: configuration, logging, database, then serve or run a command.

use std::{io::IsTerminal, net::SocketAddr, process::ExitCode};

use clap::Parser;
use portal::{
    config::{Cli, Command, Config, LogFormat},
    db,
    state::AppState,
};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.config.log_format);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("portal: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn open(config: &Config) -> Result<AppState, String> {
    let (pool, backend) = db::open(&config.database_url())
        .await
        .map_err(|e| e.to_string())?;
    db::migrate(&pool, backend)
        .await
        .map_err(|e| e.to_string())?;
    Ok(AppState::new(pool, backend, config.clone()))
}

async fn run(cli: Cli) -> Result<(), String> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            open(&config).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::CreateStaff { email, name } => {
            let state = open(&config).await?;
            let password = read_password()?;
            let id =
                portal::accounts::setup::create_staff(&state, &email, &name, &password).await?;
            println!(
                "Staff account {id} created for {email}. Log in at {}/login",
                config.base()
            );
            Ok(())
        }
        Command::Demo { extra_posts } => {
            let state = open(&config).await?;
            let report = portal::demo::run(&state, extra_posts).await?;
            println!("{}", report.text(config.base()));
            Ok(())
        }
        Command::Serve => serve(config).await,
    }
}

/// From the terminal without echo, or the first line of standard input when it is not a terminal.
fn read_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Password again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the two passwords differ".to_owned());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let state = open(&config).await?;
    // Before anything is logged or written: a mail folder that cannot be used stops the start.
    let mailer = portal::notify::worker::Mailer::from_config(&config)?;
    if let Some(token) = portal::accounts::setup::ensure_token(&state)
        .await
        .map_err(|e| e.to_string())?
    {
        tracing::warn!(
            "No staff account yet. Open this link within 24 hours to create the first one: {}/setup/{}",
            config.base(),
            token
        );
    }
    match portal::news::images::import_legacy(&state).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            images = n,
            "cover pictures moved from {} into the database; that folder is no longer used",
            config.data_dir.join("images").display()
        ),
        Err(e) => {
            tracing::warn!(error = %e, "could not move the old cover pictures into the database")
        }
    }
    match &mailer {
        portal::notify::worker::Mailer::Files(_, dir) => {
            tracing::info!(
                "no SMTP_URL: emails are written as .eml files to {}",
                dir.display()
            )
        }
        portal::notify::worker::Mailer::Smtp(_) => tracing::info!("emails are sent over SMTP"),
    }
    let (stop_worker, worker_stop) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(portal::notify::worker::run(
        state.clone(),
        mailer,
        worker_stop,
    ));
    tokio::spawn(portal::housekeeping(state.clone()));
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    tracing::info!(
        "serving {} on http://{} ({:?})",
        config.org_name,
        config.bind,
        state.backend
    );
    axum::serve(
        listener,
        portal::app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        // The worker stops with the requests, not after them: it finishes the email in hand
        // while the last requests are answered.
        let _ = stop_worker.send(true);
    })
    .await
    .map_err(|e| e.to_string())?;
    // Bounded, so that a hung SMTP server cannot hold the exit; a claim left behind is
    // taken again after `CLAIM_TIMEOUT`.
    if tokio::time::timeout(WORKER_GRACE, worker).await.is_err() {
        tracing::warn!(
            "the mail worker did not finish within {} s; its emails will be sent after the next start",
            WORKER_GRACE.as_secs()
        );
    }
    tracing::info!("stopped");
    Ok(())
}

/// How long the mail worker may take to finish the email in hand at shutdown: more than one
/// SMTP exchange usually takes, less than the 90 s service managers wait before killing.
const WORKER_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

/// SIGINT or SIGTERM: stop accepting, finish the requests in flight, then exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down; finishing requests in flight");
}
