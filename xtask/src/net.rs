//! Small network helpers: URL host/port parsing, TCP reachability, a bare HTTP probe.
//!
//! Kept dependency-free on purpose: xtask only needs to know "is something
//! answering there", not a full HTTP client.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{bail, Context};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The host and port a `scheme://[user[:password]@]host[:port][/path][?query]` URL points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

impl HostPort {
    pub fn localhost(port: u16) -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port,
        }
    }

    pub fn from_url(url: &str, default_port: u16) -> anyhow::Result<Self> {
        let (_, rest) = url
            .split_once("://")
            .with_context(|| format!("`{url}` is not a URL (no scheme://)"))?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        // A password may contain '@', so the host starts after the last one.
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
        let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .with_context(|| format!("`{url}` has an unclosed IPv6 bracket"))?;
            (host, after.strip_prefix(':'))
        } else {
            match host_port.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (host_port, None),
            }
        };
        if host.is_empty() {
            bail!("`{url}` has no host");
        }
        let port = match port {
            Some(p) if !p.is_empty() => p
                .parse()
                .with_context(|| format!("`{url}` has an invalid port `{p}`"))?,
            _ => default_port,
        };
        Ok(Self {
            host: host.to_owned(),
            port,
        })
    }

    fn socket_addrs(&self) -> Vec<SocketAddr> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map(Iterator::collect)
            .unwrap_or_default()
    }

    fn connect(&self) -> Option<TcpStream> {
        self.socket_addrs()
            .iter()
            .find_map(|addr| TcpStream::connect_timeout(addr, CONNECT_TIMEOUT).ok())
    }

    pub fn is_reachable(&self) -> bool {
        self.connect().is_some()
    }

    /// True when `GET path` answers with status 200.
    pub fn http_ok(&self, path: &str) -> bool {
        let Some(mut stream) = self.connect() else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let request = format!("GET {path} HTTP/1.0\r\nHost: {self}\r\n\r\n");
        if stream.write_all(request.as_bytes()).is_err() {
            return false;
        }
        // The status line fits in the first read; the body does not matter.
        let mut head = [0_u8; 64];
        let Ok(n) = stream.read(&mut head) else {
            return false;
        };
        let head = String::from_utf8_lossy(&head[..n]);
        head.starts_with("HTTP/") && head.split_whitespace().nth(1) == Some("200")
    }
}

impl std::fmt::Display for HostPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// `url` with its path (the database name, for Postgres) replaced; the query string is kept.
pub fn with_database(url: &str, database: &str) -> anyhow::Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .with_context(|| format!("`{url}` is not a URL (no scheme://)"))?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let query = tail.find(['?', '#']).map_or("", |i| &tail[i..]);
    Ok(format!("{scheme}://{authority}/{database}{query}"))
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> anyhow::Result<u16> {
    let listener =
        TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0 to find a free port")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port_come_from_the_authority() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                1,
                "127.0.0.1",
                5432,
            ),
            (
                "postgres://u:p@ss@db.local/x?sslmode=disable",
                5432,
                "db.local",
                5432,
            ),
            ("redis://127.0.0.1:6379", 6379, "127.0.0.1", 6379),
            ("redis://localhost", 6379, "localhost", 6379),
            ("postgres://[::1]:6000/db", 5432, "::1", 6000),
        ];
        for (url, default, host, port) in cases {
            let hp = HostPort::from_url(url, default).unwrap();
            assert_eq!((hp.host.as_str(), hp.port), (host, port), "case {url}");
        }
    }

    #[test]
    fn urls_without_a_host_are_rejected() {
        assert!(HostPort::from_url("127.0.0.1:5432", 5432).is_err());
        assert!(HostPort::from_url("postgres:///db", 5432).is_err());
    }

    #[test]
    fn database_name_is_replaced_and_query_kept() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                "postgres://postgres@127.0.0.1:5432/registration",
            ),
            (
                "postgres://h:1/postgres?sslmode=disable",
                "postgres://h:1/registration?sslmode=disable",
            ),
            ("postgres://h:1", "postgres://h:1/registration"),
        ];
        for (admin, expected) in cases {
            assert_eq!(
                with_database(admin, "registration").unwrap(),
                expected,
                "case {admin}"
            );
        }
    }
}
