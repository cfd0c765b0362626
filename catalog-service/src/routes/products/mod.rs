//! `/products`: admins write; anyone reads the active ones.

mod cursor;
mod read;
mod search;
mod write;

use platform::events::{
    payloads::{CatalogProduct, Payload},
    NewEvent,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub use cursor::SearchCursor;

use crate::{cache::Cached, repo::products::ProductRow, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(write::create, search::list))
        .routes(routes!(read::get_one, write::update, write::delete))
}

/// A product as clients read it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "01937a50-1d2e-7a4b-8c3d-9e0f1a2b3c4d", "sku": "MUG-BLUE-350", "name": "Blue mug, 350 ml", "description": "A stoneware mug with a blue glaze.", "price_cents": 1250, "currency": "USD", "category_id": null, "attributes": {"colour": "blue"}, "image_url": null, "active": true, "version": 1, "created_at": "2026-11-23T10:00:00Z", "updated_at": "2026-11-23T10:00:00Z"}))]
pub struct Product {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub category_id: Option<Uuid>,
    #[schema(value_type = Object)]
    pub attributes: Value,
    pub image_url: Option<String>,
    pub active: bool,
    /// Increases with every change; the `ETag` is `"v<version>"`.
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<ProductRow> for Product {
    fn from(row: ProductRow) -> Self {
        Self {
            id: row.id,
            sku: row.sku,
            name: row.name,
            description: row.description,
            price_cents: row.price_cents,
            currency: row.currency,
            category_id: row.category_id,
            attributes: row.attributes,
            image_url: row.image_url,
            active: row.active,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The cache entry for a product row (or its absence).
pub fn cached(row: Option<ProductRow>) -> anyhow::Result<Cached> {
    Ok(match row {
        None => Cached::Absent,
        Some(row) => Cached::Present {
            version: row.version,
            active: row.active,
            json: serde_json::to_string(&Product::from(row))?,
        },
    })
}

/// `catalog.product_*` (`ProductCreated`, `ProductUpdated` or
/// `ProductDeleted`) about `row`; `sequence` is the row's version.
pub fn product_event<P: Payload>(
    event: fn(CatalogProduct) -> P,
    row: &ProductRow,
    correlation_id: Option<String>,
) -> NewEvent {
    let product = CatalogProduct {
        product_id: row.id,
        sku: row.sku.clone(),
        name: row.name.clone(),
        price_cents: row.price_cents,
        currency: row.currency.clone(),
        active: row.active,
    };
    NewEvent::new(
        &event(product),
        row.id.to_string(),
        row.version,
        correlation_id,
    )
}
