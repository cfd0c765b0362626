//! The writer's loop: admitted claims collected into groups while earlier
//! groups are written, each group written per sale in rounds of one
//! transaction, and the answers sent back to the waiting claims.

use std::{collections::HashSet, sync::Arc};

use tokio::sync::{mpsc, Semaphore};
use uuid::Uuid;

use super::{reserve::reserve, ClaimOutcome, GroupFailed, Pending, Shared, MAX_GROUP, WRITERS};

pub(super) async fn run(shared: Arc<Shared>, mut incoming: mpsc::Receiver<Pending>) {
    let writers = Arc::new(Semaphore::new(WRITERS));
    while let Some(first) = incoming.recv().await {
        // Claims arriving while every writer is busy join the next group.
        let Ok(permit) = writers.clone().acquire_owned().await else {
            break;
        };
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match incoming.try_recv() {
                Ok(pending) => group.push(pending),
                Err(_) => break,
            }
        }
        let shared = shared.clone();
        tokio::spawn(async move {
            write(&shared, group).await;
            drop(permit);
        });
    }
    // Every handle is gone: wait for the groups in flight.
    let _ = writers.acquire_many(WRITERS as u32).await;
}

/// Writes a group: per sale, in rounds where each customer appears once
/// (a customer with several claims in flight is counted one claim per round).
async fn write(shared: &Shared, group: Vec<Pending>) {
    let mut waiting = Vec::with_capacity(group.len());
    for pending in group {
        if pending.reply.is_closed() {
            // The buyer is gone (timed out or disconnected): do not take a
            // unit nobody will hear about; give the gate its unit back.
            give_back(shared, pending.sale_id, pending.customer).await;
        } else {
            waiting.push(pending);
        }
    }
    while !waiting.is_empty() {
        let sale_id = waiting[0].sale_id;
        let mut seen = HashSet::new();
        let (round, rest): (Vec<_>, Vec<_>) = waiting
            .into_iter()
            .partition(|p| p.sale_id == sale_id && seen.insert(p.customer));
        waiting = rest;
        let customers: Vec<Uuid> = round.iter().map(|p| p.customer).collect();
        let outcomes = write_round(shared, sale_id, &customers).await;
        for (index, pending) in round.into_iter().enumerate() {
            let outcome = match &outcomes {
                Ok(outcomes) => Ok(outcomes[index]),
                Err(failed) => Err(failed.clone()),
            };
            // A reply nobody waits for any more: the reservation stands and
            // expires like any unpaid hold.
            let _ = pending.reply.send(outcome);
        }
    }
}

async fn give_back(shared: &Shared, sale_id: Uuid, customer: Uuid) {
    let Some(gate) = shared.gate.clone() else {
        return;
    };
    let returned = shared
        .service_runtime
        .spawn(async move { gate.give_back(sale_id, customer, 1).await });
    match returned.await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "returning an abandoned claim's unit to the gate failed; the next resync corrects it");
        }
        Err(err) => {
            tracing::warn!(error = %err, "returning an abandoned claim's unit to the gate did not run");
        }
    }
}

/// One transaction for distinct customers of one sale; the outcomes are in
/// the customers' order.
async fn write_round(
    shared: &Shared,
    sale_id: Uuid,
    customers: &[Uuid],
) -> Result<Vec<ClaimOutcome>, GroupFailed> {
    let failed = |err: sqlx::Error| GroupFailed::from_db(&err);
    let mut tx = shared.pool.begin().await.map_err(failed)?;
    let outcomes = reserve(&mut tx, shared.reservation_ttl, sale_id, customers)
        .await
        .map_err(failed)?;
    tx.commit().await.map_err(failed)?;
    shared.metrics.groups.inc();
    shared.metrics.claims.inc_by(customers.len() as u64);
    Ok(outcomes)
}
