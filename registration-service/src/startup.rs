//! registration-service on the service kit: what it builds and spawns.

use std::{sync::Arc, time::Duration};

use platform::{
    auth::{password::PasswordHasher, SigningKeys, TokenVerifier},
    ratelimit::RateLimiter,
    service::{Kit, Service},
};
use secrecy::ExposeSecret;
use sqlx::migrate::Migrator;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::{config::Settings, routes, state::AppState, workers};

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

pub struct Registration;

pub type Application = platform::service::Application<Registration>;

impl Service for Registration {
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

    /// The verifier trusts the service's own keys: it is the issuer.
    async fn build(kit: &mut Kit, settings: &Settings) -> anyhow::Result<AppState> {
        let signing_keys = Arc::new(SigningKeys::from_json(
            settings.signing_keys.expose_secret(),
        )?);
        let jwt = kit.common.jwt.clone();
        let verifier = Arc::new(TokenVerifier::from_jwks(
            &jwt.issuer,
            &jwt.audience,
            &signing_keys.jwks(),
        ));
        let state = AppState {
            pool: kit.pool()?,
            limiter: RateLimiter::new(kit.redis.clone(), kit.metrics.clone()),
            redis: kit.redis.clone(),
            metrics: kit.metrics.clone(),
            hasher: PasswordHasher::default(),
            signing_keys,
            verifier,
            jwt: Arc::new(jwt),
            rate_limits: Arc::new(settings.rate_limits.clone()),
            service_clients: Arc::new(settings.service_clients.clone()),
            refresh_token_ttl: settings.refresh_token_ttl,
        };
        let pool = state.pool.clone();
        kit.every(
            "expired refresh tokens deleted",
            Duration::from_secs(3600),
            move || {
                let pool = pool.clone();
                async move { workers::delete_expired_refresh_tokens(&pool).await }
            },
        );
        if let Some(admin) = settings.admin.clone() {
            let state = state.clone();
            kit.spawn(|stop| workers::ensure_admin(state, admin, stop));
        }
        Ok(state)
    }
}
