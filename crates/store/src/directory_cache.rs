//! A node's copy of tenants and applications — read by every token, introspection and
//! authorization request — forgotten whole the moment any node changes either table.
//!
//! Every copy carries the *generation* it was read under: this node's own count of changes
//! and the count of changes seen from elsewhere. A copy is served only while both are what
//! they were when it was read, so a change anywhere makes every copy older than it a miss.
//! Where changes from elsewhere cannot be seen for sure, there is no generation and every
//! read goes to the database:
//!
//! - SQLite: each process on the file appends a byte to `intelliauth.db-directory` after it
//!   changes a tenant or an application; the file's length is the count (one `fstat` per
//!   read, the way SQLite itself shares its WAL index between processes).
//! - PostgreSQL: triggers on both tables `NOTIFY` at commit (migration 14), whoever wrote
//!   the row; the node's listener counts what arrives, and is trusted only while its own
//!   heartbeat keeps coming back through the same connection (`directory_relay`).

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use intelliauth_core::model::{Application, Tenant};

/// Copies kept per kind before the cache starts over (a bound on memory, not a policy:
/// a deployment with more tenants than this reads the rest from the database).
const MAX_COPIES: usize = 20_000;

/// This node's changes, and the changes seen from other nodes or processes.
pub(crate) type Generation = (u64, u64);

pub(crate) struct DirectoryCache {
    copies: RwLock<Copies>,
    /// Bumped after every change this process makes, before it answers.
    local: AtomicU64,
    elsewhere: Elsewhere,
}

#[derive(Default)]
struct Copies {
    generation: Generation,
    tenants: HashMap<String, Tenant>,
    /// By tenant, then id: looked up with borrowed ids, so a hit allocates nothing.
    applications: HashMap<String, HashMap<String, Application>>,
    application_count: usize,
}

/// How changes made by other processes or nodes are counted.
enum Elsewhere {
    /// The SQLite file's companion, opened for appending.
    File(File),
    /// PostgreSQL's notifications, as counted by the listener.
    Notifications(Arc<Listening>),
}

/// What the PostgreSQL listener knows: whether it is known to hear every notification now,
/// and how many have arrived (plus one per loss and per recovery).
#[derive(Default)]
pub(crate) struct Listening {
    live: AtomicBool,
    heard: AtomicU64,
    /// Woken at each announcement, for a writer waiting to hear its own.
    arrivals: tokio::sync::Notify,
}

/// How long a writer waits to hear its own change announced before it answers anyway.
const ANNOUNCEMENT_WAIT: std::time::Duration = std::time::Duration::from_millis(250);

impl Listening {
    /// A change was announced. Counted before anything else is read.
    pub(crate) fn heard(&self) {
        self.heard.fetch_add(1, Ordering::AcqRel);
        self.arrivals.notify_waiters();
    }

    pub(crate) fn heard_count(&self) -> u64 {
        self.heard.load(Ordering::Acquire)
    }

    /// Waits (a little) until an announcement arrives after `count` were heard. PostgreSQL
    /// signals every listening connection at the same commit, so once this node's listener
    /// has the writer's change, so do the other nodes' listeners — and the writer answers
    /// after that, not before. Returns at once when the listener is not live.
    pub(crate) async fn heard_after(&self, count: u64) {
        let deadline = tokio::time::Instant::now() + ANNOUNCEMENT_WAIT;
        loop {
            let arrival = self.arrivals.notified();
            tokio::pin!(arrival);
            arrival.as_mut().enable();
            if !self.live.load(Ordering::Acquire) || self.heard_count() > count {
                return;
            }
            if tokio::time::timeout_at(deadline, arrival).await.is_err() {
                tracing::debug!("a directory change was not heard back within {ANNOUNCEMENT_WAIT:?}");
                return;
            }
        }
    }

    /// The connection is listening again: what was missed while it was not is unknown, so
    /// every copy from before is given up.
    pub(crate) fn recovered(&self) {
        self.heard();
        self.live.store(true, Ordering::Release);
    }

