//! The `portal` binary: configuration, logging, database, then serve or run a command.

use std::{io::IsTerminal, net::SocketAddr, process::ExitCode, time::Duration};

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
    let (pool, backend) = db::open_with(&config.database_url(), config.lock_wait())
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
        Command::Reindex => {
            let state = open(&config).await?;
            let n = portal::search::reindex(&state)
                .await
                .map_err(|e| e.to_string())?;
            println!("{n} documents indexed.");
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
    announce(&state, &config, &mailer).await?;
    let (stop_worker, worker_stop) = tokio::sync::watch::channel(false);
    let worker_id = portal::notify::worker::new_worker_id();
    let mut worker = tokio::spawn(portal::notify::worker::run_as(
        state.clone(),
        mailer,
        worker_stop,
        worker_id.clone(),
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
    let grace = Duration::from_secs(config.shutdown_seconds);
    let deadline = serve_connections(
        listener,
        portal::app(state.clone()),
        Duration::from_secs(config.header_timeout_seconds.max(1)),
        grace,
        // The worker stops with the requests, not after them: it finishes the email in hand
        // while the last requests are answered.
        move || {
            let _ = stop_worker.send(true);
        },
    )
    .await;
    // The worker has what is left of the same deadline: a hung SMTP server does not hold the
    // exit. What it still holds is given back, to be sent after the next start (the email in
    // hand may then go out twice: it may have reached the server).
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    if tokio::time::timeout(left, &mut worker).await.is_err() {
        worker.abort();
        let released = portal::notify::outbox::release(&state.pool, &worker_id).await;
        tracing::warn!(
            released = released.as_ref().ok(),
            "the mail worker did not finish within {} s of the signal; the emails it held are given back and will be sent after the next start",
            grace.as_secs()
        );
    }
    tracing::info!("stopped");
    Ok(())
}

/// What the start says and does before serving: the link to create the first staff account
/// when there is none, old cover pictures moved into the database, and where emails go.
async fn announce(
    state: &portal::state::AppState,
    config: &Config,
    mailer: &portal::notify::worker::Mailer,
) -> Result<(), String> {
    if let Some(token) = portal::accounts::setup::ensure_token(state)
        .await
        .map_err(|e| e.to_string())?
    {
        tracing::warn!(
            "No staff account yet. Open this link within 24 hours to create the first one: {}/setup/{}",
            config.base(),
            token
        );
    }
    match portal::news::images::import_legacy(state).await {
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
    match mailer {
        portal::notify::worker::Mailer::Files(_, dir) => {
            tracing::info!(
                "no SMTP_URL: emails are written as .eml files to {}",
                dir.display()
            )
        }
        portal::notify::worker::Mailer::Smtp(_) => tracing::info!("emails are sent over SMTP"),
    }
    Ok(())
}

/// Serves HTTP/1.1 on `listener` until SIGINT or SIGTERM; then stops accepting, calls
/// `on_signal`, lets the requests in flight finish for `grace` at most, and closes the
/// connections left. Answers the deadline (the signal plus `grace`).
///
/// Each connection has `header_timeout` to send a request's headers (then it is closed), so
/// that a client that sends a byte and waits holds neither a connection nor the exit. (HTTP/1.1
/// only: proxies speak it to their upstreams, and HTTP/2's first bytes are read with no time
/// limit.)
async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    header_timeout: Duration,
    grace: Duration,
    on_signal: impl FnOnce(),
) -> tokio::time::Instant {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;

    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let (closing, closing_rx) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let signal = shutdown_signal();
    tokio::pin!(signal);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, or a connection reset before it was
                        // accepted: wait a little rather than spin.
                        tracing::warn!(error = %e, "could not accept a connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let service = app.clone().map_request(move |mut request: axum::http::Request<hyper::body::Incoming>| {
                    request
                        .extensions_mut()
                        .insert(axum::extract::ConnectInfo::<SocketAddr>(peer));
                    request
                });
                let service = hyper_util::service::TowerToHyperService::new(service);
                let http = http.clone();
                let mut closing = closing_rx.clone();
                connections.spawn(async move {
                    let connection = http.serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(connection);
                    tokio::select! {
                        _ = connection.as_mut() => return,
                        _ = closing.wait_for(|closing| *closing) => {}
                    }
                    // Answers the request in flight, if any, then closes.
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                });
            }
            // Finished connections are reaped as they go.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = &mut signal => break,
        }
    }
    let deadline = tokio::time::Instant::now() + grace;
    drop(listener);
    on_signal();
    let _ = closing.send(true);
    let finished = tokio::time::timeout_at(deadline, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            connections = connections.len(),
            "closing the connections still open {} s after the signal",
            grace.as_secs()
        );
        connections.shutdown().await;
    }
    deadline
}

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
