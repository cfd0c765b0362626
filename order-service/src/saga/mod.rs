//! The checkout saga (docs/architecture.md, "Checkout saga"): an orchestrated, durable
//! state machine kept in the order's own row.
//!
//! Forward (`forward`): reserve stock (cart orders) → redeem the promo code →
//! authorise payment → commit the reservation → capture → create the
//! shipment and confirm. A refusal on the way starts the undo (`undo`): void
//! or refund, release the redemption, release or return the stock, then the
//! order ends `failed` with a reason for the customer. Cancelling a
//! confirmed order runs the same undo and ends `cancelled`.
//!
//! Whoever drives an order first takes its lease (a row-level lease with an
//! expiry, so a crashed driver's orders are picked up by the resumer once it
//! lapses). Every step is idempotent on the order id and is recorded before
//! the next begins, so repeating a step after a crash has no second effect.

mod forward;
mod undo;

use std::{sync::Arc, time::Duration};

use rand::Rng;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    clients::{CallError, Dependencies},
    domain::Step,
    payments::{PaymentError, PaymentGateway},
    repo::{
        orders::OrderRow,
        progress::{self, Lease, Progress},
    },
};

#[derive(Debug, Clone)]
pub struct SagaSettings {
    /// How long a driver owns an order; must outlast one step with its retries.
    pub lease: Duration,
    /// After this long without reaching `confirmed`, an order waiting on a
    /// dependency is given up and compensated.
    pub give_up_after: Duration,
    /// Lifetime of the stock hold a cart order takes.
    pub reservation_ttl: Duration,
    /// Upper bound of the wait between tries of a step.
    pub max_backoff: Duration,
}

impl Default for SagaSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(30),
            give_up_after: Duration::from_secs(300),
            reservation_ttl: Duration::from_secs(900),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// Where a drive left the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It reached an end state (`confirmed`, `failed` or `cancelled`).
    Ended,
    /// A dependency is unavailable; the resumer tries again later.
    Waiting,
    /// Someone else holds its lease.
    Busy,
}

/// What a step did.
enum Next {
    /// Record this and go on with the order as it then is.
    Record(Progress),
    /// The order reached its end state (and its lease was let go).
    Ended,
    /// Another driver took the lease meanwhile.
    LeaseLost,
}

enum StepError {
    /// Try again later.
    Wait(String),
    /// Refused for good: compensate, with this reason for the customer.
    Fail(String),
    Db(sqlx::Error),
}

impl From<sqlx::Error> for StepError {
    fn from(err: sqlx::Error) -> Self {
        Self::Db(err)
    }
}

impl From<CallError> for StepError {
    fn from(err: CallError) -> Self {
        match err {
            CallError::Unavailable(why) => Self::Wait(why),
            CallError::Refused(why) => Self::Fail(why),
        }
    }
}

impl From<PaymentError> for StepError {
    fn from(err: PaymentError) -> Self {
        match err {
            PaymentError::Declined(why) => Self::Fail(why),
            PaymentError::Refused(why) => Self::Fail(why),
            PaymentError::Timeout => Self::Wait(err.to_string()),
            PaymentError::Unavailable(why) => Self::Wait(why),
        }
    }
}

const GAVE_UP: &str = "the order could not be completed because a service it needs \
                       was unavailable for too long; nothing was charged";

#[derive(Clone)]
pub struct Saga {
    pool: PgPool,
    deps: Dependencies,
    payments: Arc<dyn PaymentGateway>,
    settings: SagaSettings,
}

impl Saga {
    pub fn new(
        pool: PgPool,
        deps: Dependencies,
        payments: Arc<dyn PaymentGateway>,
        settings: SagaSettings,
    ) -> Self {
        Self {
            pool,
            deps,
            payments,
            settings,
        }
    }

