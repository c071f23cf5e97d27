//! The tenant log: every authentication decision and admin change, per tenant, with the
//! request it came from, for admins and support to explain what happened.
//!
//! Entries of a change are written by the store in the transaction of that change (from the
//! events the change raises, see `store::outbox`); decisions that change nothing (an attempt
//! refused during a lock) are appended on their own. The request's id, client address, user
//! agent and actor come from the [`RequestContext`] the HTTP layer scopes each request in.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::events::Event;
use crate::ids;
use crate::page::PageRequest;
use crate::ports::StoreResult;

/// Where a request came from, as the HTTP layer resolved it (`--trusted-proxies` applied).
#[derive(Debug, Default)]
pub struct RequestContext {
    pub request_id: String,
    pub ip: String,
    pub user_agent: String,
    /// Who made an admin change: `credential:<id>` or `user:<id>`, once authenticated.
    actor: Mutex<Option<String>>,
}

tokio::task_local! {
    static CURRENT: Arc<RequestContext>;
}

impl RequestContext {
    pub fn new(request_id: String, ip: String, user_agent: String) -> Arc<Self> {
        Arc::new(RequestContext { request_id, ip, user_agent, actor: Mutex::new(None) })
    }

    /// Runs `future` with `context` as the current request's.
    pub async fn scope<F: std::future::Future>(context: Arc<RequestContext>, future: F) -> F::Output {
        CURRENT.scope(context, future).await
    }

    /// The current request's context, if this task serves one.
    pub fn current() -> Option<Arc<RequestContext>> {
        CURRENT.try_with(Arc::clone).ok()
    }

    /// Records who the request authenticated as, for the entries of its changes.
    pub fn set_actor(actor: String) {
        if let Some(context) = Self::current() {
            *context.actor.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(actor);
        }
    }

    pub fn actor(&self) -> Option<String> {
        self.actor.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

/// One entry of a tenant's log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// `log_…`, ordered by time.
    pub id: String,
    pub tenant_id: String,
    pub occurred_at: i64,
    /// What happened: an event type (`user.login.failed`) or a decision (`token.refused`).
    pub kind: String,
    /// The catalogue code of the outcome, or `ok`.
    pub code: String,
    pub request_id: Option<String>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub actor: Option<String>,
    /// A small object: the event's data (which never holds a secret) or the decision's facts.
    pub details: Value,
}

impl LogEntry {
    /// The entry that records `event`, in the current request's context.
    pub fn for_event(event: &Event) -> LogEntry {
        let data = &event.data;
        let text = |key: &str| data.get(key).and_then(Value::as_str).map(str::to_owned);
        // User events carry the user itself (its id is `id`); others name the user.
        let user_id =
            text("user_id").or_else(|| event.kind.as_str().starts_with("user.").then(|| text("id")).flatten());
        let client_id = text("client_id");
        let code = text("code").unwrap_or_else(|| "ok".to_owned());
        // The event's id links the entry to the webhook messages the event became.
        let mut details = data.clone();
        if let Some(object) = details.as_object_mut() {
            object.insert("event_id".into(), event.id.clone().into());
        }
        LogEntry::new(&event.tenant_id, event.kind.as_str(), &code, details)
            .with_user(user_id)
            .with_client(client_id)
            .at(event.occurred_at)
    }

    /// An entry in the current request's context (none outside a request).
    pub fn new(tenant_id: &str, kind: &str, code: &str, details: Value) -> LogEntry {
        let context = RequestContext::current();
        let field = |pick: fn(&RequestContext) -> &str| {
            context.as_deref().map(pick).filter(|value| !value.is_empty()).map(str::to_owned)
        };
        LogEntry {
            id: ids::new_id("log"),
            tenant_id: tenant_id.to_owned(),
            occurred_at: ids::now_ms(),
            kind: kind.to_owned(),
            code: code.to_owned(),
            request_id: field(|c| &c.request_id),
            user_id: None,
            client_id: None,
            ip: field(|c| &c.ip),
            user_agent: field(|c| &c.user_agent),
            actor: context.as_deref().and_then(RequestContext::actor),
            details,
        }
    }

    pub fn with_user(mut self, user_id: Option<String>) -> Self {
        self.user_id = user_id;
        self
    }

    pub fn with_client(mut self, client_id: Option<String>) -> Self {
        self.client_id = client_id;
        self
    }

    /// The entry of something that happened at `occurred_at` rather than now.
    pub fn at(mut self, occurred_at: i64) -> Self {
        self.occurred_at = occurred_at;
        self
    }
}

/// Which entries to list; empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub request_id: Option<String>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub kind: Option<String>,
    pub code: Option<String>,
    /// Inclusive bounds on `occurred_at`, in ms.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// How many entries of one type and code fell in one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogCount {
    /// The bucket's start, in ms.
    pub bucket: i64,
    pub kind: String,
    pub code: String,
    pub count: i64,
}

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// The tenant's log settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// Entries older than this are deleted in the background.
    pub retention_days: u32,
}

pub const DEFAULT_RETENTION_DAYS: u32 = 30;
pub const MAX_RETENTION_DAYS: u32 = 3650;

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings { retention_days: DEFAULT_RETENTION_DAYS }
    }
}

