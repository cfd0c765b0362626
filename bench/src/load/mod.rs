//! The load generator: closed loop (N connections, each sending its next
//! request as soon as the last one answered) or open loop (requests due at a
//! fixed arrival rate, latency counted from when each was due, so a stalled
//! server cannot hide its queue: no coordinated omission).

mod conn;
mod progress;
mod request;
#[cfg(test)]
mod tests;
mod worker;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

pub use conn::Target;
pub use progress::Tick;
pub use request::{contains, status_outcome, Answer, Outcome, Request, Workload};

use crate::stats;
use worker::{closed_worker, dispatch, open_worker, Tally};

#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// `connections` workers, each sending back to back.
    Closed { connections: usize },
    /// `rate` requests per second, sent by up to `connections` workers.
    Open { rate: f64, connections: usize },
}

impl Mode {
    pub fn connections(self) -> usize {
        match self {
            Self::Closed { connections } | Self::Open { connections, .. } => connections.max(1),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    /// Shown on the progress line.
    pub name: String,
    pub target: Target,
    pub mode: Mode,
    pub duration: Duration,
    /// A request still unanswered after this counts as an error (`timeout`).
    pub timeout: Duration,
}

/// What a run measured.
#[derive(Debug)]
pub struct Report {
    /// When the run started; `Answer::due` counts from here.
    pub started: Instant,
    pub elapsed: Duration,
    pub requests: u64,
    pub ok: u64,
    pub errors: u64,
    pub outcomes: BTreeMap<String, u64>,
    /// Every answered request's latency, successes and errors alike.
    pub latency: Histogram<u64>,
    pub timeline: Vec<Tick>,
}

impl Report {
    pub fn rate(&self) -> f64 {
        stats::ratio(self.requests as f64, self.elapsed.as_secs_f64())
    }

    pub fn ok_rate(&self) -> f64 {
        stats::ratio(self.ok as f64, self.elapsed.as_secs_f64())
    }

    pub fn error_rate(&self) -> f64 {
        stats::ratio(self.errors as f64, self.requests as f64)
    }

    pub fn count(&self, label: &str) -> u64 {
        self.outcomes.get(label).copied().unwrap_or(0)
    }
}

/// Counters the workers share with the progress line.
struct Shared {
    started: Instant,
    next: AtomicU64,
    done: AtomicU64,
    errors: AtomicU64,
    /// Latencies since the last progress tick.
    interval: Mutex<Histogram<u64>>,
}

/// Runs `plan` with `workload` and prints a progress line every second.
pub async fn run<W: Workload>(plan: &Plan, workload: Arc<W>) -> anyhow::Result<Report> {
    let shared = Arc::new(Shared {
        started: Instant::now(),
        next: AtomicU64::new(0),
        done: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        interval: Mutex::new(stats::histogram()),
    });
    let ticker = progress::spawn(plan.name.clone(), Arc::clone(&shared));
    let mut workers = tokio::task::JoinSet::new();
    match plan.mode {
        Mode::Closed { .. } => {
            for _ in 0..plan.mode.connections() {
                let (plan, workload, shared) = (plan.clone(), workload.clone(), shared.clone());
                workers.spawn(async move { closed_worker(&plan, &*workload, &shared).await });
            }
        }
        Mode::Open { rate, .. } => {
            let (due_tx, due_rx) = tokio::sync::mpsc::unbounded_channel();
            let due_rx = Arc::new(tokio::sync::Mutex::new(due_rx));
            for _ in 0..plan.mode.connections() {
                let (plan, workload, shared) = (plan.clone(), workload.clone(), shared.clone());
                let due_rx = Arc::clone(&due_rx);
                workers
                    .spawn(async move { open_worker(&plan, &*workload, &shared, &due_rx).await });
            }
            dispatch(rate, plan.duration, shared.started, &due_tx).await;
        }
    }
    let mut total = Tally::new();
    while let Some(tally) = workers.join_next().await {
        total.merge(tally?)?;
    }
    let elapsed = shared.started.elapsed();
    let timeline = progress::finish(ticker).await;
    Ok(Report {
        started: shared.started,
        elapsed,
        requests: total.ok + total.errors,
        ok: total.ok,
        errors: total.errors,
        outcomes: total.outcomes,
        latency: total.latency,
        timeline,
    })
}
