//! Webhook delivery: signs messages per Standard Webhooks, sends them through an
//! SSRF-guarded HTTP client, and runs the worker pool that leases due messages, records
//! every attempt and retries on a schedule until the dead-letter queue.
//!
//! Its own crate because it is the only part of IntelliAuth that makes outbound HTTP
//! requests to addresses tenants choose; `server` only manages subscriptions.

pub mod dispatcher;
pub mod sender;
pub mod signing;

pub use dispatcher::{Dispatcher, DispatcherSettings};
