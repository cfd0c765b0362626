//! Building and running the application.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use axum::{extract::FromRef, Router};
use platform::{
    auth::TokenVerifier,
    client::{ClientMetrics, ServiceClient, TokenSource},
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
    clients::{Campaign, Catalog, Dependencies, Inventory},
    config::Settings,
    openapi::ApiDoc,
    payments::SimulatedGateway,
    routes,
    saga::Saga,
    workers,
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub redis: Arc<RedisHandle>,
    pub metrics: Arc<Metrics>,
    pub client_metrics: Arc<ClientMetrics>,
    pub verifier: Arc<TokenVerifier>,
    pub deps: Dependencies,
    pub saga: Saga,
    pub checkout_budget: Duration,
    /// How long a running `Idempotency-Key` claim stays locked: longer than
    /// any request may run.
    pub key_lock: Duration,
    pub shop_currency: Arc<str>,
}

impl FromRef<AppState> for Arc<TokenVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::cart::router())
        .merge(routes::orders::router())
        .merge(routes::fulfilment::router())
        .merge(routes::reports::router())
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
        "order",
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
        let mut client_metrics = None;
        let metrics =
            Metrics::new(|registry| client_metrics = Some(ClientMetrics::register(registry)));
        let client_metrics = client_metrics.context("client metrics are registered")?;
        let tokens = Arc::new(TokenSource::new(
            &settings.registration_url,
            settings.service_client_id.clone(),
            settings.service_client_secret.clone(),
            settings.client,
            &settings.common.user_agent(),
        ));
        let client = |dependency: &'static str, url: &str| {
            ServiceClient::new(
                dependency,
                url,
                tokens.clone(),
                settings.client,
                client_metrics.clone(),
            )
        };
        let deps = Dependencies {
            catalog: Catalog(client("catalog", &settings.catalog_url)),
            inventory: Inventory(client("inventory", &settings.inventory_url)),
            campaign: Campaign(client("campaign", &settings.campaign_url)),
        };
        let saga = Saga::new(
            pool.clone(),
            deps.clone(),
            Arc::new(SimulatedGateway::new(pool.clone())),
            settings.saga.clone(),
        );
        let jwt = &settings.common.jwt;
        let state = AppState {
            pool: pool.clone(),
            redis,
            metrics: metrics.clone(),
            client_metrics,
            verifier: Arc::new(TokenVerifier::from_source(
                &jwt.issuer,
                &jwt.audience,
                &settings.jwks,
                &settings.common.user_agent(),
            )?),
            deps,
            saga: saga.clone(),
            checkout_budget: settings.checkout_budget,
            key_lock: settings.common.http.request_timeout + Duration::from_secs(5),
            shop_currency: settings.shop_currency.as_str().into(),
        };
        let mut server = Server::bind(&settings.common.http).await?;
        platform::outbox::spawn_workers(&mut server, &pool, &settings.common, &metrics).await;
        server.spawn(workers::resumer::run(
            saga,
            pool.clone(),
            settings.resume_interval,
            server.stop_token(),
        ));
        server.spawn(workers::resumer::clean_up_keys(pool, server.stop_token()));
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
