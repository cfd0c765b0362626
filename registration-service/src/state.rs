//! What every handler of registration-service is given.

use std::{sync::Arc, time::Duration};

use axum::extract::FromRef;
use platform::{
    auth::{password::PasswordHasher, SigningKeys, TokenVerifier},
    config::JwtSettings,
    metrics::Metrics,
    ratelimit::RateLimiter,
    redis::RedisHandle,
};
use sqlx::PgPool;

use crate::config::{RateLimits, ServiceClient};

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
    /// How long a refresh token may wait to be used (`sessions`).
    pub refresh_token_ttl: Duration,
}

impl FromRef<AppState> for Arc<TokenVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}
