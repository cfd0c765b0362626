//! The saga's bookkeeping on the order row: its lease, its retries, what
//! each step changed, and the three ends (docs/architecture.md, "Checkout
//! saga"). Every write but `take_lease` and `due` holds for the lease's
//! owner only, so a driver that lost its lease changes nothing.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::orders::{OrderRow, COLUMNS};
use crate::domain::{OrderStatus, PaymentStatus, ShipmentStatus, Step, StockStatus};

/// The driver holding an order's lease, and for how long it renews it.
#[derive(Debug, Clone, Copy)]
pub struct Lease {
    pub owner: Uuid,
    pub secs: f64,
}

/// Takes the saga lease on an unfinished order whose lease is free (or has
/// lapsed: its holder died). Returns the order when taken.
pub async fn take_lease(
    conn: &mut PgConnection,
    id: Uuid,
    lease: Lease,
) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE orders SET lease_owner = $2, lease_until = now() + make_interval(secs => $3)
         WHERE id = $1 AND step <> $4 AND (lease_until IS NULL OR lease_until < now())
         RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(lease.owner)
    .bind(lease.secs)
    .bind(Step::Done)
    .fetch_optional(conn)
    .await
}

/// Lets the lease go and schedules the next try after `delay_secs`.
pub async fn defer(
    conn: &mut PgConnection,
    id: Uuid,
    owner: Uuid,
    delay_secs: f64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orders SET lease_owner = NULL, lease_until = NULL, attempts = attempts + 1,
             next_attempt_at = now() + make_interval(secs => $3), updated_at = now()
         WHERE id = $1 AND lease_owner = $2",
    )
    .bind(id)
    .bind(owner)
    .bind(delay_secs)
    .execute(conn)
    .await?;
    Ok(())
}

/// Orders a resumer may drive now: unfinished, due, with no live lease.
pub async fn due(conn: &mut PgConnection, limit: i64) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM orders
         WHERE step <> $2 AND next_attempt_at <= now()
           AND (lease_until IS NULL OR lease_until < now())
         ORDER BY next_attempt_at LIMIT $1",
    )
    .bind(limit)
    .bind(Step::Done)
    .fetch_all(conn)
    .await
}

/// What one saga step changed on the row; `None` leaves a column as it is.
/// The default changes nothing and only renews the lease.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub step: Option<Step>,
    pub reservation_id: Option<Uuid>,
    pub stock_status: Option<StockStatus>,
    pub payment_status: Option<PaymentStatus>,
    /// Also sets `total_cents` to the subtotal less this.
    pub discount_cents: Option<i64>,
    pub promo_redeemed: Option<bool>,
    pub promo_released: Option<bool>,
    pub refunded_cents: Option<i64>,
    pub reason: Option<String>,
}

/// Records `progress` and renews the lease; a change also resets the step's
/// retry count. Returns the order as it now is, or `None` when the lease
/// was lost.
pub async fn record(
    conn: &mut PgConnection,
    id: Uuid,
    lease: Lease,
    progress: &Progress,
) -> Result<Option<OrderRow>, sqlx::Error> {
    let changed = *progress != Progress::default();
    sqlx::query_as(&format!(
        "UPDATE orders SET
             step = COALESCE($4, step),
             reservation_id = COALESCE($5, reservation_id),
             stock_status = COALESCE($6, stock_status),
             payment_status = COALESCE($7, payment_status),
             discount_cents = COALESCE($8, discount_cents),
             total_cents = subtotal_cents - COALESCE($8, discount_cents),
             promo_redeemed = COALESCE($9, promo_redeemed),
             promo_released = COALESCE($10, promo_released),
             refunded_cents = COALESCE($11, refunded_cents),
             reason = COALESCE($12, reason),
             attempts = CASE WHEN $13 THEN 0 ELSE attempts END,
             lease_until = now() + make_interval(secs => $3), updated_at = now()
         WHERE id = $1 AND lease_owner = $2
         RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(lease.owner)
    .bind(lease.secs)
    .bind(progress.step)
    .bind(progress.reservation_id)
    .bind(progress.stock_status)
    .bind(progress.payment_status)
    .bind(progress.discount_cents)
    .bind(progress.promo_redeemed)
    .bind(progress.promo_released)
    .bind(progress.refunded_cents)
    .bind(progress.reason.as_deref())
    .bind(changed)
    .fetch_optional(conn)
    .await
}

/// How an order ends, with what its end sets.
#[derive(Debug, Clone)]
pub enum End {
    Confirmed {
        at: OffsetDateTime,
        carrier: &'static str,
        tracking_number: String,
    },
    Failed,
    Cancelled {
        at: OffsetDateTime,
    },
}

/// Ends the order and lets its lease go. Returns the order as ended, or
/// `None` when the lease was lost.
pub async fn end(
    conn: &mut PgConnection,
    id: Uuid,
    owner: Uuid,
    end: &End,
) -> Result<Option<OrderRow>, sqlx::Error> {
    let now = OffsetDateTime::now_utc();
    let (status, confirmed_at, failed_at, cancelled_at) = match end {
        End::Confirmed { at, .. } => (OrderStatus::Confirmed, Some(*at), None, None),
        End::Failed => (OrderStatus::Failed, None, Some(now), None),
        End::Cancelled { at } => (OrderStatus::Cancelled, None, None, Some(*at)),
    };
    let (carrier, tracking_number, shipment) = match end {
        End::Confirmed {
            carrier,
            tracking_number,
            ..
        } => (
            Some(*carrier),
            Some(tracking_number.as_str()),
            Some(ShipmentStatus::Pending),
        ),
        End::Failed | End::Cancelled { .. } => (None, None, None),
    };
    sqlx::query_as(&format!(
        "UPDATE orders SET status = $3, step = $4,
             confirmed_at = COALESCE($5, confirmed_at), failed_at = COALESCE($6, failed_at),
             cancelled_at = COALESCE($7, cancelled_at),
             carrier = COALESCE($8, carrier), tracking_number = COALESCE($9, tracking_number),
             shipment_status = $10,
             lease_owner = NULL, lease_until = NULL, attempts = 0, updated_at = now()
         WHERE id = $1 AND lease_owner = $2
         RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(owner)
    .bind(status)
    .bind(Step::Done)
    .bind(confirmed_at)
    .bind(failed_at)
    .bind(cancelled_at)
    .bind(carrier)
    .bind(tracking_number)
    .bind(shipment)
    .fetch_optional(conn)
    .await
}
