//! The IntelliAuth binary: `serve`, `migrate` and `errors`.

mod config;
mod import;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use config::Settings;
use intelliauth_actions::QuickJsEngine;
use intelliauth_core::actions::Actions;
use intelliauth_core::auth::{AuthServices, FlowActions};
use intelliauth_core::password::PasswordHasherPool;
use intelliauth_core::ports::Ports;
use intelliauth_core::{Auth, Management};
use intelliauth_oidc::Oidc;
use intelliauth_server::AppState;
use intelliauth_store::SqlStore;
use intelliauth_webhooks::{Dispatcher, LogoutDispatcher};

#[derive(Parser)]
#[command(name = "intelliauth", version, about = "IntelliAuth: a self-hostable identity platform")]
struct Cli {
    /// A TOML file with any of the settings below (flags and environment variables win).
    #[arg(long, global = true, env = "INTELLIAUTH_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Rotate a tenant's signing keys: the published next key starts signing; the current
    /// one stays published until its tokens expire.
    Rotate {
        #[arg(long, default_value = "default")]
        tenant: String,
        #[command(flatten)]
        settings: Settings,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (applies pending migrations first).
    Serve(Settings),
    /// Apply pending database migrations and exit.
    Migrate(Settings),
    /// Print the error catalogue as JSON.
    Errors,
    /// Print the management API's OpenAPI document (the one served at /v1/openapi.json).
    Openapi,
    /// Manage token-signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Measure one password hash on this machine, to size --max-concurrent-hashes, and the
    /// sign-in ceiling (hashes per second with every core hashing). Prints JSON.
    Calibrate,
    /// Import users from an NDJSON file into a running server (Auth0's bulk-import user
    /// schema, password hashes included), with a progress bar; rejected lines are printed.
    Import(import::ImportArgs),
    /// Export a tenant's users from a running server as NDJSON in the import's format,
    /// password hashes included (to move an installation, or to leave).
    Export(import::ExportArgs),
}

/// Runs a command that talks to a server over HTTP.
fn as_client(command: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(command),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match cli.command {
        Command::Errors => {
            println!("{:#}", intelliauth_catalogue::catalogue_json());
            return ExitCode::SUCCESS;
        }
        Command::Openapi => {
            println!("{:#}", intelliauth_server::api::openapi::document_json());
            return ExitCode::SUCCESS;
        }
        Command::Calibrate => return calibrate(),
        Command::Import(args) => return as_client(import::run(args)),
        Command::Export(args) => return as_client(import::run_export(args)),
        Command::Serve(ref settings)
        | Command::Migrate(ref settings)
        | Command::Keys(KeysCommand::Rotate { ref settings, .. }) => settings.clone(),
    };
    let settings = match &cli.config {
        Some(path) => match Settings::load_file(path) {
            Ok(file) => settings.over(file),
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
        },
        None => settings,
    };
    init_logging(settings.json_logs());
    // Panics go to the structured log, inside the current request's span (so they carry
    // its request id), instead of raw text on stderr.
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message =
            payload.downcast_ref::<&str>().copied().or_else(|| payload.downcast_ref::<String>().map(String::as_str));
        let location = info.location().map(ToString::to_string).unwrap_or_default();
        tracing::error!(message = message.unwrap_or("non-string payload"), %location, "panic");
    }));
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(_) => serve(settings).await,
            Command::Migrate(_) => migrate(settings).await,
            Command::Keys(KeysCommand::Rotate { ref tenant, .. }) => rotate_keys(settings, tenant).await,
            Command::Errors | Command::Openapi | Command::Calibrate | Command::Import(_) | Command::Export(_) => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// Times the server's own password hashing (same parameters, same build).
