//! A consecutive-failure circuit breaker: closed; open for a while after too
//! many failed calls in a row; then half-open, letting one trial call through.

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use super::metrics::ClientMetrics;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    /// Calls fail fast without reaching the dependency.
    Open,
    /// The open period is over: the next call is a trial (or one is in flight).
    HalfOpen,
}

impl BreakerState {
    /// The value of the `client_breaker_state` gauge.
    pub fn as_gauge(self) -> i64 {
        match self {
            Self::Closed => 0,
            Self::Open => 1,
            Self::HalfOpen => 2,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { trial_in_flight: bool },
}

impl State {
    fn public(self) -> BreakerState {
        match self {
            Self::Closed { .. } => BreakerState::Closed,
            Self::Open { until } if until > Instant::now() => BreakerState::Open,
            Self::Open { .. } | Self::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }
}

pub(super) struct Breaker {
    dependency: &'static str,
    threshold: u32,
    open_for: Duration,
    metrics: Arc<ClientMetrics>,
    state: Mutex<State>,
}

/// A call the breaker let through. A trial that ends without a verdict
/// (cancelled, or no token to call with) lets the next call be the trial.
pub(super) struct Permit<'a> {
    breaker: &'a Breaker,
    trial: bool,
    settled: bool,
}

impl Breaker {
    pub(super) fn new(
        dependency: &'static str,
        threshold: u32,
        open_for: Duration,
        metrics: Arc<ClientMetrics>,
    ) -> Self {
        metrics.set_breaker_state(dependency, BreakerState::Closed);
        Self {
            dependency,
            threshold: threshold.max(1),
            open_for,
            metrics,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    pub(super) fn state(&self) -> BreakerState {
        self.lock().public()
    }

    /// `None` while the breaker is open (or a trial is already in flight).
    pub(super) fn admit(&self) -> Option<Permit<'_>> {
        let mut state = self.lock();
        let trial = match *state {
            State::Closed { .. } => false,
            State::Open { until } if until > Instant::now() => return None,
            State::HalfOpen {
                trial_in_flight: true,
            } => return None,
            State::Open { .. } | State::HalfOpen { .. } => {
                *state = State::HalfOpen {
                    trial_in_flight: true,
                };
                self.metrics
                    .set_breaker_state(self.dependency, BreakerState::HalfOpen);
                tracing::info!(
                    dependency = self.dependency,
                    "circuit breaker half-open: letting one trial call through"
                );
                true
            }
        };
        Some(Permit {
            breaker: self,
            trial,
            settled: false,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn succeeded(&self, trial: bool) {
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => *state = State::Closed { failures: 0 },
            State::HalfOpen { .. } if trial => {
                *state = State::Closed { failures: 0 };
                drop(state);
                self.metrics
                    .set_breaker_state(self.dependency, BreakerState::Closed);
                tracing::info!(dependency = self.dependency, "circuit breaker closed");
            }
            // A call let through before the breaker opened proves little.
            State::Open { .. } | State::HalfOpen { .. } => {}
        }
    }

    fn failed(&self, trial: bool) {
        let mut state = self.lock();
        let failures = match *state {
            State::Closed { failures } if failures + 1 < self.threshold => {
                *state = State::Closed {
                    failures: failures + 1,
                };
                return;
            }
            State::Closed { failures } => failures + 1,
            State::HalfOpen { .. } if trial => 1,
            State::Open { .. } | State::HalfOpen { .. } => return,
        };
        *state = State::Open {
            until: Instant::now() + self.open_for,
        };
        drop(state);
        self.metrics
            .set_breaker_state(self.dependency, BreakerState::Open);
        tracing::warn!(
            dependency = self.dependency,
            consecutive_failures = failures,
            open_for_ms = self.open_for.as_millis() as u64,
            trial,
            "circuit breaker opened: calls fail fast until the open period ends"
        );
    }

    fn abandon_trial(&self) {
        let mut state = self.lock();
        if let State::HalfOpen { .. } = *state {
            *state = State::HalfOpen {
                trial_in_flight: false,
            };
        }
    }
}

impl Permit<'_> {
    pub(super) fn success(mut self) {
        self.settled = true;
        self.breaker.succeeded(self.trial);
    }

    pub(super) fn failure(mut self) {
        self.settled = true;
        self.breaker.failed(self.trial);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.trial && !self.settled {
            self.breaker.abandon_trial();
        }
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::registry::Registry;

    use super::*;

    fn breaker(threshold: u32, open_for: Duration) -> Breaker {
        let metrics = ClientMetrics::register(&mut Registry::default());
        Breaker::new("dep", threshold, open_for, metrics)
    }

    #[test]
    fn the_breaker_opens_only_after_consecutive_failures() {
        let b = breaker(3, Duration::from_secs(60));
        b.admit().unwrap().failure();
        b.admit().unwrap().failure();
        b.admit().unwrap().success();
        b.admit().unwrap().failure();
        b.admit().unwrap().failure();
        assert_eq!(
            b.state(),
            BreakerState::Closed,
            "a success resets the count"
        );
        b.admit().unwrap().failure();
        assert_eq!(b.state(), BreakerState::Open);
        assert!(b.admit().is_none(), "an open breaker refuses calls");
    }

    #[test]
    fn only_one_trial_goes_through_when_half_open_and_its_verdict_decides() {
        let b = breaker(1, Duration::ZERO);
        b.admit().unwrap().failure();
        assert_eq!(b.state(), BreakerState::HalfOpen);
        let trial = b.admit().unwrap();
        assert!(b.admit().is_none(), "a second call waits for the trial");
        trial.failure();
        let trial = b.admit().expect("open period of zero is over at once");
        trial.success();
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn a_trial_dropped_without_a_verdict_lets_the_next_call_try() {
        let b = breaker(1, Duration::ZERO);
        b.admit().unwrap().failure();
        drop(b.admit().unwrap());
        assert!(b.admit().is_some());
    }

    #[test]
    fn results_of_calls_admitted_before_the_breaker_opened_are_ignored() {
        let b = breaker(1, Duration::from_secs(60));
        let early = b.admit().unwrap();
        b.admit().unwrap().failure();
        early.success();
        assert_eq!(b.state(), BreakerState::Open);
    }
}
