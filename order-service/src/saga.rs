//! The checkout saga (DESIGN.md "Checkout saga"): an orchestrated, durable
//! state machine kept in the order's own row.
//!
//! Forward: reserve stock (cart orders) → redeem the promo code → authorise
//! payment → commit the reservation → capture → create the shipment and
//! confirm. A refusal on the way runs the compensations in reverse (void or
//! refund, release the redemption, release or return the stock) and ends the
//! order `failed` with a reason for the customer. Cancelling a confirmed
//! order runs the same kind of steps under `cancel`.
//!
//! Whoever drives an order first takes its lease (a row-level lease with an
//! expiry, so a crashed driver's orders are picked up by the resumer once it
//! lapses). Every step is idempotent on the order id and is recorded before
//! the next begins, so repeating a step after a crash has no second effect.

use std::{sync::Arc, time::Duration};

use rand::Rng;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    clients::{CallError, Dependencies, ReservationItem},
    events,
    payments::{PaymentError, PaymentGateway},
    repo::{
        cart,
        orders::{self, OrderRow},
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
    /// It reached an end state (`confirmed`, `failed` or `cancelled`), or the
    /// step it was driven for.
    Ended,
    /// A dependency is unavailable; the resumer tries again later.
    Waiting,
    /// Someone else holds its lease.
    Busy,
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

const FORWARD_STEPS: [&str; 6] = [
    "reserve",
    "redeem",
    "authorize",
    "commit",
    "capture",
    "ship",
];

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
        let owner = Uuid::new_v4();
        let mut conn = self.pool.acquire().await?;
        let lease = self.settings.lease.as_secs_f64();
        let Some(mut order) = orders::take_lease(&mut conn, id, owner, lease).await? else {
            return Ok(Outcome::Busy);
        };
        drop(conn);
        loop {
            tracing::Span::current().record("step", order.step.as_str());
            let result = match order.step.as_str() {
                "done" => return Ok(Outcome::Ended),
                "reserve" => self.reserve(&order).await,
                "redeem" => self.redeem(&order).await,
                "authorize" => self.authorize(&order).await,
                "commit" => self.commit(&order).await,
                "capture" => self.capture(&order).await,
                "ship" => self.ship_and_confirm(&order, owner).await,
                "compensate" => self.compensate(&order, owner).await,
                "cancel" => self.cancel(&order, owner).await,
                other => Err(StepError::Db(sqlx::Error::Protocol(format!(
                    "unknown saga step {other}"
                )))),
            };
            let next = match result {
                Ok(Some(update)) => self.apply(&order, owner, update).await?,
                Ok(None) => self.reload(&order, owner).await?,
                Err(StepError::Fail(reason)) if FORWARD_STEPS.contains(&order.step.as_str()) => {
                    tracing::info!(order_id = %order.id, reason, "order refused; compensating");
                    self.apply(&order, owner, Update::Compensate(reason))
                        .await?
                }
                Err(StepError::Fail(reason)) => {
                    // A compensation or cancellation step cannot be refused
                    // for good by design; log loudly and retry later.
                    tracing::error!(order_id = %order.id, step = order.step, reason, "a compensation was refused");
                    self.wait(&order, owner).await?;
                    return Ok(Outcome::Waiting);
                }
                Err(StepError::Wait(why)) => {
                    let age = OffsetDateTime::now_utc() - order.created_at;
                    if FORWARD_STEPS.contains(&order.step.as_str())
                        && age > self.settings.give_up_after
                    {
                        tracing::warn!(order_id = %order.id, step = order.step, why, "giving up on the order");
                        let reason = "the order could not be completed because a service it needs \
                                      was unavailable for too long; nothing was charged"
                            .to_owned();
                        self.apply(&order, owner, Update::Compensate(reason))
                            .await?
                    } else {
                        tracing::warn!(order_id = %order.id, step = order.step, why, "step must wait");
                        self.wait(&order, owner).await?;
                        return Ok(Outcome::Waiting);
                    }
                }
                Err(StepError::Db(err)) => {
                    let _ = self.wait(&order, owner).await;
                    return Err(err.into());
                }
            };
            match next {
                Some(next) => order = next,
                None => return Ok(Outcome::Busy),
            }
        }
    }

    async fn wait(&self, order: &OrderRow, owner: Uuid) -> Result<(), sqlx::Error> {
        let base = 0.2 * 2f64.powi(order.attempts.clamp(0, 20));
        let capped = base.min(self.settings.max_backoff.as_secs_f64());
        let delay = rand::thread_rng().gen_range(capped / 2.0..=capped);
        let mut conn = self.pool.acquire().await?;
        orders::defer(&mut conn, order.id, owner, delay).await
    }

    async fn reload(&self, order: &OrderRow, owner: Uuid) -> anyhow::Result<Option<OrderRow>> {
        self.apply(order, owner, Update::Touch).await
    }

    /// Records a step's effect, if this driver still holds the lease, and
    /// returns the order as it now is (`None`: the lease was lost).
    async fn apply(
        &self,
        order: &OrderRow,
        owner: Uuid,
        update: Update,
    ) -> anyhow::Result<Option<OrderRow>> {
        // Parameters: $4 a uuid, $5 a number, $6 a text, each used by some updates.
        let (assignments, uuid, number, text): (&str, Option<Uuid>, Option<i64>, Option<String>) =
            match update {
                Update::Touch => ("", None, None, None),
                Update::Reserved(id) => (
                    "reservation_id = $4, stock_status = 'held', step = 'redeem',",
                    Some(id),
                    None,
                    None,
                ),
                Update::NoReservationNeeded => ("step = 'redeem',", None, None, None),
                Update::Redeemed(discount) => (
                    "discount_cents = $5, total_cents = subtotal_cents - $5, promo_redeemed = true,
                     step = 'authorize',",
                    None,
                    Some(discount),
                    None,
                ),
                Update::NoPromo => ("step = 'authorize',", None, None, None),
                Update::Authorized => (
                    "payment_status = 'authorized', step = 'commit',",
                    None,
                    None,
                    None,
                ),
                Update::Committed => (
                    "stock_status = 'committed', step = 'capture',",
                    None,
                    None,
                    None,
                ),
                Update::Captured => (
                    "payment_status = 'captured', step = 'ship',",
                    None,
                    None,
                    None,
                ),
                Update::Compensate(reason) => (
                    "step = 'compensate', reason = $6,",
                    None,
                    None,
                    Some(reason),
                ),
                Update::Payment(status) => {
                    ("payment_status = $6,", None, None, Some(status.to_owned()))
                }
                Update::Refunded(cents) => (
                    "payment_status = 'refunded', refunded_cents = $5,",
                    None,
                    Some(cents),
                    None,
                ),
                Update::PromoReleased => (
                    "promo_redeemed = false, promo_released = true,",
                    None,
                    None,
                    None,
                ),
                Update::Stock(status) => {
                    ("stock_status = $6,", None, None, Some(status.to_owned()))
                }
            };
        let reset_attempts = if assignments.is_empty() {
            ""
        } else {
            "attempts = 0,"
        };
        let mut conn = self.pool.acquire().await?;
        let done = sqlx::query(&format!(
            "UPDATE orders SET {assignments} {reset_attempts}
                 lease_until = now() + make_interval(secs => $3), updated_at = now()
             WHERE id = $1 AND lease_owner = $2"
        ))
        .bind(order.id)
        .bind(owner)
        .bind(self.settings.lease.as_secs_f64())
        .bind(uuid)
        .bind(number)
        .bind(text)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(None);
        }
        Ok(orders::find(&mut conn, order.id).await?)
    }

    fn request_id(order: &OrderRow) -> String {
        order.correlation_id.clone().unwrap_or_default()
    }

    async fn reserve(&self, order: &OrderRow) -> Result<Option<Update>, StepError> {
        if order.source == "reservation" {
            // The flash-sale claim is the hold; it was checked at creation.
            return Ok(Some(Update::NoReservationNeeded));
        }
        let mut conn = self.pool.acquire().await?;
        let items: Vec<ReservationItem> = orders::items(&mut conn, order.id)
            .await?
            .into_iter()
            .map(|i| ReservationItem {
                sku: i.sku,
                quantity: i.quantity,
                unit_price_cents: None,
            })
            .collect();
        drop(conn);
        let id = self
            .deps
            .inventory
            .reserve(
                order.id,
                order.customer_id,
                &items,
                self.settings.reservation_ttl.as_secs() as i64,
                &Self::request_id(order),
            )
            .await?;
        Ok(Some(Update::Reserved(id)))
    }

    async fn redeem(&self, order: &OrderRow) -> Result<Option<Update>, StepError> {
        let Some(code) = &order.promo_code else {
            return Ok(Some(Update::NoPromo));
        };
        let discount = self
            .deps
            .campaign
            .redeem(
                code,
                order.id,
                order.customer_id,
                order.subtotal_cents,
                &order.currency,
                &Self::request_id(order),
            )
            .await?;
        Ok(Some(Update::Redeemed(
            discount.clamp(0, order.subtotal_cents),
        )))
    }

    async fn authorize(&self, order: &OrderRow) -> Result<Option<Update>, StepError> {
        let call = || {
            self.payments.authorize(
                order.id,
                &order.card_token,
                order.total_cents,
                &order.currency,
            )
        };
        match call().await {
            // The answer was lost; the call is idempotent, so ask again once.
            Err(PaymentError::Timeout) => {
                call().await?;
            }
            other => {
                other?;
            }
        }
        Ok(Some(Update::Authorized))
    }

    async fn commit(&self, order: &OrderRow) -> Result<Option<Update>, StepError> {
        let reservation = order
            .reservation_id
            .ok_or_else(|| StepError::Fail("the order holds no stock".to_owned()))?;
        match self
            .deps
            .inventory
            .act(reservation, "commit", &Self::request_id(order))
            .await
        {
            Ok(()) => Ok(Some(Update::Committed)),
            Err(CallError::Refused(why)) => Err(StepError::Fail(format!(
                "the stock hold ended before payment completed ({why})"
            ))),
            Err(err) => Err(err.into()),
        }
    }

    async fn capture(&self, order: &OrderRow) -> Result<Option<Update>, StepError> {
        self.payments.capture(order.id).await?;
        Ok(Some(Update::Captured))
    }

    async fn ship_and_confirm(
        &self,
        order: &OrderRow,
        owner: Uuid,
    ) -> Result<Option<Update>, StepError> {
        let mut tx = self.pool.begin().await?;
        let now = OffsetDateTime::now_utc();
        let done = sqlx::query(
            "UPDATE orders SET status = 'confirmed', step = 'done', confirmed_at = $3,
                 carrier = $4, tracking_number = $5, shipment_status = 'pending',
                 lease_owner = NULL, lease_until = NULL, attempts = 0, updated_at = now()
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(order.id)
        .bind(owner)
        .bind(now)
        .bind(CARRIER)
        .bind(tracking_number(order.id))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(None);
        }
        let confirmed = orders::find(&mut tx, order.id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        let items = orders::items(&mut tx, order.id).await?;
        events::confirmed(&mut tx, &confirmed, &items, now).await?;
        if order.source == "cart" {
            cart::remove_ordered(&mut tx, order.id).await?;
        }
        tx.commit().await?;
        Ok(None)
    }

    /// Undoes what the forward steps did, in reverse, then ends `failed`.
    async fn compensate(&self, order: &OrderRow, owner: Uuid) -> Result<Option<Update>, StepError> {
        let rid = Self::request_id(order);
        match order.payment_status.as_str() {
            "authorized" => {
                self.payments.void(order.id).await?;
                return Ok(Some(Update::Payment("voided")));
            }
            "captured" => {
                let refunded = self.payments.refund(order.id).await?;
                return Ok(Some(Update::Refunded(refunded)));
            }
            _ => {}
        }
        // Released whether or not the redemption was recorded: its reply may
        // have been lost after campaign-service redeemed it. Releasing is
        // idempotent (nothing to release is fine).
        if let (Some(code), false) = (&order.promo_code, order.promo_released) {
            self.deps.campaign.release(code, order.id, &rid).await?;
            return Ok(Some(Update::PromoReleased));
        }
        if let Some(next) = self.give_back_stock(order, &rid).await? {
            return Ok(Some(next));
        }
        let reason = order
            .reason
            .clone()
            .unwrap_or_else(|| "the order could not be completed".to_owned());
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE orders SET status = 'failed', step = 'done', failed_at = now(),
                 lease_owner = NULL, lease_until = NULL, attempts = 0, updated_at = now()
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(order.id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(None);
        }
        events::failed(&mut tx, order, &reason).await?;
        tx.commit().await?;
        Ok(None)
    }

    /// Releases a hold the order took, or returns stock it committed. A
    /// flash-sale hold the customer brought stays theirs until it expires,
    /// so a declined card does not cost them their claim.
    async fn give_back_stock(
        &self,
        order: &OrderRow,
        rid: &str,
    ) -> Result<Option<Update>, StepError> {
        let Some(reservation) = order.reservation_id else {
            return Ok(None);
        };
        match (order.stock_status.as_str(), order.source.as_str()) {
            ("held", "cart") => {
                match self.deps.inventory.act(reservation, "release", rid).await {
                    // Committed meanwhile? Then it must be returned instead.
                    Err(CallError::Refused(_)) => Ok(Some(Update::Stock("committed"))),
                    other => {
                        other?;
                        Ok(Some(Update::Stock("released")))
                    }
                }
            }
            ("committed", _) => {
                self.deps.inventory.act(reservation, "return", rid).await?;
                Ok(Some(Update::Stock("returned")))
            }
            // The claim the customer brought: recorded as held, but a commit
            // whose reply was lost may have committed it. Read it: committed
            // means sold to an order that failed, so it is returned.
            ("held", "reservation") => {
                let found = self.deps.inventory.reservation(reservation, rid).await?;
                match found.map(|r| r.status) {
                    Some(status) if status == "committed" => {
                        self.deps.inventory.act(reservation, "return", rid).await?;
                        Ok(Some(Update::Stock("returned")))
                    }
                    _ => Ok(Some(Update::Stock("kept"))),
                }
            }
            _ => Ok(None),
        }
    }

    /// Cancels a confirmed order: refund, stock back, promo code back, then
    /// `cancelled` and `order.cancelled`.
    async fn cancel(&self, order: &OrderRow, owner: Uuid) -> Result<Option<Update>, StepError> {
        let rid = Self::request_id(order);
        match order.payment_status.as_str() {
            "captured" => {
                let refunded = self.payments.refund(order.id).await?;
                return Ok(Some(Update::Refunded(refunded)));
            }
            "authorized" => {
                self.payments.void(order.id).await?;
                return Ok(Some(Update::Payment("voided")));
            }
            _ => {}
        }
        if let Some(next) = self.give_back_stock(order, &rid).await? {
            return Ok(Some(next));
        }
        if order.promo_redeemed {
            if let Some(code) = &order.promo_code {
                self.deps.campaign.release(code, order.id, &rid).await?;
            }
            return Ok(Some(Update::PromoReleased));
        }
        let mut tx = self.pool.begin().await?;
        let now = OffsetDateTime::now_utc();
        let done = sqlx::query(
            "UPDATE orders SET status = 'cancelled', step = 'done', cancelled_at = $3,
                 shipment_status = NULL, lease_owner = NULL, lease_until = NULL, attempts = 0,
                 updated_at = now()
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(order.id)
        .bind(owner)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(None);
        }
        events::cancelled(&mut tx, order, order.refunded_cents, now).await?;
        tx.commit().await?;
        Ok(None)
    }
}

/// What a step changed on the order row.
enum Update {
    /// Nothing: just re-read the row (and keep the lease).
    Touch,
    Reserved(Uuid),
    NoReservationNeeded,
    Redeemed(i64),
    NoPromo,
    Authorized,
    Committed,
    Captured,
    Compensate(String),
    Payment(&'static str),
    Refunded(i64),
    PromoReleased,
    Stock(&'static str),
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
