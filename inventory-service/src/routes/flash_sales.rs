//! `/flash-sales`: admins create sales carved out of a SKU's available stock.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use platform::{
    auth::AdminUser,
    http::RequestId,
    pagination::{decode_cursor, page, page_size, Page},
    ApiError, Json, Problem, Query,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    domain::{FlashSaleRequest, NewFlashSale},
    repo::{
        sales::{self, SaleRow, SaleStatus},
        stock,
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get_one))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlashSale {
    pub id: Uuid,
    pub sku: String,
    pub quantity: i32,
    pub remaining: i32,
    pub price_cents: i64,
    pub currency: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub per_customer_limit: i32,
    pub status: SaleStatus,
}

impl From<SaleRow> for FlashSale {
    fn from(row: SaleRow) -> Self {
        Self {
            status: row.status_at(OffsetDateTime::now_utc()),
            id: row.id,
            sku: row.sku,
            quantity: row.quantity,
            remaining: row.remaining,
            price_cents: row.price_cents,
            currency: row.currency,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            per_customer_limit: row.per_customer_limit,
        }
    }
}

/// Create a flash sale from a SKU's available stock (admin)
#[utoipa::path(
    post, path = "/flash-sales", tag = "flash-sales", security(("bearer" = [])),
    request_body = FlashSaleRequest,
    responses(
        (status = 201, description = "Created; its units are no longer available to ordinary orders", body = FlashSale),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown SKU", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not enough available stock", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid sale", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn create(
    State(state): State<AppState>,
    _admin: AdminUser,
    request_id: RequestId,
    Json(body): Json<FlashSaleRequest>,
) -> Result<(StatusCode, Json<FlashSale>), ApiError> {
    let sale = NewFlashSale::try_from(body).map_err(ApiError::Validation)?;
    let mut tx = state.pool.begin().await?;
    let Some(current) = stock::find(&mut tx, sale.sku.as_ref()).await? else {
        return Err(ApiError::NotFound);
    };
    if !stock::allocate(&mut tx, sale.sku.as_ref(), sale.quantity.get()).await? {
        return Err(ApiError::Custom(Box::new(
            Problem::new(
                StatusCode::CONFLICT,
                "insufficient-stock",
                "Insufficient stock",
            )
            .detail(format!(
                "{} has {} available; the sale needs {}",
                sale.sku,
                current.available,
                sale.quantity.get()
            )),
        )));
    }
    let id = sales::insert(&mut tx, &sale, &state.shop_currency).await?;
    stock::check_low_stock(&mut tx, sale.sku.as_ref(), Some(request_id.0)).await?;
    let row = sales::find(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    if let Some(gate) = &state.gate {
        if let Err(err) = gate.rebuild(&row, &[]).await {
            tracing::warn!(error = %err, "priming the flash-sale gate failed; it is rebuilt on first use");
        }
    }
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub cursor: Option<String>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// List flash sales
#[utoipa::path(
    get, path = "/flash-sales", tag = "flash-sales", params(ListParams),
    responses((status = 200, description = "A page of sales", body = Page<FlashSale>))
)]
async fn list(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<FlashSale>>, ApiError> {
    let limit = page_size(params.limit)?;
    let after = decode_cursor(params.cursor.as_deref())?;
    let mut conn = state.pool.acquire().await?;
    let rows = sales::list(&mut conn, after, limit + 1).await?;
    Ok(Json(page(rows, limit, |r| r.id, FlashSale::from)))
}

/// A flash sale with its remaining units and status
#[utoipa::path(
    get, path = "/flash-sales/{id}", tag = "flash-sales",
    responses(
        (status = 200, description = "The sale", body = FlashSale),
        (status = 404, description = "No such sale", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> Result<Json<FlashSale>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    sales::find(&mut conn, id)
        .await?
        .map(|r| Json(r.into()))
        .ok_or(ApiError::NotFound)
}
