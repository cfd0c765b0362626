//! What every handler of campaign-service is given.

use std::sync::Arc;

use axum::extract::FromRef;
use platform::{auth::TokenVerifier, metrics::Metrics, redis::RedisHandle};
use secrecy::SecretString;
use sqlx::PgPool;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub redis: Arc<RedisHandle>,
    pub metrics: Arc<Metrics>,
    pub verifier: Arc<TokenVerifier>,
    pub shop_currency: Arc<str>,
    pub unsubscribe_secret: SecretString,
}

impl FromRef<AppState> for Arc<TokenVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}
