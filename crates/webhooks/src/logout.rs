//! Back-channel logout delivery: leases the logout tokens session revocations queued,
//! signs each (through `core::logout::LogoutTokens`, the provider) and posts it as
//! `logout_token=…` through the same egress guard as webhooks, with their observations and
//! retry schedule. Each attempt is a `logout.backchannel` tenant-log entry.
//!
//! A receiver's 2xx delivers; a 4xx is final (Back-Channel Logout 1.0 §2.8: the RP refused
//! the token, a retry would be refused again); anything else is retried on the schedule.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use intelliauth_catalogue::Code;
use intelliauth_core::ids;
use intelliauth_core::log::{LogEntry, LogStore};
use intelliauth_core::logout::{LogoutDelivery, LogoutNext, LogoutStore, LogoutTokens};

use crate::dispatcher::{jittered, DispatcherSettings};
use crate::sender::Sender;

/// Deliveries leased per claim.
const BATCH: i64 = 16;
/// How long a lease lasts: longer than an attempt's timeout, so only a stopped node's lapses.
const LEASE: Duration = Duration::from_secs(60);

/// The worker; cheap to clone.
#[derive(Clone)]
pub struct LogoutDispatcher {
    store: Arc<dyn LogoutStore>,
    tokens: Arc<dyn LogoutTokens>,
    log: Arc<dyn LogStore>,
    sender: Sender,
    schedule: Vec<Duration>,
    poll_interval: Duration,
    node: Arc<str>,
    claims: Arc<AtomicU64>,
}

impl LogoutDispatcher {
    /// A worker with the webhooks' settings: their address policy, timeout, retry schedule
    /// and poll interval.
    pub fn new(
        store: Arc<dyn LogoutStore>,
        tokens: Arc<dyn LogoutTokens>,
        log: Arc<dyn LogStore>,
        settings: &DispatcherSettings,
    ) -> Result<LogoutDispatcher, String> {
        Ok(LogoutDispatcher {
            store,
            tokens,
            log,
            sender: Sender::new(settings.policy, settings.timeout)?,
            schedule: settings.schedule.clone(),
            poll_interval: settings.poll_interval,
            node: ids::new_id("node").into(),
            claims: Arc::default(),
        })
    }

    /// Runs until the process ends; a lease a stopped node held lapses and another takes it.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.run_once().await {
                    Ok(n) if n as i64 == BATCH => continue,
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "claiming logout deliveries failed; retrying"),
                }
                tokio::time::sleep(self.poll_interval).await;
            }
        })
    }

    /// Claims due deliveries and attempts each; how many were claimed.
    pub async fn run_once(&self) -> intelliauth_core::Result<usize> {
        let owner = format!("{}:{}", self.node, self.claims.fetch_add(1, Ordering::Relaxed));
        let now = ids::now_ms();
        let batch = self.store.claim_logout_deliveries(&owner, now, now + LEASE.as_millis() as i64, BATCH).await?;
        let count = batch.len();
        let attempts = batch.into_iter().map(|delivery| {
            let (worker, owner) = (self.clone(), owner.clone());
            tokio::spawn(async move { worker.attempt(&owner, delivery).await })
        });
        for attempt in attempts.collect::<Vec<_>>() {
            if let Ok(Err(error)) = attempt.await {
                tracing::warn!(%error, "recording a logout delivery failed");
            }
        }
        Ok(count)
    }

    async fn attempt(&self, owner: &str, delivery: LogoutDelivery) -> intelliauth_core::Result<()> {
        let Some((uri, token)) = self.tokens.logout_token(&delivery).await? else {
            // The application is gone, or no longer takes logout tokens.
            return Ok(self.store.finish_logout_delivery(&delivery.id, owner, "cancelled", LogoutNext::GaveUp).await?);
        };
        let body = form_urlencoded::Serializer::new(String::new()).append_pair("logout_token", &token).finish();
        let report = self.sender.send_form(&uri, body).await;
        let attempt = delivery.attempts + 1;
        let next = match report.observation {
            Code::Delivered => LogoutNext::Delivered,
            Code::Receiver4xx => LogoutNext::GaveUp,
            _ => match self.schedule.get(attempt as usize - 1) {
                Some(delay) => {
                    let delay = report.retry_after.map_or_else(|| jittered(*delay), |asked| asked.min(*delay * 4));
                    LogoutNext::RetryAt(ids::now_ms() + delay.as_millis() as i64)
                }
                None => LogoutNext::GaveUp,
            },
        };
        self.store.finish_logout_delivery(&delivery.id, owner, report.observation.as_str(), next).await?;
        let details = serde_json::json!({
            "session_id": delivery.session_id, "attempt": attempt, "http_status": report.http_status,
            "error": report.error, "retrying": matches!(next, LogoutNext::RetryAt(_)),
        });
        let entry = LogEntry::new(&delivery.tenant_id, "logout.backchannel", report.observation.as_str(), details)
            .with_user(Some(delivery.user_id.clone()))
            .with_client(Some(delivery.client_id.clone()));
        intelliauth_core::log::record(self.log.as_ref(), &entry).await;
        Ok(())
    }
}
