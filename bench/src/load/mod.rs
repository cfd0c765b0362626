//! The load generator: closed loop (N connections, each sending its next
//! request as soon as the last one answered) or open loop (requests due at a
//! fixed arrival rate, latency counted from when each was due, so a stalled
//! server cannot hide its queue: no coordinated omission).

mod conn;
mod progress;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http::{HeaderName, HeaderValue, Method, StatusCode};

pub use conn::Target;
pub use progress::Tick;

use crate::stats;

/// One request to send.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    /// Path and query, e.g. `/products?q=oak`.
    pub path: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl Request {
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    pub fn post_json(path: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Self {
            method: Method::POST,
            path: path.into(),
            headers: vec![(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body: body.into(),
        }
    }

    pub fn bearer(mut self, token: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
            self.headers.push((http::header::AUTHORIZATION, value));
        }
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((HeaderName::from_static(name), value));
        }
        self
    }
}

/// An answer, for the workload to judge.
pub struct Answer<'a> {
    /// The request's sequence number.
    pub n: u64,
    pub status: StatusCode,
    pub body: &'a [u8],
    /// When the request was due, from the start of the run.
    pub due: Duration,
    pub latency: Duration,
}

/// What an answer counts as, with a label for the tally (`claimed`, `sold-out`, `500`...).
pub enum Outcome {
    Ok(Cow<'static, str>),
    Error(Cow<'static, str>),
}

/// What to send and how to judge the answers.
pub trait Workload: Send + Sync + 'static {
    /// The `n`th request (from 0), or `None` when there is nothing left to send.
    fn request(&self, n: u64) -> Option<Request>;

    /// By default a 2xx is a success and anything else an error.
    fn judge(&self, answer: &Answer<'_>) -> Outcome {
        status_outcome(answer.status)
    }
}

pub fn status_outcome(status: StatusCode) -> Outcome {
    let label = Cow::Owned(status.as_u16().to_string());
    if status.is_success() {
        Outcome::Ok(label)
    } else {
        Outcome::Error(label)
    }
}

/// Whether `body` holds `needle` (for judging answers without parsing them).
pub fn contains(body: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && body.windows(needle.len()).any(|w| w == needle)
}

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

/// What one worker measured.
struct Tally {
    ok: u64,
    errors: u64,
    outcomes: BTreeMap<String, u64>,
    latency: Histogram<u64>,
}

impl Tally {
    fn new() -> Self {
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

    fn merge(&mut self, other: Self) -> anyhow::Result<()> {
        self.ok += other.ok;
        self.errors += other.errors;
        for (label, n) in other.outcomes {
            *self.outcomes.entry(label).or_default() += n;
        }
        self.latency.add(&other.latency)?;
        Ok(())
    }
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

async fn closed_worker<W: Workload>(plan: &Plan, workload: &W, shared: &Shared) -> Tally {
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
async fn dispatch(
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

async fn open_worker<W: Workload>(
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
