//! What every handler of catalog-service is given.

use std::sync::Arc;

use axum::extract::FromRef;
use platform::{auth::TokenVerifier, metrics::Metrics, redis::RedisHandle};
use sqlx::PgPool;

use crate::cache::{CacheMetrics, ProductCache};

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
