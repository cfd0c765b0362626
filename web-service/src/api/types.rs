//! What the pages read of the services' answers (their OpenAPI documents
//! have the rest; unknown fields are ignored, so a service may add fields).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub category_id: Option<Uuid>,
    pub image_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Category {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Stock {
    pub available: i64,
    pub low_stock_threshold: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleStatus {
    Scheduled,
    Active,
    SoldOut,
    Ended,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FlashSale {
    pub id: Uuid,
    pub sku: String,
    pub quantity: i64,
    pub remaining: i64,
    pub price_cents: i64,
    pub currency: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub per_customer_limit: i64,
    pub status: SaleStatus,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Claim {
    pub reservation_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Offer {
    Percent { percent_off: i64 },
    Fixed { amount_off_cents: i64 },
}

#[derive(Debug, Clone, Deserialize)]
pub struct PromoCodeView {
    pub code: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Campaign {
    pub name: String,
    pub description: String,
    pub offer: Offer,
    pub currency: String,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub promo_code: Option<PromoCodeView>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PromoCheck {
    pub code: String,
    pub applies: bool,
    pub reason: Option<String>,
    pub campaign_name: String,
    pub min_order_cents: i64,
    pub discount_cents: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CartLine {
    pub product_id: Uuid,
    pub quantity: i64,
    pub name: Option<String>,
    pub unit_price_cents: Option<i64>,
    pub line_total_cents: Option<i64>,
    pub available: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Cart {
    pub items: Vec<CartLine>,
    pub subtotal_cents: i64,
    pub currency: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    Confirmed,
    Failed,
    Cancelled,
    Shipped,
    Delivered,
}

impl OrderStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Being placed",
            Self::Confirmed => "Confirmed",
            Self::Failed => "Not placed",
            Self::Cancelled => "Cancelled",
            Self::Shipped => "Shipped",
            Self::Delivered => "Delivered",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct OrderItem {
    pub name: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_number: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub province: Option<String>,
    pub postal_code: String,
    pub country: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Order {
    pub id: Uuid,
    pub status: OrderStatus,
    pub items: Vec<OrderItem>,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub total_cents: i64,
    pub refunded_cents: i64,
    pub currency: String,
    pub promo_code: Option<String>,
    pub reason: Option<String>,
    pub shipping_address: Address,
    pub shipment: Option<Shipment>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Order {
    /// Cancelling is offered until the order ships.
    pub fn cancellable(&self) -> bool {
        self.status == OrderStatus::Confirmed
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Customer {
    pub id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub marketing_opt_in: bool,
    pub role: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct MarketingPreference {
    pub marketing_opt_in: bool,
}
