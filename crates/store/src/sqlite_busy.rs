//! SQLite's wait for its one write lock, in steps of microseconds rather than milliseconds.
//!
//! SQLite's own busy handler (`busy_timeout`) sleeps 1, 2, 5, 10 … ms between attempts to
//! take a lock. A write transaction here holds the lock for tens to hundreds of
//! microseconds, so a writer that collides with another slept ten times longer than the
//! lock was held: measured by `cargo xtask bench --log-cost`, the tenant log's batch writes
//! cost refresh rotation 12% of its throughput through those sleeps alone, not through
//! their own work. This handler retries after 20 µs, doubling to 1 ms, and gives up after
//! [`BUSY_LIMIT`] as `busy_timeout` would.

use std::ffi::{c_int, c_void};
use std::time::Duration;

use sqlx::sqlite::SqliteConnection;

/// How long a statement waits for the lock before it fails with `SQLITE_BUSY`.
pub(crate) const BUSY_LIMIT: Duration = Duration::from_secs(5);
const FIRST_WAIT: Duration = Duration::from_micros(20);
const LONGEST_WAIT: Duration = Duration::from_millis(1);

/// The wait before attempt `attempt + 1`, and whether the waits so far still fit the limit.
fn wait_before_retry(attempt: u32) -> Option<Duration> {
    let doublings = attempt.min(LONGEST_WAIT.as_micros().ilog2());
    let wait = (FIRST_WAIT * 2u32.pow(doublings)).min(LONGEST_WAIT);
    // The waits before this one add up to less than attempt × LONGEST_WAIT.
    (LONGEST_WAIT * attempt < BUSY_LIMIT).then_some(wait)
}

/// Called by SQLite on its connection's worker thread (sqlx runs each SQLite connection on
/// a thread of its own, so sleeping here never blocks the async runtime).
extern "C" fn retry_soon(_: *mut c_void, attempt: c_int) -> c_int {
    match wait_before_retry(attempt.max(0) as u32) {
        Some(wait) => {
            std::thread::sleep(wait);
            1
        }
        None => 0,
    }
}

/// Installs [`retry_soon`] on a new connection, replacing SQLite's millisecond sleeps.
pub(crate) async fn install(connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = connection.lock_handle().await?;
    // SAFETY: the handle is locked, so no other thread uses the connection while the handler
    // is set; `retry_soon` touches no state, so the null argument is never read.
    let code = unsafe {
        libsqlite3_sys::sqlite3_busy_handler(handle.as_raw_handle().as_ptr(), Some(retry_soon), std::ptr::null_mut())
    };
    if code == libsqlite3_sys::SQLITE_OK {
        Ok(())
    } else {
        Err(sqlx::Error::Protocol(format!("cannot set SQLite's busy handler (code {code})")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_start_at_microseconds_and_stop_at_the_limit() {
        assert_eq!(wait_before_retry(0), Some(FIRST_WAIT));
        assert_eq!(wait_before_retry(1), Some(FIRST_WAIT * 2));
        assert_eq!(wait_before_retry(30), Some(LONGEST_WAIT));
        let total: Duration = (0..).map_while(wait_before_retry).sum();
        assert!(total <= BUSY_LIMIT && total > BUSY_LIMIT - LONGEST_WAIT * 10, "{total:?}");
    }
}
