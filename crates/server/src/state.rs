//! Shared state of the HTTP layer and its settings.

use std::sync::Arc;
use std::time::Duration;

use intelliauth_core::sealed::InstanceKey;
use intelliauth_core::{Auth, Management};
use intelliauth_oidc::Oidc;

use crate::extract::BodyLimits;
use crate::metrics::Metrics;
use crate::rate_limit::{RateLimitSettings, RateLimits};

/// Settings the HTTP layer needs; the binary fills them from flags, env and file.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub public_url: String,
    pub body_limits: BodyLimits,
    /// Longest a handler may run before the client gets `service_unavailable`.
    pub request_timeout: Duration,
    /// Longest a client may take to send its request headers.
    pub header_read_timeout: Duration,
    pub rate_limits: RateLimitSettings,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Mounts `/__fault/*` routes that deliberately fail; for tests of the failure paths only.
    pub fault_injection: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            public_url: "http://127.0.0.1:8080".into(),
            body_limits: BodyLimits { max_bytes: 64 * 1024, read_timeout: Duration::from_secs(10) },
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            rate_limits: RateLimitSettings::default(),
            trusted_proxies: Vec::new(),
            fault_injection: false,
        }
    }
}

/// What every handler reaches: the three services of `core` and `oidc`, and the HTTP
/// layer's own settings and counters. Cheap to clone (handles all the way down).
#[derive(Clone)]
pub struct AppState {
    /// Tenants, users, applications, credentials, webhooks, Actions and the tenant log.
    pub management: Management,
    /// Sign-in, registration, recovery, sessions and MFA.
    pub auth: Auth,
    /// The OAuth 2.0 / OpenID Connect provider.
    pub oidc: Oidc,
    pub body_limits: BodyLimits,
    pub settings: Arc<HttpSettings>,
    /// Per-IP and per-credential budgets, checked before a handler runs.
    pub rate_limits: Arc<RateLimits>,
    /// What `/metrics` reports.
    pub metrics: Arc<Metrics>,
    /// The origins SPAs may call the token endpoints from, per tenant.
    pub allowed_origins: crate::cors::AllowedOrigins,
    /// Seals the admin console's cookies. The binary passes the instance key so they
    /// survive a restart and are read by every node; a fresh random key otherwise.
    pub cookie_key: InstanceKey,
}

impl AppState {
    pub fn new(management: Management, auth: Auth, oidc: Oidc, settings: HttpSettings) -> Self {
        AppState {
            management,
            auth,
            oidc,
            body_limits: settings.body_limits,
            rate_limits: Arc::new(RateLimits::new(&settings.rate_limits)),
            metrics: Arc::new(Metrics::new()),
            allowed_origins: Default::default(),
            settings: Arc::new(settings),
            cookie_key: InstanceKey::generate(),
        }
    }

    /// Keeps the rate limits in Redis through `shared`, for every node.
    pub fn with_shared_limits(mut self, shared: Arc<intelliauth_limits::SharedLimits>) -> Self {
        self.rate_limits = Arc::new(RateLimits::new(&self.settings.rate_limits).shared(shared));
        self
    }

    /// Seals console cookies with `key` (the instance key).
    pub fn with_cookie_key(mut self, key: InstanceKey) -> Self {
        self.cookie_key = key;
        self
    }
}
