//! Serving until stopped: stop accepting, drain in-flight requests, stop
//! workers, all within the grace period.

use std::{future::Future, net::SocketAddr, time::Duration};

use anyhow::Context;
use axum::Router;
use tokio::{net::TcpListener, task::JoinSet};
use tokio_util::sync::CancellationToken;

use crate::config::HttpSettings;

/// What every service's `Application` runs: its bound port, its background
/// workers and the token that stops them all.
pub struct Server {
    listener: TcpListener,
    workers: JoinSet<()>,
    stop: CancellationToken,
    grace: Duration,
}

impl Server {
    /// Binds the service's port (0 in tests: a free one).
    pub async fn bind(http: &HttpSettings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(("0.0.0.0", http.port))
            .await
            .with_context(|| format!("binding port {}", http.port))?;
        Ok(Self {
            listener,
            workers: JoinSet::new(),
            stop: CancellationToken::new(),
            grace: http.shutdown_grace,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// Cancelling this token stops the application as SIGTERM would.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Runs `worker` until the application stops; it should watch `stop_token()`.
    pub fn spawn(&mut self, worker: impl Future<Output = ()> + Send + 'static) {
        self.workers.spawn(worker);
    }

    pub async fn run_until_stopped(self, router: Router) -> anyhow::Result<()> {
        serve(self.listener, router, self.stop, self.workers, self.grace).await
    }
}

/// Serves `router` until `stop` is cancelled (by a signal or a test), then
/// drains in-flight requests for at most `grace` and waits for `workers`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    stop: CancellationToken,
    mut workers: JoinSet<()>,
    grace: Duration,
) -> anyhow::Result<()> {
    let stopping = stop.clone();
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move { stopping.cancelled().await });
    let deadline = {
        let stop = stop.clone();
        async move {
            stop.cancelled().await;
            tokio::time::sleep(grace).await;
        }
    };
    tokio::select! {
        result = server => result?,
        () = deadline => tracing::warn!("in-flight requests did not finish within the grace period"),
    }
    stop.cancel();
    let drained = tokio::time::timeout(Duration::from_secs(5), async {
        while workers.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("workers did not stop in time");
        workers.abort_all();
    }
    tracing::info!("stopped");
    Ok(())
}

/// Cancels `stop` on SIGTERM or Ctrl-C.
pub fn cancel_on_signal(stop: CancellationToken) {
    tokio::spawn(async move {
        crate::shutdown::signal().await;
        stop.cancel();
    });
}
