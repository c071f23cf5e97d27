//! Between nodes on one PostgreSQL: hears every change to tenants and applications (the
//! triggers of migration 14 announce them at commit), so each node's `DirectoryCache`
//! forgets its copies at once — and knows when it may have missed one.
//!
//! A listener that lost its connection, or whose connection went quiet, may have missed a
//! notification without knowing it. So the node beats: every second it sends itself a
//! notification on a channel of its own, through the request pool, and the listener is
//! trusted only while something arrives at least every few seconds. Until it is trusted
//! again the cache is not used.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgPool;

use crate::directory_cache::Listening;
use crate::outbox_relay::listen;

/// The channel the triggers announce on (migration 14 names it too).
const CHANGES: &str = "intelliauth_directory";
/// How often a node beats.
const BEAT: Duration = Duration::from_secs(1);
/// How long a listener may hear nothing before it counts as lost.
const SILENCE: Duration = Duration::from_secs(3);
/// The pause before listening again after a loss.
const PAUSE: Duration = Duration::from_millis(200);

/// Spawns the listener that keeps `listening` up to date, and this node's heartbeat.
pub(crate) fn spawn(pool: PgPool, listening: Arc<Listening>) {
    let beat_channel = format!("intelliauth_beat_{}", intelliauth_core::ids::new_id("node").to_lowercase());
    tokio::spawn(beat(pool.clone(), beat_channel.clone()));
    tokio::spawn(async move {
        let channels = [CHANGES, beat_channel.as_str()];
        loop {
            // A database that takes connections and never answers must not hold the
            // listener here forever: it tries again after SILENCE.
            let listening_again = listen(&pool, &channels, "intelliauth directory listener");
            match tokio::time::timeout(SILENCE, listening_again).await.unwrap_or(Err(sqlx::Error::PoolTimedOut)) {
                Ok(mut listener) => {
                    listening.recovered();
                    // Anything at all within SILENCE proves the connection still delivers.
                    while let Ok(Ok(Some(notification))) = tokio::time::timeout(SILENCE, listener.try_recv()).await {
                        if notification.channel() == CHANGES {
                            listening.heard();
                        }
                    }
                    listening.lost();
                    tracing::debug!(
                        "the directory listener lost its connection or fell silent; reading from the database"
                    );
                }
                Err(error) => tracing::debug!(%error, "listening for directory changes failed; retrying"),
            }
            tokio::time::sleep(PAUSE).await;
        }
    });
}

async fn beat(pool: PgPool, channel: String) {
    let mut ticks = tokio::time::interval(BEAT);
    loop {
        ticks.tick().await;
        let sent = sqlx::query("SELECT pg_notify($1, '')").bind(&channel).execute(&pool);
        // A beat that cannot be sent is the silence the listener watches for.
        let _ = tokio::time::timeout(BEAT, sent).await;
    }
}
