//! In-process counters over a fixed window: failed sign-ins per IP, resend requests per
//! address. Per node by design: they steer captcha and throttling, not correctness.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

pub struct WindowCounter<K> {
    window_ms: i64,
    counts: Mutex<HashMap<K, (u32, i64)>>,
}

/// Keys beyond this are pruned of expired windows before inserting more.
const PRUNE_AT: usize = 100_000;

impl<K: Hash + Eq + Clone> WindowCounter<K> {
    pub fn new(window_ms: i64) -> Self {
        WindowCounter { window_ms, counts: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (u32, i64)>> {
        // A poisoned map only held counters; carry on with what it has.
        self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The count in the current window.
    pub fn get(&self, key: &K, now: i64) -> u32 {
        match self.lock().get(key) {
            Some((count, start)) if now - start < self.window_ms => *count,
            _ => 0,
        }
    }

    /// Adds one and returns the new count and the window's start.
    pub fn increment(&self, key: &K, now: i64) -> (u32, i64) {
        let mut counts = self.lock();
        if counts.len() >= PRUNE_AT {
            counts.retain(|_, (_, start)| now - *start < self.window_ms);
        }
        let entry = counts.entry(key.clone()).or_insert((0, now));
        if now - entry.1 >= self.window_ms {
            *entry = (0, now);
        }
        entry.0 += 1;
        *entry
    }

    pub fn window_ms(&self) -> i64 {
        self.window_ms
    }
}
