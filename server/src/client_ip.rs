//! Who is on the other end of a request: the connection's address, or, when that address is a
//! reverse proxy the operator trusts (`ITEROCHAT_TRUSTED_PROXIES`), the client that proxy names in
//! `X-Forwarded-For`. Rate limits and the feedback's `ip_details` both use it, so behind nginx or
//! Caddy every visitor gets a budget of their own instead of sharing the proxy's.
//!
//! A client can write any `X-Forwarded-For` it likes, so the header is read only when the
//! connection comes from a trusted proxy, and then from the right: each trusted hop is skipped and
//! the first address that is not a trusted proxy is the client. Without the setting the header is
//! ignored entirely.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use serde::Deserialize;

use crate::state::AppState;

/// The proxies whose `X-Forwarded-For` is believed: addresses and CIDR ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses a comma- or space-separated list such as `127.0.0.1, 10.0.0.0/8, fd00::/8`.
    pub fn parse(list: &str) -> Result<Self, String> {
        Self::try_from(list.split([',', ' ']).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>())
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|&(net, bits)| in_range(ip, net, bits))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The client behind `peer`: `peer` itself unless it is trusted, else the right-most address
    /// of `forwarded` (the `X-Forwarded-For` values, in order) that is not a trusted proxy. If
    /// every hop is trusted, the left-most one; an entry that is not an address ends the walk at
    /// the last trusted hop.
    pub fn client(&self, peer: IpAddr, forwarded: &[&str]) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        for hop in forwarded.iter().rev().flat_map(|value| value.rsplit(',')) {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip.to_canonical();
                    if !self.contains(client) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        client
    }
}

impl TryFrom<Vec<String>> for TrustedProxies {
    type Error = String;

    fn try_from(entries: Vec<String>) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                let bad = || format!("{entry:?} is not an IP address or a CIDR range like 10.0.0.0/8");
                let (addr, bits) = match entry.split_once('/') {
                    Some((addr, bits)) => (addr, Some(bits.parse::<u8>().map_err(|_| bad())?)),
                    None => (entry, None),
                };
                let addr = addr.parse::<IpAddr>().map_err(|_| bad())?.to_canonical();
                let max = if addr.is_ipv4() { 32 } else { 128 };
                let bits = bits.unwrap_or(max);
                if bits > max {
                    return Err(bad());
                }
                Ok((addr, bits))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

fn in_range(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// The client's IP: the connection's, or the one a trusted proxy forwarded (never a header from
/// anyone else).
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    /// The request's client address: the peer's, or what a trusted proxy forwarded.
    pub fn of(parts: &Parts, state: &AppState) -> Self {
        let Some(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) else {
            return Self(None);
        };
        let trusted = &state.settings.trusted_proxies;
        if trusted.is_empty() {
            return Self(Some(peer.to_canonical()));
        }
        let forwarded: Vec<&str> =
            parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        Self(Some(trusted.client(peer, &forwarded)))
    }

    /// The address as a limiter key: IPv4, or the IPv6 /64.
    pub fn key(&self) -> crate::rate_limit::Key {
        crate::rate_limit::Key::ip(self.0)
    }
}

impl<S> FromRequestParts<S> for ClientIp
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts, &AppState::from_ref(state)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn parses_addresses_and_ranges_and_refuses_junk() {
        let t = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8 fd00::/8").expect("valid");
        assert!(t.contains(ip("127.0.0.1")));
        assert!(!t.contains(ip("127.0.0.2")));
        assert!(t.contains(ip("10.200.3.4")));
        assert!(!t.contains(ip("11.0.0.1")));
        assert!(t.contains(ip("fd12::1")));
        assert!(!t.contains(ip("fe80::1")));
        assert!(t.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped IPv6 is the IPv4 address");
        assert!(TrustedProxies::parse("").expect("empty").is_empty());
        assert!(TrustedProxies::parse("0.0.0.0/0").expect("all").contains(ip("8.8.8.8")));
        for bad in ["localhost", "10.0.0.0/33", "::/129", "10.0.0.0/x", "1.2.3"] {
            let err = TrustedProxies::parse(bad).expect_err(bad);
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy_and_is_read_from_the_right() {
        let t = TrustedProxies::parse("127.0.0.1,10.0.0.0/8").expect("valid");
        // Not a proxy: whatever it claims is ignored.
        assert_eq!(t.client(ip("203.0.113.9"), &["1.1.1.1"]), ip("203.0.113.9"));
        // One proxy in front.
        assert_eq!(t.client(ip("127.0.0.1"), &["203.0.113.7"]), ip("203.0.113.7"));
        // A client that forges a left-most entry gets its real address, the one the proxy added.
        assert_eq!(t.client(ip("127.0.0.1"), &["6.6.6.6, 203.0.113.7"]), ip("203.0.113.7"));
        // Two trusted hops, and the header split over two lines.
        assert_eq!(t.client(ip("127.0.0.1"), &["6.6.6.6, 198.51.100.4", "10.1.1.1"]), ip("198.51.100.4"));
        // No header, every hop trusted, junk: the last trusted hop.
        assert_eq!(t.client(ip("127.0.0.1"), &[]), ip("127.0.0.1"));
        assert_eq!(t.client(ip("127.0.0.1"), &["10.0.0.5"]), ip("10.0.0.5"));
        assert_eq!(t.client(ip("127.0.0.1"), &["198.51.100.4, unknown, 10.0.0.5"]), ip("10.0.0.5"));
        // Nobody trusted: the connection.
        assert_eq!(TrustedProxies::default().client(ip("127.0.0.1"), &["1.1.1.1"]), ip("127.0.0.1"));
    }
}
