//! A TCP proxy that can cut a service off from a dependency (Postgres, Redis,
//! the AWS emulator) and let it through again, without touching the shared
//! servers or restarting the service.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

pub struct FaultProxy {
    addr: SocketAddr,
    open: Arc<AtomicBool>,
    /// Requests starting with these bytes are delivered, their replies lost.
    lose_replies_to: Arc<std::sync::Mutex<Option<Vec<u8>>>>,
    /// Cancelled on every cut, so live connections drop too.
    generation: Arc<std::sync::Mutex<CancellationToken>>,
    stop: CancellationToken,
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port forwarding to `target`.
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the fault proxy");
        let addr = listener.local_addr().expect("proxy address");
        let open = Arc::new(AtomicBool::new(true));
        let lose_replies_to = Arc::new(std::sync::Mutex::new(None));
        let lose = lose_replies_to.clone();
        let generation = Arc::new(std::sync::Mutex::new(CancellationToken::new()));
        let stop = CancellationToken::new();
        let (open2, generation2, stop2) = (open.clone(), generation.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    a = listener.accept() => a,
                    () = stop2.cancelled() => return,
                };
                let Ok((inbound, _)) = accepted else { continue };
                if !open2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let cut = generation2.lock().map(|g| g.clone()).unwrap_or_default();
                let lose = lose.clone();
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    pipe(inbound, outbound, cut, lose).await;
                });
            }
        });
        Self {
            addr,
            open,
            lose_replies_to,
            generation,
            stop,
        }
    }

    /// Starts a proxy to the host and port of `url` (`scheme://host:port/...`).
    pub async fn for_url(url: &str) -> Self {
        Self::start(socket_of(url)).await
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn proxied_url(&self, url: &str) -> String {
        let target = authority_of(url);
        url.replacen(&target, &self.addr.to_string(), 1)
    }

    /// Refuses new connections and drops live ones.
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        if let Ok(mut g) = self.generation.lock() {
            g.cancel();
            *g = CancellationToken::new();
        }
    }

    /// Lets traffic through again (and replies too).
    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
        self.lose_replies_to(None);
    }

    /// Delivers every request, but loses the reply to those whose bytes
    /// start with `request_start` (an HTTP request line such as
    /// `POST /promo-codes/`): the connection closes instead, as when a reply
    /// is lost on the way. The dependency did the work; the caller never
    /// hears it. `None` lets replies through again.
    pub fn lose_replies_to(&self, request_start: Option<&str>) {
        if let Ok(mut lose) = self.lose_replies_to.lock() {
            *lose = request_start.map(|s| s.as_bytes().to_vec());
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.cancel();
        self.cut();
    }
}

async fn pipe(
    client: TcpStream,
    server: TcpStream,
    cut: CancellationToken,
    lose: Arc<std::sync::Mutex<Option<Vec<u8>>>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    // Set when a request whose reply is to be lost went through.
    let losing = AtomicBool::new(false);
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let matches = lose
                .lock()
                .ok()
                .and_then(|l| l.clone())
                .is_some_and(|start| buf[..n].starts_with(&start));
            if matches {
                losing.store(true, Ordering::SeqCst);
            }
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
        std::future::pending::<()>().await;
    };
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if losing.load(Ordering::SeqCst) {
                return;
            }
            if client_write.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        () = up => {}
        () = down => {}
        () = cut.cancelled() => {}
    }
}

/// `host:port` of a URL such as `postgres://user@127.0.0.1:5432/db`.
fn authority_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .to_owned()
}

fn socket_of(url: &str) -> SocketAddr {
    let authority = authority_of(url).replace("localhost", "127.0.0.1");
    authority
        .parse()
        .unwrap_or_else(|_| panic!("{url} needs an explicit IP and port for the fault proxy"))
}

#[cfg(test)]
mod tests {
    use super::authority_of;

    #[test]
    fn the_authority_skips_user_and_path() {
        assert_eq!(
            authority_of("postgres://postgres@127.0.0.1:5432/x"),
            "127.0.0.1:5432"
        );
        assert_eq!(authority_of("http://127.0.0.1:4566"), "127.0.0.1:4566");
        assert_eq!(authority_of("redis://127.0.0.1:6379/0"), "127.0.0.1:6379");
    }
}
