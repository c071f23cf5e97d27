//! Configuration: flags over environment variables over an optional TOML file over defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use intelliauth_core::ports::{CaptchaVerifier, Mailer, SmsSender};
use intelliauth_core::sealed::InstanceKey;
use intelliauth_core::webhooks::address::AddressPolicy;
use intelliauth_providers::{FileMailer, HttpSms, Siteverify, SmtpMailer};
use intelliauth_server::extract::BodyLimits;
use intelliauth_server::rate_limit::{Limit, RateLimitSettings};
use intelliauth_server::HttpSettings;
use intelliauth_store::PoolSettings;
use intelliauth_webhooks::DispatcherSettings;
use serde::Deserialize;

/// Every setting, as a flag with its environment variable, and as a key of the TOML file.
#[derive(Args, Deserialize, Debug, Default, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "INTELLIAUTH_BIND")]
    pub bind: Option<SocketAddr>,
    /// Directory for the SQLite database and local mail.
    #[arg(long, env = "INTELLIAUTH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://user@host/db); SQLite in the data directory when unset.
    #[arg(long, env = "INTELLIAUTH_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Redis URL (redis://host:port/db): rate limits, captcha counters and mail throttles
    /// shared by every node. Without it each node counts on its own.
    #[arg(long, env = "INTELLIAUTH_REDIS_URL")]
    pub redis_url: Option<String>,
    /// Put before every Redis key, so several deployments can share one Redis.
    #[arg(long, env = "INTELLIAUTH_REDIS_PREFIX")]
    pub redis_prefix: Option<String>,
    /// The public base URL: the base of issuer URLs and of links in mail.
    #[arg(long, env = "INTELLIAUTH_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// `human` or `json`.
    #[arg(long, env = "INTELLIAUTH_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "INTELLIAUTH_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Longest a request may run, in seconds.
    #[arg(long, env = "INTELLIAUTH_REQUEST_TIMEOUT_S")]
    pub request_timeout_s: Option<u64>,
    /// Longest a client may take to send headers, and again to send its body, in seconds.
    #[arg(long, env = "INTELLIAUTH_CLIENT_TIMEOUT_S")]
    pub client_timeout_s: Option<u64>,
    /// Requests per second per client IP (0 turns the limit off).
    #[arg(long, env = "INTELLIAUTH_RATE_LIMIT_IP_PER_S")]
    pub rate_limit_ip_per_s: Option<u32>,
    /// Burst allowance per client IP.
    #[arg(long, env = "INTELLIAUTH_RATE_LIMIT_IP_BURST")]
    pub rate_limit_ip_burst: Option<u32>,
    /// Requests per second per credential (0 turns the limit off).
    #[arg(long, env = "INTELLIAUTH_RATE_LIMIT_CREDENTIAL_PER_S")]
    pub rate_limit_credential_per_s: Option<u32>,
    /// Burst allowance per credential.
    #[arg(long, env = "INTELLIAUTH_RATE_LIMIT_CREDENTIAL_BURST")]
    pub rate_limit_credential_burst: Option<u32>,
    /// Database connections per node.
    #[arg(long, env = "INTELLIAUTH_DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,
    /// How long a request waits for a database connection before `service_unavailable`, in ms.
    #[arg(long, env = "INTELLIAUTH_DB_ACQUIRE_TIMEOUT_MS")]
    pub db_acquire_timeout_ms: Option<u64>,
    /// Concurrent password hashes (each takes 19 MiB); defaults to the number of cores.
    #[arg(long, env = "INTELLIAUTH_MAX_CONCURRENT_HASHES")]
    pub max_concurrent_hashes: Option<usize>,
    /// SMTP server for mail (smtp://host:25, smtp://user:pass@host:587?tls=required,
    /// smtps://host:465). Without it, mail is written to <data-dir>/mail.
    #[arg(long, env = "INTELLIAUTH_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Sender of mail, e.g. "Acme <no-reply@acme.example>".
    #[arg(long, env = "INTELLIAUTH_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// A siteverify-compatible captcha service (hCaptcha, Turnstile) for tenants that choose it.
    #[arg(long, env = "INTELLIAUTH_CAPTCHA_SITEVERIFY_URL")]
    pub captcha_siteverify_url: Option<String>,
    /// The captcha service's public site key.
    #[arg(long, env = "INTELLIAUTH_CAPTCHA_SITE_KEY")]
    pub captcha_site_key: Option<String>,
    /// The captcha service's secret (prefer the environment variable to a flag).
    #[arg(long, env = "INTELLIAUTH_CAPTCHA_SECRET", hide_env_values = true)]
    pub captcha_secret: Option<String>,
    /// The key that encrypts signing keys at rest (base64url, 32 bytes). Without it, one is
    /// generated into <data-dir>/instance.key; every node of an installation needs the same.
    #[arg(long, env = "INTELLIAUTH_INSTANCE_KEY", hide_env_values = true)]
    pub instance_key: Option<String>,
    /// Comma-separated addresses of reverse proxies whose X-Forwarded-For names the client
    /// (for rate limits, lockout and captcha). Without it the header is ignored.
    #[arg(long, env = "INTELLIAUTH_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// An HTTP SMS gateway for one-time codes (Twilio-style: a form with To, From, Body).
    #[arg(long, env = "INTELLIAUTH_SMS_GATEWAY_URL")]
    pub sms_gateway_url: Option<String>,
    /// HTTP Basic user name for the SMS gateway (Twilio: the account SID).
    #[arg(long, env = "INTELLIAUTH_SMS_GATEWAY_USERNAME")]
    pub sms_gateway_username: Option<String>,
    /// HTTP Basic password for the SMS gateway (prefer the environment variable).
    #[arg(long, env = "INTELLIAUTH_SMS_GATEWAY_PASSWORD", hide_env_values = true)]
    pub sms_gateway_password: Option<String>,
    /// The sender number or name of text messages.
    #[arg(long, env = "INTELLIAUTH_SMS_FROM")]
    pub sms_from: Option<String>,
    /// Let webhook receivers be loopback addresses, over http or https (local development).
    #[arg(long, env = "INTELLIAUTH_WEBHOOKS_ALLOW_LOOPBACK", num_args = 0..=1, default_missing_value = "true")]
    pub webhooks_allow_loopback: Option<bool>,
    /// Let webhook receivers be private, unique-local or link-local addresses.
    #[arg(long, env = "INTELLIAUTH_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", num_args = 0..=1, default_missing_value = "true")]
    pub webhooks_allow_private_networks: Option<bool>,
    /// How long a receiver has to answer, in ms (default 10000).
    #[arg(long, env = "INTELLIAUTH_WEBHOOK_TIMEOUT_MS")]
    pub webhook_timeout_ms: Option<u64>,
    /// Delays before each retry of a failed delivery, e.g. "5s,5m,30m,2h,5h,10h,10h" (the default).
    #[arg(long, env = "INTELLIAUTH_WEBHOOK_RETRY_SCHEDULE")]
    pub webhook_retry_schedule: Option<String>,
    /// Deliveries in flight at once on this node (default 32).
    #[arg(long, env = "INTELLIAUTH_WEBHOOK_CONCURRENCY")]
    pub webhook_concurrency: Option<usize>,
    /// Deliveries in flight at once to one subscription, across all nodes (default 16).
    #[arg(long, env = "INTELLIAUTH_WEBHOOK_PER_SUBSCRIPTION")]
    pub webhook_per_subscription: Option<usize>,
    /// How often an idle delivery worker looks for due retries, in ms (default 500). New
    /// messages wake it at once, also on other nodes on PostgreSQL.
    #[arg(long, env = "INTELLIAUTH_WEBHOOK_POLL_INTERVAL_MS")]
    pub webhook_poll_interval_ms: Option<u64>,
    /// Run the webhook delivery worker on this node (default true).
    #[arg(long, env = "INTELLIAUTH_WEBHOOK_DELIVERY", num_args = 0..=1, default_missing_value = "true")]
    pub webhook_delivery: Option<bool>,
    /// How long a node keeps a tenant's signing keys before reading them again, in seconds
    /// (default 60, 1 to 3600). A new key (a rotation, an algorithm an API or tenant chooses)
    /// signs only after this and 5 s more, so every node of a cluster must use the same value.
    #[arg(long, env = "INTELLIAUTH_SIGNING_KEY_CACHE_S")]
    pub signing_key_cache_s: Option<u64>,
    /// Mount /__fault routes that fail on purpose. For testing failure handling only.
    #[arg(long, env = "INTELLIAUTH_FAULT_INJECTION", hide = true, num_args = 0..=1, default_missing_value = "true")]
    pub fault_injection: Option<bool>,
}

