//! Identifiers and timestamps: prefixed, time-ordered ids and millisecond clocks.

use std::time::{SystemTime, UNIX_EPOCH};

/// A new id such as `usr_01936f0e2b7c7d3a9b1e2f4a5c6d7e8f`. UUIDv7 makes ids sort by
/// creation time, which cursor pagination relies on.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// RFC 3339 form of a millisecond timestamp, for API responses.
pub fn rfc3339(ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
