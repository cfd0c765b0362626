//! inventory-service on the service kit: what it builds and spawns.

use std::{sync::Arc, time::Duration};

use platform::{
    metrics::MetricGroup,
    ratelimit::RateLimiter,
    service::{Kit, Service},
};
use prometheus_client::registry::Registry;
use sqlx::migrate::Migrator;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::{
    claim_writer::{ClaimWriter, WriterMetrics},
    config::Settings,
    gate::Gate,
    routes,
    state::AppState,
    workers,
};

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

pub struct Inventory;

pub type Application = platform::service::Application<Inventory>;

impl Service for Inventory {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Settings = Settings;
    type State = AppState;

    fn openapi() -> utoipa::openapi::OpenApi {
        routes::ApiDoc::openapi()
    }

    fn routes() -> OpenApiRouter<AppState> {
        routes::router()
    }

    fn migrator() -> Option<&'static Migrator> {
        Some(&MIGRATOR)
    }

    async fn build(kit: &mut Kit, settings: &Settings) -> anyhow::Result<AppState> {
        let pool = kit.pool()?;
        let gate = settings
            .flash_sale_gate
            .then(|| Gate::new(kit.redis.clone()));
        let state = AppState {
            pool: pool.clone(),
            claim_writer: ClaimWriter::spawn(
                &kit.common.database,
                gate.clone(),
                settings.reservation_ttl,
                kit.metrics.group::<WriterMetrics>(),
            )?,
            gate,
            limiter: RateLimiter::new(kit.redis.clone(), kit.metrics.clone()),
            redis: kit.redis.clone(),
            metrics: kit.metrics.clone(),
            verifier: kit.verifier(&settings.jwks)?,
            claim_rate_limit: settings.claim_rate_limit,
            reservation_ttl: settings.reservation_ttl,
            shop_currency: kit.common.shop_currency.as_str().into(),
        };
        if let (Some(queue_url), true) = (&settings.events_queue_url, settings.consumer_enabled) {
            let handler = Arc::new(workers::catalog_events::CatalogEvents { pool });
            kit.consume(queue_url.clone(), handler, 4, Duration::from_secs(30))
                .await;
        }
        let close_grace = settings.sale_close_grace;
        let sweeping = state.clone();
        kit.every(
            "expired holds returned",
            settings.sweep_interval,
            move || {
                let state = sweeping.clone();
                async move { workers::sweeper::sweep(&state, close_grace).await }
            },
        );
        if state.gate.is_some() {
            let resyncing = state.clone();
            // The kit's first tick is at start, when every gate was primed
            // at its sale's creation or is rebuilt by its first claim; a
            // resync then could only race that rebuild. It starts one
            // interval in.
            let mut at_start = true;
            kit.every(
                "flash-sale gates resynced",
                settings.gate_resync_interval,
                move || {
                    let state = resyncing.clone();
                    let skip = std::mem::take(&mut at_start);
                    async move {
                        if skip {
                            return Ok(0);
                        }
                        workers::gate_resync::resync_open_sales(&state).await
                    }
                },
            );
        }
        Ok(state)
    }
}

impl MetricGroup for WriterMetrics {
    fn register(registry: &mut Registry) -> Self {
        WriterMetrics::register(registry)
    }
}
