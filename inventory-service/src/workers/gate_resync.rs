//! Sets every open sale's gate to what Postgres holds, on a timer: a unit
//! the gate lost (a give-back that failed while Redis was away, a unit
//! admitted for a buyer who hung up before it was queued) comes back within
//! one interval, so the sale never undersells for good.

use crate::{repo::sales, state::AppState};

/// One pass. It reports nothing (0): resyncing is routine, not news.
pub async fn resync_open_sales(state: &AppState) -> anyhow::Result<u64> {
    let mut conn = state.pool.acquire().await?;
    let open = sales::open_ids(&mut conn).await?;
    drop(conn);
    for sale_id in &open {
        state.resync_gate(*sale_id).await?;
    }
    Ok(0)
}
