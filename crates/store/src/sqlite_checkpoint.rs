//! SQLite's WAL checkpoints, moved off the request path.
//!
//! By default the connection whose commit takes the write-ahead log past 1000 pages copies
//! it into the database file and syncs the file, inside that commit — so some request pays
//! for everyone's writes (the tenant log's batches included) with a stall. Every connection
//! here turns that off (`wal_autocheckpoint = 0`) and one background task checkpoints every
//! [`INTERVAL`] in PASSIVE mode, which never waits for readers or writers: the work happens
//! beside the requests, not inside one of them.

use std::time::Duration;

use sqlx::sqlite::SqlitePool;

/// How often the background task checkpoints.
pub(crate) const INTERVAL: Duration = Duration::from_millis(250);

/// Starts the checkpointer for `pool`; it ends when the pool is closed.
pub(crate) fn spawn(pool: SqlitePool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            if pool.is_closed() {
                return;
            }
            if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                tracing::debug!(%error, "a WAL checkpoint failed; the next one retries");
            }
        }
    });
}
