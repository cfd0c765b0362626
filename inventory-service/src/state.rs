//! What every handler and worker of inventory-service is given.

use std::{sync::Arc, time::Duration};

use axum::extract::FromRef;
use platform::{
    auth::TokenVerifier,
    metrics::Metrics,
    ratelimit::{RateLimit, RateLimiter},
    redis::RedisHandle,
};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{claim_writer::ClaimWriter, gate::Gate, holds::ReturnedToSale, repo::sales};

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub redis: Arc<RedisHandle>,
    pub metrics: Arc<Metrics>,
    pub verifier: Arc<TokenVerifier>,
    /// `None` when the gate is switched off: every claim goes to Postgres.
    pub gate: Option<Gate>,
    /// Writes the claims the gate admitted, many to a transaction.
    pub claim_writer: ClaimWriter,
    pub limiter: RateLimiter,
    pub claim_rate_limit: RateLimit,
    pub reservation_ttl: Duration,
    pub shop_currency: Arc<str>,
}

impl FromRef<AppState> for Arc<TokenVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

impl AppState {
    /// Sets the sale's gate to what Postgres holds (units left, units per
    /// customer), unless another request is rebuilding it right now. A
    /// wrong gate only ever makes a claim fail; this stops it failing.
    pub async fn resync_gate(&self, sale_id: Uuid) -> anyhow::Result<()> {
        let Some(gate) = &self.gate else {
            return Ok(());
        };
        if !gate.lock_rebuild(sale_id).await? {
            return Ok(());
        }
        let resynced = async {
            let mut conn = self.pool.acquire().await?;
            let Some(sale) = sales::find(&mut conn, sale_id).await? else {
                return Ok(());
            };
            let units = sales::units_by_customer(&mut conn, sale_id).await?;
            drop(conn);
            gate.resync(&sale, &units).await?;
            anyhow::Ok(())
        }
        .await;
        gate.unlock_rebuild(sale_id).await?;
        resynced
    }

    /// After a commit that returned a flash-sale unit, gives it back to the gate.
    pub async fn return_to_gate(&self, returned: Option<ReturnedToSale>) {
        let (Some(gate), Some(unit)) = (&self.gate, returned) else {
            return;
        };
        if let Err(err) = gate
            .give_back(unit.sale_id, unit.owner_id, unit.units)
            .await
        {
            tracing::warn!(error = %err, "returning a unit to the gate failed; the next resync corrects it");
        }
    }
}
