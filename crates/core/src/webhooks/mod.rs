//! Webhook subscriptions, messages and attempts, and the storage port behind delivery.
//!
//! A *message* is one event for one subscription; an *attempt* is one HTTP request for it.
//! The store fans events out into messages in the event's own transaction, so an event is
//! never lost between the change and its delivery.

pub mod address;

use async_trait::async_trait;
use intelliauth_catalogue::Code;

use crate::events::Event;
use crate::model::Meta;
use crate::page::PageRequest;
use crate::ports::StoreResult;

/// Matches every event type in a subscription's `event_types`.
pub const ALL_EVENTS: &str = "*";

/// A tenant's receiver URL and what it wants to hear about.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: String,
    pub tenant_id: String,
    pub url: String,
    /// Event type names, or `["*"]`.
    pub event_types: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    /// The signing secret (`whsec_…`), sealed with the instance key.
    pub secret_sealed: String,
    /// The secret before the last rotation, still signing until `previous_secret_expires_at`.
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
    pub meta: Meta,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    /// Waiting for its next attempt (or being attempted now).
    Pending,
    Delivered,
    /// Every attempt of its schedule failed: the dead-letter queue.
    Dead,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Pending => "pending",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Dead => "dead",
        }
    }

    pub fn parse(text: &str) -> Option<MessageStatus> {
        [MessageStatus::Pending, MessageStatus::Delivered, MessageStatus::Dead].into_iter().find(|s| s.as_str() == text)
    }
}

/// One event on its way to one subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: String,
    pub tenant_id: String,
    pub subscription_id: String,
    pub event_id: String,
    pub event_type: String,
    pub status: MessageStatus,
    /// Attempts made in all.
    pub attempts: i64,
    /// Attempts since the message was created or last replayed; the retry schedule counts these.
    pub cycle_attempts: i64,
    pub next_attempt_at: Option<i64>,
    /// The last attempt's observation, or `dlq_max_attempts` once dead.
    pub last_outcome: Option<Code>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// One HTTP request for a message, as the delivery feed shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub id: String,
    pub message_id: String,
    /// 1 for the first attempt, counting across replays.
    pub number: i64,
    pub started_at: i64,
    pub latency_ms: i64,
    /// What the attempt observed: a code of the catalogue's webhook family.
    pub outcome: Code,
    pub http_status: Option<i64>,
    /// The first bytes of the receiver's response body.
    pub response_excerpt: Option<String>,
    /// What failed below HTTP (TLS reason, connection error).
    pub error: Option<String>,
    /// Which server process made the attempt.
    pub node: String,
}

/// A message leased to one worker, with everything needed to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub message: Message,
    pub event: Event,
    pub url: String,
    pub secret_sealed: String,
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
}

/// An attempt to record: who held the lease, what it observed, where the message goes.
#[derive(Debug, Clone, Copy)]
pub struct MadeAttempt<'a> {
    pub lease_owner: &'a str,
    pub attempt: &'a Attempt,
    pub next: NextStep,
}

/// Where a message goes after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    Delivered,
    RetryAt(i64),
    Dead,
}

/// Filters for the delivery feed.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    pub status: Option<MessageStatus>,
    pub event_type: Option<String>,
    /// The messages of one event (a request's trace).
    pub event_id: Option<String>,
    /// Messages whose latest attempt was observed so (`receiver_5xx`, `delivered`, …).
    pub outcome: Option<Code>,
}

/// Queue figures for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    pub pending: i64,
    pub oldest_pending_created_at: Option<i64>,
}

/// Persistence for webhooks. Claims are leases: a message leased to one worker is not
/// claimed by another until the lease ends, so an attempt is never sent twice at once;
/// a worker that dies mid-attempt only delays the message until its lease expires.
#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    async fn insert_subscription(&self, subscription: &Subscription) -> StoreResult<()>;
    async fn get_subscription(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Subscription>>;
    async fn list_subscriptions(&self, tenant_id: &str, page: &PageRequest) -> StoreResult<Vec<Subscription>>;
    async fn update_subscription(&self, subscription: &Subscription, expected_version: i64) -> StoreResult<bool>;
    async fn delete_subscription(&self, tenant_id: &str, id: &str, expected_version: i64) -> StoreResult<bool>;

    /// Stores `event` and queues it for `subscription_id` only (a test event).
    async fn insert_targeted_event(&self, event: &Event, subscription_id: &str) -> StoreResult<String>;

    /// Releases every lease whose node stopped beating or whose time ran out, recording
    /// each as an `attempt_interrupted` attempt of its message (its receiver may have had
    /// it). `node` (the caller) releases its own leases only when their time ran out.
    /// Returns how many were released; a lease another node released first is not counted
    /// twice.
    async fn release_lapsed_leases(&self, node: &str, now: i64) -> StoreResult<u64>;

    /// Leases up to `limit` due, unleased messages to `lease_owner` until `lease_until`,
    /// never more than `per_subscription` in flight per subscription across all nodes.
    async fn claim_messages(
        &self,
        lease_owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
        per_subscription: i64,
    ) -> StoreResult<Vec<Claimed>>;
    /// Notes that delivery node `node` (the prefix of its lease owners, before ':') is alive
    /// at `now`. Leases of nodes that stop beating count as expired.
    async fn heartbeat(&self, node: &str, now: i64) -> StoreResult<()>;
    /// Records attempts and moves their messages on, in one transaction: each only if its
    /// lease owner still holds the lease (the answer says which were).
    async fn record_attempts(&self, made: &[MadeAttempt<'_>]) -> StoreResult<Vec<bool>>;

    /// Newest first; `page.after` is the id of the last message of the previous page.
    async fn list_messages(
        &self,
        tenant_id: &str,
        subscription_id: Option<&str>,
        filter: &MessageFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<Message>>;
    async fn get_message(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Message>>;
    async fn message_attempts(&self, message_id: &str) -> StoreResult<Vec<Attempt>>;
    /// Queues a finished message again with a fresh retry schedule.
    async fn replay_message(&self, tenant_id: &str, id: &str, now: i64) -> StoreResult<bool>;
    /// Queues every dead message of the tenant that died at or after `since`.
    async fn replay_dead_messages(&self, tenant_id: &str, since: i64, now: i64) -> StoreResult<u64>;
    async fn queue_stats(&self) -> StoreResult<QueueStats>;
    /// Deletes messages (with their attempts) finished before `before`, and events older
    /// than `before` that no message waits for.
    async fn prune_finished(&self, before: i64) -> StoreResult<u64>;
}
