//! Drives orders left mid-saga (a crashed process, a dependency that was
//! down) to an end state, and deletes Idempotency-Keys after 24 hours.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{repo::orders, saga::Saga};

/// Orders driven per pass.
const BATCH: i64 = 20;

pub async fn run(saga: Saga, pool: PgPool, interval: Duration, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        match pass(&saga, &pool).await {
            Ok(driven) if driven > 0 => tracing::info!(driven, "resumed orders"),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = format!("{err:#}"), "resuming orders failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = shutdown.cancelled() => {}
        }
    }
}

async fn pass(saga: &Saga, pool: &PgPool) -> anyhow::Result<usize> {
    let due = {
        let mut conn = pool.acquire().await?;
        orders::due(&mut conn, BATCH).await?
    };
    let mut driven = 0;
    for id in due {
        match saga.drive(id).await {
            Ok(_) => driven += 1,
            Err(err) => {
                tracing::warn!(order_id = %id, error = format!("{err:#}"), "driving an order failed");
            }
        }
    }
    Ok(driven)
}

pub async fn clean_up_keys(pool: PgPool, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        match platform::idempotency::clean_up(&pool, platform::idempotency::RETENTION).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "deleted old idempotency keys"),
            Err(err) => tracing::warn!(error = %err, "idempotency key clean-up failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
            () = shutdown.cancelled() => {}
        }
    }
}
