//! Metrics of every service client of one `Application`, registered into its
//! own registry (no process-global recorder).

use std::sync::Arc;

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

use super::breaker::BreakerState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DependencyLabels {
    dependency: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    dependency: String,
    outcome: String,
}

/// What became of one attempt (the `outcome` label of `client_requests`).
pub(super) mod outcome {
    /// A response handed to the caller, whatever its status.
    pub const OK: &str = "ok";
    /// A transient failure followed by another attempt.
    pub const RETRY: &str = "retry";
    /// A 401 followed by a fresh token and another attempt.
    pub const REAUTH: &str = "reauth";
    /// A failure that ended the call as `Unavailable`.
    pub const ERROR: &str = "error";
    /// No attempt: the service token could not be fetched.
    pub const NO_TOKEN: &str = "no_token";
}

fn latency_histogram() -> Histogram {
    Histogram::new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0])
}

pub struct ClientMetrics {
    requests: Family<OutcomeLabels, Counter>,
    fast_failures: Family<DependencyLabels, Counter>,
    breaker_state: Family<DependencyLabels, Gauge>,
    latency: Family<DependencyLabels, Histogram, fn() -> Histogram>,
}

impl std::fmt::Debug for ClientMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientMetrics").finish_non_exhaustive()
    }
}

impl ClientMetrics {
    /// Registers `client_requests`, `client_fast_failures`,
    /// `client_breaker_state` and `client_request_duration_seconds`.
    pub fn register(registry: &mut Registry) -> Arc<Self> {
        let metrics = Self {
            requests: Family::default(),
            fast_failures: Family::default(),
            breaker_state: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
        };
        registry.register(
            "client_requests",
            "Attempts to call another service, by dependency and outcome (ok, retry, reauth, error, no_token)",
            metrics.requests.clone(),
        );
        registry.register(
            "client_fast_failures",
            "Calls refused without a network call because the dependency's circuit breaker was open",
            metrics.fast_failures.clone(),
        );
        registry.register(
            "client_breaker_state",
            "Circuit breaker state per dependency: 0 closed, 1 open, 2 half-open",
            metrics.breaker_state.clone(),
        );
        registry.register(
            "client_request_duration_seconds",
            "Latency of attempts to call another service",
            metrics.latency.clone(),
        );
        Arc::new(metrics)
    }

    /// Calls refused because the breaker was open.
    pub fn fast_failures(&self, dependency: &str) -> u64 {
        self.fast_failures.get_or_create(&labels(dependency)).get()
    }

    /// Attempts with this outcome: "ok" | "retry" | "reauth" | "error" | "no_token".
    pub fn requests(&self, dependency: &str, outcome: &str) -> u64 {
        self.requests
            .get_or_create(&OutcomeLabels {
                dependency: dependency.to_owned(),
                outcome: outcome.to_owned(),
            })
            .get()
    }

    /// The gauge's value for `dependency` (see [`BreakerState::as_gauge`]).
    pub fn breaker_state(&self, dependency: &str) -> i64 {
        self.breaker_state.get_or_create(&labels(dependency)).get()
    }

    pub(super) fn record(&self, dependency: &str, outcome: &str) {
        self.requests
            .get_or_create(&OutcomeLabels {
                dependency: dependency.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    pub(super) fn record_fast_failure(&self, dependency: &str) {
        self.fast_failures.get_or_create(&labels(dependency)).inc();
    }

    pub(super) fn observe_latency(&self, dependency: &str, seconds: f64) {
        self.latency
            .get_or_create(&labels(dependency))
            .observe(seconds);
    }

    pub(super) fn set_breaker_state(&self, dependency: &str, state: BreakerState) {
        self.breaker_state
            .get_or_create(&labels(dependency))
            .set(state.as_gauge());
    }
}

fn labels(dependency: &str) -> DependencyLabels {
    DependencyLabels {
        dependency: dependency.to_owned(),
    }
}

impl crate::metrics::MetricGroup for Arc<ClientMetrics> {
    fn register(registry: &mut Registry) -> Self {
        ClientMetrics::register(registry)
    }
}
