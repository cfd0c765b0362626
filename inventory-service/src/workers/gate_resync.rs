//! Sets every open sale's gate to what Postgres holds, on a timer: a unit
//! the gate lost (a give-back that failed while Redis was away, a unit
//! admitted for a buyer who hung up before it was queued) comes back within
//! one interval, so the sale never undersells for good.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::{repo::sales, startup::AppState};

pub async fn run(state: AppState, every: Duration, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = stop.cancelled() => return,
        }
        if let Err(err) = resync_open_sales(&state).await {
            tracing::warn!(
                error = format!("{err:#}"),
                "resyncing the flash-sale gates failed; retrying next tick"
            );
        }
    }
}

async fn resync_open_sales(state: &AppState) -> anyhow::Result<()> {
    let mut conn = state.pool.acquire().await?;
    let open = sales::open_ids(&mut conn).await?;
    drop(conn);
    for sale_id in open {
        state.resync_gate(sale_id).await?;
    }
    Ok(())
}
