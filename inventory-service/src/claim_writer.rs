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

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use platform::{config::DatabaseSettings, ApiError};
use prometheus_client::{metrics::counter::Counter, registry::Registry};
use sqlx::PgPool;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::{gate::Gate, repo::sales::SaleStatus};

mod group;
mod reserve;

use group::run;

pub use reserve::reserve_one;

/// Claims written in one transaction at most.
const MAX_GROUP: usize = 512;
/// Groups written at the same time (each holds one pooled connection).
const WRITERS: usize = 2;
/// Claims waiting to be written at most; beyond that a claim waits to queue.
const QUEUE: usize = 8_192;

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
