//! Orders and their lines: the order as placed, and the writes made to it
//! outside the saga (cancellation asked, shipped, delivered). The saga's own
//! writes are in `progress`.

use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{OrderStatus, PaymentStatus, ShipmentStatus, Source, Step, StockStatus};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_email: String,
    pub customer_name: String,
    pub status: OrderStatus,
    pub step: Step,
    pub reason: Option<String>,
    pub source: Source,
    pub reservation_id: Option<Uuid>,
    pub promo_code: Option<String>,
    pub promo_redeemed: bool,
    /// The promo code's redemption was released (or found never made).
    pub promo_released: bool,
    pub card_token: String,
    pub payment_status: PaymentStatus,
    pub stock_status: StockStatus,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub total_cents: i64,
    pub refunded_cents: i64,
    pub currency: String,
    pub shipping_address: Value,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub shipment_status: Option<ShipmentStatus>,
    pub attempts: i32,
    pub correlation_id: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub confirmed_at: Option<OffsetDateTime>,
    pub cancelled_at: Option<OffsetDateTime>,
    pub shipped_at: Option<OffsetDateTime>,
    pub delivered_at: Option<OffsetDateTime>,
}

pub(super) const COLUMNS: &str =
    "id, customer_id, customer_email, customer_name, status, step, reason, source,
    reservation_id, promo_code, promo_redeemed, promo_released, card_token, payment_status, stock_status,
    subtotal_cents, discount_cents, total_cents, refunded_cents, currency, shipping_address,
    carrier, tracking_number, shipment_status, attempts, correlation_id, created_at, updated_at,
    confirmed_at, cancelled_at, shipped_at, delivered_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub line: i32,
    pub product_id: Option<Uuid>,
    pub sku: String,
    pub name: String,
    pub quantity: i32,
    pub unit_price_cents: i64,
}

/// What `insert` writes.
pub struct NewOrderRow<'a> {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_email: &'a str,
    pub customer_name: &'a str,
    pub step: Step,
    pub source: Source,
    pub reservation_id: Option<Uuid>,
    pub stock_status: StockStatus,
    pub promo_code: Option<&'a str>,
    pub card_token: &'a str,
    pub subtotal_cents: i64,
    pub currency: &'a str,
    pub shipping_address: Value,
    pub correlation_id: &'a str,
    /// When the resumer may first take the order: after the checkout budget,
    /// so it never takes the lease from the request that is placing it.
    pub resume_after: std::time::Duration,
}

pub async fn insert(conn: &mut PgConnection, order: &NewOrderRow<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO orders (id, customer_id, customer_email, customer_name, status, step, source,
             reservation_id, stock_status, promo_code, card_token, subtotal_cents, total_cents,
             currency, shipping_address, correlation_id, next_attempt_at)
         VALUES ($1, $2, $3, $4, $16, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14,
                 now() + make_interval(secs => $15))",
    )
    .bind(order.id)
    .bind(order.customer_id)
    .bind(order.customer_email)
    .bind(order.customer_name)
    .bind(order.step)
    .bind(order.source)
    .bind(order.reservation_id)
    .bind(order.stock_status)
    .bind(order.promo_code)
    .bind(order.card_token)
    .bind(order.subtotal_cents)
    .bind(order.currency)
    .bind(&order.shipping_address)
    .bind(order.correlation_id)
    .bind(order.resume_after.as_secs_f64())
    .bind(OrderStatus::Pending)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_item(
    conn: &mut PgConnection,
    order_id: Uuid,
    item: &ItemRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO order_items (order_id, line, product_id, sku, name, quantity, unit_price_cents)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(order_id)
    .bind(item.line)
    .bind(item.product_id)
    .bind(&item.sku)
    .bind(&item.name)
    .bind(item.quantity)
    .bind(item.unit_price_cents)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM orders WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn find_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM orders WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn items(conn: &mut PgConnection, id: Uuid) -> Result<Vec<ItemRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT line, product_id, sku, name, quantity, unit_price_cents
         FROM order_items WHERE order_id = $1 ORDER BY line",
    )
    .bind(id)
    .fetch_all(conn)
    .await
}

/// A page of orders, newest first; `customer` limits it to one customer's.
/// Which orders a list shows; `None` is any.
#[derive(Debug, Default)]
pub struct ListFilter {
    pub customer: Option<Uuid>,
    pub status: Option<OrderStatus>,
    pub shipment: Option<ShipmentStatus>,
    /// Placed at or after.
    pub placed_from: Option<OffsetDateTime>,
    /// Placed before.
    pub placed_before: Option<OffsetDateTime>,
}

pub async fn list(
    conn: &mut PgConnection,
    filter: &ListFilter,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM orders
         WHERE ($1::uuid IS NULL OR customer_id = $1) AND ($2::uuid IS NULL OR id < $2)
           AND ($4::text IS NULL OR status = $4)
           AND ($5::text IS NULL OR shipment_status = $5)
           AND ($6::timestamptz IS NULL OR created_at >= $6)
           AND ($7::timestamptz IS NULL OR created_at < $7)
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(filter.customer)
    .bind(before)
    .bind(limit + 1)
    .bind(filter.status)
    .bind(filter.shipment)
    .bind(filter.placed_from)
    .bind(filter.placed_before)
    .fetch_all(conn)
    .await
}

/// The next `sequence` for an event about this order.
pub async fn next_sequence(conn: &mut PgConnection, id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE orders SET event_sequence = event_sequence + 1 WHERE id = $1 RETURNING event_sequence",
    )
    .bind(id)
    .fetch_one(conn)
    .await
}

/// Hands a confirmed order to the `cancel` step, due to the resumer only
/// after `resume_after`, so the request that asked drives it first.
pub async fn start_cancel(
    conn: &mut PgConnection,
    id: Uuid,
    resume_after: std::time::Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orders SET step = $2, attempts = 0,
             next_attempt_at = now() + make_interval(secs => $3), updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(Step::Cancel)
    .bind(resume_after.as_secs_f64())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_shipped(
    conn: &mut PgConnection,
    id: Uuid,
    shipped_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orders SET shipment_status = $2, shipped_at = $3, updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(ShipmentStatus::Shipped)
    .bind(shipped_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_delivered(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orders SET shipment_status = $2, delivered_at = now(), updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(ShipmentStatus::Delivered)
    .execute(conn)
    .await?;
    Ok(())
}
