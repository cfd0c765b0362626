//! Building and running the application.

use std::sync::Arc;

use anyhow::Context;
use axum::{extract::FromRef, Router};
use platform::{
    auth::TokenVerifier,
    http::{service_router, HealthState},
    metrics::Metrics,
    redis::RedisHandle,
    server::Server,
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

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
    let (api, doc) = platform::openapi::split(api_router());
    let health = HealthState {
        pool: state.pool.clone(),
        redis: state.redis.clone(),
        metrics: state.metrics.clone(),
    };
    service_router(
        api.with_state(state),
        doc,
        "catalog",
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
        let mut cache_metrics = CacheMetrics::default();
        let metrics = Metrics::new(|registry| cache_metrics = CacheMetrics::register(registry));
        let jwt = &settings.common.jwt;
        let verifier = Arc::new(TokenVerifier::from_source(
            &jwt.issuer,
            &jwt.audience,
            &settings.jwks,
            &settings.common.user_agent(),
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
        let mut server = Server::bind(&settings.common.http).await?;
        platform::outbox::spawn_workers(&mut server, &pool, &settings.common, &metrics).await;
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
