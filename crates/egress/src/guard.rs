//! The SSRF guard: names resolve through [`GuardedResolver`], which drops addresses the
//! instance's [`AddressPolicy`] refuses, so the check applies to the address actually
//! connected to (no DNS rebinding); IP literals, which skip resolution, are checked by
//! [`literal_refusal`].

use std::error::Error as StdError;
use std::fmt;
use std::net::SocketAddr;

use intelliauth_core::webhooks::address::AddressPolicy;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A resolved name whose every address the policy refuses.
#[derive(Debug)]
struct AddressForbidden(String);
/// A name that did not resolve.
#[derive(Debug)]
struct DnsFailed(String);

impl fmt::Display for AddressForbidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Display for DnsFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl StdError for AddressForbidden {}
impl StdError for DnsFailed {}

/// Resolves names and drops every address the policy refuses.
pub(crate) struct GuardedResolver {
    policy: AddressPolicy,
}

impl GuardedResolver {
    pub(crate) fn new(policy: AddressPolicy) -> Self {
        GuardedResolver { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found = intelliauth_core::webhooks::address::resolve(&host, 0)
                .await
                .map_err(|reason| Box::new(DnsFailed(reason)) as Box<dyn StdError + Send + Sync>)?;
            let mut refusal = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|ip| match policy.refusal(*ip) {
                    None => true,
                    Some(reason) => {
                        refusal.get_or_insert(reason);
                        false
                    }
                })
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            match (allowed.is_empty(), refusal) {
                (true, Some(reason)) => Err(Box::new(AddressForbidden(reason)) as Box<dyn StdError + Send + Sync>),
                _ => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}

/// Why the IP literal in `url`'s host may not be reached; `None` for names (the resolver
/// checks those) and allowed addresses.
pub(crate) fn literal_refusal(policy: &AddressPolicy, url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    let ip = match url.host()? {
        url::Host::Ipv4(ip) => std::net::IpAddr::V4(ip),
        url::Host::Ipv6(ip) => std::net::IpAddr::V6(ip),
        url::Host::Domain(_) => return None,
    };
    policy.refusal(ip)
}

/// What the guard refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Every address of the name is one the policy refuses.
    Address(String),
    /// The name did not resolve.
    Dns(String),
}

/// The guard's refusal behind a failed request, found anywhere in its chain of sources.
pub fn refusal_in(error: &(dyn StdError + 'static)) -> Option<Refusal> {
    let mut source = Some(error);
    while let Some(current) = source {
        if let Some(forbidden) = current.downcast_ref::<AddressForbidden>() {
            return Some(Refusal::Address(forbidden.0.clone()));
        }
        if let Some(dns) = current.downcast_ref::<DnsFailed>() {
            return Some(Refusal::Dns(dns.0.clone()));
        }
        source = current.source();
    }
    None
}