    /// Drives the order until it ends, waits on a dependency, or someone
    /// else holds it.
    #[tracing::instrument(skip(self), fields(step))]
    pub async fn drive(&self, id: Uuid) -> anyhow::Result<Outcome> {
        let lease = Lease {
            owner: Uuid::new_v4(),
            secs: self.settings.lease.as_secs_f64(),
        };
        let mut conn = self.pool.acquire().await?;
        let Some(mut order) = progress::take_lease(&mut conn, id, lease).await? else {
            return Ok(Outcome::Busy);
        };
        drop(conn);
        loop {
            tracing::Span::current().record("step", order.step.as_str());
            let result = match order.step {
                Step::Done => return Ok(Outcome::Ended),
                Step::Reserve => self.reserve(&order).await,
                Step::Redeem => self.redeem(&order).await,
                Step::Authorize => self.authorize(&order).await,
                Step::Commit => self.commit(&order).await,
                Step::Capture => self.capture(&order).await,
                Step::Ship => self.ship_and_confirm(&order, lease.owner).await,
                Step::Compensate | Step::Cancel => self.undo(&order, lease.owner).await,
            };
            let progress = match result {
                Ok(Next::Record(progress)) => progress,
                Ok(Next::Ended) => return Ok(Outcome::Ended),
                Ok(Next::LeaseLost) => return Ok(Outcome::Busy),
                Err(StepError::Fail(reason)) if order.step.is_forward() => {
                    tracing::info!(order_id = %order.id, reason, "order refused; compensating");
                    compensate(reason)
                }
                Err(StepError::Fail(reason)) => {
                    // An undo step cannot be refused for good by design; log
                    // loudly and retry later.
                    tracing::error!(order_id = %order.id, step = %order.step, reason, "a compensation was refused");
                    self.wait(&order, lease.owner).await?;
                    return Ok(Outcome::Waiting);
                }
                Err(StepError::Wait(why)) => {
                    let age = OffsetDateTime::now_utc() - order.created_at;
                    if order.step.is_forward() && age > self.settings.give_up_after {
                        tracing::warn!(order_id = %order.id, step = %order.step, why, "giving up on the order");
                        compensate(GAVE_UP.to_owned())
                    } else {
                        tracing::warn!(order_id = %order.id, step = %order.step, why, "step must wait");
                        self.wait(&order, lease.owner).await?;
                        return Ok(Outcome::Waiting);
                    }
                }
                Err(StepError::Db(err)) => {
                    let _ = self.wait(&order, lease.owner).await;
                    return Err(err.into());
                }
            };
            let mut conn = self.pool.acquire().await?;
            match progress::record(&mut conn, order.id, lease, &progress).await? {
                Some(next) => order = next,
                None => return Ok(Outcome::Busy),
            }
        }
    }

    /// Lets the lease go until the step's next try, after a jittered,
    /// capped exponential backoff.
    async fn wait(&self, order: &OrderRow, owner: Uuid) -> Result<(), sqlx::Error> {
        let base = 0.2 * 2f64.powi(order.attempts.clamp(0, 20));
        let capped = base.min(self.settings.max_backoff.as_secs_f64());
        let delay = rand::thread_rng().gen_range(capped / 2.0..=capped);
        let mut conn = self.pool.acquire().await?;
        progress::defer(&mut conn, order.id, owner, delay).await
    }
}

/// The progress that turns a refused order to compensation.
fn compensate(reason: String) -> Progress {
    Progress {
        step: Some(Step::Compensate),
        reason: Some(reason),
        ..Progress::default()
    }
}

/// The request id the order was placed with, passed on to every call it makes.
fn request_id(order: &OrderRow) -> &str {
    order.correlation_id.as_deref().unwrap_or_default()
}

pub const CARRIER: &str = "Storefront Post";

/// A tracking number unique to the order: `SP` and the order id's last 16
/// hex digits (the random part of a UUID v7).
pub fn tracking_number(order_id: Uuid) -> String {
    let hex = order_id.simple().to_string().to_ascii_uppercase();
    format!("SP{}", &hex[16..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_numbers_come_from_the_random_part_of_the_order_id() {
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        assert_eq!(tracking_number(a).len(), 18);
        assert!(tracking_number(a).starts_with("SP"));
        assert_ne!(tracking_number(a), tracking_number(b));
        assert_eq!(tracking_number(a), tracking_number(a));
    }
}