#[async_trait]
pub trait LogStore: Send + Sync + 'static {
    /// Appends entries that record no change of their own (a refused attempt, an issued
    /// token), in one transaction.
    async fn append_logs(&self, entries: &[LogEntry]) -> StoreResult<()>;
    async fn append_log(&self, entry: &LogEntry) -> StoreResult<()> {
        self.append_logs(std::slice::from_ref(entry)).await
    }
    /// Newest first.
    async fn list_log(&self, tenant_id: &str, filter: &LogFilter, page: &PageRequest) -> StoreResult<Vec<LogEntry>>;
    async fn log_entry(&self, tenant_id: &str, id: &str) -> StoreResult<Option<LogEntry>>;
    /// Counts per hour in `[from, to)`, from the hourly rollup kept beside the entries.
    async fn hourly_counts(&self, tenant_id: &str, from: i64, to: i64) -> StoreResult<Vec<LogCount>>;
    /// Deletes at most `batch` of the tenant's entries (and rollup hours) older than
    /// `before`, by the time in their id (written within moments of `occurred_at`);
    /// returns how many entries went.
    async fn prune_log(&self, tenant_id: &str, before: i64, batch: i64) -> StoreResult<u64>;
}

/// Appends a decision whose caller has already been answered: a failure to write it is
/// the operator's to see (a warning), not the caller's.
pub async fn record(store: &dyn LogStore, entry: &LogEntry) {
    if let Err(error) = store.append_log(entry).await {
        tracing::warn!(%error, kind = entry.kind, "the tenant log missed a decision");
    }
}

/// Entries one batch of [`LogQueue`] writes at most (a few thousand tokens a second fill
/// one in a [`LINGER`]).
const BATCH: usize = 1024;
/// Entries waiting at most; a request that finds the queue full waits for room.
const QUEUE: usize = 8_192;
/// How long the writer gathers more entries after the first of a batch. Under load a batch
/// then holds hundreds of entries, one short transaction for all of them: what a batch
/// costs the requests beside it is mostly per transaction (the write lock they wait for,
/// held across the awaits between its statements), not per entry, so fewer and larger
/// batches cost less — measured by `cargo xtask bench --log-cost` on SQLite, 20 ms cost
/// the code flow 14% and refresh 9.5%, 200 ms 5% and 0%. Idle, an entry is written this
/// much later, and a SIGKILL loses at most this window's token entries.
const LINGER: std::time::Duration = std::time::Duration::from_millis(200);

/// Decisions on the token hot path (an issued token changes nothing to record it with),
/// written by one task in batches: each batch is one transaction holding whatever queued
/// while the previous one was written and during [`LINGER`] after, so under load an entry
/// costs a small fraction of a commit. A request waits only when the queue is
/// full (never drops an entry); `drained` lets shutdown wait for the last batch.
#[derive(Clone)]
pub struct LogQueue {
    sender: tokio::sync::mpsc::Sender<LogEntry>,
    pending: Arc<std::sync::atomic::AtomicUsize>,
    idle: Arc<tokio::sync::Notify>,
}

impl LogQueue {
    /// Starts the writer on the current runtime.
    pub fn spawn(store: Arc<dyn LogStore>) -> LogQueue {
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<LogEntry>(QUEUE);
        let pending = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let idle = Arc::new(tokio::sync::Notify::new());
        let queue = LogQueue { sender, pending: pending.clone(), idle: idle.clone() };
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while receiver.recv_many(&mut batch, BATCH).await > 0 {
                // Sleep through the window, then take what came: a request's push wakes
                // nobody meanwhile (a wake-up per entry cost more than the entry).
                if batch.len() < BATCH {
                    tokio::time::sleep(LINGER).await;
                    while batch.len() < BATCH {
                        match receiver.try_recv() {
                            Ok(entry) => batch.push(entry),
                            Err(_) => break,
                        }
                    }
                }
                Self::write(store.as_ref(), &batch).await;
                pending.fetch_sub(batch.len(), std::sync::atomic::Ordering::AcqRel);
                batch.clear();
                idle.notify_waiters();
            }
        });
        queue
    }

    /// Writes a batch, retrying while the database is briefly away.
    async fn write(store: &dyn LogStore, batch: &[LogEntry]) {
        let mut delay = std::time::Duration::from_millis(100);
        for attempt in 1..=5 {
            match store.append_logs(batch).await {
                Ok(()) => return,
                Err(error) if attempt < 5 => {
                    tracing::debug!(%error, attempt, "writing tenant log entries failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(error) => {
                    tracing::warn!(%error, entries = batch.len(), "the tenant log missed a batch of decisions")
                }
            }
        }
    }

    pub async fn push(&self, entry: LogEntry) {
        self.pending.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        if self.sender.send(entry).await.is_err() {
            self.pending.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
        }
    }

    /// Waits (at most `limit`) until every pushed entry is written.
    pub async fn drained(&self, limit: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.pending.load(std::sync::atomic::Ordering::Acquire) > 0 {
            let idle = self.idle.notified();
            if self.pending.load(std::sync::atomic::Ordering::Acquire) == 0
                || tokio::time::timeout_at(deadline, idle).await.is_err()
            {
                return;
            }
        }
    }
}
