//! `POST /products`, `PATCH /products/{id}`, `DELETE /products/{id}` (admin).
//! Each write commits the row and its event together, then replaces the cache entry.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use platform::{
    auth::AdminUser,
    events::payloads::{ProductCreated, ProductDeleted, ProductUpdated},
    http::RequestId,
    outbox, ApiError, FieldError, Json,
};
use uuid::Uuid;

use super::{cached, product_event, Product};
use crate::{
    domain::{NewProduct, ProductPatch, ProductRequest},
    repo::{categories, products, products::ProductRow},
    state::AppState,
};

/// Create a product (admin)
#[utoipa::path(
    post, path = "/products", tag = "products", security(("bearer" = [])),
    request_body = ProductRequest,
    responses(
        (status = 201, description = "Created; emits `catalog.product_created`", body = Product),
        (status = 401, description = "No valid token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The SKU is taken", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn create(
    State(state): State<AppState>,
    _admin: AdminUser,
    request_id: RequestId,
    Json(body): Json<ProductRequest>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    let product = NewProduct::parse(body, &state.shop_currency).map_err(ApiError::Validation)?;
    let mut tx = state.pool.begin().await?;
    check_category(&mut tx, product.fields.category_id).await?;
    let row = products::insert(&mut tx, &product)
        .await
        .map_err(|e| ApiError::from_db(e, "a product with this SKU exists"))?;
    outbox::enqueue(
        &mut tx,
        product_event(ProductCreated, &row, Some(request_id.0)),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(after_write(&state, row).await)))
}

/// Change a product (admin)
#[utoipa::path(
    patch, path = "/products/{id}", tag = "products", security(("bearer" = [])),
    request_body = ProductPatch,
    responses(
        (status = 200, description = "The changed product; emits `catalog.product_updated`", body = Product),
        (status = 401, description = "No valid token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn update(
    State(state): State<AppState>,
    _admin: AdminUser,
    request_id: RequestId,
    Path(id): Path<Uuid>,
    Json(patch): Json<ProductPatch>,
) -> Result<Json<Product>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let current = products::find_for_update(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let fields = patch
        .apply(current.fields(), &state.shop_currency)
        .map_err(ApiError::Validation)?;
    if fields.category_id != current.category_id {
        check_category(&mut tx, fields.category_id).await?;
    }
    let row = products::update(&mut tx, id, &fields)
        .await?
        .ok_or(ApiError::NotFound)?;
    outbox::enqueue(
        &mut tx,
        product_event(ProductUpdated, &row, Some(request_id.0)),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(after_write(&state, row).await))
}

/// Delete a product (admin): it is deactivated, not erased
#[utoipa::path(
    delete, path = "/products/{id}", tag = "products", security(("bearer" = [])),
    responses(
        (status = 204, description = "Deactivated; emits `catalog.product_deleted` (once)"),
        (status = 401, description = "No valid token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn delete(
    State(state): State<AppState>,
    _admin: AdminUser,
    request_id: RequestId,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.pool.begin().await?;
    let current = products::find_for_update(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !current.active {
        // Already deleted: nothing changes, nothing is emitted.
        return Ok(StatusCode::NO_CONTENT);
    }
    let mut fields = current.fields();
    fields.active = false;
    let row = products::update(&mut tx, id, &fields)
        .await?
        .ok_or(ApiError::NotFound)?;
    outbox::enqueue(
        &mut tx,
        product_event(ProductDeleted, &row, Some(request_id.0)),
    )
    .await?;
    tx.commit().await?;
    after_write(&state, row).await;
    Ok(StatusCode::NO_CONTENT)
}

/// An unknown category is a field error, not a foreign-key 500.
async fn check_category(conn: &mut sqlx::PgConnection, id: Option<Uuid>) -> Result<(), ApiError> {
    match id {
        Some(id) if !categories::exists(conn, id).await? => {
            Err(ApiError::Validation(vec![FieldError::new(
                "category_id",
                "no such category",
            )]))
        }
        _ => Ok(()),
    }
}

/// After the commit: the cache gets the committed product (never an older one).
async fn after_write(state: &AppState, row: ProductRow) -> Product {
    match cached(Some(row.clone())) {
        Ok(entry) => state.cache.store_after_write(row.id, entry).await,
        Err(err) => tracing::error!(error = %err, "serialising a product for the cache failed"),
    }
    Product::from(row)
}
