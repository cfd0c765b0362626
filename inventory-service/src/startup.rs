//! Building and running the application.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use axum::{extract::FromRef, Router};
use platform::{
    auth::TokenVerifier,
    consumer::{ConsumerMetrics, QueueConsumer},
    http::{apply_layers, health_router, HealthState},
    metrics::Metrics,
    outbox::OutboxRelay,
    ratelimit::{RateLimit, RateLimiter},
    redis::RedisHandle,
};
use sqlx::PgPool;
use tokio::{net::TcpListener, task::JoinSet};
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    config::Settings, gate::Gate, holds::ReturnedToSale, openapi::ApiDoc, routes, workers,
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
    /// After a commit that returned a flash-sale unit, gives it back to the gate.
    pub async fn return_to_gate(&self, returned: Option<ReturnedToSale>) {
        let (Some(gate), Some(unit)) = (&self.gate, returned) else {
            return;
        };
        if let Err(err) = gate
            .give_back(unit.sale_id, unit.owner_id, unit.units)
            .await
        {
            tracing::warn!(error = %err, "returning a unit to the gate failed; a rebuild corrects it");
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
    let (api, doc) = api_router().split_for_parts();
    let health = health_router(HealthState {
        pool: state.pool.clone(),
        redis: state.redis.clone(),
        metrics: state.metrics.clone(),
    });
    let app = api
        .with_state(state.clone())
        .merge(SwaggerUi::new("/docs/inventory").url("/docs/inventory/openapi.json", doc))
        .merge(health);
    apply_layers(app, &settings.common.http, state.metrics)
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    workers: JoinSet<()>,
    stop: CancellationToken,
    settings: Settings,
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
        let metrics =
            Metrics::new(|registry| consumer_metrics = Some(ConsumerMetrics::register(registry)));
        let jwt = &settings.common.jwt;
        let state = AppState {
            pool: pool.clone(),
            gate: settings.flash_sale_gate.then(|| Gate::new(redis.clone())),
            limiter: RateLimiter::new(redis.clone(), metrics.clone()),
            redis,
            metrics: metrics.clone(),
            verifier: Arc::new(TokenVerifier::from_source(
                &jwt.issuer,
                &jwt.audience,
                &settings.jwks,
            )?),
            claim_rate_limit: settings.claim_rate_limit,
            reservation_ttl: settings.reservation_ttl,
            shop_currency: settings.shop_currency.as_str().into(),
        };
        let listener = TcpListener::bind(("0.0.0.0", settings.common.http.port))
            .await
            .with_context(|| format!("binding port {}", settings.common.http.port))?;
        let stop = CancellationToken::new();
        let mut workers = JoinSet::new();
        let sdk = platform::aws::sdk_config(&settings.common.aws).await;
        if let Some(topic_arn) = settings.common.events_topic_arn.clone() {
            workers.spawn(
                OutboxRelay {
                    pool: pool.clone(),
                    sns: aws_sdk_sns::Client::new(&sdk),
                    topic_arn,
                    source: "inventory-service",
                    metrics: metrics.clone(),
                    poll_interval: Duration::from_secs(1),
                    max_backoff: Duration::from_secs(5),
                }
                .run(stop.clone()),
            );
        }
        if let (Some(queue_url), true, Some(consumer_metrics)) = (
            settings.events_queue_url.clone(),
            settings.consumer_enabled,
            consumer_metrics,
        ) {
            workers.spawn(
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
                .run(stop.clone()),
            );
        }
        workers.spawn(workers::sweeper::run(
            state.clone(),
            settings.sweep_interval,
            settings.sale_close_grace,
            stop.clone(),
        ));
        workers.spawn(platform::outbox::run_clean_up(
            pool,
            Duration::from_secs(7 * 24 * 3600),
            stop.clone(),
        ));
        let router = router(state.clone(), &settings);
        Ok(Self {
            listener,
            router,
            workers,
            stop,
            settings,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        platform::server::serve(
            self.listener,
            self.router,
            self.stop,
            self.workers,
            self.settings.common.http.shutdown_grace,
        )
        .await
    }
}