    /// The connection was lost or fell silent: from now on every read goes to the database.
    pub(crate) fn lost(&self) {
        self.live.store(false, Ordering::Release);
        self.heard();
    }
}

impl DirectoryCache {
    /// For a SQLite database at `database`: shares changes through `<database>-directory`.
    /// Without that file (it cannot be opened) nothing is cached.
    pub(crate) fn for_sqlite(database: &std::path::Path) -> Option<DirectoryCache> {
        let mut path = database.as_os_str().to_owned();
        path.push("-directory");
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path).ok()?;
        Some(DirectoryCache::new(Elsewhere::File(file)))
    }

    /// For PostgreSQL: trusted only while `listening` is live.
    pub(crate) fn for_postgres(listening: Arc<Listening>) -> DirectoryCache {
        DirectoryCache::new(Elsewhere::Notifications(listening))
    }

    fn new(elsewhere: Elsewhere) -> DirectoryCache {
        DirectoryCache { copies: RwLock::default(), local: AtomicU64::new(0), elsewhere }
    }

    /// The generation a read starts under, or `None` when changes made elsewhere cannot
    /// be known and the database must be asked.
    pub(crate) fn generation(&self) -> Option<Generation> {
        let elsewhere = match &self.elsewhere {
            Elsewhere::File(file) => file.metadata().ok()?.len(),
            Elsewhere::Notifications(listening) => {
                if !listening.live.load(Ordering::Acquire) {
                    return None;
                }
                listening.heard.load(Ordering::Acquire)
            }
        };
        Some((self.local.load(Ordering::Acquire), elsewhere))
    }

    /// After this process changed a tenant or an application (whether or not the write
    /// went through: a commit whose answer was lost still counts).
    pub(crate) fn changed(&self) {
        self.local.fetch_add(1, Ordering::AcqRel);
        if let Elsewhere::File(file) = &self.elsewhere {
            let mut appender: &File = file;
            if let Err(error) = appender.write_all(b"\n") {
                // Only other processes on the same file miss it (this one counted it above);
                // SQLite is one node, so this is a second process started by hand.
                tracing::error!(%error, "could not announce a directory change to other processes on the SQLite file");
            }
        }
    }

    pub(crate) fn tenant(&self, generation: Generation, id: &str) -> Option<Tenant> {
        self.read(generation, |copies| copies.tenants.get(id).cloned())
    }

    pub(crate) fn keep_tenant(&self, generation: Generation, tenant: &Tenant) {
        self.keep(generation, |copies| {
            if copies.tenants.len() >= MAX_COPIES {
                copies.tenants.clear();
            }
            copies.tenants.insert(tenant.id.clone(), tenant.clone());
        });
    }

    pub(crate) fn application(&self, generation: Generation, tenant_id: &str, id: &str) -> Option<Application> {
        self.read(generation, |copies| copies.applications.get(tenant_id)?.get(id).cloned())
    }

    pub(crate) fn keep_application(&self, generation: Generation, application: &Application) {
        self.keep(generation, |copies| {
            if copies.application_count >= MAX_COPIES {
                copies.applications.clear();
                copies.application_count = 0;
            }
            let of_tenant = copies.applications.entry(application.tenant_id.clone()).or_default();
            if of_tenant.insert(application.id.clone(), application.clone()).is_none() {
                copies.application_count += 1;
            }
        });
    }

    fn read<T>(&self, generation: Generation, find: impl FnOnce(&Copies) -> Option<T>) -> Option<T> {
        let copies = self.copies.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        if copies.generation == generation {
            find(&copies)
        } else {
            None
        }
    }

    /// Keeps what a read under `generation` found, unless anything changed since the read
    /// began: then the row may predate the change, and it is not kept.
    fn keep(&self, generation: Generation, store: impl FnOnce(&mut Copies)) {
        let mut copies = self.copies.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.generation() != Some(generation) {
            return;
        }
        if copies.generation != generation {
            *copies = Copies { generation, ..Copies::default() };
        }
        store(&mut copies);
    }
}
