//! The steps that place an order, each idempotent on the order id.

use time::OffsetDateTime;
use uuid::Uuid;

use super::{request_id, tracking_number, Next, Saga, StepError, CARRIER};
use crate::{
    clients::{CallError, HoldAction, ReservationItem},
    domain::{PaymentStatus, Source, Step, StockStatus},
    events,
    payments::PaymentError,
    repo::{
        cart,
        orders::{self, OrderRow},
        progress::{self, End, Progress},
    },
};

/// Moves on to `step` having changed nothing else.
fn to(step: Step) -> Progress {
    Progress {
        step: Some(step),
        ..Progress::default()
    }
}

impl Saga {
    pub(super) async fn reserve(&self, order: &OrderRow) -> Result<Next, StepError> {
        if order.source == Source::Reservation {
            // The flash-sale claim is the hold; it was checked at creation.
            return Ok(Next::Record(to(Step::Redeem)));
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
                request_id(order),
            )
            .await?;
        Ok(Next::Record(Progress {
            reservation_id: Some(id),
            stock_status: Some(StockStatus::Held),
            ..to(Step::Redeem)
        }))
    }

    pub(super) async fn redeem(&self, order: &OrderRow) -> Result<Next, StepError> {
        let Some(code) = &order.promo_code else {
            return Ok(Next::Record(to(Step::Authorize)));
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
                request_id(order),
            )
            .await?;
        Ok(Next::Record(Progress {
            discount_cents: Some(discount.clamp(0, order.subtotal_cents)),
            promo_redeemed: Some(true),
            ..to(Step::Authorize)
        }))
    }

    pub(super) async fn authorize(&self, order: &OrderRow) -> Result<Next, StepError> {
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
        Ok(Next::Record(Progress {
            payment_status: Some(PaymentStatus::Authorized),
            ..to(Step::Commit)
        }))
    }

    pub(super) async fn commit(&self, order: &OrderRow) -> Result<Next, StepError> {
        let reservation = order
            .reservation_id
            .ok_or_else(|| StepError::Fail("the order holds no stock".to_owned()))?;
        match self
            .deps
            .inventory
            .act(reservation, HoldAction::Commit, request_id(order))
            .await
        {
            Ok(()) => Ok(Next::Record(Progress {
                stock_status: Some(StockStatus::Committed),
                ..to(Step::Capture)
            })),
            Err(CallError::Refused(why)) => Err(StepError::Fail(format!(
                "the stock hold ended before payment completed ({why})"
            ))),
            Err(err) => Err(err.into()),
        }
    }

    pub(super) async fn capture(&self, order: &OrderRow) -> Result<Next, StepError> {
        self.payments.capture(order.id).await?;
        Ok(Next::Record(Progress {
            payment_status: Some(PaymentStatus::Captured),
            ..to(Step::Ship)
        }))
    }

    /// Creates the shipment and confirms the order, with `order.confirmed`
    /// and the ordered lines out of the cart, in one transaction.
    pub(super) async fn ship_and_confirm(
        &self,
        order: &OrderRow,
        owner: Uuid,
    ) -> Result<Next, StepError> {
        let mut tx = self.pool.begin().await?;
        let now = OffsetDateTime::now_utc();
        let end = End::Confirmed {
            at: now,
            carrier: CARRIER,
            tracking_number: tracking_number(order.id),
        };
        let Some(confirmed) = progress::end(&mut tx, order.id, owner, &end).await? else {
            return Ok(Next::LeaseLost);
        };
        let items = orders::items(&mut tx, order.id).await?;
        events::confirmed(&mut tx, &confirmed, &items, now).await?;
        if order.source == Source::Cart {
            cart::remove_ordered(&mut tx, order.id).await?;
        }
        tx.commit().await?;
        Ok(Next::Ended)
    }
}
