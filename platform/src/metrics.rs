//! Prometheus metrics, one registry per `Application` (no process-global recorder).

use std::{
    any::{Any, TypeId},
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LatencyLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DegradedLabels {
    /// The dependency that failed (`redis`, `sns`, ...).
    pub dependency: String,
    /// What we did instead (`rate_limit_fail_open`, `outbox_publish`, ...).
    pub action: String,
}

fn latency_histogram() -> Histogram {
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

/// A service's or a library's own metrics, registered once per registry and
/// handed out as typed handles (`metrics.group::<ConsumerMetrics>()`).
pub trait MetricGroup: Clone + Send + Sync + 'static {
    fn register(registry: &mut Registry) -> Self;
}

/// The metrics every service exposes, plus the registry they live in.
pub struct Metrics {
    registry: Mutex<Registry>,
    groups: Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
    pub http_requests: Family<RouteLabels, Counter>,
    pub http_latency: Family<LatencyLabels, Histogram, fn() -> Histogram>,
    pub outbox_backlog: Gauge,
    /// Events parked after SNS refused them again and again (alarm on it).
    pub outbox_parked: Gauge,
    pub outbox_published: Counter,
    pub outbox_publish_failures: Counter,
    pub degraded: Family<DegradedLabels, Counter>,
}

impl Metrics {
    /// Builds the shared metrics; [`Metrics::group`] adds a service's own.
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("storefront");
        let http_requests = Family::<RouteLabels, Counter>::default();
        let http_latency =
            Family::<LatencyLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        let outbox_backlog = Gauge::default();
        let outbox_parked = Gauge::default();
        let outbox_published = Counter::default();
        let outbox_publish_failures = Counter::default();
        let degraded = Family::<DegradedLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            http_latency.clone(),
        );
        registry.register(
            "outbox_backlog",
            "Outbox events not yet published",
            outbox_backlog.clone(),
        );
        registry.register(
            "outbox_parked",
            "Outbox events SNS refused too often, parked until republished",
            outbox_parked.clone(),
        );
        registry.register(
            "outbox_published",
            "Outbox events published",
            outbox_published.clone(),
        );
        registry.register(
            "outbox_publish_failures",
            "Failed attempts to publish outbox events",
            outbox_publish_failures.clone(),
        );
        registry.register(
            "degraded",
            "Times a dependency failed and the service degraded instead of failing",
            degraded.clone(),
        );
        Arc::new(Self {
            registry: Mutex::new(registry),
            groups: Mutex::new(HashMap::new()),
            http_requests,
            http_latency,
            outbox_backlog,
            outbox_parked,
            outbox_published,
            outbox_publish_failures,
            degraded,
        })
    }

    /// The handles of group `G`, registered on first use: asking twice
    /// gives the same metrics, never a second registration.
    pub fn group<G: MetricGroup>(&self) -> G {
        let mut groups = self.groups.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(group) = groups
            .get(&TypeId::of::<G>())
            .and_then(|g| g.downcast_ref::<G>())
        {
            return group.clone();
        }
        let group = G::register(&mut self.registry.lock().unwrap_or_else(PoisonError::into_inner));
        groups.insert(TypeId::of::<G>(), Box::new(group.clone()));
        group
    }

    pub fn record_degraded(&self, dependency: &str, action: &str) {
        self.degraded
            .get_or_create(&DegradedLabels {
                dependency: dependency.to_owned(),
                action: action.to_owned(),
            })
            .inc();
    }

    pub fn degraded_count(&self, dependency: &str, action: &str) -> u64 {
        self.degraded
            .get_or_create(&DegradedLabels {
                dependency: dependency.to_owned(),
                action: action.to_owned(),
            })
            .get()
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(err) = encode(&mut out, &registry) {
            tracing::error!(error = %err, "encoding metrics failed");
        }
        out
    }
}
