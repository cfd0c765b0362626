//! `/inventory/{sku}`: stock levels (anyone reads; admins set and adjust).

use axum::extract::{Path, State};
use platform::{
    auth::AdminUser,
    error::is_unique_violation,
    http::RequestId,
    pagination::{decode_cursor, decode_key_cursor, encode_key_cursor, page, page_size, Page},
    ApiError, FieldError, Json, Query,
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    domain::{AdjustmentRequest, Sku, StockRequest},
    repo::stock::{self, Adjusted, MovementRow, StockRow, MAX_ON_HAND},
    state::AppState,
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_stock))
        .routes(routes!(get_stock, put_stock))
        .routes(routes!(adjust))
        .routes(routes!(list_movements))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StockListParams {
    /// Only SKUs starting with this (upper case, as SKUs are).
    pub sku_prefix: Option<String>,
    /// Only SKUs whose available stock is under their low-stock threshold.
    pub low: Option<bool>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// Every SKU's stock, in SKU order (admin)
#[utoipa::path(
    get, path = "/inventory", tag = "inventory", security(("bearer" = [])), params(StockListParams),
    responses(
        (status = 200, description = "A page of SKUs", body = Page<StockRow>),
        (status = 400, description = "A cursor this API did not issue", body = platform::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_stock(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(params): Query<StockListParams>,
) -> Result<Json<Page<StockRow>>, ApiError> {
    let limit = page_size(params.limit)?;
    let after = decode_key_cursor(params.cursor.as_deref())?;
    let prefix = params
        .sku_prefix
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_uppercase);
    if prefix.as_ref().is_some_and(|p| p.chars().count() > 64) {
        return Err(ApiError::validation(
            "sku_prefix",
            "must be at most 64 characters",
        ));
    }
    let mut conn = state.pool.acquire().await?;
    let rows = stock::list(
        &mut conn,
        after.as_deref(),
        prefix.as_deref(),
        params.low.unwrap_or(false),
        limit + 1,
    )
    .await?;
    let more = rows.len() as i64 > limit;
    let mut items = rows;
    items.truncate(limit as usize);
    let next_cursor = more
        .then(|| items.last().map(|r| encode_key_cursor(&r.sku)))
        .flatten();
    Ok(Json(Page { items, next_cursor }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MovementParams {
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// A SKU's stock movements, newest first (admin)
#[utoipa::path(
    get, path = "/inventory/{sku}/movements", tag = "inventory", security(("bearer" = [])), params(MovementParams),
    responses(
        (status = 200, description = "A page of movements", body = Page<MovementRow>),
        (status = 400, description = "A cursor this API did not issue", body = platform::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown SKU", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_movements(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(sku): Path<String>,
    Query(params): Query<MovementParams>,
) -> Result<Json<Page<MovementRow>>, ApiError> {
    let sku = parse_sku(&sku)?;
    let limit = page_size(params.limit)?;
    let before = decode_cursor(params.cursor.as_deref())?;
    let mut conn = state.pool.acquire().await?;
    if stock::find(&mut conn, sku.as_ref()).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let rows = stock::movements(&mut conn, sku.as_ref(), before, limit + 1).await?;
    Ok(Json(page(rows, limit, |r| r.id, |r| r)))
}

fn parse_sku(raw: &str) -> Result<Sku, ApiError> {
    Sku::parse(raw).map_err(|m| ApiError::validation("sku", m))
}

/// A CHECK violation means the change would take stock below what is held.
fn held_units_conflict(err: sqlx::Error) -> ApiError {
    match &err {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("23514") => ApiError::Conflict(
            "the change would leave less stock than is reserved or allocated to sales".to_owned(),
        ),
        _ if is_unique_violation(&err) => ApiError::Conflict("concurrent change; retry".to_owned()),
        _ => ApiError::from(err),
    }
}

/// A SKU's stock
#[utoipa::path(
    get, path = "/inventory/{sku}", tag = "inventory",
    responses(
        (status = 200, description = "Stock levels", body = StockRow),
        (status = 404, description = "Unknown SKU", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_stock(
    State(state): State<AppState>,
    Path(sku): Path<String>,
) -> Result<Json<StockRow>, ApiError> {
    let sku = parse_sku(&sku)?;
    let mut conn = state.pool.acquire().await?;
    stock::find(&mut conn, sku.as_ref())
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// Set a SKU's on-hand stock and low-stock threshold (admin)
#[utoipa::path(
    put, path = "/inventory/{sku}", tag = "inventory", security(("bearer" = [])),
    request_body = StockRequest,
    responses(
        (status = 200, description = "The new levels", body = StockRow),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Less than is reserved or allocated", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid levels", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn put_stock(
    State(state): State<AppState>,
    _admin: AdminUser,
    request_id: RequestId,
    Path(sku): Path<String>,
    Json(body): Json<StockRequest>,
) -> Result<Json<StockRow>, ApiError> {
    let sku = parse_sku(&sku)?;
    let mut errors = Vec::new();
    if !(0..=i64::from(MAX_ON_HAND)).contains(&body.on_hand) {
        errors.push(FieldError::new("on_hand", "must be zero or more"));
    }
    if !(0..=i64::from(MAX_ON_HAND)).contains(&body.low_stock_threshold) {
        errors.push(FieldError::new(
            "low_stock_threshold",
            "must be zero or more",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (on_hand, threshold) = (body.on_hand as i32, body.low_stock_threshold as i32);
    let mut tx = state.pool.begin().await?;
    let old = stock::set_levels(&mut tx, sku.as_ref(), on_hand, threshold)
        .await
        .map_err(held_units_conflict)?;
    stock::record_movement(
        &mut tx,
        sku.as_ref(),
        on_hand - old,
        "set",
        "stock level set",
    )
    .await?;
    stock::check_low_stock(&mut tx, sku.as_ref(), Some(request_id.0)).await?;
    let row = stock::find(&mut tx, sku.as_ref())
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await.map_err(held_units_conflict)?;
    Ok(Json(row))
}

/// Add or remove units with a reason (admin)
#[utoipa::path(
    post, path = "/inventory/{sku}/adjustments", tag = "inventory", security(("bearer" = [])),
    request_body = AdjustmentRequest,
    responses(
        (status = 200, description = "The new levels", body = StockRow),
        (status = 404, description = "Unknown SKU", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Would leave less than is reserved or allocated", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid adjustment", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn adjust(
    State(state): State<AppState>,
    _admin: AdminUser,
    request_id: RequestId,
    Path(sku): Path<String>,
    Json(body): Json<AdjustmentRequest>,
) -> Result<Json<StockRow>, ApiError> {
    let sku = parse_sku(&sku)?;
    let mut errors = Vec::new();
    if body.delta == 0 || body.delta.unsigned_abs() > 1_000_000 {
        errors.push(FieldError::new(
            "delta",
            "must be a non-zero number of units up to 1000000",
        ));
    }
    let reason = body.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        errors.push(FieldError::new("reason", "must be 1 to 500 characters"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let delta = body.delta as i32;
    let mut tx = state.pool.begin().await?;
    match stock::adjust(&mut tx, sku.as_ref(), delta)
        .await
        .map_err(held_units_conflict)?
    {
        Adjusted::Done => {}
        Adjusted::UnknownSku => return Err(ApiError::NotFound),
        Adjusted::OverMaximum => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "delta",
                format!("would put more than {MAX_ON_HAND} units on hand"),
            )]))
        }
    }
    stock::record_movement(&mut tx, sku.as_ref(), delta, "adjustment", reason).await?;
    stock::check_low_stock(&mut tx, sku.as_ref(), Some(request_id.0)).await?;
    let row = stock::find(&mut tx, sku.as_ref())
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await.map_err(held_units_conflict)?;
    Ok(Json(row))
}
