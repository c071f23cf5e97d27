//! Webhook delivery: signs messages per Standard Webhooks, sends them through the guarded
//! client of `intelliauth-egress`, and runs the worker pool that leases due messages,
//! records every attempt and retries on a schedule until the dead-letter queue.
//!
//! `server` only manages subscriptions; nothing else delivers. `verifier` asks tenants'
//! legacy password verifiers with the same signing and guard; `logout` sends back-channel
//! logout tokens with the same guard, observations and retry schedule.

pub mod dispatcher;
pub mod logout;
pub mod sender;
pub mod signing;
pub mod verifier;

pub use dispatcher::{Dispatcher, DispatcherSettings};
pub use logout::LogoutDispatcher;
