//! The order as clients see it (docs/services.md).

use platform::{auth::Claims, auth::Role, ApiError};
use serde::Serialize;
use sqlx::PgConnection;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    domain::{OrderStatus, ShipmentStatus, ShippingAddress},
    repo::orders::{self, ItemRow, OrderRow},
};

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderItem {
    /// Absent for a flash-sale line whose product the catalog no longer lists.
    pub product_id: Option<Uuid>,
    pub sku: String,
    pub name: String,
    pub quantity: i32,
    /// The price charged, fixed when the order was placed.
    pub unit_price_cents: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_number: String,
    pub status: ShipmentStatus,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Order {
    pub id: Uuid,
    pub status: OrderStatus,
    /// Why the order failed, for the customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub items: Vec<OrderItem>,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub total_cents: i64,
    /// What was given back on cancellation or failure after capture.
    pub refunded_cents: i64,
    pub currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promo_code: Option<String>,
    /// The flash-sale reservation this order checked out, or the hold it took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservation_id: Option<Uuid>,
    #[schema(value_type = ShippingAddress)]
    pub shipping_address: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment: Option<Shipment>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub confirmed_at: Option<OffsetDateTime>,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub cancelled_at: Option<OffsetDateTime>,
}

pub fn order(row: OrderRow, items: Vec<ItemRow>) -> Order {
    let shipment = match (row.carrier, row.tracking_number, row.shipment_status) {
        (Some(carrier), Some(tracking_number), Some(status)) => Some(Shipment {
            carrier,
            tracking_number,
            status,
        }),
        _ => None,
    };
    // The reason is set when compensation starts; it is shown once the order has failed.
    let reason = row.reason.filter(|_| row.status == OrderStatus::Failed);
    Order {
        id: row.id,
        status: row.status,
        reason,
        items: items
            .into_iter()
            .map(|i| OrderItem {
                product_id: i.product_id,
                sku: i.sku,
                name: i.name,
                quantity: i.quantity,
                unit_price_cents: i.unit_price_cents,
            })
            .collect(),
        subtotal_cents: row.subtotal_cents,
        discount_cents: row.discount_cents,
        total_cents: row.total_cents,
        refunded_cents: row.refunded_cents,
        currency: row.currency,
        promo_code: row.promo_code,
        reservation_id: row.reservation_id,
        shipping_address: row.shipping_address,
        shipment,
        created_at: row.created_at,
        updated_at: row.updated_at,
        confirmed_at: row.confirmed_at,
        cancelled_at: row.cancelled_at,
    }
}

/// The order with `id` if `caller` may see it (its owner or an admin);
/// anyone else gets the same 404 as for an order that does not exist.
pub async fn visible(
    conn: &mut PgConnection,
    id: Uuid,
    caller: &Claims,
) -> Result<OrderRow, ApiError> {
    let row = orders::find(conn, id).await?.ok_or(ApiError::NotFound)?;
    if caller.role == Role::Admin || caller.sub == row.customer_id.to_string() {
        Ok(row)
    } else {
        Err(ApiError::NotFound)
    }
}

pub async fn load(conn: &mut PgConnection, row: OrderRow) -> Result<Order, ApiError> {
    let items = orders::items(conn, row.id).await?;
    Ok(order(row, items))
}
