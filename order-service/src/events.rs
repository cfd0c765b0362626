//! The events order-service writes to its outbox, as the payload types in
//! `platform::events::payloads` (docs/events.md).

use platform::events::{
    payloads::{
        DailySales, OrderCancelled, OrderConfirmed, OrderFailed, OrderItem, OrderShipped, Payload,
        ShippingAddress,
    },
    NewEvent,
};
use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::repo::orders::{self, ItemRow, OrderRow};

/// Writes `payload` as the order's next event.
async fn enqueue<P: Payload>(
    conn: &mut PgConnection,
    order: &OrderRow,
    payload: &P,
) -> Result<(), sqlx::Error> {
    let sequence = orders::next_sequence(conn, order.id).await?;
    let event = NewEvent::new(
        payload,
        order.id.to_string(),
        sequence,
        order.correlation_id.clone(),
    );
    platform::outbox::enqueue(conn, event).await?;
    Ok(())
}

pub async fn confirmed(
    conn: &mut PgConnection,
    order: &OrderRow,
    items: &[ItemRow],
    confirmed_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    // Written from a `ShippingAddress` at checkout, so it reads back as one.
    let shipping_address: ShippingAddress = serde_json::from_value(order.shipping_address.clone())
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let confirmed = OrderConfirmed {
        order_id: order.id,
        customer_id: order.customer_id,
        email: order.customer_email.clone(),
        name: order.customer_name.clone(),
        items: items
            .iter()
            .map(|i| OrderItem {
                sku: i.sku.clone(),
                name: i.name.clone(),
                quantity: i.quantity.into(),
                unit_price_cents: i.unit_price_cents,
            })
            .collect(),
        subtotal_cents: order.subtotal_cents,
        discount_cents: order.discount_cents,
        total_cents: order.total_cents,
        currency: order.currency.clone(),
        shipping_address,
        confirmed_at,
    };
    enqueue(conn, order, &confirmed).await
}

pub async fn failed(
    conn: &mut PgConnection,
    order: &OrderRow,
    reason: &str,
) -> Result<(), sqlx::Error> {
    let failed = OrderFailed {
        order_id: order.id,
        customer_id: order.customer_id,
        email: order.customer_email.clone(),
        reason: reason.to_owned(),
    };
    enqueue(conn, order, &failed).await
}

pub async fn cancelled(
    conn: &mut PgConnection,
    order: &OrderRow,
    cancelled_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let cancelled = OrderCancelled {
        order_id: order.id,
        customer_id: order.customer_id,
        email: order.customer_email.clone(),
        name: order.customer_name.clone(),
        refunded_cents: order.refunded_cents,
        currency: order.currency.clone(),
        cancelled_at,
    };
    enqueue(conn, order, &cancelled).await
}

/// `order.shipped`, for a confirmed order (which has its carrier and
/// tracking number from confirmation).
pub async fn shipped(
    conn: &mut PgConnection,
    order: &OrderRow,
    shipped_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let shipped = OrderShipped {
        order_id: order.id,
        customer_id: order.customer_id,
        email: order.customer_email.clone(),
        name: order.customer_name.clone(),
        carrier: order.carrier.clone().unwrap_or_default(),
        tracking_number: order.tracking_number.clone().unwrap_or_default(),
        shipped_at,
    };
    enqueue(conn, order, &shipped).await
}

/// `report.daily_sales`: aggregate id is the date, sequence 1, so the outbox's
/// unique key also refuses a second one for the same day.
pub async fn daily_sales(
    conn: &mut PgConnection,
    report: &DailySales,
    correlation_id: Option<String>,
) -> Result<uuid::Uuid, sqlx::Error> {
    let event = NewEvent::new(report, report.date.clone(), 1, correlation_id);
    platform::outbox::enqueue(conn, event).await
}
