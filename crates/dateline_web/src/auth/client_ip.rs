//! The client's address: the socket's peer, or, when the peer is a proxy the
//! operator trusts, the address that proxy says it forwarded for. Forwarding
//! headers from anyone else are ignored, so they cannot be forged.

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Networks whose X-Forwarded-For is believed, e.g. `127.0.0.1` or
/// `10.0.0.0/8`.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and networks.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, bits) = match item.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (item, None),
            };
            let ip: IpAddr = addr.parse().map_err(|_| {
                format!("\"{item}\" is not an address or network such as 10.0.0.0/8")
            })?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits =
                match bits {
                    Some(b) => b.parse::<u8>().ok().filter(|b| *b <= max).ok_or_else(|| {
                        format!("\"{item}\" has a prefix length outside 0..={max}")
                    })?,
                    None => max,
                };
            nets.push((ip, bits));
        }
        Ok(Self(nets))
    }

    fn contains(&self, ip: IpAddr) -> bool {
        self.0
            .iter()
            .any(|(net, bits)| same_prefix(*net, ip, *bits))
    }
}

fn same_prefix(a: IpAddr, b: IpAddr, bits: u8) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits))
            };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits))
            };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// The client's address for this request.
pub fn client_ip(parts: &Parts, trusted: &TrustedProxies) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    if !trusted.contains(peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    // The right-most address not of a trusted proxy is the one the nearest
    // trusted proxy saw; anything left of it the client could have written.
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted.contains(*ip))
        .unwrap_or(peer)
}

/// The address cut to its network (/24 or /48): what sessions remember.
pub fn ip_prefix(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            Ipv4Addr::new(o[0], o[1], o[2], 0).to_string()
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0).to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(peer: &str, xff: Option<&str>) -> Parts {
        let mut req = Request::builder().uri("/");
        if let Some(x) = xff {
            req = req.header("x-forwarded-for", x);
        }
        let (mut parts, _) = req.body(()).unwrap().into_parts();
        parts.extensions.insert(ConnectInfo::<SocketAddr>(
            format!("{peer}:4000").parse().unwrap(),
        ));
        parts
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let trusted = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        let ip = |p: Parts| client_ip(&p, &trusted).to_string();
        assert_eq!(
            ip(parts("203.0.113.9", Some("1.2.3.4"))),
            "203.0.113.9",
            "forged by a client"
        );
        assert_eq!(ip(parts("127.0.0.1", Some("198.51.100.2"))), "198.51.100.2");
        assert_eq!(
            ip(parts("127.0.0.1", Some("6.6.6.6, 198.51.100.2, 10.1.2.3"))),
            "198.51.100.2"
        );
        assert_eq!(ip(parts("127.0.0.1", None)), "127.0.0.1");
        assert!(TrustedProxies::parse("10.0.0.0/40").is_err());
        assert!(TrustedProxies::parse("proxy").is_err());
    }

    #[test]
    fn prefixes_hide_the_host() {
        assert_eq!(ip_prefix("203.0.113.77".parse().unwrap()), "203.0.113.0");
        assert_eq!(
            ip_prefix("2001:db8:1:2:3::4".parse().unwrap()),
            "2001:db8:1::"
        );
    }
}
