//! The workers of a run: a closed-loop worker sends back to back, an
//! open-loop worker sends each request handed out when it is due; each keeps
//! its own `Tally` of what it measured.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::{conn, Answer, Outcome, Plan, Request, Shared, Workload};
use crate::stats;

/// What one worker measured.
pub(super) struct Tally {
    pub(super) ok: u64,
    pub(super) errors: u64,
    pub(super) outcomes: BTreeMap<String, u64>,
    pub(super) latency: Histogram<u64>,
}

impl Tally {
    pub(super) fn new() -> Self {
        Self {
            ok: 0,
            errors: 0,
            outcomes: BTreeMap::new(),
            latency: stats::histogram(),
        }
    }

    fn count(&mut self, outcome: Outcome, shared: &Shared) {
        let label = match outcome {
            Outcome::Ok(label) => {
                self.ok += 1;
                label
            }
            Outcome::Error(label) => {
                self.errors += 1;
                shared.errors.fetch_add(1, Ordering::Relaxed);
                label
            }
        };
        *self.outcomes.entry(label.into_owned()).or_default() += 1;
        shared.done.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn merge(&mut self, other: Self) -> anyhow::Result<()> {
        self.ok += other.ok;
        self.errors += other.errors;
        for (label, n) in other.outcomes {
            *self.outcomes.entry(label).or_default() += n;
        }
        self.latency.add(&other.latency)?;
        Ok(())
    }
}

pub(super) async fn closed_worker<W: Workload>(
    plan: &Plan,
    workload: &W,
    shared: &Shared,
) -> Tally {
    let mut tally = Tally::new();
    let mut connection = conn::Connection::default();
    while shared.started.elapsed() < plan.duration {
        let n = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(request) = workload.request(n) else {
            break;
        };
        let due = shared.started.elapsed();
        send(
            plan,
            workload,
            shared,
            &mut connection,
            &mut tally,
            n,
            due,
            request,
        )
        .await;
    }
    tally
}

/// Hands out sequence numbers at `rate` per second, each with the time it is due.
pub(super) async fn dispatch(
    rate: f64,
    duration: Duration,
    started: Instant,
    due_tx: &tokio::sync::mpsc::UnboundedSender<(u64, Duration)>,
) {
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
    for n in 0.. {
        let due = interval.mul_f64(n as f64);
        if due >= duration {
            break;
        }
        // Handed out when due, never before: latency counts from here.
        tokio::time::sleep_until((started + due).into()).await;
        if due_tx.send((n, due)).is_err() {
            break;
        }
    }
}

pub(super) async fn open_worker<W: Workload>(
    plan: &Plan,
    workload: &W,
    shared: &Shared,
    due_rx: &tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<(u64, Duration)>>,
) -> Tally {
    let mut tally = Tally::new();
    let mut connection = conn::Connection::default();
    loop {
        let next = due_rx.lock().await.recv().await;
        let Some((n, due)) = next else {
            break;
        };
        let Some(request) = workload.request(n) else {
            break;
        };
        send(
            plan,
            workload,
            shared,
            &mut connection,
            &mut tally,
            n,
            due,
            request,
        )
        .await;
    }
    tally
}

#[allow(clippy::too_many_arguments)] // one request's whole context, kept flat on the hot path
async fn send<W: Workload>(
    plan: &Plan,
    workload: &W,
    shared: &Shared,
    connection: &mut conn::Connection,
    tally: &mut Tally,
    n: u64,
    due: Duration,
    request: Request,
) {
    let answer =
        tokio::time::timeout(plan.timeout, connection.exchange(&plan.target, request)).await;
    let latency = shared.started.elapsed().saturating_sub(due);
    let mut refused = false;
    let outcome = match answer {
        Ok(Ok((status, body))) => workload.judge(&Answer {
            n,
            status,
            body: &body,
            due,
            latency,
        }),
        Ok(Err(_)) => {
            refused = true;
            Outcome::Error(Cow::Borrowed("connection"))
        }
        Err(_) => {
            connection.reset();
            Outcome::Error(Cow::Borrowed("timeout"))
        }
    };
    stats::record(&mut tally.latency, latency);
    if let Ok(mut interval) = shared.interval.lock() {
        stats::record(&mut interval, latency);
    }
    tally.count(outcome, shared);
    if refused {
        // A server that is down answers at once; do not spin on it.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
