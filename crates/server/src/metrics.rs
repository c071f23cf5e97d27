//! Prometheus metrics: requests by route and status, latency, errors by code.

use std::fmt::Write;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SchemeLabels {
    scheme: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    errors: Family<CodeLabels, Counter>,
    webhook_deliveries: Family<OutcomeLabels, Counter>,
    webhook_queue_depth: Gauge,
    webhook_oldest_pending_age: Gauge<f64, AtomicU64>,
    limits_shared: Gauge,
    password_hashes: Family<SchemeLabels, Gauge>,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to ~4 s.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.0005, 2.0, 14))
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("intelliauth");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        let errors = Family::<CodeLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", latency.clone());
        registry.register("errors", "Error responses by catalogue code", errors.clone());
        let webhook_deliveries = Family::<OutcomeLabels, Counter>::default();
        let webhook_queue_depth = Gauge::default();
        let webhook_oldest_pending_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "webhook_deliveries",
            "Webhook attempts by observation (delivered, receiver_5xx, …) and messages dead-lettered (dlq_max_attempts)",
            webhook_deliveries.clone(),
        );
        registry.register("webhook_queue_depth", "Webhook messages waiting for delivery", webhook_queue_depth.clone());
        registry.register(
            "webhook_oldest_pending_age_seconds",
            "Age of the oldest webhook message waiting for delivery",
            webhook_oldest_pending_age.clone(),
        );
        let limits_shared = Gauge::default();
        registry.register(
            "rate_limits_shared",
            "1 while rate limits and sign-in counters are kept in Redis for every node, 0 while this node counts alone",
            limits_shared.clone(),
        );
        let password_hashes = Family::<SchemeLabels, Gauge>::default();
        registry.register(
            "users_password_hashes",
            "Users by password hash scheme: argon2id_current is today's; the others (imported bcrypt, pbkdf2, scrypt, salted_sha2, older argon2) are replaced at each user's next sign-in",
            password_hashes.clone(),
        );
        Metrics {
            password_hashes,
            registry,
            requests,
            latency,
            errors,
            webhook_deliveries,
            webhook_queue_depth,
            webhook_oldest_pending_age,
            limits_shared,
        }
    }

    /// `route` is the matched route template, never the raw path, so label cardinality stays bounded.
    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration, error_code: Option<&'static str>) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.requests.get_or_create(&RequestLabels { method: method.clone(), route: route.clone(), status }).inc();
        self.latency.get_or_create(&RouteLabels { method, route }).observe(elapsed.as_secs_f64());
        if let Some(code) = error_code {
            self.errors.get_or_create(&CodeLabels { code }).inc();
        }
    }

    /// Counts one webhook attempt's observation, or a message's `dlq_max_attempts`.
    pub fn webhook_outcome(&self, outcome: &'static str) {
        self.webhook_deliveries.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// The queue figures, read from the database at scrape time (shared by every node).
    pub fn set_webhook_queue(&self, depth: i64, oldest_age: Duration) {
        self.webhook_queue_depth.set(depth);
        self.webhook_oldest_pending_age.set(oldest_age.as_secs_f64());
    }

    /// Users by password hash scheme, read from the database at scrape time.
    pub fn set_password_hashes(&self, counts: &[(String, i64)]) {
        // A scheme no user has any more drops out rather than keeping its last count.
        self.password_hashes.clear();
        for (scheme, users) in counts {
            self.password_hashes.get_or_create(&SchemeLabels { scheme: scheme.clone() }).set(*users);
        }
    }

    pub fn set_limits_shared(&self, shared: bool) {
        self.limits_shared.set(i64::from(shared));
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            let _ = writeln!(text, "# encoding failed");
        }
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
