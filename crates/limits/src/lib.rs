//! What the nodes of one deployment must count together — rate limits (GCRA), failed
//! sign-ins per address for captcha, mail throttles — kept in Redis, atomically, when it is
//! configured; and each node's own count when it is not, or while it is away.
//!
//! Apart from `server` and `core` so the Redis client stays out of both: `core` sees only
//! its `Counters` port, `server` only [`SharedLimits::gcra`].

mod counters;
mod shared;

pub use counters::SharedCounters;
pub use shared::{GcraKey, SharedLimits};
