//! The connection to Redis, whether it is answering, and the two atomic scripts: GCRA over
//! several keys at once, and a counter over a window that starts at its first count.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use intelliauth_core::ids;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;
use tokio::sync::OnceCell;

/// How long one call may take before this node counts on its own: long enough for a busy
/// two-core machine, short enough that a Redis that accepts and never answers costs one
/// request this much once per [`RETRY_MS`].
const CALL_TIMEOUT: Duration = Duration::from_millis(250);
/// While Redis is away, one request a second tries it again; the others count locally.
const RETRY_MS: i64 = 1000;

/// Every key must allow one more request, and then each counts it; else nothing is counted
/// and the answer names the first refusing key and the microseconds until it allows one.
/// Times come from Redis's clock, so nodes whose clocks differ still agree.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  local next_tat = tat + interval
  local wait = next_tat - now - interval * burst
  if wait > 0 then return {i, math.ceil(wait)} end
  tats[i] = next_tat
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, string.format('%.0f', tats[i]), 'PX', math.ceil((tats[i] - now) / 1000) + 1)
end
return {0, 0}
";

/// Adds one to KEYS[1] in a window of ARGV[1] ms that starts at its first count; returns
/// the count and the milliseconds the window has left.
const COUNT: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {count, left}
";

/// One limit of a [`SharedLimits::gcra`] check.
#[derive(Debug, Clone, Copy)]
pub struct GcraKey<'a> {
    /// What is limited, e.g. `ip:203.0.113.9`.
    pub name: &'a str,
    pub per_second: u32,
    pub burst: u32,
}

/// Redis as the nodes' shared counter, or `None` from every call while it is away.
pub struct SharedLimits {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    /// Whether the last call answered; starts false until the first connection.
    available: AtomicBool,
    /// While unavailable: when the next request may try Redis again.
    next_try_ms: AtomicI64,
    /// Put before every key, so several deployments (or test servers) share one Redis.
    prefix: String,
    gcra: Script,
    count: Script,
}

impl SharedLimits {
    /// Connects to `url` (`redis://host:port/db`), waiting at most a second; a Redis that is
    /// not there yet is tried again by later requests, and limits are per node until then.
    pub async fn connect(url: &str, prefix: &str) -> Result<SharedLimits, String> {
        let client = redis::Client::open(url).map_err(|error| format!("--redis-url: {error}"))?;
        let limits = SharedLimits {
            client,
            connection: OnceCell::new(),
            available: AtomicBool::new(false),
            next_try_ms: AtomicI64::new(0),
            prefix: prefix.to_owned(),
            gcra: Script::new(GCRA),
            count: Script::new(COUNT),
        };
        if limits.ping().await.is_none() {
            tracing::warn!("Redis is not reachable at start; rate limits and counters are per node until it is");
        }
        Ok(limits)
    }

    /// Whether limits are shared right now (Redis answered the last call).
    pub fn is_shared(&self) -> bool {
        self.available.load(Ordering::Relaxed)
    }

    /// One request against every key, atomically: `Some(Ok(()))` if all allow it (and
    /// count it), `Some(Err((index, wait)))` for the first that does not, `None` when Redis
    /// did not answer (count locally).
    pub async fn gcra(&self, keys: &[GcraKey<'_>]) -> Option<Result<(), (usize, Duration)>> {
        let mut connection = self.connection().await?;
        let mut invocation = self.gcra.prepare_invoke();
        for key in keys {
            let interval_us = 1_000_000 / u64::from(key.per_second.max(1));
            invocation.key(format!("{}rl:{}", self.prefix, key.name)).arg(interval_us).arg(key.burst.max(1));
        }
        let answer: (usize, u64) = self.answered(invocation.invoke_async(&mut connection)).await?;
        Some(match answer {
            (0, _) => Ok(()),
            (index, wait_us) => Err((index - 1, Duration::from_micros(wait_us))),
        })
    }

    /// Adds one to `key` in its window: the new count and the milliseconds the window has
    /// left, or `None` when Redis did not answer.
    pub async fn increment(&self, key: &str, window_ms: i64) -> Option<(u32, i64)> {
        let mut connection = self.connection().await?;
        let mut invocation = self.count.prepare_invoke();
        invocation.key(self.count_key(key)).arg(window_ms);
        self.answered(invocation.invoke_async(&mut connection)).await
    }

    /// `key`'s count in its window, or `None` when Redis did not answer.
    pub async fn get(&self, key: &str) -> Option<u32> {
        let mut connection = self.connection().await?;
        let mut get = redis::cmd("GET");
        get.arg(self.count_key(key));
        let count: Option<u32> = self.answered(get.query_async(&mut connection)).await?;
        Some(count.unwrap_or(0))
    }

    /// Where a counter lives in Redis.
    fn count_key(&self, key: &str) -> String {
        format!("{}count:{key}", self.prefix)
    }

    async fn ping(&self) -> Option<()> {
        let mut connection = self.connection().await?;
        let _: String = self.answered(redis::cmd("PING").query_async(&mut connection)).await?;
        Some(())
    }

    /// The connection, unless Redis is away and it is not yet time to try it again.
    async fn connection(&self) -> Option<ConnectionManager> {
        if !self.available.load(Ordering::Relaxed) {
            // One request per interval tries Redis again; the rest count locally at once.
            let now = ids::now_ms();
            let due = self.next_try_ms.load(Ordering::Relaxed);
            if now < due
                || self.next_try_ms.compare_exchange(due, now + RETRY_MS, Ordering::Relaxed, Ordering::Relaxed).is_err()
            {
                return None;
            }
        }
        let connect = || async {
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(CALL_TIMEOUT)
                .set_response_timeout(CALL_TIMEOUT)
                .set_number_of_retries(1);
            ConnectionManager::new_with_config(self.client.clone(), config).await
        };
        match tokio::time::timeout(CALL_TIMEOUT * 4, self.connection.get_or_try_init(connect)).await {
            Ok(Ok(connection)) => Some(connection.clone()),
            Ok(Err(error)) => self.went_away(&error.to_string()),
            Err(_) => self.went_away("connecting timed out"),
        }
    }

    /// The call's answer, noting whether Redis is there.
    async fn answered<T>(&self, call: impl std::future::Future<Output = redis::RedisResult<T>>) -> Option<T> {
        match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(Ok(answer)) => {
                if !self.available.swap(true, Ordering::Relaxed) {
                    tracing::info!("Redis answers; rate limits and counters are shared by every node");
                }
                Some(answer)
            }
            Ok(Err(error)) => self.went_away(&error.to_string()),
            Err(_) => self.went_away(&format!("no answer within {} ms", CALL_TIMEOUT.as_millis())),
        }
    }

    fn went_away<T>(&self, reason: &str) -> Option<T> {
        self.next_try_ms.store(ids::now_ms() + RETRY_MS, Ordering::Relaxed);
        if self.available.swap(false, Ordering::Relaxed) {
            tracing::warn!(reason, "Redis went away; rate limits and counters are per node until it answers again");
        }
        None
    }
}
