//! One keep-alive HTTP/1.1 connection per load worker (hyper's client
//! connection, no pool): a worker sends its requests one after another on it
//! and opens a new one when the server closes it or a request times out.

use std::net::SocketAddr;

use anyhow::Context;
use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{handshake, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::Request;

/// Where the load goes: a socket address and the `Host` header for it.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: HeaderValue,
}

impl Target {
    /// From a base URL such as `http://127.0.0.1:8081` (plain HTTP only).
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let uri: http::Uri = url
            .parse()
            .with_context(|| format!("`{url}` is not a URL"))?;
        anyhow::ensure!(
            uri.scheme_str() == Some("http"),
            "the load generator speaks plain http only: {url}"
        );
        let authority = uri.authority().context("the URL has no host")?;
        let port = authority.port_u16().unwrap_or(80);
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&(authority.host(), port))?
            .next()
            .with_context(|| format!("{} does not resolve", authority.host()))?;
        Ok(Self {
            addr,
            host: HeaderValue::from_str(authority.as_str())?,
        })
    }
}

#[derive(Default)]
pub struct Connection {
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    /// Sends `request` and reads the whole answer; any failure leaves the
    /// connection closed, so the next call opens a fresh one.
    pub async fn exchange(
        &mut self,
        target: &Target,
        request: Request,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let outcome = self.try_exchange(target, request).await;
        if outcome.is_err() {
            self.sender = None;
        }
        outcome
    }

    /// Drops the connection (e.g. after a timeout left a request in flight on it).
    pub fn reset(&mut self) {
        self.sender = None;
    }

    async fn try_exchange(
        &mut self,
        target: &Target,
        request: Request,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let sender = match &mut self.sender {
            Some(sender) if !sender.is_closed() => sender,
            _ => self.sender.insert(connect(target).await?),
        };
        sender.ready().await.context("connection not ready")?;
        let mut builder = http::Request::builder()
            .method(request.method)
            .uri(request.path)
            .header(header::HOST, target.host.clone());
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        let response = sender
            .send_request(builder.body(Full::new(request.body))?)
            .await
            .context("sending")?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .context("reading the body")?
            .to_bytes();
        Ok((status, body))
    }
}

async fn connect(target: &Target) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(target.addr)
        .await
        .with_context(|| format!("connecting to {}", target.addr))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = handshake(TokioIo::new(stream)).await?;
    // Ends by itself when the sender is dropped or the server closes.
    tokio::spawn(connection);
    Ok(sender)
}
