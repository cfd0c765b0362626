use std::collections::BTreeMap;

use platform::FieldError;
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Quantity, Sku};

/// `PUT /inventory/{sku}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"on_hand": 500, "low_stock_threshold": 20}))]
pub struct StockRequest {
    #[schema(minimum = 0, maximum = 1_073_741_823)]
    pub on_hand: i64,
    #[schema(minimum = 0, maximum = 1_073_741_823)]
    pub low_stock_threshold: i64,
}

/// `POST /inventory/{sku}/adjustments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"delta": -3, "reason": "damaged in the warehouse"}))]
pub struct AdjustmentRequest {
    /// Units to add (positive) or remove (negative); not zero.
    #[schema(minimum = -1_000_000, maximum = 1_000_000)]
    pub delta: i64,
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationItemRequest {
    pub sku: String,
    #[schema(minimum = 1, maximum = 100_000)]
    pub quantity: i64,
}

/// `POST /reservations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reference": "order-01937a4e", "owner_id": "01937a4e-8c1e-7cc2-9f3a-2f5d1d0b6a41", "items": [{"sku": "MUG-1", "quantity": 2}], "ttl_seconds": 600}))]
pub struct ReservationRequest {
    /// The caller's idempotency key: the same reference gives the same reservation.
    pub reference: String,
    pub owner_id: Uuid,
    #[schema(min_items = 1, max_items = 100)]
    pub items: Vec<ReservationItemRequest>,
    /// 30 to 3600 seconds (default 600).
    #[schema(minimum = 30, maximum = 3600)]
    pub ttl_seconds: Option<i64>,
}

#[derive(Debug)]
pub struct NewReservation {
    pub reference: String,
    pub owner_id: Uuid,
    /// One line per SKU, in SKU order (so concurrent reservations lock rows in one order).
    pub items: BTreeMap<Sku, Quantity>,
    pub ttl_seconds: Option<i64>,
}

impl TryFrom<ReservationRequest> for NewReservation {
    type Error = Vec<FieldError>;

    fn try_from(body: ReservationRequest) -> Result<Self, Self::Error> {
        let mut errors = Vec::new();
        let reference = body.reference.trim().to_owned();
        if reference.is_empty() || reference.chars().count() > 200 {
            errors.push(FieldError::new("reference", "must be 1 to 200 characters"));
        }
        if body.items.is_empty() || body.items.len() > 100 {
            errors.push(FieldError::new("items", "must hold 1 to 100 lines"));
        }
        let mut items: BTreeMap<Sku, Quantity> = BTreeMap::new();
        for (i, item) in body.items.iter().enumerate() {
            let sku = Sku::parse(&item.sku)
                .map_err(|m| errors.push(FieldError::new(format!("items[{i}].sku"), m)));
            let quantity = Quantity::new(item.quantity)
                .map_err(|m| errors.push(FieldError::new(format!("items[{i}].quantity"), m)));
            if let (Ok(sku), Ok(quantity)) = (sku, quantity) {
                if items.insert(sku, quantity).is_some() {
                    errors.push(FieldError::new(format!("items[{i}].sku"), "appears twice"));
                }
            }
        }
        if let Some(ttl) = body.ttl_seconds {
            if !(30..=3600).contains(&ttl) {
                errors.push(FieldError::new(
                    "ttl_seconds",
                    "must be between 30 and 3600",
                ));
            }
        }
        if errors.is_empty() {
            Ok(Self {
                reference,
                owner_id: body.owner_id,
                items,
                ttl_seconds: body.ttl_seconds,
            })
        } else {
            Err(errors)
        }
    }
}

/// `POST /flash-sales`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"sku": "MUG-1", "quantity": 100, "price_cents": 999, "starts_at": "2026-11-27T12:00:00Z", "ends_at": "2026-11-27T12:15:00Z", "per_customer_limit": 1}))]
pub struct FlashSaleRequest {
    pub sku: String,
    #[schema(minimum = 1, maximum = 100_000)]
    pub quantity: i64,
    #[schema(minimum = 1)]
    pub price_cents: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    #[schema(minimum = 1, maximum = 1000)]
    pub per_customer_limit: i64,
}

#[derive(Debug)]
pub struct NewFlashSale {
    pub sku: Sku,
    pub quantity: Quantity,
    pub price_cents: i64,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub per_customer_limit: i32,
}

impl TryFrom<FlashSaleRequest> for NewFlashSale {
    type Error = Vec<FieldError>;

    fn try_from(body: FlashSaleRequest) -> Result<Self, Self::Error> {
        let mut errors = Vec::new();
        let sku = Sku::parse(&body.sku)
            .map_err(|m| errors.push(FieldError::new("sku", m)))
            .ok();
        let quantity = Quantity::new(body.quantity)
            .map_err(|m| errors.push(FieldError::new("quantity", m)))
            .ok();
        if body.price_cents <= 0 {
            errors.push(FieldError::new("price_cents", "must be above zero"));
        }
        if body.ends_at <= body.starts_at {
            errors.push(FieldError::new("ends_at", "must be after starts_at"));
        }
        if body.ends_at <= OffsetDateTime::now_utc() {
            errors.push(FieldError::new("ends_at", "must be in the future"));
        }
        if !(1..=1000).contains(&body.per_customer_limit) {
            errors.push(FieldError::new(
                "per_customer_limit",
                "must be between 1 and 1000",
            ));
        }
        match (sku, quantity, errors.is_empty()) {
            (Some(sku), Some(quantity), true) => Ok(Self {
                sku,
                quantity,
                price_cents: body.price_cents,
                starts_at: body.starts_at,
                ends_at: body.ends_at,
                per_customer_limit: body.per_customer_limit as i32,
            }),
            _ => Err(errors),
        }
    }
}
