//! Persistence behind `core`'s ports: SQLite (the embedded default) and PostgreSQL.
//!
//! Both backends run the same portable SQL with `$n` placeholders, dispatched through
//! [`on_pool!`], so behaviour cannot drift between them. Connection failures become
//! [`StoreError::Unavailable`] within the acquire timeout rather than hanging a request.

#[macro_use]
mod macros;
#[macro_use]
mod outbox;
mod action_queries;
mod api_queries;
mod auth_queries;
mod connection_queries;
mod directory_cache;
mod directory_queries;
mod directory_relay;
mod grant_queries;
mod import_queries;
mod key_queries;
mod log_queries;
mod logout_queries;
mod mfa_queries;
mod migrate;
mod organization_queries;
mod outbox_relay;
mod rows;
mod sqlite_busy;
mod sqlite_checkpoint;
mod webhook_queries;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use directory_cache::{DirectoryCache, Listening};
use intelliauth_core::ports::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::Notify;

pub use migrate::MIGRATIONS;

/// Pool settings shared by both backends.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// How long a request waits for a connection before answering `service_unavailable`.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings { max_connections: 16, acquire_timeout: Duration::from_secs(3) }
    }
}

pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever backend is configured. The body is
/// compiled once per backend, so both must accept the same SQL and bound types.
#[macro_export]
#[doc(hidden)]
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite($pool) => $body,
            // A PostgreSQL server can accept connections and then never answer; every
            // operation is bounded so requests get `service_unavailable` instead of hanging.
            $crate::Db::Postgres($pool) => $crate::within_deadline($store.operation_timeout, async { $body }).await,
        }
    };
}

/// How much longer than the acquire timeout one whole database operation (acquiring a
/// connection included) may take on PostgreSQL before the database counts as unavailable.
const OPERATION_MARGIN: Duration = Duration::from_secs(2);

/// Runs a database operation within `limit`. A query given up on this way leaves its
/// connection waiting for the answer; sqlx reads that answer before the connection's next
/// use (or closes it), so nothing stale reaches a later request.
pub(crate) async fn within_deadline<T>(
    limit: Duration,
    operation: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(limit, operation).await.unwrap_or_else(|_| {
        Err(StoreError::Unavailable(format!("the database did not answer within {} ms", limit.as_millis())))
    })
}

/// The SQL store. Cheap to share behind an `Arc`.
pub struct SqlStore {
    pub(crate) db: Db,
    /// Notified after a commit that queued webhook messages.
    pub(crate) outbox_signal: Arc<Notify>,
    /// Notified with it, to tell the other nodes on PostgreSQL (`outbox_relay`).
    pub(crate) announce: Arc<Notify>,
    /// The bound on one PostgreSQL operation (see [`within_deadline`]).
    pub(crate) operation_timeout: Duration,
    /// This node's copy of tenants and applications; `None` reads every one from the database.
    pub(crate) directory: Option<DirectoryCache>,
    /// On PostgreSQL, what the directory listener knows (`watch_directory_between_nodes`).
    pub(crate) listening: Arc<Listening>,
}