fn calibrate() -> ExitCode {
    let Ok(runtime) = tokio::runtime::Builder::new_multi_thread().enable_all().build() else {
        return ExitCode::FAILURE;
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (mut times, parallel_per_s) = runtime.block_on(async {
        let one_at_a_time = PasswordHasherPool::new(1);
        let mut times = Vec::new();
        for _ in 0..15 {
            let started = std::time::Instant::now();
            if one_at_a_time.hash("calibration password".into()).await.is_err() {
                break;
            }
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
        (times, parallel_hashes_per_s(cores).await)
    });
    if times.is_empty() || parallel_per_s == 0.0 {
        eprintln!("error: hashing failed");
        return ExitCode::FAILURE;
    }
    times.sort_by(f64::total_cmp);
    let (hash_ms, fastest_ms) = (times[times.len() / 2], times[0]);
    // The ceiling is what every core hashing at once achieves: hashes running side by side
    // share the caches and memory bandwidth (19 MiB each), so one hash's speed times the
    // cores overstates it.
    println!(
        "{}",
        serde_json::json!({
            "hash_ms": hash_ms, "fastest_ms": fastest_ms, "cores": cores,
            "single_hash_bound_per_s": cores as f64 * 1000.0 / fastest_ms,
            "sign_in_ceiling_per_s": parallel_per_s,
        })
    );
    ExitCode::SUCCESS
}

/// Hashes per second with `cores` hashes always running (the best of three 1 s rounds).
async fn parallel_hashes_per_s(cores: usize) -> f64 {
    let hasher = PasswordHasherPool::new(cores);
    let mut best = 0.0f64;
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let deadline = started + Duration::from_secs(1);
        let loops: Vec<_> = (0..cores)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move {
                    let mut done = 0u32;
                    while std::time::Instant::now() < deadline {
                        if hasher.hash("calibration password".into()).await.is_err() {
                            break;
                        }
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        let mut hashes = 0u32;
        for finished in loops {
            hashes += finished.await.unwrap_or(0);
        }
        best = best.max(f64::from(hashes) / started.elapsed().as_secs_f64());
    }
    best
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("INTELLIAUTH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

async fn open_store(settings: &Settings) -> Result<SqlStore, String> {
    SqlStore::open(settings.database_url.as_deref(), &settings.data_dir(), &settings.pool())
        .await
        .map_err(|e| format!("cannot open the database: {e}"))
}

/// Migrates, retrying while the database is still coming up (a container starting beside us).
async fn migrate_with_retry(store: &SqlStore) -> Result<(), String> {
    let mut delay = Duration::from_millis(250);
    for attempt in 1..=8 {
        match store.migrate().await {
            Ok(applied) => {
                if !applied.is_empty() {
                    tracing::info!(?applied, backend = store.backend(), "database migrated");
                }
                return Ok(());
            }
            Err(intelliauth_core::ports::StoreError::Unavailable(cause)) if attempt < 8 => {
                tracing::warn!(attempt, %cause, "database not reachable yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(error) => return Err(format!("migration failed: {error}")),
        }
    }
    Err("database unreachable".into())
}

async fn migrate(settings: Settings) -> Result<(), String> {
    let store = open_store(&settings).await?;
    migrate_with_retry(&store).await?;
    store.close().await;
    println!("database is up to date ({})", store.backend());
    Ok(())
}

async fn rotate_keys(settings: Settings, tenant: &str) -> Result<(), String> {
    let store = Arc::new(open_store(&settings).await?);
    migrate_with_retry(&store).await?;
    let public_url = settings.public_url.clone().unwrap_or_else(|| settings.public_url(settings.bind()));
    let oidc = Oidc::new(&Ports::all_in(store.clone()), settings.instance_key()?, &public_url)
        .with_key_cache_ttl(settings.signing_key_cache()?);
    let jwks = oidc.rotate_keys(tenant).await.map_err(|e| format!("rotation failed: {e}"))?;
    store.close().await;
    println!("{jwks:#}");
    Ok(())
}

async fn serve(settings: Settings) -> Result<(), String> {
    let store = Arc::new(open_store(&settings).await?);
    migrate_with_retry(&store).await?;
    let instance_key = settings.instance_key()?;
    // Every port the services need, from the one storage.
    let ports = Ports::all_in(store.clone());
    let engine = QuickJsEngine::with_policy(settings.webhook_policy());
    let actions = Actions::new(ports.actions.clone(), Arc::new(engine), instance_key.clone());
    let hasher = PasswordHasherPool::new(settings.max_concurrent_hashes());
    let management =
        Management::new(&ports, hasher, instance_key.clone(), settings.webhook_policy()).with_actions(actions.clone());
    let configured_token = std::env::var("INTELLIAUTH_BOOTSTRAP_TOKEN").ok().filter(|token| !token.is_empty());
    let bootstrap =
        management.bootstrap(configured_token.as_deref()).await.map_err(|e| format!("bootstrap failed: {e}"))?;

    let listener = tokio::net::TcpListener::bind(settings.bind())
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.bind()))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let public_url = settings.public_url(bound);
    let http = settings.http(public_url.clone());
    let header_read_timeout = http.header_read_timeout;
    let shared_limits = match &settings.redis_url {
        Some(url) => {
            let prefix = settings.redis_prefix.as_deref().unwrap_or("intelliauth:");
            Some(Arc::new(intelliauth_limits::SharedLimits::connect(url, prefix).await?))
        }
        None => {
            if settings.database_url.is_some() {
                tracing::warn!(
                    "no --redis-url: rate limits, captcha counters and mail throttles are per node; \
                     set it when several nodes share this database"
                );
            }
            None
        }
    };
    let counters: Arc<dyn intelliauth_core::auth::Counters> = match &shared_limits {
        Some(shared) => Arc::new(intelliauth_limits::SharedCounters::new(shared.clone())),
        None => Arc::new(intelliauth_core::auth::LocalCounters::default()),
    };
    let services = AuthServices {
        counters,
        mailer: settings.mailer()?,
        wording: Arc::new(intelliauth_server::i18n::CatalogueWording),
        siteverify: settings.siteverify()?,
        sms: settings.sms_sender()?,
        passkeys: passkeys(&public_url),
        password_verifier: Some(Arc::new(intelliauth_webhooks::verifier::HttpPasswordVerifier::new(
            settings.webhook_policy(),
        )?)),
        actions: Some(FlowActions { runner: actions, authorizations: ports.grants.clone() }),
        upstream: Some(Arc::new(intelliauth_federation::UpstreamClient::new(settings.webhook_policy())?)),
    };
    let auth = Auth::new(&management, &ports, services, &public_url, instance_key.clone());
    let oidc = Oidc::new(&ports, instance_key.clone(), &public_url)
        .with_key_cache_ttl(settings.signing_key_cache()?)
        .with_session_reuse(Arc::new(auth.clone()))
        .with_log(ports.log.clone());
    let log_queue = management.log_queue().clone();
    let logout_tokens: Arc<dyn intelliauth_core::logout::LogoutTokens> = Arc::new(oidc.clone());
    let mut state = AppState::new(management, auth, oidc, http).with_cookie_key(instance_key.clone());
    if let Some(shared) = shared_limits {
        state = state.with_shared_limits(shared);
    }
    spawn_housekeeping(state.clone(), ports.logout.clone());
    store.relay_outbox_between_nodes(settings.webhook_delivery());
    store.watch_directory_between_nodes();
    let mut delivery = None;
    if settings.webhook_delivery() {
        let metrics = state.metrics.clone();
        let dispatcher = Dispatcher::new(
            ports.webhooks.clone(),
            instance_key,
            settings.dispatcher()?,
            store.outbox_signal(),
            Arc::new(move |outcome: intelliauth_catalogue::Code| metrics.webhook_outcome(outcome.as_str())),
        )?;
        delivery = Some(dispatcher.spawn());
        // Back-channel logout tokens go out with the webhooks' guard and schedule.
        let logouts =
            LogoutDispatcher::new(ports.logout.clone(), logout_tokens, ports.log.clone(), &settings.dispatcher()?)?;
        logouts.spawn();
    }
    let app = intelliauth_server::router(state);

    print_banner(&public_url, store.backend(), bootstrap.generated_token.as_deref(), configured_token.is_some());
    tracing::info!(backend = store.backend(), "listening on http://{bound}");
    intelliauth_server::serve(listener, app, header_read_timeout, shutdown_signal()).await;
    // Deliveries in flight are sent and recorded before the pool closes.
    if let Some(delivery) = delivery {
        delivery.stop().await;
    }
    log_queue.drained(Duration::from_secs(5)).await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The WebAuthn relying party for the public URL; without one (a public URL that is an IP
/// address, which WebAuthn refuses), passkeys are unavailable and the rest still works.
fn passkeys(public_url: &str) -> Option<Arc<dyn intelliauth_core::ports::Passkeys>> {
    match intelliauth_passkeys::WebauthnPasskeys::new(public_url, "IntelliAuth") {
        Ok(passkeys) => Some(Arc::new(passkeys)),
        Err(reason) => {
            tracing::warn!(%reason, "passkeys are unavailable");
            None
        }
    }
}

/// Once a minute: forget idle rate-limit keys, delete expired sign-in records, webhook
/// history and logout deliveries past their retention.
fn spawn_housekeeping(state: AppState, logout: Arc<dyn intelliauth_core::logout::LogoutStore>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            state.rate_limits.forget_idle_keys();
            match state.auth.prune_expired().await {
                Ok(0) => {}
                Ok(deleted) => tracing::debug!(deleted, "pruned expired sign-in records"),
                Err(error) => tracing::warn!(%error, "pruning expired sign-in records failed"),
            }
            if let Err(error) = state.management.prune_webhook_history().await {
                tracing::warn!(%error, "pruning webhook history failed");
            }
            // Logout deliveries are kept a week after they ended, for support questions.
            let week_ago = intelliauth_core::ids::now_ms() - 7 * 86_400_000;
            if let Err(error) = logout.prune_logout_deliveries(week_ago).await {
                tracing::warn!(%error, "pruning logout deliveries failed");
            }
            if let Err(error) = state.management.prune_action_executions().await {
                tracing::warn!(%error, "pruning Action executions failed");
            }
            match state.management.prune_logs().await {
                Ok(0) => {}
                Ok(deleted) => tracing::debug!(deleted, "pruned tenant log entries past their retention"),
                Err(error) => tracing::warn!(%error, "pruning the tenant log failed"),
            }
        }
    });
}

/// What a newcomer needs to start: the URLs and how to authenticate. The generated
/// bootstrap token goes to the terminal once, never to the log.
fn print_banner(public_url: &str, backend: &str, generated_token: Option<&str>, configured: bool) {
    println!("IntelliAuth is running on {public_url} ({backend})");
    println!("  admin console    {public_url}/console");
    println!("  sign-in pages    {public_url}/t/default/login   (JSON flow API under /t/default/api/)");
    println!("  management API   {public_url}/v1/tenants/default/users");
    println!("  API reference    {public_url}/v1/openapi.json");
    println!("  error catalogue  {public_url}/v1/errors");
    println!("  documentation    {public_url}/docs");
    println!("  health           {public_url}/healthz   readiness {public_url}/readyz   metrics {public_url}/metrics");
    match generated_token {
        Some(token) => {
            println!("Bootstrap management token (shown once; only its hash is stored):");
            println!("  {token}");
            println!("  curl -H 'Authorization: Bearer {token}' {public_url}/v1/tenants");
            println!(
                "First admin: open {public_url}/console, choose \"Create the first admin\", paste this token \
                 and pick an email and password; then sign in with them."
            );
        }
        None if configured => {
            println!("Management token: the value of INTELLIAUTH_BOOTSTRAP_TOKEN.");
            println!("First admin: open {public_url}/console and choose \"Create the first admin\" with that token.");
        }
        None => println!(
            "Management token: the one printed on first start (set INTELLIAUTH_BOOTSTRAP_TOKEN=iam_… to choose your own)."
        ),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
