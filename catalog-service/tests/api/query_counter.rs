//! A Postgres-aware TCP proxy that counts, on the wire, how often a chosen
//! statement runs — so a test can count queries without asking the code
//! under test (and without `pg_stat_statements`, which needs a preload).
//!
//! It follows the frontend side of the protocol: after the startup packet
//! every message is a type byte and a length. `Parse` ('P') names a
//! statement and carries its SQL; each `Bind` ('B') of it is one execution;
//! a simple `Query` ('Q') carries its SQL directly. The proxy asks for
//! `sslmode=disable` so the stream is readable.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;

pub struct QueryCounter {
    /// The database URL through the proxy.
    pub url: String,
    count: Arc<AtomicUsize>,
}

impl QueryCounter {
    /// Proxies to the server of `database_url`, counting executions of
    /// statements for which `matches(sql)` holds.
    pub async fn start(database_url: &str, matches: fn(&str) -> bool) -> Self {
        let authority = authority_of(database_url);
        let target = authority.replace("localhost", "127.0.0.1");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let count = Arc::new(AtomicUsize::new(0));
        let counted = count.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&target).await else {
                    continue;
                };
                tokio::spawn(relay(client, server, counted.clone(), matches));
            }
        });
        let proxied = database_url.replacen(&authority, &addr.to_string(), 1);
        let separator = if proxied.contains('?') { '&' } else { '?' };
        Self {
            url: format!("{proxied}{separator}sslmode=disable"),
            count,
        }
    }

    /// Executions counted so far.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

async fn relay(
    client: TcpStream,
    server: TcpStream,
    count: Arc<AtomicUsize>,
    matches: fn(&str) -> bool,
) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = async move {
        let mut parser = Frontend::default();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            parser.feed(&buf[..n], &count, matches);
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let downstream = async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(upstream, downstream);
}

/// The frontend message stream of one connection.
#[derive(Default)]
struct Frontend {
    buffer: Vec<u8>,
    started: bool,
    statements: HashMap<String, String>,
}

impl Frontend {
    fn feed(&mut self, bytes: &[u8], count: &AtomicUsize, matches: fn(&str) -> bool) {
        self.buffer.extend_from_slice(bytes);
        loop {
            if !self.started {
                let Some(len) = read_u32(&self.buffer, 0) else {
                    return;
                };
                let len = len as usize;
                if self.buffer.len() < len {
                    return;
                }
                let code = read_u32(&self.buffer, 4).unwrap_or_default();
                self.started = code != SSL_REQUEST && code != GSSENC_REQUEST;
                self.buffer.drain(..len);
                continue;
            }
            let Some(len) = read_u32(&self.buffer, 1) else {
                return;
            };
            let total = 1 + len as usize;
            if self.buffer.len() < total {
                return;
            }
            let body = &self.buffer[5..total];
            match self.buffer[0] {
                b'P' => {
                    let mut parts = body.split(|b| *b == 0);
                    let name =
                        String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
                    let sql =
                        String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
                    self.statements.insert(name, sql);
                }
                b'B' => {
                    let mut parts = body.split(|b| *b == 0);
                    let _portal = parts.next();
                    let name = String::from_utf8_lossy(parts.next().unwrap_or_default());
                    if self
                        .statements
                        .get(name.as_ref())
                        .is_some_and(|sql| matches(sql))
                    {
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                }
                b'Q' => {
                    let sql =
                        String::from_utf8_lossy(body.split(|b| *b == 0).next().unwrap_or_default());
                    if matches(&sql) {
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                }
                _ => {}
            }
            self.buffer.drain(..total);
        }
    }
}

/// `host:port` of `postgres://user@host:port/db`.
fn authority_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .to_owned()
}

fn read_u32(buffer: &[u8], at: usize) -> Option<u32> {
    let bytes = buffer.get(at..at + 4)?;
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}
