//! The events order-service writes to its outbox (payloads in docs/events.md).

use platform::events::NewEvent;
use serde_json::{json, Value};
use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::repo::{
    orders::{self, ItemRow, OrderRow},
    reports::DailySales,
};

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

async fn enqueue(
    conn: &mut PgConnection,
    order: &OrderRow,
    event_type: &'static str,
    data: Value,
) -> Result<(), sqlx::Error> {
    let sequence = orders::next_sequence(conn, order.id).await?;
    platform::outbox::enqueue(
        conn,
        NewEvent {
            event_type,
            version: 1,
            aggregate_id: order.id.to_string(),
            sequence,
            correlation_id: order.correlation_id.clone(),
            data,
        },
    )
    .await?;
    Ok(())
}

pub async fn confirmed(
    conn: &mut PgConnection,
    order: &OrderRow,
    items: &[ItemRow],
    confirmed_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let items: Vec<Value> = items
        .iter()
        .map(|i| {
            json!({"sku": i.sku, "name": i.name, "quantity": i.quantity, "unit_price_cents": i.unit_price_cents})
        })
        .collect();
    let data = json!({
        "order_id": order.id,
        "customer_id": order.customer_id,
        "email": order.customer_email,
        "name": order.customer_name,
        "items": items,
        "subtotal_cents": order.subtotal_cents,
        "discount_cents": order.discount_cents,
        "total_cents": order.total_cents,
        "currency": order.currency,
        "shipping_address": order.shipping_address,
        "confirmed_at": rfc3339(confirmed_at),
    });
    enqueue(conn, order, "order.confirmed", data).await
}

pub async fn failed(
    conn: &mut PgConnection,
    order: &OrderRow,
    reason: &str,
) -> Result<(), sqlx::Error> {
    let data = json!({
        "order_id": order.id,
        "customer_id": order.customer_id,
        "email": order.customer_email,
        "reason": reason,
    });
    enqueue(conn, order, "order.failed", data).await
}

pub async fn cancelled(
    conn: &mut PgConnection,
    order: &OrderRow,
    refunded_cents: i64,
    cancelled_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let data = json!({
        "order_id": order.id,
        "customer_id": order.customer_id,
        "email": order.customer_email,
        "name": order.customer_name,
        "refunded_cents": refunded_cents,
        "currency": order.currency,
        "cancelled_at": rfc3339(cancelled_at),
    });
    enqueue(conn, order, "order.cancelled", data).await
}

pub async fn shipped(
    conn: &mut PgConnection,
    order: &OrderRow,
    shipped_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let data = json!({
        "order_id": order.id,
        "customer_id": order.customer_id,
        "email": order.customer_email,
        "name": order.customer_name,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "shipped_at": rfc3339(shipped_at),
    });
    enqueue(conn, order, "order.shipped", data).await
}

/// `report.daily_sales`: aggregate id is the date, sequence 1, so the outbox's
/// unique key also refuses a second one for the same day.
pub async fn daily_sales(
    conn: &mut PgConnection,
    report: &DailySales,
    correlation_id: Option<String>,
) -> Result<uuid::Uuid, sqlx::Error> {
    platform::outbox::enqueue(
        conn,
        NewEvent {
            event_type: "report.daily_sales",
            version: 1,
            aggregate_id: report.date.clone(),
            sequence: 1,
            correlation_id,
            data: serde_json::to_value(report).unwrap_or_default(),
        },
    )
    .await
}
