//! Building and running the application.

use std::sync::Arc;

use axum::{extract::FromRef, Router};
use platform::{
    auth::{password::PasswordHasher, SigningKeys, TokenVerifier},
    config::JwtSettings,
    http::{service_router, HealthState},
    metrics::Metrics,
    ratelimit::RateLimiter,
    redis::RedisHandle,
    server::Server,
};
use secrecy::ExposeSecret;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::{
    config::{RateLimits, ServiceClient, Settings},
    openapi::ApiDoc,
    routes, workers,
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub redis: Arc<RedisHandle>,
    pub metrics: Arc<Metrics>,
    pub hasher: PasswordHasher,
    pub limiter: RateLimiter,
    pub signing_keys: Arc<SigningKeys>,
    pub verifier: Arc<TokenVerifier>,
    pub jwt: Arc<JwtSettings>,
    pub rate_limits: Arc<RateLimits>,
    pub service_clients: Arc<Vec<ServiceClient>>,
}

impl FromRef<AppState> for Arc<TokenVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

/// The API routes with their OpenAPI document.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::customers::router())
        .merge(routes::verification::router())
        .merge(routes::token::router())
        .merge(routes::jwks::router())
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
        "registration",
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
    /// Connects (lazily), migrates when Postgres is reachable, binds the port
    /// and starts the workers; `run_until_stopped` serves.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = platform::db::pool(&settings.common.database)?;
        if let Err(err) = MIGRATOR.run(&pool).await {
            anyhow::bail!("migrating the database failed: {err}");
        }
        let redis = Arc::new(RedisHandle::new(&settings.common.redis)?);
        let metrics = Metrics::new(|_| {});
        let signing_keys = Arc::new(SigningKeys::from_json(
            settings.signing_keys.expose_secret(),
        )?);
        let jwt = settings.common.jwt.clone();
        let verifier = Arc::new(TokenVerifier::from_jwks(
            &jwt.issuer,
            &jwt.audience,
            &signing_keys.jwks(),
        ));
        let state = AppState {
            pool: pool.clone(),
            limiter: RateLimiter::new(redis.clone(), metrics.clone()),
            redis,
            metrics: metrics.clone(),
            hasher: PasswordHasher::default(),
            signing_keys,
            verifier,
            jwt: Arc::new(jwt),
            rate_limits: Arc::new(settings.rate_limits.clone()),
            service_clients: Arc::new(settings.service_clients.clone()),
        };
        let mut server = Server::bind(&settings.common.http).await?;
        platform::outbox::spawn_workers(&mut server, &pool, &settings.common, &metrics).await;
        if let Some(admin) = settings.admin.clone() {
            server.spawn(workers::ensure_admin(
                state.clone(),
                admin,
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
