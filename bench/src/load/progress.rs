//! The progress line: once a second, requests so far, the last second's rate,
//! p99 and errors. Rewritten in place on a terminal, one line a second otherwise.

use std::io::{IsTerminal, Write};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use super::Shared;
use crate::stats::Latency;

/// One second of a run.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Tick {
    /// Seconds since the start, at the end of this interval.
    pub t: f64,
    pub requests: u64,
    pub errors: u64,
    pub p99_ms: f64,
}

pub(super) struct Ticker {
    handle: JoinHandle<Vec<Tick>>,
    stop: tokio::sync::oneshot::Sender<()>,
}

pub(super) fn spawn(name: String, shared: Arc<Shared>) -> Ticker {
    let (stop, mut stopped) = tokio::sync::oneshot::channel();
    let handle = tokio::spawn(async move {
        let mut ticks = Vec::new();
        let mut last = (0, 0);
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.tick().await;
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = &mut stopped => break,
            }
            let tick = take_tick(&shared, &mut last);
            print_line(&name, &tick, shared.done.load(Ordering::Relaxed));
            ticks.push(tick);
        }
        // The tail: requests answered since the last full second.
        let tick = take_tick(&shared, &mut last);
        if tick.requests > 0 {
            ticks.push(tick);
        }
        if std::io::stderr().is_terminal() {
            eprintln!();
        }
        ticks
    });
    Ticker { handle, stop }
}

fn take_tick(shared: &Shared, last: &mut (u64, u64)) -> Tick {
    let done = shared.done.load(Ordering::Relaxed);
    let errors = shared.errors.load(Ordering::Relaxed);
    let p99_ms = shared.interval.lock().map_or(0.0, |mut h| {
        let p99 = Latency::of(&h).p99_ms;
        h.reset();
        p99
    });
    let tick = Tick {
        t: shared.started.elapsed().as_secs_f64(),
        requests: done - last.0,
        errors: errors - last.1,
        p99_ms,
    };
    *last = (done, errors);
    tick
}

fn print_line(name: &str, tick: &Tick, total: u64) {
    let line = format!(
        "{name:<22} {:>5.1}s {total:>9} req {:>8}/s  p99 {:>8.2} ms  errors {}",
        tick.t, tick.requests, tick.p99_ms, tick.errors
    );
    let mut err = std::io::stderr().lock();
    if err.is_terminal() {
        let _ = write!(err, "\r\x1b[2K{line}");
    } else {
        let _ = writeln!(err, "{line}");
    }
    let _ = err.flush();
}

/// Stops the ticker and returns the run's timeline.
pub(super) async fn finish(ticker: Ticker) -> Vec<Tick> {
    let _ = ticker.stop.send(());
    ticker.handle.await.unwrap_or_default()
}
