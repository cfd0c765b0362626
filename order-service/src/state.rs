//! What every handler of order-service is given.

use std::{sync::Arc, time::Duration};

use axum::extract::FromRef;
use platform::{auth::TokenVerifier, client::ClientMetrics, metrics::Metrics, redis::RedisHandle};
use sqlx::PgPool;

use crate::{clients::Dependencies, saga::Saga};

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
