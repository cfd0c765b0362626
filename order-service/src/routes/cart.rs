//! `/cart`: the customer's cart, kept in Postgres; prices shown live from the catalog.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use futures::future::join_all;
use platform::{
    auth::Caller,
    auth::{Claims, Role},
    http::RequestId,
    ApiError, Json, Problem,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    clients::{CallError, Catalog},
    domain::{cart_quantity, MAX_CART_LINES},
    repo::cart,
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_cart, clear))
        .routes(routes!(put_item, remove_item))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"quantity": 2}))]
pub struct CartItemRequest {
    /// 1 to 100.
    pub quantity: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CartLine {
    pub product_id: Uuid,
    pub quantity: i32,
    /// Null when the catalog no longer sells the product.
    pub sku: Option<String>,
    pub name: Option<String>,
    /// Today's catalog price.
    pub unit_price_cents: Option<i64>,
    pub line_total_cents: Option<i64>,
    /// False when the product is no longer sold: checkout would refuse it.
    pub available: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cart {
    pub items: Vec<CartLine>,
    /// The sum of the available lines.
    pub subtotal_cents: i64,
    pub currency: String,
}

/// People have carts; service tokens do not.
pub fn shopper(claims: &Claims) -> Result<Uuid, ApiError> {
    if claims.role == Role::Service {
        return Err(ApiError::Forbidden);
    }
    Uuid::parse_str(&claims.sub).map_err(|_| ApiError::Forbidden)
}

pub fn catalog_unavailable(err: &CallError) -> ApiError {
    tracing::warn!(error = %err, "the catalog could not be reached");
    ApiError::Unavailable("the catalog".to_owned())
}

async fn view(state: &AppState, customer: Uuid, request_id: &str) -> Result<Cart, ApiError> {
    let lines = {
        let mut conn = state.pool.acquire().await?;
        cart::lines(&mut conn, customer).await?
    };
    let catalog: &Catalog = &state.deps.catalog;
    let products = join_all(
        lines
            .iter()
            .map(|l| catalog.product(l.product_id, request_id)),
    )
    .await;
    let mut items = Vec::with_capacity(lines.len());
    let mut subtotal = 0i64;
    for (line, product) in lines.into_iter().zip(products) {
        let product = product.map_err(|e| catalog_unavailable(&e))?;
        let sold = product.filter(|p| p.active && p.currency == *state.shop_currency);
        let line_total = sold
            .as_ref()
            .map(|p| p.price_cents.saturating_mul(i64::from(line.quantity)));
        subtotal = subtotal.saturating_add(line_total.unwrap_or(0));
        items.push(CartLine {
            product_id: line.product_id,
            quantity: line.quantity,
            available: sold.is_some(),
            sku: sold.as_ref().map(|p| p.sku.clone()),
            name: sold.as_ref().map(|p| p.name.clone()),
            unit_price_cents: sold.as_ref().map(|p| p.price_cents),
            line_total_cents: line_total,
        });
    }
    Ok(Cart {
        items,
        subtotal_cents: subtotal,
        currency: state.shop_currency.to_string(),
    })
}

/// Your cart, priced from the catalog now
#[utoipa::path(
    get, path = "/cart", tag = "cart", security(("bearer" = [])),
    responses(
        (status = 200, description = "The cart", body = Cart),
        (status = 401, description = "No or bad token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The catalog is unavailable", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_cart(
    State(state): State<AppState>,
    Caller(claims): Caller,
    request_id: RequestId,
) -> Result<Json<Cart>, ApiError> {
    let customer = shopper(&claims)?;
    Ok(Json(view(&state, customer, &request_id.0).await?))
}

/// Put a product in your cart with this quantity (replacing the line's quantity)
#[utoipa::path(
    put, path = "/cart/items/{product_id}", tag = "cart", security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The catalog product")),
    request_body = CartItemRequest,
    responses(
        (status = 200, description = "The cart after the change", body = Cart),
        (status = 404, description = "No such product", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad quantity, product not sold, or the cart is full", body = platform::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The catalog is unavailable", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn put_item(
    State(state): State<AppState>,
    Caller(claims): Caller,
    request_id: RequestId,
    Path(product_id): Path<Uuid>,
    Json(body): Json<CartItemRequest>,
) -> Result<Json<Cart>, ApiError> {
    let customer = shopper(&claims)?;
    let quantity = cart_quantity(body.quantity).map_err(|m| ApiError::validation("quantity", m))?;
    let product = state
        .deps
        .catalog
        .product(product_id, &request_id.0)
        .await
        .map_err(|e| catalog_unavailable(&e))?
        .ok_or_else(|| {
            ApiError::Custom(Box::new(
                Problem::new(StatusCode::NOT_FOUND, "unknown-product", "Unknown product")
                    .detail(format!("the catalog has no product {product_id}")),
            ))
        })?;
    if !product.active {
        return Err(ApiError::validation(
            "product_id",
            "this product is no longer sold",
        ));
    }
    let mut conn = state.pool.acquire().await?;
    if !cart::put(&mut conn, customer, product_id, quantity, MAX_CART_LINES).await? {
        return Err(ApiError::validation(
            "product_id",
            "the cart already holds 50 different products",
        ));
    }
    drop(conn);
    Ok(Json(view(&state, customer, &request_id.0).await?))
}

/// Take a product out of your cart
#[utoipa::path(
    delete, path = "/cart/items/{product_id}", tag = "cart", security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The catalog product")),
    responses(
        (status = 204, description = "Removed (or was not there)"),
        (status = 401, description = "No or bad token", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn remove_item(
    State(state): State<AppState>,
    Caller(claims): Caller,
    Path(product_id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let customer = shopper(&claims)?;
    let mut conn = state.pool.acquire().await?;
    cart::remove(&mut conn, customer, product_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Empty your cart
#[utoipa::path(
    delete, path = "/cart", tag = "cart", security(("bearer" = [])),
    responses(
        (status = 204, description = "Emptied"),
        (status = 401, description = "No or bad token", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn clear(
    State(state): State<AppState>,
    Caller(claims): Caller,
) -> Result<StatusCode, ApiError> {
    let customer = shopper(&claims)?;
    let mut conn = state.pool.acquire().await?;
    cart::clear(&mut conn, customer).await?;
    Ok(StatusCode::NO_CONTENT)
}
