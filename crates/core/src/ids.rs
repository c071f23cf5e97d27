//! Identifiers and timestamps: prefixed, time-ordered ids and millisecond clocks.

use std::time::{SystemTime, UNIX_EPOCH};

/// A new id such as `usr_01936f0e2b7c7d3a9b1e2f4a5c6d7e8f`. UUIDv7 makes ids sort by
/// creation time, which cursor pagination relies on.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

/// The least id with `prefix` that [`new_id`] can make at or after `at_ms`: ids made
/// before sort below it, ids made then or later at or above it (a UUIDv7 starts with its
/// 48-bit millisecond time).
pub fn time_floor(prefix: &str, at_ms: i64) -> String {
    format!("{prefix}_{:012x}", at_ms.clamp(0, (1 << 48) - 1))
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

/// The millisecond timestamp of an RFC 3339 time (`2024-01-31T12:00:00Z`, with any offset
/// and fraction), or `None`.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_time_floor_sorts_between_the_ids_made_before_and_after_it() {
        let before = super::new_id("log");
        std::thread::sleep(std::time::Duration::from_millis(3));
        let at = super::now_ms();
        let floor = super::time_floor("log", at);
        let after = super::new_id("log");
        assert!(before < floor && floor <= after, "{before} < {floor} <= {after}");
    }
}
