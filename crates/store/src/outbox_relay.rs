//! Between nodes on one PostgreSQL: a commit that queued webhook messages is announced
//! (`NOTIFY`), and every delivering node listens (`LISTEN`) and wakes its worker at once,
//! instead of finding the work at its next poll. Announcements are coalesced: while one
//! `NOTIFY` is on its way, any number of further commits make one more.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use tokio::sync::Notify;

/// The channel every node announces on and listens to.
const CHANNEL: &str = "intelliauth_outbox";

/// Announces each wake of `announce` to the other nodes.
pub(crate) fn spawn_announcer(pool: PgPool, announce: Arc<Notify>) {
    tokio::spawn(async move {
        loop {
            announce.notified().await;
            if let Err(error) = sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(&pool).await {
                // The others still find the work at their next poll.
                tracing::debug!(%error, "announcing queued webhook messages failed");
            }
        }
    });
}

/// Wakes `wake` (this node's delivery worker) whenever another node announces.
pub(crate) fn spawn_listener(pool: PgPool, wake: Arc<Notify>) {
    tokio::spawn(async move {
        loop {
            match listen(&pool, &[CHANNEL], "intelliauth outbox listener").await {
                Ok(mut listener) => {
                    // `recv` reconnects by itself after a lost connection; an error here
                    // means it could not, so start over after a pause.
                    while listener.recv().await.is_ok() {
                        wake.notify_one();
                    }
                }
                Err(error) => tracing::debug!(%error, "listening for queued webhook messages failed; retrying"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// A listener on `channels`, over a connection named `name` in `pg_stat_activity`.
pub(crate) async fn listen(pool: &PgPool, channels: &[&str], name: &str) -> Result<PgListener, sqlx::Error> {
    // A connection of its own: a listener holds its connection for good, and taking it
    // from the request pool would leave one fewer for requests.
    let options = (*pool.connect_options()).clone().application_name(name);
    let own = PgPoolOptions::new().max_connections(1).connect_lazy_with(options);
    let mut listener = PgListener::connect_with(&own).await?;
    listener.listen_all(channels.iter().copied()).await?;
    Ok(listener)
}
