//! `fetch` for Actions: only the tenant's allowed hosts, no redirects (they could leave the
//! list), bounded bodies, and never past the execution's deadline.

use std::time::Instant;

use intelliauth_egress::{describe, read_within, BodyError, Egress};
use serde_json::{json, Map, Value};

const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Serves one execution's `fetch` calls from its blocking thread.
#[derive(Clone)]
pub struct Fetcher {
    /// `None`: every host is refused.
    egress: Option<Egress>,
    runtime: Option<tokio::runtime::Handle>,
    allowed_hosts: Vec<String>,
    deadline: Instant,
}

/// Headers the transport sets itself, as the Fetch standard forbids scripts to.
const FORBIDDEN_HEADERS: [&str; 7] =
    ["host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te"];

impl Fetcher {
    pub fn new(egress: Egress, allowed_hosts: Vec<String>, deadline: Instant) -> Self {
        let runtime = tokio::runtime::Handle::try_current().ok();
        Fetcher { egress: Some(egress), runtime, allowed_hosts, deadline }
    }

    /// A fetcher that refuses every host.
    pub fn disabled() -> Self {
        Fetcher { egress: None, runtime: None, allowed_hosts: Vec::new(), deadline: Instant::now() }
    }

    /// Whether `url` is http(s) to an allowed host (`name`, or `name:port` for that port only).
    fn allowed(&self, url: &url::Url) -> bool {
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else { return false };
        matches!(url.scheme(), "http" | "https")
            && self.allowed_hosts.iter().any(|allowed| {
                allowed.eq_ignore_ascii_case(host) || allowed.eq_ignore_ascii_case(&format!("{host}:{port}"))
            })
    }

    /// The JSON the prelude's `fetch` expects: `{status, headers, body}` or `{error}`.
    pub fn fetch(&self, url: &str, init: &str) -> String {
        match self.try_fetch(url, init) {
            Ok(answer) => answer.to_string(),
            Err(error) => json!({ "error": error }).to_string(),
        }
    }

    fn try_fetch(&self, url: &str, init: &str) -> Result<Value, String> {
        let parsed = url::Url::parse(url).map_err(|error| format!("{url:?} is not a URL ({error})"))?;
        let (Some(egress), Some(runtime)) = (&self.egress, &self.runtime) else {
            return Err(format!("{} is not an allowed host for Actions", parsed.host_str().unwrap_or("")));
        };
        if !self.allowed(&parsed) {
            return Err(format!(
                "{} is not an allowed host for Actions (settings.actions.allowed_hosts)",
                parsed.host_str().unwrap_or("")
            ));
        }
        // Allowed by name is not enough: the address must be one the instance lets tenants reach.
        if let Some(reason) = egress.literal_refusal(url) {
            return Err(reason);
        }
        let init: Value = serde_json::from_str(init).map_err(|error| error.to_string())?;
        let method = reqwest::Method::from_bytes(init["method"].as_str().unwrap_or("GET").as_bytes())
            .map_err(|_| "unknown method".to_owned())?;
        let mut request = egress.client().request(method, parsed);
        if let Some(headers) = init["headers"].as_object() {
            for (name, value) in headers {
                // The host reached is the URL's: a `Host` header naming another would have the
                // allowed host's server (or a shared front end) route the request elsewhere.
                if FORBIDDEN_HEADERS.iter().any(|forbidden| name.eq_ignore_ascii_case(forbidden)) {
                    return Err(format!("the {name} header cannot be set by an Action"));
                }
                request =
                    request.header(name.as_str(), value.as_str().map_or_else(|| value.to_string(), str::to_owned));
            }
        }
        if let Some(body) = init["body"].as_str() {
            request = request.body(body.to_owned());
        }
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err("the Action's time budget is spent".into());
        }
        let exchange = async move {
            let response = request.send().await.map_err(|error| describe(&error))?;
            let status = response.status().as_u16();
            let headers: Map<String, Value> = response
                .headers()
                .iter()
                .filter_map(|(name, value)| Some((name.as_str().to_owned(), Value::from(value.to_str().ok()?))))
                .collect();
            let body = read_within(response, MAX_RESPONSE_BYTES).await.map_err(|error| match error {
                BodyError::TooLarge => format!("the response is larger than {} KiB", MAX_RESPONSE_BYTES / 1024),
                BodyError::Broken(error) => describe(&error),
            })?;
            Ok(json!({ "status": status, "headers": headers, "body": String::from_utf8_lossy(&body) }))
        };
        runtime
            .block_on(async { tokio::time::timeout(remaining, exchange).await })
            .map_err(|_| "the Action's time budget ran out during fetch".to_owned())?
    }
}
