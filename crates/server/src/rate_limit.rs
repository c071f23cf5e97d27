//! Rate limits per client IP and per credential (GCRA): in Redis, shared by every node, when
//! it is configured and answering; in this process otherwise.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use intelliauth_catalogue::Code;
use intelliauth_core::Error;
use intelliauth_limits::{GcraKey, SharedLimits};

/// Requests per second and burst for one key; `None` turns that limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub per_second: u32,
    pub burst: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    pub per_ip: Option<Limit>,
    pub per_credential: Option<Limit>,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings {
            per_ip: Some(Limit { per_second: 50, burst: 100 }),
            per_credential: Some(Limit { per_second: 100, burst: 200 }),
        }
    }
}

fn limiter<K: std::hash::Hash + Eq + Clone>(limit: Option<Limit>) -> Option<DefaultKeyedRateLimiter<K>> {
    let limit = limit?;
    let per_second = NonZeroU32::new(limit.per_second)?;
    let burst = NonZeroU32::new(limit.burst.max(1))?;
    Some(DefaultKeyedRateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)))
}

pub struct RateLimits {
    settings: RateLimitSettings,
    /// Redis, when configured; these limiters count while it does not answer.
    shared: Option<Arc<SharedLimits>>,
    /// Made once: building a clock calibrates it (CPUID and a TSC check), measured at about
    /// 3% of the token endpoint's CPU when it was made per request.
    clock: DefaultClock,
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Keyed by a digest of the presented token, so the check needs no database round trip
    /// and no secret is held in memory.
    per_credential: Option<DefaultKeyedRateLimiter<[u8; 32]>>,
}

impl RateLimits {
    pub fn new(settings: &RateLimitSettings) -> Self {
        RateLimits {
            settings: *settings,
            shared: None,
            clock: DefaultClock::default(),
            per_ip: limiter(settings.per_ip),
            per_credential: limiter(settings.per_credential),
        }
    }

    /// The same limits, kept in Redis for every node while it answers.
    pub fn shared(mut self, shared: Arc<SharedLimits>) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Whether the limits are every node's now (`false`: this node's own, because Redis is
    /// not configured or not answering).
    pub fn are_shared(&self) -> bool {
        self.shared.as_ref().is_some_and(|shared| shared.is_shared())
    }

    /// Where limits are counted now, for `/readyz`.
    pub fn mode(&self) -> &'static str {
        match &self.shared {
            None => "per node",
            Some(shared) if shared.is_shared() => "shared (Redis)",
            Some(_) => "per node (Redis unavailable)",
        }
    }

    /// `rate_limited` with the seconds to wait, if either key is over its limit.
    pub async fn check(&self, ip: IpAddr, credential: Option<[u8; 32]>) -> Result<(), Error> {
        if let Some(shared) = &self.shared {
            let ip_key = format!("ip:{ip}");
            let credential_key =
                credential.map(|digest| format!("credential:{}", intelliauth_core::secret::hex(&digest)));
            let mut keys = Vec::with_capacity(2);
            let mut scopes = Vec::with_capacity(2);
            let limits = [
                (self.settings.per_ip, Some(&ip_key), "ip"),
                (self.settings.per_credential, credential_key.as_ref(), "credential"),
            ];
            for (limit, name, scope) in limits {
                if let (Some(limit), Some(name)) = (limit.filter(|limit| limit.per_second > 0), name) {
                    keys.push(GcraKey { name, per_second: limit.per_second, burst: limit.burst });
                    scopes.push(scope);
                }
            }
            if keys.is_empty() {
                return Ok(());
            }
            match shared.gcra(&keys).await {
                Some(Ok(())) => return Ok(()),
                Some(Err((index, wait))) => return Err(limited(wait, scopes[index])),
                // Redis did not answer: this node counts on its own until it does.
                None => {}
            }
        }
        self.check_here(ip, credential)
    }

    /// The limits as this process alone counts them.
    fn check_here(&self, ip: IpAddr, credential: Option<[u8; 32]>) -> Result<(), Error> {
        let wait = |outcome: governor::NotUntil<_>| outcome.wait_time_from(self.clock.now());
        if let Some(limiter) = &self.per_ip {
            limiter.check_key(&ip).map_err(|outcome| limited(wait(outcome), "ip"))?;
        }
        if let (Some(limiter), Some(key)) = (&self.per_credential, credential) {
            limiter.check_key(&key).map_err(|outcome| limited(wait(outcome), "credential"))?;
        }
        Ok(())
    }

    /// Forgets keys whose limits have fully recovered, bounding memory.
    pub fn forget_idle_keys(&self) {
        if let Some(limiter) = &self.per_ip {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.per_credential {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

fn limited(wait: Duration, scope: &str) -> Error {
    // Round up: telling a client to come back before it may would just earn another 429.
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Error::new(Code::RateLimited).with_retry_after(seconds.max(1)).with_detail("limit", scope)
}
