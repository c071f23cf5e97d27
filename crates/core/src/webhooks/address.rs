//! Which receiver addresses a webhook may reach: the SSRF guard, applied when a
//! subscription is saved and again to every address a delivery connects to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// What the instance lets receivers be, besides public addresses over HTTPS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Loopback receivers, over HTTP or HTTPS (local development and tests).
    pub allow_loopback: bool,
    /// RFC 1918, unique-local, link-local and shared (CGNAT) addresses.
    pub allow_private: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Public,
    Loopback,
    Private,
    /// Unspecified, multicast, broadcast: never a receiver.
    Reserved,
}

fn classify_v4(ip: Ipv4Addr) -> Class {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Class::Loopback
    } else if ip.is_unspecified() || ip.is_multicast() || ip.is_broadcast() || a == 0 || a >= 240 {
        Class::Reserved
    } else if ip.is_private() || ip.is_link_local() || (a == 100 && (64..128).contains(&b)) {
        Class::Private
    } else {
        Class::Public
    }
}

fn classify(ip: IpAddr) -> Class {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return classify_v4(v4);
            }
            let first = v6.segments()[0];
            if v6 == Ipv6Addr::LOCALHOST {
                Class::Loopback
            } else if v6.is_unspecified() || v6.is_multicast() {
                Class::Reserved
            } else if (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80 {
                Class::Private
            } else {
                Class::Public
            }
        }
    }
}

impl AddressPolicy {
    /// Why `ip` may not be a receiver, or `None` if it may.
    pub fn refusal(&self, ip: IpAddr) -> Option<String> {
        match classify(ip) {
            Class::Public => None,
            Class::Loopback if self.allow_loopback => None,
            Class::Private if self.allow_private => None,
            Class::Loopback => {
                Some(format!("{ip} is a loopback address; this instance does not allow loopback receivers"))
            }
            Class::Private => {
                Some(format!("{ip} is a private or link-local address; this instance does not allow private receivers"))
            }
            Class::Reserved => Some(format!("{ip} is not a unicast address")),
        }
    }

    /// Checks a receiver URL as a subscription is saved: syntax, scheme, and every address
    /// its host resolves to now, if it resolves. Returns a message for the `url` field.
    pub async fn check_url(&self, text: &str) -> Result<url::Url, String> {
        if text.len() > 2048 {
            return Err("must be at most 2048 characters".into());
        }
        let url = url::Url::parse(text).map_err(|e| format!("is not an absolute URL ({e})"))?;
        if url.fragment().is_some() {
            return Err("must not have a fragment".into());
        }
        if !matches!(url.scheme(), "https" | "http") {
            return Err("must use https".into());
        }
        let host = url.host_str().filter(|host| !host.is_empty()).ok_or("must name a host")?;
        let port = url.port_or_known_default().ok_or("must use https")?;
        let addresses = match resolve(host, port).await {
            Ok(addresses) => addresses,
            // A name that does not resolve (yet: DNS is often set up after the subscription)
            // is saved; every delivery resolves it again through the guard, and reports
            // `receiver_dns_failed` until it resolves to an address the instance allows.
            Err(_) if url.scheme() == "https" => return Ok(url),
            Err(reason) => return Err(reason),
        };
        match url.scheme() {
            "https" => {}
            "http" if self.allow_loopback && addresses.iter().all(|ip| classify(*ip) == Class::Loopback) => {}
            "http" if self.allow_loopback => return Err("must use https (http is allowed to loopback only)".into()),
            _ => return Err("must use https".into()),
        }
        if let Some(reason) = addresses.iter().find_map(|ip| self.refusal(*ip)) {
            return Err(reason);
        }
        Ok(url)
    }
}

/// The addresses `host` resolves to (an IP literal is itself), within two seconds.
pub async fn resolve(host: &str, port: u16) -> Result<Vec<IpAddr>, String> {
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let lookup = tokio::net::lookup_host((host, port));
    match tokio::time::timeout(Duration::from_secs(2), lookup).await {
        Ok(Ok(addresses)) => {
            let addresses: Vec<IpAddr> = addresses.map(|address| address.ip()).collect();
            if addresses.is_empty() {
                Err(format!("host {host} has no addresses"))
            } else {
                Ok(addresses)
            }
        }
        Ok(Err(error)) => Err(format!("host {host} does not resolve ({error})")),
        Err(_) => Err(format!("resolving host {host} timed out")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_ranges_an_attacker_would_aim_at() {
        let strict = AddressPolicy::default();
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
            "224.0.0.1",
        ] {
            assert!(strict.refusal(ip.parse().unwrap()).is_some(), "{ip} must be refused");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(strict.refusal(ip.parse().unwrap()).is_none(), "{ip} must be allowed");
        }
        let open = AddressPolicy { allow_loopback: true, allow_private: true };
        assert!(open.refusal("127.0.0.1".parse().unwrap()).is_none());
        assert!(open.refusal("10.0.0.1".parse().unwrap()).is_none());
        assert!(open.refusal("0.0.0.0".parse().unwrap()).is_some(), "never the unspecified address");
    }

    #[tokio::test]
    async fn http_only_to_loopback_and_only_when_allowed() {
        let strict = AddressPolicy::default();
        assert!(strict.check_url("http://127.0.0.1:9/hook").await.unwrap_err().contains("https"));
        assert!(strict.check_url("https://127.0.0.1:9/hook").await.unwrap_err().contains("loopback"));
        assert!(strict.check_url("https://169.254.169.254/latest").await.unwrap_err().contains("private"));
        let local = AddressPolicy { allow_loopback: true, allow_private: false };
        assert!(local.check_url("http://127.0.0.1:9/hook").await.is_ok());
        assert!(local.check_url("http://localhost:9/hook").await.is_ok());
        assert!(local.check_url("http://10.0.0.1/hook").await.unwrap_err().contains("https"));
        assert!(local.check_url("https://10.0.0.1/hook").await.unwrap_err().contains("private"));
        assert!(local.check_url("ftp://127.0.0.1/").await.is_err());
        assert!(local.check_url("https://127.0.0.1/#x").await.unwrap_err().contains("fragment"));
        // RFC 6761: .invalid never resolves. Saved; deliveries report receiver_dns_failed.
        assert!(strict.check_url("https://receiver.invalid/hook").await.is_ok());
        assert!(local.check_url("http://receiver.invalid/hook").await.unwrap_err().contains("resolve"));
    }
}
