//! The client's address: the TCP peer, or, when the peer is a trusted reverse proxy, the
//! nearest untrusted address in `X-Forwarded-For`. Computed once per request by `observe`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::HeaderMap;

/// The address rate limits, lockout and captcha count against.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub IpAddr);

pub fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if !trusted_proxies.contains(&peer) {
        // Anyone can send the header; only a proxy we run may speak for its clients.
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|entry| entry.trim().parse().ok())
        .collect();
    // Walk back from the proxy nearest to us; the first address it did not add itself is the client.
    forwarded.into_iter().rev().find(|ip| !trusted_proxies.contains(ip)).unwrap_or(peer)
}

/// The TCP peer, as the accept loop recorded it.
pub fn peer(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())
}

/// The address `observe` resolved for this request.
pub fn of(parts: &Parts) -> IpAddr {
    parts.extensions.get::<ClientAddress>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |address| address.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", xff.parse().unwrap());
        headers
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let spoofed = headers("203.0.113.9, 198.51.100.7");
        assert_eq!(
            resolve(Some("192.0.2.1".parse().unwrap()), &spoofed, &[proxy]),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(resolve(Some(proxy), &spoofed, &[proxy]), "198.51.100.7".parse::<IpAddr>().unwrap());
        let chained = headers("198.51.100.7, 10.0.0.2");
        let proxies: Vec<IpAddr> = vec![proxy, "10.0.0.2".parse().unwrap()];
        assert_eq!(resolve(Some(proxy), &chained, &proxies), "198.51.100.7".parse::<IpAddr>().unwrap());
    }
}
