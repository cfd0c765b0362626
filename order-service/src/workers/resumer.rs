//! Drives orders left mid-saga (a crashed process, a dependency that was
//! down) to an end state.

use sqlx::PgPool;

use crate::{repo::progress, saga::Saga};

/// Orders driven per pass.
const BATCH: i64 = 20;

/// One pass over the orders that are due; returns how many were driven.
pub async fn pass(saga: &Saga, pool: &PgPool) -> anyhow::Result<u64> {
    let due = {
        let mut conn = pool.acquire().await?;
        progress::due(&mut conn, BATCH).await?
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
