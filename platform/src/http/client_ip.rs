//! The client's address, taken from `X-Forwarded-For` only as far as the
//! trusted proxies (`TRUSTED_PROXY_HOPS`) vouch for it.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::request::Parts,
};

#[derive(Debug, Clone, Copy)]
pub struct TrustedProxyHops(pub usize);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let hops = parts
            .extensions
            .get::<TrustedProxyHops>()
            .map_or(0, |h| h.0);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        Ok(ClientIp(client_address(peer, &forwarded, hops)))
    }
}

/// Each trusted proxy appends the address it received from; the client is
/// the entry written by the outermost trusted proxy (the `hops`-th from the right).
pub fn client_address(peer: Option<IpAddr>, forwarded_for: &str, hops: usize) -> String {
    let entries: Vec<&str> = forwarded_for
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if hops > 0 && !entries.is_empty() {
        let index = entries.len().saturating_sub(hops);
        if let Ok(ip) = entries[index].parse::<IpAddr>() {
            return ip.to_string();
        }
    }
    peer.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::client_address;

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let peer = Some("10.0.0.9".parse().unwrap());
        assert_eq!(client_address(peer, "1.2.3.4", 0), "10.0.0.9");
    }

    #[test]
    fn with_one_trusted_proxy_the_rightmost_entry_is_the_client() {
        let peer = Some("10.0.0.9".parse().unwrap());
        assert_eq!(client_address(peer, "6.6.6.6, 1.2.3.4", 1), "1.2.3.4");
    }

    #[test]
    fn a_spoofed_prefix_cannot_move_the_client_address() {
        let peer = Some("10.0.0.9".parse().unwrap());
        assert_eq!(
            client_address(peer, "9.9.9.9, 8.8.8.8, 1.2.3.4", 1),
            "1.2.3.4"
        );
        assert_eq!(client_address(peer, "garbage", 1), "10.0.0.9");
    }
}
