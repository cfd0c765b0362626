//! Group commit for the flash-sale claims the Redis gate admitted.
//!
//! While units remain, every admitted claim must become a reservation in
//! Postgres. One transaction per claim made Postgres' commits the limit of a
//! sale (~1,000 claims/s here) and queued the buyers behind them. The writer
//! instead collects the admitted claims that arrive while earlier ones are
//! being written and turns each group into one transaction of a few
//! set-based statements: the same per-customer limit (an upsert per
//! customer), the same unit rows taken with `SKIP LOCKED`, the same
//! reservations. A sale still cannot sell more units than it has rows, and a
//! claim is answered only after its transaction committed.
//!
//! Only claims the gate admitted come here: the gate already turned away
//! the losers, so a group is (almost) all winners and at most as large as
//! the units left. Claims that bypass the gate (switched off, or Redis
//! unreachable) keep one transaction each, in `routes::claims`.

use std::{collections::HashSet, sync::Arc, time::Duration};

use anyhow::Context;
use platform::{config::DatabaseSettings, ApiError};
use prometheus_client::{metrics::counter::Counter, registry::Registry};
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot, Semaphore};
use uuid::Uuid;

use crate::{
    gate::Gate,
    repo::sales::{self, SaleStatus},
};

/// Claims written in one transaction at most.
const MAX_GROUP: usize = 512;
/// Groups written at the same time (each holds one pooled connection).
const WRITERS: usize = 2;
/// Claims waiting to be written at most; beyond that a claim waits to queue.
const QUEUE: usize = 8_192;
/// How often a group looks again when the free units left are locked by
/// another group in flight (which may still roll back).
const BUSY_RETRIES: u32 = 20;

/// How much grouping happens: claims written / groups is the mean group size.
#[derive(Clone, Default)]
pub struct WriterMetrics {
    pub groups: Counter,
    pub claims: Counter,
}

impl WriterMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "flash_sale_claim_transactions",
            "Transactions that wrote admitted flash-sale claims",
            metrics.groups.clone(),
        );
        registry.register(
            "flash_sale_claims_written",
            "Admitted flash-sale claims written by those transactions",
            metrics.claims.clone(),
        );
        metrics
    }
}

/// What became of one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimOutcome {
    Reserved {
        reservation_id: Uuid,
        expires_at: OffsetDateTime,
    },
    SoldOut,
    LimitReached,
    NotOpen(SaleStatus),
    NoSuchSale,
}

/// Why a whole group failed; every claim in it gets the same answer.
#[derive(Debug, Clone)]
struct GroupFailed {
    unavailable: bool,
    message: Arc<str>,
}

impl GroupFailed {
    fn from_db(err: &sqlx::Error) -> Self {
        Self {
            unavailable: platform::error::is_unavailable(err),
            message: err.to_string().into(),
        }
    }
}

impl From<GroupFailed> for ApiError {
    fn from(failed: GroupFailed) -> Self {
        if failed.unavailable {
            ApiError::Unavailable("the database".to_owned())
        } else {
            ApiError::Unexpected(anyhow::anyhow!(
                "writing a group of flash-sale claims: {}",
                failed.message
            ))
        }
    }
}

type Reply = oneshot::Sender<Result<ClaimOutcome, GroupFailed>>;

struct Pending {
    sale_id: Uuid,
    customer: Uuid,
    reply: Reply,
}

/// The handle the claim route uses; cheap to clone.
#[derive(Clone)]
pub struct ClaimWriter {
    queue: mpsc::Sender<Pending>,
}

impl ClaimWriter {
    /// Starts the writer on a thread of its own, with a runtime and a small
    /// pool of its own; it stops once every handle is dropped and the claims
    /// already queued are written.
    ///
    /// Its own thread because a sale saturates the service: on the shared
    /// runtime each of a group's statements waited behind hundreds of
    /// requests for its turn (10–40 ms a group, measured), and every admitted
    /// buyer waited with it. The kernel gives a thread that mostly sleeps on
    /// Postgres its turn promptly.
    pub fn spawn(
        database: &DatabaseSettings,
        gate: Option<Gate>,
        reservation_ttl: Duration,
        metrics: WriterMetrics,
    ) -> anyhow::Result<Self> {
        let (queue, incoming) = mpsc::channel(QUEUE);
        let database = DatabaseSettings {
            max_connections: WRITERS as u32,
            ..database.clone()
        };
        // The gate's Redis connection belongs to the service's runtime.
        let service_runtime = tokio::runtime::Handle::current();
        let (started, start) = std::sync::mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("claim-writer".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        let _ = started.send(Err(anyhow::Error::new(err)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let pool = match platform::db::pool(&database) {
                        Ok(pool) => pool,
                        Err(err) => {
                            let _ = started.send(Err(err));
                            return;
                        }
                    };
                    let _ = started.send(Ok(()));
                    let shared = Arc::new(Shared {
                        pool: pool.clone(),
                        gate,
                        service_runtime,
                        reservation_ttl,
                        metrics,
                    });
                    run(shared, incoming).await;
                    pool.close().await;
                });
            })
            .context("starting the claim writer's thread")?;
        start
            .recv()
            .context("the claim writer's thread ended at start")??;
        Ok(Self { queue })
    }

    /// Writes one admitted claim (in a group with others) and waits until
    /// its transaction committed or failed.
    pub async fn claim(&self, sale_id: Uuid, customer: Uuid) -> Result<ClaimOutcome, ApiError> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            sale_id,
            customer,
            reply,
        };
        if self.queue.send(pending).await.is_err() {
            return Err(ApiError::Unavailable("the claim writer".to_owned()));
        }
        match answer.await {
            Ok(outcome) => outcome.map_err(ApiError::from),
            Err(_) => Err(ApiError::Unavailable("the claim writer".to_owned())),
        }
    }
}

