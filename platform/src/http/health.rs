//! `/health/live`, `/health/ready` and `/metrics`.

use std::{sync::Arc, time::Duration};

use axum::{extract::State, http::StatusCode, response::IntoResponse, routing::get, Router};
use serde_json::json;
use sqlx::PgPool;

use crate::{metrics::Metrics, outbox, redis::RedisHandle};

#[derive(Clone)]
pub struct HealthState {
    /// `None` for a service with no database of its own.
    pub pool: Option<PgPool>,
    pub redis: Arc<RedisHandle>,
    pub metrics: Arc<Metrics>,
}

pub fn health_router(state: HealthState) -> Router {
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn live() -> impl IntoResponse {
    axum::Json(json!({"status": "ok"}))
}

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The load balancer's health check (docs/deploy.md, "Health checks"): 503
/// only when Postgres, which no request can do without, is unreachable.
/// Every service works on without Redis for a while (rate limits fail open,
/// caches are bypassed, flash sales take the Postgres path), so Redis down
/// is `degraded`: replacing healthy tasks would not bring it back. A
/// service with no database keeps its state in Redis: there Redis down is
/// 503.
async fn ready(State(state): State<HealthState>) -> impl IntoResponse {
    let redis_ok = matches!(
        tokio::time::timeout(CHECK_TIMEOUT, state.redis.ping()).await,
        Ok(Ok(()))
    );
    let Some(pool) = &state.pool else {
        let (status, word) = match redis_ok {
            true => (StatusCode::OK, "ok"),
            false => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        };
        return (
            status,
            axum::Json(json!({"status": word, "checks": {"redis": word}})),
        );
    };
    let postgres = tokio::time::timeout(
        CHECK_TIMEOUT,
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(pool),
    )
    .await;
    let postgres_ok = matches!(postgres, Ok(Ok(1)));
    let (status, word) = match (postgres_ok, redis_ok) {
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        (true, false) => (StatusCode::OK, "degraded"),
        (true, true) => (StatusCode::OK, "ok"),
    };
    (
        status,
        axum::Json(json!({
            "status": word,
            "checks": {
                "postgres": if postgres_ok { "ok" } else { "unavailable" },
                "redis": if redis_ok { "ok" } else { "degraded" },
            },
        })),
    )
}

async fn metrics(State(state): State<HealthState>) -> impl IntoResponse {
    if let Some(pool) = &state.pool {
        if let Ok(Ok(n)) = tokio::time::timeout(CHECK_TIMEOUT, outbox::backlog(pool)).await {
            state.metrics.outbox_backlog.set(n);
        }
        if let Ok(Ok(n)) = tokio::time::timeout(CHECK_TIMEOUT, outbox::parked(pool)).await {
            state.metrics.outbox_parked.set(n);
        }
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}
