//! Egress: the one way IntelliAuth reaches an address a tenant chose. Webhook delivery,
//! Actions' `fetch` and any later outbound call take their HTTP client from [`Egress`], so
//! each goes through the same SSRF guard ([`guard`]): names resolve only to addresses the
//! instance's [`AddressPolicy`] allows, IP literals are checked before sending, redirects
//! are never followed and proxy settings are ignored.

pub mod guard;

use std::sync::Arc;
use std::time::Duration;

pub use guard::{refusal_in, Refusal};
pub use intelliauth_core::webhooks::address::AddressPolicy;

/// The guarded HTTP client of one kind of outbound call, and the policy it enforces.
#[derive(Clone)]
pub struct Egress {
    client: reqwest::Client,
    policy: AddressPolicy,
}

/// How one kind of outbound call behaves on the wire.
pub struct EgressSettings {
    /// Sent as `User-Agent`, so receivers can tell which part of IntelliAuth called.
    pub user_agent: &'static str,
    /// The whole request's limit, and the connection's; `None` where the caller bounds the
    /// request itself (an Action's `fetch` runs against its execution's deadline).
    pub timeout: Option<Duration>,
}

impl Egress {
    pub fn new(policy: AddressPolicy, settings: EgressSettings) -> Result<Egress, String> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(guard::GuardedResolver::new(policy)))
            .user_agent(settings.user_agent)
            .pool_idle_timeout(Duration::from_secs(30));
        if let Some(timeout) = settings.timeout {
            builder = builder.timeout(timeout).connect_timeout(timeout);
        }
        let client = builder.build().map_err(|e| format!("cannot build the outbound HTTP client: {e}"))?;
        Ok(Egress { client, policy })
    }

    /// The guarded client. A request to an IP literal must be checked with
    /// [`Egress::literal_refusal`] first: literals never reach the guarded resolver.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Why the IP literal in `url`'s host may not be reached; `None` for names (the
    /// resolver checks those) and allowed addresses.
    pub fn literal_refusal(&self, url: &str) -> Option<String> {
        guard::literal_refusal(&self.policy, url)
    }
}

/// Why an outbound request failed, in words for a log or an Action: the guard's refusal
/// when it refused, else what went wrong on the wire.
pub fn describe(error: &reqwest::Error) -> String {
    match refusal_in(error) {
        Some(Refusal::Address(reason)) => return reason,
        Some(Refusal::Dns(reason)) => return format!("the name did not resolve ({reason})"),
        None => {}
    }
    if error.is_connect() {
        "could not connect".into()
    } else if error.is_timeout() {
        "timed out".into()
    } else {
        error.to_string()
    }
}

/// Why a response's body was not read whole.
#[derive(Debug)]
pub enum BodyError {
    /// It passed the limit; the rest was not read.
    TooLarge,
    /// It broke off.
    Broken(reqwest::Error),
}

/// The whole body of `response`, refused once it passes `max_bytes`, so an address a
/// tenant chose cannot make IntelliAuth hold more than that.
pub async fn read_within(mut response: reqwest::Response, max_bytes: usize) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Broken)? {
        if body.len() + chunk.len() > max_bytes {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