macro_rules! layer_over {
    ($top:expr, $bottom:expr; $($field:ident),+ $(,)?) => {
        Settings { $($field: $top.$field.or($bottom.$field),)+ }
    };
}

impl Settings {
    /// `self` (flags and environment) over `file`.
    pub fn over(self, file: Settings) -> Settings {
        layer_over!(self, file; bind, data_dir, database_url, redis_url, redis_prefix, public_url, log_format, max_body_bytes, request_timeout_s,
            client_timeout_s, rate_limit_ip_per_s, rate_limit_ip_burst, rate_limit_credential_per_s,
            rate_limit_credential_burst, db_max_connections, db_acquire_timeout_ms, max_concurrent_hashes, smtp_url, mail_from,
            captcha_siteverify_url, captcha_site_key, captcha_secret, instance_key, trusted_proxies, webhooks_allow_loopback,
            webhooks_allow_private_networks, webhook_timeout_ms, webhook_retry_schedule, webhook_concurrency,
            webhook_per_subscription, webhook_poll_interval_ms, webhook_delivery, sms_gateway_url, sms_gateway_username, sms_gateway_password, sms_from, signing_key_cache_s, fault_injection)
    }

    pub fn load_file(path: &std::path::Path) -> Result<Settings, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("invalid config file {}: {e}", path.display()))
    }

    pub fn bind(&self) -> SocketAddr {
        self.bind.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)))
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| PathBuf::from("./intelliauth-data"))
    }

    pub fn json_logs(&self) -> bool {
        self.log_format.as_deref() == Some("json")
    }

    /// The public URL, defaulting to the bound address (with `localhost` for loopback).
    pub fn public_url(&self, bound: SocketAddr) -> String {
        self.public_url.clone().map(|url| url.trim_end_matches('/').to_owned()).unwrap_or_else(|| {
            let host = if bound.ip().is_loopback() || bound.ip().is_unspecified() {
                "localhost".to_owned()
            } else {
                bound.ip().to_string()
            };
            format!("http://{host}:{}", bound.port())
        })
    }

    pub fn pool(&self) -> PoolSettings {
        let defaults = PoolSettings::default();
        PoolSettings {
            max_connections: self.db_max_connections.unwrap_or(defaults.max_connections),
            acquire_timeout: self.db_acquire_timeout_ms.map_or(defaults.acquire_timeout, Duration::from_millis),
        }
    }

    pub fn http(&self, public_url: String) -> HttpSettings {
        let defaults = HttpSettings::default();
        let limit = |per_second: Option<u32>, burst: Option<u32>, default: Option<Limit>| match (per_second, default) {
            (Some(0), _) => None,
            (Some(per_second), _) => Some(Limit { per_second, burst: burst.unwrap_or(per_second * 2) }),
            (None, Some(default)) => Some(Limit { burst: burst.unwrap_or(default.burst), ..default }),
            (None, None) => None,
        };
        let client_timeout = self.client_timeout_s.map(Duration::from_secs);
        HttpSettings {
            public_url,
            body_limits: BodyLimits {
                max_bytes: self.max_body_bytes.unwrap_or(defaults.body_limits.max_bytes),
                read_timeout: client_timeout.unwrap_or(defaults.body_limits.read_timeout),
            },
            request_timeout: self.request_timeout_s.map_or(defaults.request_timeout, Duration::from_secs),
            header_read_timeout: client_timeout.unwrap_or(defaults.header_read_timeout),
            rate_limits: RateLimitSettings {
                per_ip: limit(self.rate_limit_ip_per_s, self.rate_limit_ip_burst, defaults.rate_limits.per_ip),
                per_credential: limit(
                    self.rate_limit_credential_per_s,
                    self.rate_limit_credential_burst,
                    defaults.rate_limits.per_credential,
                ),
            },
            trusted_proxies: self
                .trusted_proxies
                .iter()
                .flat_map(|list| list.split(','))
                .filter_map(|entry| entry.trim().parse().ok())
                .collect(),
            fault_injection: self.fault_injection.unwrap_or(false),
        }
    }

    pub fn mailer(&self) -> Result<Arc<dyn Mailer>, String> {
        let from = self.mail_from.clone().unwrap_or_else(|| "IntelliAuth <no-reply@localhost>".into());
        Ok(match &self.smtp_url {
            Some(url) => Arc::new(SmtpMailer::new(url, &from)?),
            None => Arc::new(FileMailer::new(self.data_dir().join("mail"), &from)),
        })
    }

    pub fn sms_sender(&self) -> Result<Option<Arc<dyn SmsSender>>, String> {
        match &self.sms_gateway_url {
            None => Ok(None),
            Some(url) => Ok(Some(Arc::new(HttpSms::new(
                url,
                self.sms_gateway_username.as_deref(),
                self.sms_gateway_password.as_deref(),
                self.sms_from.as_deref().unwrap_or("IntelliAuth"),
            )?))),
        }
    }

    pub fn siteverify(&self) -> Result<Option<Arc<dyn CaptchaVerifier>>, String> {
        match (&self.captcha_siteverify_url, &self.captcha_site_key, &self.captcha_secret) {
            (None, _, _) => Ok(None),
            (Some(url), Some(site_key), Some(secret)) => Ok(Some(Arc::new(Siteverify::new(url, site_key, secret)?))),
            _ => Err("a captcha siteverify URL needs a site key and a secret too".into()),
        }
    }

    /// The instance key from the setting, or from `<data-dir>/instance.key` (created, owner
    /// read-only, on first start).
    pub fn instance_key(&self) -> Result<InstanceKey, String> {
        if let Some(text) = &self.instance_key {
            return InstanceKey::parse(text);
        }
        let path = self.data_dir().join("instance.key");
        match std::fs::read_to_string(&path) {
            Ok(text) => InstanceKey::parse(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(self.data_dir()).map_err(|e| e.to_string())?;
                let key = InstanceKey::generate();
                write_private(&path, &key.to_text()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                tracing::info!(path = %path.display(), "generated the instance key");
                Ok(key)
            }
            Err(error) => Err(format!("cannot read {}: {error}", path.display())),
        }
    }

    /// How long a node keeps a tenant's signing keys.
    pub fn signing_key_cache(&self) -> Result<Duration, String> {
        match self.signing_key_cache_s {
            None => Ok(intelliauth_oidc::KEY_CACHE_TTL),
            Some(seconds @ 1..=3600) => Ok(Duration::from_secs(seconds)),
            Some(_) => Err("signing-key-cache-s must be 1 to 3600 seconds".into()),
        }
    }

    pub fn webhook_policy(&self) -> AddressPolicy {
        AddressPolicy {
            allow_loopback: self.webhooks_allow_loopback.unwrap_or(false),
            allow_private: self.webhooks_allow_private_networks.unwrap_or(false),
        }
    }

    pub fn webhook_delivery(&self) -> bool {
        self.webhook_delivery.unwrap_or(true)
    }

    pub fn dispatcher(&self) -> Result<DispatcherSettings, String> {
        let defaults = DispatcherSettings::default();
        let schedule = match &self.webhook_retry_schedule {
            Some(text) => parse_schedule(text)?,
            None => defaults.schedule.clone(),
        };
        Ok(DispatcherSettings {
            concurrency: self.webhook_concurrency.unwrap_or(defaults.concurrency),
            per_subscription: self.webhook_per_subscription.unwrap_or(defaults.per_subscription),
            poll_interval: self.webhook_poll_interval_ms.map_or(defaults.poll_interval, Duration::from_millis),
            timeout: self.webhook_timeout_ms.map_or(defaults.timeout, Duration::from_millis),
            schedule,
            policy: self.webhook_policy(),
        })
    }

    pub fn max_concurrent_hashes(&self) -> usize {
        self.max_concurrent_hashes.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}

/// Creates `path` readable by its owner only.
fn write_private(path: &std::path::Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(content.as_bytes())
}

/// "5s,5m,30m,2h" → durations; units ms, s, m, h. An empty text means no retries.
fn parse_schedule(text: &str) -> Result<Vec<Duration>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            let split = item.find(|c: char| !c.is_ascii_digit()).unwrap_or(item.len());
            let (number, unit) = item.split_at(split);
            let number: u64 =
                number.parse().map_err(|_| format!("webhook retry schedule: {item:?} is not like 30s"))?;
            let millis = match unit {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => return Err(format!("webhook retry schedule: {item:?} needs a unit: ms, s, m or h")),
            };
            Ok(Duration::from_millis(number * millis))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_schedules_read_like_the_docs() {
        let schedule = parse_schedule("5s, 5m,30m,2h,100ms").unwrap();
        let seconds: Vec<f64> = schedule.iter().map(Duration::as_secs_f64).collect();
        assert_eq!(seconds, [5.0, 300.0, 1800.0, 7200.0, 0.1]);
        assert!(parse_schedule("").unwrap().is_empty());
        assert!(parse_schedule("5").unwrap_err().contains("unit"));
        assert!(parse_schedule("fast").is_err());
    }
}
