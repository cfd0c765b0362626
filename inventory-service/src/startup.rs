//! Building and running the application.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use axum::{extract::FromRef, Router};
use platform::{
    auth::TokenVerifier,
    consumer::{ConsumerMetrics, QueueConsumer},
    http::{service_router, HealthState},
    metrics::Metrics,
    ratelimit::{RateLimit, RateLimiter},
    redis::RedisHandle,
    server::Server,
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::{
    claim_writer::{ClaimWriter, WriterMetrics},
    config::Settings,
    gate::Gate,
    holds::ReturnedToSale,
    openapi::ApiDoc,
    repo::sales,
    routes, workers,
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub redis: Arc<RedisHandle>,
    pub metrics: Arc<Metrics>,
    pub verifier: Arc<TokenVerifier>,
    /// `None` when the gate is switched off: every claim goes to Postgres.
    pub gate: Option<Gate>,
    /// Writes the claims the gate admitted, many to a transaction.
    pub claim_writer: ClaimWriter,
    pub limiter: RateLimiter,
    pub claim_rate_limit: RateLimit,
    pub reservation_ttl: Duration,
    pub shop_currency: Arc<str>,
}

impl FromRef<AppState> for Arc<TokenVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

impl AppState {
    /// Sets the sale's gate to what Postgres holds (units left, units per
    /// customer), unless another request is rebuilding it right now. A
    /// wrong gate only ever makes a claim fail; this stops it failing.
    pub async fn resync_gate(&self, sale_id: Uuid) -> anyhow::Result<()> {
        let Some(gate) = &self.gate else {
            return Ok(());
        };
        if !gate.lock_rebuild(sale_id).await? {
            return Ok(());
        }
        let resynced = async {
            let mut conn = self.pool.acquire().await?;
            let Some(sale) = sales::find(&mut conn, sale_id).await? else {
                return Ok(());
            };
            let units = sales::units_by_customer(&mut conn, sale_id).await?;
            drop(conn);
            gate.resync(&sale, &units).await?;
            anyhow::Ok(())
        }
        .await;
        gate.unlock_rebuild(sale_id).await?;
        resynced
    }

    /// After a commit that returned a flash-sale unit, gives it back to the gate.
    pub async fn return_to_gate(&self, returned: Option<ReturnedToSale>) {
        let (Some(gate), Some(unit)) = (&self.gate, returned) else {
            return;
        };
        if let Err(err) = gate
            .give_back(unit.sale_id, unit.owner_id, unit.units)
            .await
        {
            tracing::warn!(error = %err, "returning a unit to the gate failed; the next resync corrects it");
        }
    }
}

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::stock::router())
        .merge(routes::reservations::router())
        .merge(routes::flash_sales::router())
        .merge(routes::claims::router())
}

pub fn router(state: AppState, settings: &Settings) -> Router {
    let (api, doc) = platform::openapi::split(api_router());
    let health = HealthState {
        pool: state.pool.clone(),
        redis: state.redis.clone(),
        metrics: state.metrics.clone(),
    };
    service_router(
        api.with_state(state),
        doc,
        "inventory",
        health,
        &settings.common.http,
    )
}

pub struct Application {
    server: Server,
    router: Router,
    state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = platform::db::pool(&settings.common.database)?;
        MIGRATOR
            .run(&pool)
            .await
            .context("migrating the database")?;
        let redis = Arc::new(RedisHandle::new(&settings.common.redis)?);
        let mut consumer_metrics = None;
        let mut writer_metrics = WriterMetrics::default();
        let metrics = Metrics::new(|registry| {
            consumer_metrics = Some(ConsumerMetrics::register(registry));
            writer_metrics = WriterMetrics::register(registry);
        });
        let jwt = &settings.common.jwt;
        let gate = settings.flash_sale_gate.then(|| Gate::new(redis.clone()));
        let state = AppState {
            pool: pool.clone(),
            claim_writer: ClaimWriter::spawn(
                &settings.common.database,
                gate.clone(),
                settings.reservation_ttl,
                writer_metrics,
            )?,
            gate,
            limiter: RateLimiter::new(redis.clone(), metrics.clone()),
            redis,
            metrics: metrics.clone(),
            verifier: Arc::new(TokenVerifier::from_source(
                &jwt.issuer,
                &jwt.audience,
                &settings.jwks,
                &settings.common.user_agent(),
            )?),
            claim_rate_limit: settings.claim_rate_limit,
            reservation_ttl: settings.reservation_ttl,
            shop_currency: settings.shop_currency.as_str().into(),
        };
        let mut server = Server::bind(&settings.common.http).await?;
        platform::outbox::spawn_workers(&mut server, &pool, &settings.common, &metrics).await;
        if let (Some(queue_url), true, Some(consumer_metrics)) = (
            settings.events_queue_url.clone(),
            settings.consumer_enabled,
            consumer_metrics,
        ) {
            let sdk = platform::aws::sdk_config(&settings.common.aws).await;
            server.spawn(
                QueueConsumer {
                    sqs: aws_sdk_sqs::Client::new(&sdk),
                    queue_url,
                    handler: Arc::new(workers::catalog_events::CatalogEvents {
                        pool: pool.clone(),
                    }),
                    metrics: consumer_metrics,
                    concurrency: 4,
                    visibility_timeout: Duration::from_secs(30),
                }
                .run(server.stop_token()),
            );
        }
        server.spawn(workers::sweeper::run(
            state.clone(),
            settings.sweep_interval,
            settings.sale_close_grace,
            server.stop_token(),
        ));
        if state.gate.is_some() {
            server.spawn(workers::gate_resync::run(
                state.clone(),
                settings.gate_resync_interval,
                server.stop_token(),
            ));
        }
        let router = router(state.clone(), &settings);
        Ok(Self {
            server,
            router,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// Cancelling this token stops the application as SIGTERM would.
    pub fn stop_token(&self) -> CancellationToken {
        self.server.stop_token()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.run_until_stopped(self.router).await
    }
}
