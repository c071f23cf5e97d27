//! The tenant log's writer alone, for `cargo xtask bench --log-cost`: queues token entries at
//! a given rate through the real `LogQueue` into the real store, so the CPU they cost per
//! entry (this process's and, on PostgreSQL, the database's) can be measured apart from
//! everything else a request does.
//!
//! `log_writer_cost <sqlite-data-dir | postgres://…> <entries per second> <seconds>
//! [--pace-only]`. Prints `ready` once the database is migrated, waits for a line on stdin,
//! queues the entries (built in a request's context, as the token endpoint builds them),
//! waits until they are written, prints `written <n>`, and exits after one more line on
//! stdin — so whoever measures reads this process's CPU before and after the writing only.
//! With `--pace-only` the loop runs at the same pace but queues nothing: the CPU of pacing
//! and waking an otherwise idle process, which a server under load does not spend per entry,
//! to subtract.

use std::io::BufRead;
use std::sync::Arc;
use std::time::{Duration, Instant};

use intelliauth_core::directory::DirectoryStore;
use intelliauth_core::log::{LogEntry, LogQueue, RequestContext};
use intelliauth_core::model::{Meta, Tenant, TenantSettings};
use intelliauth_store::{PoolSettings, SqlStore};

/// How far ahead of its time an entry may be queued: the pace is kept in steps of this much,
/// a small fraction of the writer's 200 ms window (so its batches are as under load) with
/// few enough timer wake-ups that they cost next to nothing beside the entries.
const STEP: Duration = Duration::from_millis(20);

#[tokio::main(worker_threads = 2)]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [database, rate, seconds, mode @ ..] = args.as_slice() else {
        return Err(
            "usage: log_writer_cost <sqlite-data-dir | postgres://…> <entries per second> <seconds> [--pace-only]"
                .into(),
        );
    };
    // The same loop, its requests' contexts made, but no entry: what to subtract.
    let pace_only = mode.first().is_some_and(|mode| mode == "--pace-only");
    let rate: f64 = rate.parse().map_err(|_| "the rate is a number of entries per second")?;
    let seconds: f64 = seconds.parse().map_err(|_| "the duration is a number of seconds")?;
    let settings = PoolSettings::default();
    let store = if database.starts_with("postgres") {
        SqlStore::connect_postgres(database, &settings)
    } else {
        SqlStore::open_sqlite(std::path::Path::new(database), &settings).await
    }
    .map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let tenant = Tenant {
        id: "default".into(),
        display_name: "Default".into(),
        settings: TenantSettings::default(),
        meta: Meta::new(intelliauth_core::ids::now_ms()),
    };
    // A second run on the same database finds the tenant there.
    match store.insert_tenant(&tenant).await {
        Ok(()) | Err(intelliauth_core::ports::StoreError::Conflict) => {}
        Err(error) => return Err(error.to_string()),
    }
    let store = Arc::new(store);
    let queue = LogQueue::spawn(store.clone());

    let mut stdin = std::io::stdin().lock().lines();
    println!("ready");
    stdin.next();
    let total = (rate * seconds).round() as u64;
    let started = Instant::now();
    for queued in 0..total {
        // Hold the pace: sleep whenever this entry is due more than a step from now.
        let due = started + Duration::from_secs_f64(queued as f64 / rate);
        if due > Instant::now() + STEP {
            tokio::time::sleep_until(due.into()).await;
        }
        // A request has its context whether or not it writes to the log.
        let context =
            RequestContext::new(intelliauth_core::ids::new_id("req"), "127.0.0.1".into(), "log-writer-cost/1".into());
        if pace_only {
            continue;
        }
        let entry = RequestContext::scope(context, async {
            let details =
                serde_json::json!({ "grant_type": "authorization_code", "scope": "openid profile offline_access" });
            LogEntry::new("default", "token.issued", "ok", details)
                .with_client(Some("app_0123456789abcdef".into()))
                .with_user(Some("usr_0123456789abcdef".into()))
        })
        .await;
        queue.push(entry).await;
    }
    queue.drained(Duration::from_secs(60)).await;
    println!("written {total}");
    stdin.next();
    store.close().await;
    Ok(())
}
