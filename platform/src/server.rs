//! Serving until stopped: stop accepting, drain in-flight requests, stop
//! workers, all within the grace period.

use std::{net::SocketAddr, time::Duration};

use axum::Router;
use tokio::{net::TcpListener, task::JoinSet};
use tokio_util::sync::CancellationToken;

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
