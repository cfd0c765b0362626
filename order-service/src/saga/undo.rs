//! The one undo, for a refused order (`compensate`, ending `failed`) and a
//! cancelled one (`cancel`, ending `cancelled`): money back first, then the
//! promo code, then the stock, one step per drive of the loop, each
//! recorded before the next.
//!
//! It undoes what was attempted, not only what was recorded: a call whose
//! reply was lost may have taken effect, so the promo code is released
//! whether or not its redemption was recorded, and a flash-sale claim is
//! read back before it is kept.

use time::OffsetDateTime;
use uuid::Uuid;

use super::{request_id, Next, Saga, StepError};
use crate::{
    clients::{CallError, HoldAction, HoldStatus},
    domain::{PaymentStatus, Source, Step, StockStatus},
    events,
    repo::{
        orders::OrderRow,
        progress::{self, End, Progress},
    },
};

impl Saga {
    pub(super) async fn undo(&self, order: &OrderRow, owner: Uuid) -> Result<Next, StepError> {
        if let Some(progress) = self.give_back_money(order).await? {
            return Ok(Next::Record(progress));
        }
        if let (Some(code), false) = (&order.promo_code, order.promo_released) {
            // Releasing is idempotent: nothing to release is fine.
            self.deps
                .campaign
                .release(code, order.id, request_id(order))
                .await?;
            return Ok(Next::Record(Progress {
                promo_redeemed: Some(false),
                promo_released: Some(true),
                ..Progress::default()
            }));
        }
        if let Some(stock_status) = self.give_back_stock(order).await? {
            return Ok(Next::Record(Progress {
                stock_status: Some(stock_status),
                ..Progress::default()
            }));
        }
        self.end_undone(order, owner).await
    }

    /// Voids an authorisation or refunds a capture.
    async fn give_back_money(&self, order: &OrderRow) -> Result<Option<Progress>, StepError> {
        let progress = match order.payment_status {
            PaymentStatus::Authorized => {
                self.payments.void(order.id).await?;
                Progress {
                    payment_status: Some(PaymentStatus::Voided),
                    ..Progress::default()
                }
            }
            PaymentStatus::Captured => {
                let refunded = self.payments.refund(order.id).await?;
                Progress {
                    payment_status: Some(PaymentStatus::Refunded),
                    refunded_cents: Some(refunded),
                    ..Progress::default()
                }
            }
            PaymentStatus::None | PaymentStatus::Voided | PaymentStatus::Refunded => {
                return Ok(None)
            }
        };
        Ok(Some(progress))
    }

    /// Releases a hold the order took, or returns stock it committed, and
    /// says what became of it. A flash-sale hold the customer brought stays
    /// theirs until it expires, so a declined card does not cost them their
    /// claim.
    async fn give_back_stock(&self, order: &OrderRow) -> Result<Option<StockStatus>, StepError> {
        let Some(reservation) = order.reservation_id else {
            return Ok(None);
        };
        let inventory = &self.deps.inventory;
        let rid = request_id(order);
        match (order.stock_status, order.source) {
            (StockStatus::Held, Source::Cart) => {
                match inventory.act(reservation, HoldAction::Release, rid).await {
                    // Committed meanwhile? Then it must be returned instead.
                    Err(CallError::Refused(_)) => Ok(Some(StockStatus::Committed)),
                    other => {
                        other?;
                        Ok(Some(StockStatus::Released))
                    }
                }
            }
            (StockStatus::Committed, _) => {
                inventory.act(reservation, HoldAction::Return, rid).await?;
                Ok(Some(StockStatus::Returned))
            }
            // The claim the customer brought: recorded as held, but a commit
            // whose reply was lost may have committed it. Read it: committed
            // means sold to an order that failed, so it is returned.
            (StockStatus::Held, Source::Reservation) => {
                let found = inventory.reservation(reservation, rid).await?;
                if found.is_some_and(|r| r.status == HoldStatus::Committed) {
                    inventory.act(reservation, HoldAction::Return, rid).await?;
                    Ok(Some(StockStatus::Returned))
                } else {
                    Ok(Some(StockStatus::Kept))
                }
            }
            (
                StockStatus::None
                | StockStatus::Released
                | StockStatus::Returned
                | StockStatus::Kept,
                _,
            ) => Ok(None),
        }
    }

    /// Everything is given back: the order ends `failed` (compensation) or
    /// `cancelled`, with its event, in one transaction.
    async fn end_undone(&self, order: &OrderRow, owner: Uuid) -> Result<Next, StepError> {
        let mut tx = self.pool.begin().await?;
        let now = OffsetDateTime::now_utc();
        let end = match order.step {
            Step::Cancel => End::Cancelled { at: now },
            _ => End::Failed,
        };
        let Some(ended) = progress::end(&mut tx, order.id, owner, &end).await? else {
            return Ok(Next::LeaseLost);
        };
        match end {
            End::Cancelled { at } => events::cancelled(&mut tx, &ended, at).await?,
            _ => {
                let reason = ended
                    .reason
                    .as_deref()
                    .unwrap_or("the order could not be completed");
                events::failed(&mut tx, &ended, reason).await?;
            }
        }
        tx.commit().await?;
        Ok(Next::Ended)
    }
}
