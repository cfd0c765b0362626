//! Building and running the application.

use std::sync::Arc;

use anyhow::Context;
use axum::{extract::FromRef, Router};
use platform::{
    auth::TokenVerifier,
    http::{apply_layers, health_router, HealthState},
    metrics::Metrics,
    outbox::OutboxRelay,
    redis::RedisHandle,
};
use sqlx::PgPool;
use tokio::{net::TcpListener, task::JoinSet};
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    cache::{CacheMetrics, ProductCache},
    config::Settings,
    openapi::ApiDoc,
    routes,
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub redis: Arc<RedisHandle>,
    pub metrics: Arc<Metrics>,
    pub verifier: Arc<TokenVerifier>,
    pub cache: ProductCache,
    pub cache_metrics: CacheMetrics,
    pub shop_currency: Arc<str>,
}

impl FromRef<AppState> for Arc<TokenVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

/// The API routes with their OpenAPI document.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::products::router())
        .merge(routes::categories::router())
}

/// The whole HTTP surface; pure, so tests can `oneshot` it.
pub fn router(state: AppState, settings: &Settings) -> Router {
    let (api, doc) = api_router().split_for_parts();
    let health = health_router(HealthState {
        pool: state.pool.clone(),
        redis: state.redis.clone(),
        metrics: state.metrics.clone(),
    });
    let app = api
        .with_state(state.clone())
        .merge(SwaggerUi::new("/docs/catalog").url("/docs/catalog/openapi.json", doc))
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
        let mut cache_metrics = CacheMetrics::default();
        let metrics = Metrics::new(|registry| cache_metrics = CacheMetrics::register(registry));
        let jwt = &settings.common.jwt;
        let verifier = Arc::new(TokenVerifier::from_source(
            &jwt.issuer,
            &jwt.audience,
            &settings.jwks,
        )?);
        let state = AppState {
            pool: pool.clone(),
            cache: ProductCache::new(
                redis.clone(),
                metrics.clone(),
                cache_metrics.clone(),
                settings.cache.clone(),
            ),
            cache_metrics,
            redis,
            metrics: metrics.clone(),
            verifier,
            shop_currency: settings.shop_currency.as_str().into(),
        };
        let listener = TcpListener::bind(("0.0.0.0", settings.common.http.port))
            .await
            .with_context(|| format!("binding port {}", settings.common.http.port))?;
        let stop = CancellationToken::new();
        let mut workers = JoinSet::new();
        if let Some(topic_arn) = settings.common.events_topic_arn.clone() {
            let sdk = platform::aws::sdk_config(&settings.common.aws).await;
            let relay = OutboxRelay {
                pool: pool.clone(),
                sns: aws_sdk_sns::Client::new(&sdk),
                topic_arn,
                source: "catalog-service",
                metrics: metrics.clone(),
                poll_interval: std::time::Duration::from_secs(1),
                max_backoff: std::time::Duration::from_secs(5),
            };
            workers.spawn(relay.run(stop.clone()));
        } else {
            tracing::warn!("EVENTS_TOPIC_ARN is not set: events stay in the outbox");
        }
        workers.spawn(platform::outbox::run_clean_up(
            pool,
            std::time::Duration::from_secs(7 * 24 * 3600),
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

    /// Cancelling this token stops the application as SIGTERM would.
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
