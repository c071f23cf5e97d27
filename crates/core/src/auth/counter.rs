//! Counters over a window that starts at a key's first count: failed sign-ins per address
//! (they turn the captcha on), mail requests per address (throttled). `Counters` is the
//! port; `LocalCounters` is one node's, which `intelliauth-limits` shares through Redis.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::ids;

/// Counts that steer captcha and throttling. Keys carry no secret or address in clear:
/// callers pass digests.
#[async_trait]
pub trait Counters: Send + Sync + 'static {
    /// Adds one to `key`'s count in its window of `window_ms` (which starts at the first
    /// count) and returns the new count and the milliseconds the window has left.
    async fn increment(&self, key: &str, window_ms: i64) -> (u32, i64);
    /// `key`'s count in its current window.
    async fn get(&self, key: &str) -> u32;
}

/// One node's counters, in memory.
#[derive(Default)]
pub struct LocalCounters {
    /// Per key: the count, its window's start, and the window's length.
    counts: Mutex<HashMap<String, (u32, i64, i64)>>,
}

/// Keys beyond this are pruned of expired windows before inserting more.
const PRUNE_AT: usize = 100_000;

impl LocalCounters {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u32, i64, i64)>> {
        // A poisoned map only held counters; carry on with what it has.
        self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl Counters for LocalCounters {
    async fn increment(&self, key: &str, window_ms: i64) -> (u32, i64) {
        let now = ids::now_ms();
        let mut counts = self.lock();
        if counts.len() >= PRUNE_AT {
            counts.retain(|_, (_, start, window)| now - *start < *window);
        }
        let entry = counts.entry(key.to_owned()).or_insert((0, now, window_ms));
        if now - entry.1 >= entry.2 {
            *entry = (0, now, window_ms);
        }
        entry.0 += 1;
        (entry.0, entry.1 + entry.2 - now)
    }

    async fn get(&self, key: &str) -> u32 {
        match self.lock().get(key) {
            Some((count, start, window)) if ids::now_ms() - start < *window => *count,
            _ => 0,
        }
    }
}

/// Failed sign-ins per address are counted over the default lockout window.
const IP_FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;

/// A counter's key: what is counted, then a digest of whose (no address in clear).
fn key(kind: &str, tenant_id: &str, subject: &str) -> String {
    format!("{kind}:{}", crate::secret::digest(&format!("{tenant_id}\n{subject}")))
}

impl super::Auth {
    /// Counts a failed sign-in from `ip` (for the captcha's `ip_failures` threshold).
    pub(super) async fn count_ip_failure(&self, tenant_id: &str, ip: std::net::IpAddr) {
        self.counters.increment(&key("ip-failures", tenant_id, &ip.to_string()), IP_FAILURE_WINDOW_MS).await;
    }

    /// Failed sign-ins from `ip` in the current window.
    pub(super) async fn ip_failures(&self, tenant_id: &str, ip: std::net::IpAddr) -> u32 {
        self.counters.get(&key("ip-failures", tenant_id, &ip.to_string())).await
    }

    /// Counts a mail request for `email`: the new count and the milliseconds its window has left.
    pub(super) async fn count_mail_request(&self, tenant_id: &str, email: &str) -> (u32, i64) {
        self.counters.increment(&key("mail", tenant_id, email), super::RESEND_WINDOW_MS).await
    }
}
