//! How the product cache behaves, and what it counts.

use std::time::Duration;

use prometheus_client::{metrics::counter::Counter, registry::Registry};

#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// How long an entry lives (5 minutes).
    pub ttl: Duration,
    /// How long "no such product" is remembered.
    pub absent_ttl: Duration,
    /// How long a rebuild lock lives if its holder dies.
    pub lock_ttl: Duration,
    /// How long a reader waits for another's rebuild before reading Postgres itself.
    pub lock_wait: Duration,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(300),
            absent_ttl: Duration::from_secs(30),
            lock_ttl: Duration::from_secs(3),
            lock_wait: Duration::from_millis(1000),
        }
    }
}

/// `cache_hits` and `cache_misses`, registered in the application's registry.
#[derive(Debug, Clone, Default)]
pub struct CacheMetrics {
    pub hits: Counter,
    pub misses: Counter,
}

impl CacheMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "cache_hits",
            "Product reads answered from Redis",
            metrics.hits.clone(),
        );
        registry.register(
            "cache_misses",
            "Product reads Redis could not answer",
            metrics.misses.clone(),
        );
        metrics
    }
}

impl platform::metrics::MetricGroup for CacheMetrics {
    fn register(registry: &mut Registry) -> Self {
        Self::register(registry)
    }
}
