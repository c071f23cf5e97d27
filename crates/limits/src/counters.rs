//! Sign-in's counters (`core::auth::Counters`) in Redis, and in this node's memory while
//! Redis is away.

use std::sync::Arc;

use async_trait::async_trait;
use intelliauth_core::auth::{Counters, LocalCounters};

use crate::SharedLimits;

pub struct SharedCounters {
    shared: Arc<SharedLimits>,
    local: LocalCounters,
}

impl SharedCounters {
    pub fn new(shared: Arc<SharedLimits>) -> SharedCounters {
        SharedCounters { shared, local: LocalCounters::default() }
    }
}

#[async_trait]
impl Counters for SharedCounters {
    async fn increment(&self, key: &str, window_ms: i64) -> (u32, i64) {
        match self.shared.increment(key, window_ms).await {
            Some(counted) => counted,
            None => self.local.increment(key, window_ms).await,
        }
    }

    async fn get(&self, key: &str) -> u32 {
        match self.shared.get(key).await {
            Some(count) => count,
            None => self.local.get(key).await,
        }
    }
}
