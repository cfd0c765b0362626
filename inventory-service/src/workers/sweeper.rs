//! Returns expired holds (to available stock, or to their flash sale and its
//! gate) and closes ended sales (their unsold units go back to the SKU).

use std::time::Duration;

use crate::{
    holds,
    repo::{reservations, sales, stock},
    state::AppState,
};

/// One pass; returns how many holds expired.
pub async fn sweep(state: &AppState, close_grace: Duration) -> anyhow::Result<u64> {
    let mut expired = 0;
    loop {
        let mut tx = state.pool.begin().await?;
        let due = reservations::expired_holds(&mut tx, 100).await?;
        if due.is_empty() {
            break;
        }
        let mut returned = Vec::new();
        for id in &due {
            let Some(row) = reservations::find(&mut tx, *id, false).await? else {
                continue;
            };
            let items = reservations::items(&mut tx, *id).await?;
            returned.push(holds::give_back(&mut tx, &row, &items, "expired", None).await?);
        }
        tx.commit().await?;
        for unit in returned {
            state.return_to_gate(unit).await;
        }
        expired += due.len() as u64;
    }
    let mut tx = state.pool.begin().await?;
    for (sale_id, sku, unsold) in sales::close_ended(&mut tx, close_grace).await? {
        if unsold > 0 {
            stock::shift(&mut tx, &sku, 0, 0, -unsold).await?;
            stock::check_low_stock(&mut tx, &sku, None).await?;
        }
        tracing::info!(%sale_id, unsold, "flash sale ended; unsold units returned");
    }
    tx.commit().await?;
    Ok(expired)
}
