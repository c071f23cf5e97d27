//! Webhook delivery: signs messages per Standard Webhooks, sends them through an
//! SSRF-guarded HTTP client, and runs the worker pool that leases due messages, records
//! every attempt and retries on a schedule until the dead-letter queue.
//!
//! Its own crate because it holds the outbound HTTP to addresses tenants choose: `guard`
//! is the SSRF check that Actions' `fetch` uses too; `server` only manages subscriptions.

pub mod dispatcher;
pub mod guard;
pub mod sender;
pub mod signing;

pub use dispatcher::{Dispatcher, DispatcherSettings};