impl SqlStore {
    /// The embedded SQLite database `intelliauth.db` inside `data_dir` (created if missing).
    pub async fn open_sqlite(data_dir: &Path, settings: &PoolSettings) -> Result<SqlStore, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Internal(format!("cannot create data directory {}: {e}", data_dir.display())))?;
        let database = data_dir.join("intelliauth.db");
        let options = SqliteConnectOptions::new()
            .filename(&database)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL is durable across application crashes and fast.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(sqlite_busy::BUSY_LIMIT)
            // Checkpoints run in the background (`sqlite_checkpoint`), never inside a commit.
            .pragma("wal_autocheckpoint", "0");
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections.clamp(1, 8))
            .after_connect(|connection, _| Box::pin(sqlite_busy::install(connection)))
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(map_error)?;
        sqlite_checkpoint::spawn(pool.clone());
        Ok(SqlStore {
            db: Db::Sqlite(pool),
            outbox_signal: Arc::default(),
            announce: Arc::default(),
            operation_timeout: Duration::MAX,
            directory: DirectoryCache::for_sqlite(&database),
            listening: Arc::default(),
        })
    }

    /// PostgreSQL at `url`. The pool connects lazily, so the server starts (and answers
    /// `service_unavailable`) even while the database is still down.
    pub fn connect_postgres(url: &str, settings: &PoolSettings) -> Result<SqlStore, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Internal(format!("invalid database URL: {e}")))?
            // A node that stalls or dies between a transaction's statements (a database
            // that stops answering mid-commit) must not hold its locks for good: the
            // database ends such a session. Every operation here is far shorter.
            .options([("idle_in_transaction_session_timeout", "60s")]);
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .min_connections(0)
            .acquire_timeout(settings.acquire_timeout)
            .connect_lazy_with(options);
        let operation_timeout = settings.acquire_timeout + OPERATION_MARGIN;
        // Not trusted (so not used) until `watch_directory_between_nodes` hears the database.
        let listening = Arc::new(Listening::default());
        Ok(SqlStore {
            db: Db::Postgres(pool),
            outbox_signal: Arc::default(),
            announce: Arc::default(),
            operation_timeout,
            directory: Some(DirectoryCache::for_postgres(listening.clone())),
            listening,
        })
    }

    /// Opens the backend named by `database_url`, or SQLite in `data_dir` when there is none.
    pub async fn open(
        database_url: Option<&str>,
        data_dir: &Path,
        settings: &PoolSettings,
    ) -> Result<SqlStore, StoreError> {
        match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Self::connect_postgres(url, settings)
            }
            Some(url) => Err(StoreError::Internal(format!(
                "unsupported database URL {:?}: use postgres://… or leave it unset for SQLite",
                url.split(':').next().unwrap_or_default()
            ))),
            None => Self::open_sqlite(data_dir, settings).await,
        }
    }

    /// Wakes whoever waits on it (the local delivery worker) when new webhook messages
    /// are committed, so deliveries start without waiting for the next poll.
    pub fn outbox_signal(&self) -> Arc<Notify> {
        self.outbox_signal.clone()
    }

    /// On PostgreSQL, tells the other nodes when this one queues webhook messages and,
    /// with `listen` (a delivering node), wakes this node's worker when another does.
    /// Nodes on one SQLite file share no such channel and find work at their next poll.
    pub fn relay_outbox_between_nodes(&self, listen: bool) {
        if let Db::Postgres(pool) = &self.db {
            outbox_relay::spawn_announcer(pool.clone(), self.announce.clone());
            if listen {
                outbox_relay::spawn_listener(pool.clone(), self.outbox_signal.clone());
            }
        }
    }

    /// On PostgreSQL, listens for changes to tenants and applications made by any node, so
    /// this node may keep copies of them (see `directory_cache`). Without it, a PostgreSQL
    /// store reads them from the database every time; SQLite needs no listener.
    pub fn watch_directory_between_nodes(&self) {
        if let Db::Postgres(pool) = &self.db {
            directory_relay::spawn(pool.clone(), self.listening.clone());
        }
    }

    /// After a commit that queued or re-queued webhook messages: wake this node's worker,
    /// and the other nodes' through the relay.
    pub(crate) fn queued(&self) {
        self.outbox_signal.notify_one();
        self.announce.notify_one();
    }

    pub fn backend(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// Sorts a driver error into what the domain can act on.
pub(crate) fn map_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
        // SQLSTATE class 08 (connection exception), 57P01-03 (shutdown, cannot connect now),
        // 53300 (too many connections): the database is there but not serving us.
        sqlx::Error::Database(db)
            if db.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P") || code == "53300") =>
        {
            StoreError::Unavailable(error.to_string())
        }
        // SQLite's SQLITE_BUSY (5, and 517 when a read transaction cannot become a write one)
        // and SQLITE_LOCKED (6): the database is busy, which is retryable, not a bug.
        sqlx::Error::Database(db) if db.code().is_some_and(|code| matches!(code.as_ref(), "5" | "517" | "6")) => {
            StoreError::Unavailable(error.to_string())
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error.to_string()),
        sqlx::Error::Protocol(_) => StoreError::Unavailable(error.to_string()),
        _ => StoreError::Internal(error.to_string()),
    }
}