struct Shared {
    pool: PgPool,
    gate: Option<Gate>,
    service_runtime: tokio::runtime::Handle,
    reservation_ttl: Duration,
    metrics: WriterMetrics,
}

async fn run(shared: Arc<Shared>, mut incoming: mpsc::Receiver<Pending>) {
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

/// One claim in the caller's transaction: the path without the gate.
pub async fn reserve_one(
    conn: &mut PgConnection,
    reservation_ttl: Duration,
    sale_id: Uuid,
    customer: Uuid,
) -> Result<ClaimOutcome, sqlx::Error> {
    let outcomes = reserve(conn, reservation_ttl, sale_id, &[customer]).await?;
    Ok(outcomes
        .first()
        .copied()
        .unwrap_or(ClaimOutcome::NoSuchSale))
}

/// The claims of distinct `customers` of one sale, in the caller's
/// transaction; the outcomes are in the customers' order.
async fn reserve(
    conn: &mut PgConnection,
    reservation_ttl: Duration,
    sale_id: Uuid,
    customers: &[Uuid],
) -> Result<Vec<ClaimOutcome>, sqlx::Error> {
    let Some(sale) = sales::find_for_share(conn, sale_id).await? else {
        return Ok(vec![ClaimOutcome::NoSuchSale; customers.len()]);
    };
    match sale.status_at(OffsetDateTime::now_utc()) {
        SaleStatus::Active => {}
        SaleStatus::SoldOut => return Ok(vec![ClaimOutcome::SoldOut; customers.len()]),
        status => return Ok(vec![ClaimOutcome::NotOpen(status); customers.len()]),
    }
    let with_slot: HashSet<Uuid> =
        sales::take_customer_slots(conn, sale_id, customers, sale.per_customer_limit)
            .await?
            .into_iter()
            .collect();
    let winners: Vec<Uuid> = customers
        .iter()
        .copied()
        .filter(|c| with_slot.contains(c))
        .collect();
    let units = take_units(conn, sale_id, winners.len()).await?;
    // Winners without a unit (sold out meanwhile) give their slot back.
    let (served, unserved) = winners.split_at(units.len());
    if !unserved.is_empty() {
        sales::release_customer_slots(conn, sale_id, unserved).await?;
    }
    let reservation_ids: Vec<Uuid> = served.iter().map(|_| Uuid::now_v7()).collect();
    let expires_at = OffsetDateTime::now_utc() + reservation_ttl;
    if !served.is_empty() {
        sales::assign_units(conn, sale_id, &units, &reservation_ids).await?;
        sales::insert_claim_reservations(conn, &sale, &reservation_ids, served, expires_at).await?;
    }
    let reserved: std::collections::HashMap<Uuid, Uuid> = served
        .iter()
        .copied()
        .zip(reservation_ids.iter().copied())
        .collect();
    Ok(customers
        .iter()
        .map(|customer| match reserved.get(customer) {
            Some(&reservation_id) => ClaimOutcome::Reserved {
                reservation_id,
                expires_at,
            },
            None if with_slot.contains(customer) => ClaimOutcome::SoldOut,
            None => ClaimOutcome::LimitReached,
        })
        .collect())
}

/// Up to `wanted` free units of the sale, locked; waits briefly while the
/// free units left are locked by another group that may still roll back.
async fn take_units(
    conn: &mut PgConnection,
    sale_id: Uuid,
    wanted: usize,
) -> Result<Vec<i32>, sqlx::Error> {
    let mut units = Vec::with_capacity(wanted);
    let mut attempt = 0;
    while units.len() < wanted {
        let more =
            sales::lock_free_units(conn, sale_id, (wanted - units.len()) as i64, &units).await?;
        units.extend(more);
        if units.len() == wanted || !sales::has_free_units(conn, sale_id, &units).await? {
            break;
        }
        if attempt == BUSY_RETRIES {
            break;
        }
        attempt += 1;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(units)
}
