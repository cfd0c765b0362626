//! The one loop behind every periodic worker (sweeps, resyncs, clean-ups).

use std::{future::Future, time::Duration};

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

/// Runs `pass` now and then every `interval` until `stop`: a pass that
/// fails is logged and the next tick retries; a pass that did something
/// (returned more than 0) is logged with its count. A slow pass delays the
/// next tick rather than bunching ticks up.
pub async fn every<F, Fut>(
    what: &'static str,
    interval: Duration,
    stop: CancellationToken,
    mut pass: F,
) where
    F: FnMut() -> Fut + Send,
    Fut: Future<Output = anyhow::Result<u64>> + Send,
{
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = stop.cancelled() => return,
        }
        // A pass runs to its end: stopping mid-way could leave work half done
        // outside a transaction (a gate not told what a commit returned).
        match pass().await {
            Ok(0) => {}
            Ok(done) => tracing::info!(done, "{what}"),
            Err(err) => tracing::warn!(
                error = format!("{err:#}"),
                "{what} failed; retrying next tick"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicU32, Ordering},
        Arc,
    };

    use super::*;

    #[tokio::test]
    async fn a_failing_pass_is_retried_on_the_next_tick_until_stopped() {
        let stop = CancellationToken::new();
        let passes = Arc::new(AtomicU32::new(0));
        let worker = tokio::spawn(every(
            "test pass",
            Duration::from_millis(5),
            stop.clone(),
            {
                let passes = passes.clone();
                move || {
                    let passes = passes.clone();
                    async move {
                        passes.fetch_add(1, Ordering::SeqCst);
                        anyhow::bail!("always fails")
                    }
                }
            },
        ));
        while passes.load(Ordering::SeqCst) < 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stop.cancel();
        worker.await.unwrap();
        let after_stop = passes.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(
            passes.load(Ordering::SeqCst),
            after_stop,
            "no pass after stop"
        );
    }
}
