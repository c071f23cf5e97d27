//! Rate limits per client IP and per credential (GCRA, in process).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use intelliauth_catalogue::Code;
use intelliauth_core::Error;

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
            clock: DefaultClock::default(),
            per_ip: limiter(settings.per_ip),
            per_credential: limiter(settings.per_credential),
        }
    }

    /// `rate_limited` with the seconds to wait, if either key is over its limit.
    pub fn check(&self, ip: IpAddr, credential: Option<[u8; 32]>) -> Result<(), Error> {
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
