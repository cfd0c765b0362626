//! The calls the back office makes, with the admin's own token: the
//! services decide what an admin may do, as they do for Swagger UI.

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    calls::{not_found_is_none, query, url_segment, NO_BODY},
    send,
    types::{Order, Page},
    Api, Ctx, Failure,
};

/// A product as an admin edits it (inactive ones too).
#[derive(Debug, Clone, Deserialize)]
pub struct AdminProduct {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub category_id: Option<Uuid>,
    pub active: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// What the product form sends: the create body, or the fields to change.
#[derive(Debug, Clone, Serialize)]
pub struct ProductFields<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<&'a str>,
    pub name: &'a str,
    pub description: &'a str,
    pub price_cents: i64,
    pub currency: &'a str,
    pub category_id: Option<Uuid>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StockLevels {
    pub sku: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub allocated_to_sales: i64,
    pub available: i64,
    pub low_stock_threshold: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl StockLevels {
    /// Under its threshold, as inventory counts it for `inventory.stock_low`.
    pub fn is_low(&self) -> bool {
        self.available < self.low_stock_threshold
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Movement {
    pub delta: i64,
    pub kind: String,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// What the orders list is filtered by, as the order service takes it.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<String>,
    pub shipment: Option<String>,
    pub placed_from: Option<String>,
    pub placed_to: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EmailLogEntry {
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
}

impl Api {
    pub async fn admin_products(
        &self,
        ctx: &Ctx,
        q: Option<&str>,
        active: bool,
        cursor: Option<&str>,
    ) -> Result<Page<AdminProduct>, Failure> {
        let qs = query(&[
            ("q", q.map(str::to_owned)),
            ("active", Some(active.to_string())),
            ("cursor", cursor.map(str::to_owned)),
            ("limit", Some("20".to_owned())),
        ]);
        let path = format!("/products?{qs}");
        send(&self.catalog, ctx, Method::GET, &path, NO_BODY, None).await
    }

    pub async fn admin_product(
        &self,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<Option<AdminProduct>, Failure> {
        let path = format!("/products/{id}");
        not_found_is_none(send(&self.catalog, ctx, Method::GET, &path, NO_BODY, None).await)
    }

    pub async fn create_product(
        &self,
        ctx: &Ctx,
        fields: &ProductFields<'_>,
    ) -> Result<AdminProduct, Failure> {
        send(
            &self.catalog,
            ctx,
            Method::POST,
            "/products",
            Some(fields),
            None,
        )
        .await
    }

    pub async fn update_product(
        &self,
        ctx: &Ctx,
        id: Uuid,
        fields: &ProductFields<'_>,
    ) -> Result<AdminProduct, Failure> {
        let path = format!("/products/{id}");
        send(&self.catalog, ctx, Method::PATCH, &path, Some(fields), None).await
    }

    pub async fn set_product_active(
        &self,
        ctx: &Ctx,
        id: Uuid,
        active: bool,
    ) -> Result<AdminProduct, Failure> {
        let path = format!("/products/{id}");
        let body = serde_json::json!({ "active": active });
        send(&self.catalog, ctx, Method::PATCH, &path, Some(&body), None).await
    }

    pub async fn stock_list(
        &self,
        ctx: &Ctx,
        sku_prefix: Option<&str>,
        low: bool,
        cursor: Option<&str>,
    ) -> Result<Page<StockLevels>, Failure> {
        let qs = query(&[
            ("sku_prefix", sku_prefix.map(str::to_owned)),
            ("low", low.then(|| "true".to_owned())),
            ("cursor", cursor.map(str::to_owned)),
            ("limit", Some("50".to_owned())),
        ]);
        let path = format!("/inventory?{qs}");
        send(&self.inventory, ctx, Method::GET, &path, NO_BODY, None).await
    }

    pub async fn stock_levels(&self, ctx: &Ctx, sku: &str) -> Result<Option<StockLevels>, Failure> {
        let path = format!("/inventory/{}", url_segment(sku));
        not_found_is_none(send(&self.inventory, ctx, Method::GET, &path, NO_BODY, None).await)
    }

    pub async fn set_stock_levels(
        &self,
        ctx: &Ctx,
        sku: &str,
        on_hand: &Value,
        threshold: &Value,
    ) -> Result<StockLevels, Failure> {
        let path = format!("/inventory/{}", url_segment(sku));
        let body = serde_json::json!({ "on_hand": on_hand, "low_stock_threshold": threshold });
        send(&self.inventory, ctx, Method::PUT, &path, Some(&body), None).await
    }

    pub async fn adjust_stock(
        &self,
        ctx: &Ctx,
        sku: &str,
        delta: &Value,
        reason: &str,
    ) -> Result<StockLevels, Failure> {
        let path = format!("/inventory/{}/adjustments", url_segment(sku));
        let body = serde_json::json!({ "delta": delta, "reason": reason });
        send(&self.inventory, ctx, Method::POST, &path, Some(&body), None).await
    }

    pub async fn stock_movements(
        &self,
        ctx: &Ctx,
        sku: &str,
        cursor: Option<&str>,
    ) -> Result<Page<Movement>, Failure> {
        let qs = query(&[
            ("cursor", cursor.map(str::to_owned)),
            ("limit", Some("20".to_owned())),
        ]);
        let path = format!("/inventory/{}/movements?{qs}", url_segment(sku));
        send(&self.inventory, ctx, Method::GET, &path, NO_BODY, None).await
    }

    pub async fn admin_orders(&self, ctx: &Ctx, f: &OrderFilter) -> Result<Page<Order>, Failure> {
        let qs = query(&[
            ("status", f.status.clone()),
            ("shipment", f.shipment.clone()),
            ("placed_from", f.placed_from.clone()),
            ("placed_to", f.placed_to.clone()),
            ("cursor", f.cursor.clone()),
            ("limit", Some("25".to_owned())),
        ]);
        let path = format!("/orders?{qs}");
        send(&self.order, ctx, Method::GET, &path, NO_BODY, None).await
    }

    /// `ship` or `deliver`.
    pub async fn fulfil(&self, ctx: &Ctx, id: Uuid, step: &str) -> Result<Order, Failure> {
        let path = format!("/orders/{id}/{step}");
        send(&self.order, ctx, Method::POST, &path, NO_BODY, None).await
    }

    /// The emails sent about `about` (an order id), newest first.
    pub async fn emails_about(
        &self,
        ctx: &Ctx,
        about: &str,
    ) -> Result<Page<EmailLogEntry>, Failure> {
        let qs = query(&[
            ("about", Some(about.to_owned())),
            ("limit", Some("50".to_owned())),
        ]);
        let path = format!("/emails?{qs}");
        send(&self.campaign, ctx, Method::GET, &path, NO_BODY, None).await
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AdminPromoCode {
    pub code: String,
    pub max_redemptions: Option<i64>,
    pub min_order_cents: i64,
    pub per_customer_limit: Option<i64>,
    pub redeemed_count: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AdminCampaign {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub offer: super::types::Offer,
    pub currency: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub active: bool,
    pub promo_code: Option<AdminPromoCode>,
}

/// A flash sale's figures now (inventory-service).
#[derive(Debug, Clone, Deserialize)]
pub struct SaleFigures {
    pub quantity: i64,
    pub remaining: i64,
    pub claims: i64,
    pub held: i64,
    pub checked_out: i64,
    pub given_back: i64,
    pub claims_per_second: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HourlySales {
    pub hour: u8,
    pub orders: i64,
    pub revenue_cents: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TopProduct {
    pub sku: String,
    pub name: String,
    pub units: i64,
    pub revenue_cents: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DailyReport {
    pub date: String,
    pub orders: i64,
    pub units: i64,
    pub revenue_cents: i64,
    pub discount_cents: i64,
    pub currency: String,
    pub top_products: Vec<TopProduct>,
    pub hours: Vec<HourlySales>,
}

impl Api {
    pub async fn admin_campaigns(
        &self,
        ctx: &Ctx,
        cursor: Option<&str>,
    ) -> Result<Page<AdminCampaign>, Failure> {
        let qs = query(&[
            ("cursor", cursor.map(str::to_owned)),
            ("limit", Some("20".to_owned())),
        ]);
        let path = format!("/campaigns?{qs}");
        send(&self.campaign, ctx, Method::GET, &path, NO_BODY, None).await
    }

    pub async fn admin_campaign(
        &self,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<Option<AdminCampaign>, Failure> {
        let path = format!("/campaigns/{id}");
        not_found_is_none(send(&self.campaign, ctx, Method::GET, &path, NO_BODY, None).await)
    }

    pub async fn create_campaign(&self, ctx: &Ctx, body: &Value) -> Result<AdminCampaign, Failure> {
        send(
            &self.campaign,
            ctx,
            Method::POST,
            "/campaigns",
            Some(body),
            None,
        )
        .await
    }

    /// Ends a running campaign now (its code stops applying); the record stays.
    pub async fn end_campaign(&self, ctx: &Ctx, id: Uuid) -> Result<AdminCampaign, Failure> {
        let path = format!("/campaigns/{id}");
        let now = OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let body = serde_json::json!({ "ends_at": now });
        send(&self.campaign, ctx, Method::PATCH, &path, Some(&body), None).await
    }

    pub async fn admin_sales(
        &self,
        ctx: &Ctx,
        cursor: Option<&str>,
    ) -> Result<Page<super::types::FlashSale>, Failure> {
        let qs = query(&[
            ("cursor", cursor.map(str::to_owned)),
            ("limit", Some("20".to_owned())),
        ]);
        let path = format!("/flash-sales?{qs}");
        send(&self.inventory, ctx, Method::GET, &path, NO_BODY, None).await
    }

    pub async fn create_sale(
        &self,
        ctx: &Ctx,
        body: &Value,
    ) -> Result<super::types::FlashSale, Failure> {
        send(
            &self.inventory,
            ctx,
            Method::POST,
            "/flash-sales",
            Some(body),
            None,
        )
        .await
    }

    pub async fn sale_figures(&self, ctx: &Ctx, id: Uuid) -> Result<SaleFigures, Failure> {
        let path = format!("/flash-sales/{id}/figures");
        send(&self.inventory, ctx, Method::GET, &path, NO_BODY, None).await
    }

    pub async fn daily_report(&self, ctx: &Ctx, date: &str) -> Result<DailyReport, Failure> {
        let path = format!(
            "/reports/daily-sales?{}",
            query(&[("date", Some(date.to_owned()))])
        );
        send(&self.order, ctx, Method::GET, &path, NO_BODY, None).await
    }
}
