//! `/orders`: checkout with `Idempotency-Key`, order history, cancellation.

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use futures::future::join_all;
use platform::{
    auth::{Caller, Claims, Role},
    http::RequestId,
    idempotency::{self, Claim, IdempotencyKey},
    pagination::{decode_cursor, page, page_size, Page},
    ApiError, Json, Problem, Query,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    cart::{catalog_unavailable, shopper},
    view::{self, Order},
};
use crate::{
    clients::CallError,
    domain::{NewOrder, OrderRequest, OrderSource},
    repo::{
        cart,
        orders::{self, ItemRow, NewOrderRow},
    },
    saga::Outcome,
    startup::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get_one))
        .routes(routes!(cancel))
}

fn problem(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> ApiError {
    ApiError::Custom(Box::new(Problem::new(status, slug, title).detail(detail)))
}

/// The lines and subtotal of an order about to be made.
struct Priced {
    items: Vec<ItemRow>,
    subtotal_cents: i64,
    reservation_id: Option<Uuid>,
}

/// Prices the cart from the catalog now.
async fn price_cart(
    state: &AppState,
    customer: Uuid,
    request_id: &str,
) -> Result<Priced, ApiError> {
    let lines = {
        let mut conn = state.pool.acquire().await?;
        cart::lines(&mut conn, customer).await?
    };
    if lines.is_empty() {
        return Err(problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty-cart",
            "The cart is empty",
            "put products in the cart (PUT /cart/items/{product_id}) before ordering from it",
        ));
    }
    let catalog = &state.deps.catalog;
    let products = join_all(
        lines
            .iter()
            .map(|l| catalog.product(l.product_id, request_id)),
    )
    .await;
    let mut items = Vec::with_capacity(lines.len());
    let mut unavailable = Vec::new();
    for (i, (line, product)) in lines.into_iter().zip(products).enumerate() {
        match product.map_err(|e| catalog_unavailable(&e))? {
            Some(p) if p.active && p.currency == *state.shop_currency => items.push(ItemRow {
                line: i as i32 + 1,
                product_id: Some(p.id),
                sku: p.sku,
                name: p.name,
                quantity: line.quantity,
                unit_price_cents: p.price_cents,
            }),
            _ => unavailable.push(line.product_id.to_string()),
        }
    }
    if !unavailable.is_empty() {
        return Err(ApiError::Custom(Box::new(
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "products-unavailable",
                "Products no longer sold",
            )
            .detail(format!(
                "the cart holds products that are no longer sold: {}; remove them and order again",
                unavailable.join(", ")
            ))
            .extension("product_ids", serde_json::json!(unavailable)),
        )));
    }
    let subtotal_cents = items
        .iter()
        .map(|i| i.unit_price_cents.saturating_mul(i64::from(i.quantity)))
        .fold(0i64, i64::saturating_add);
    Ok(Priced {
        items,
        subtotal_cents,
        reservation_id: None,
    })
}

/// Prices a flash-sale reservation at its sale price, after checking the
/// caller owns it.
async fn price_reservation(
    state: &AppState,
    customer: Uuid,
    reservation_id: Uuid,
    request_id: &str,
) -> Result<Priced, ApiError> {
    let inventory = &state.deps.inventory;
    let unavailable = |e: CallError| {
        tracing::warn!(error = %e, "the inventory could not be reached");
        ApiError::Unavailable("the inventory".to_owned())
    };
    let not_found = || {
        problem(
            StatusCode::NOT_FOUND,
            "unknown-reservation",
            "Unknown reservation",
            format!("you hold no reservation {reservation_id}"),
        )
    };
    let reservation = inventory
        .reservation(reservation_id, request_id)
        .await
        .map_err(unavailable)?
        .filter(|r| r.owner_id == customer)
        .ok_or_else(not_found)?;
    if reservation.flash_sale_id.is_none() {
        return Err(ApiError::validation(
            "reservation_id",
            "only a flash-sale claim can be checked out by its reservation_id",
        ));
    }
    match reservation.status.as_str() {
        "held" => {}
        "committed" => {
            return Err(problem(
                StatusCode::CONFLICT,
                "reservation-used",
                "Reservation already checked out",
                "this reservation was already bought",
            ))
        }
        _ => {
            return Err(ApiError::validation(
                "reservation_id",
                "this reservation has expired or was released; claim again",
            ))
        }
    }
    let mut items = Vec::with_capacity(reservation.items.len());
    for (i, item) in reservation.items.iter().enumerate() {
        let product = state
            .deps
            .catalog
            .product_by_sku(&item.sku, request_id)
            .await
            .map_err(|e| catalog_unavailable(&e))?;
        items.push(ItemRow {
            line: i as i32 + 1,
            product_id: product.as_ref().map(|p| p.id),
            name: product.map_or_else(|| item.sku.clone(), |p| p.name),
            sku: item.sku.clone(),
            quantity: item.quantity,
            unit_price_cents: item.unit_price_cents.unwrap_or(0),
        });
    }
    let subtotal_cents = items
        .iter()
        .map(|i| i.unit_price_cents.saturating_mul(i64::from(i.quantity)))
        .fold(0i64, i64::saturating_add);
    Ok(Priced {
        items,
        subtotal_cents,
        reservation_id: Some(reservation_id),
    })
}

/// Writes the order, its lines and the key's link to it in one transaction.
async fn insert_order(
    state: &AppState,
    claims: &Claims,
    key: &str,
    new: &NewOrder,
    priced: Priced,
    request_id: &str,
) -> Result<Uuid, ApiError> {
    let customer = shopper(claims)?;
    let id = Uuid::now_v7();
    let (source, step, stock_status) = match new.source {
        OrderSource::Cart => ("cart", "reserve", "none"),
        OrderSource::Reservation(_) => ("reservation", "redeem", "held"),
    };
    let email = claims.email.clone().unwrap_or_default();
    let name = claims.name.clone().unwrap_or_default();
    let mut tx = state.pool.begin().await?;
    let row = NewOrderRow {
        id,
        customer_id: customer,
        customer_email: &email,
        customer_name: &name,
        step,
        source,
        reservation_id: priced.reservation_id,
        stock_status,
        promo_code: new.promo_code.as_deref(),
        card_token: new.card.as_str(),
        subtotal_cents: priced.subtotal_cents,
        currency: &state.shop_currency,
        shipping_address: serde_json::to_value(&new.address).unwrap_or_default(),
        correlation_id: request_id,
        resume_after: state.checkout_budget,
    };
    orders::insert(&mut tx, &row).await.map_err(|e| {
        ApiError::from_db(
            e,
            "this reservation is already being checked out by another order",
        )
    })?;
    for item in &priced.items {
        orders::insert_item(&mut tx, id, item).await?;
    }
    idempotency::attach(&mut tx, &customer.to_string(), key, id).await?;
    tx.commit().await?;
    Ok(id)
}

fn json_response(status: StatusCode, body: Vec<u8>, content_type: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn current(state: &AppState, id: Uuid) -> Result<Order, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let row = orders::find(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    view::load(&mut conn, row).await
}

/// An order's state as a response: 202 while the saga is still running.
fn order_response(order: &Order, done: StatusCode) -> Result<(StatusCode, Vec<u8>), ApiError> {
    let status = if order.status == "pending" {
        StatusCode::ACCEPTED
    } else {
        done
    };
    let body = serde_json::to_vec(order).map_err(anyhow::Error::from)?;
    Ok((status, body))
}

/// Place an order from your cart or a flash-sale claim
///
/// Requires an `Idempotency-Key` header (any 1 to 255 visible ASCII
/// characters, new for each order). Repeating the request with the same key
/// and body returns the first final answer byte for byte; the same key with
/// another body is a 422; while the first request still runs, a 409. A 202
/// means a service the order needs is down: the order finishes on its own,
/// and `GET /orders/{id}` (or the same request again) shows how it ended.
#[utoipa::path(
    post, path = "/orders", tag = "orders", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Unique per order, chosen by the client",
        pattern = "^[!-~]{1,255}$", example = "order-2026-11-27-0001")),
    request_body = OrderRequest,
    responses(
        (status = 201, description = "The order, confirmed or failed with a reason", body = Order),
        (status = 202, description = "Accepted: the order is pending and finishes later", body = Order),
        (status = 400, description = "Missing Idempotency-Key, or not JSON", body = platform::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such reservation (or not yours)", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The first request with this key is still running, or the reservation is taken", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid order, empty cart, products no longer sold, or this key was used with another body", body = platform::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The catalog or inventory is unavailable; nothing was made", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn create(
    State(state): State<AppState>,
    Caller(claims): Caller,
    IdempotencyKey(key): IdempotencyKey,
    request_id: RequestId,
    Json(raw): Json<serde_json::Value>,
) -> Result<Response, ApiError> {
    let customer = shopper(&claims)?;
    let body_bytes = serde_json::to_vec(&raw).map_err(anyhow::Error::from)?;
    let body: OrderRequest = platform::extract::parse_json(&body_bytes)?;
    let new = NewOrder::try_from(&body).map_err(ApiError::Validation)?;
    let scope = customer.to_string();
    let hash = idempotency::request_hash("POST /orders", &raw);
    match idempotency::claim(&state.pool, &scope, &key, &hash, state.key_lock).await? {
        Claim::Claimed => {}
        Claim::Replay { status, body } => {
            let content_type = if status.is_success() {
                "application/json"
            } else {
                "application/problem+json"
            };
            return Ok(json_response(status, body, content_type));
        }
        Claim::Deferred { resource_id } => {
            let order = current(&state, resource_id).await?;
            let (status, body) = order_response(&order, StatusCode::OK)?;
            return Ok(json_response(status, body, "application/json"));
        }
        Claim::InProgress => {
            return Err(problem(
                StatusCode::CONFLICT,
                "request-in-progress",
                "Request in progress",
                "a request with this Idempotency-Key is still running; retry shortly",
            ))
        }
        Claim::Mismatch => {
            return Err(problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                "this Idempotency-Key was used with another request body; use a new key",
            ))
        }
    }
    let made = make_order(&state, &claims, &key, &new, &request_id.0).await;
    let id = match made {
        Ok(id) => id,
        Err(err) => {
            let response = err.into_response();
            let status = response.status();
            if status.is_client_error() {
                // A final answer about this order: stored and replayed.
                let (parts, body) = response.into_parts();
                let bytes = axum::body::to_bytes(body, 64 * 1024)
                    .await
                    .map_err(|e| anyhow::anyhow!("reading the error body: {e}"))?;
                idempotency::complete(&state.pool, &scope, &key, status, &bytes).await?;
                return Ok(Response::from_parts(parts, axum::body::Body::from(bytes)));
            }
            // Nothing was made and the failure may pass: the key is freed.
            idempotency::release(&state.pool, &scope, &key).await?;
            return Ok(response);
        }
    };
    // The saga runs in its own task, so a client that hangs up does not stop it.
    let saga = state.saga.clone();
    let driving = tokio::spawn(async move { saga.drive(id).await });
    match tokio::time::timeout(state.checkout_budget, driving).await {
        Ok(Ok(Ok(Outcome::Ended | Outcome::Waiting | Outcome::Busy))) => {}
        Ok(Ok(Err(err))) => {
            tracing::warn!(order_id = %id, error = format!("{err:#}"), "driving the order failed; the resumer goes on");
        }
        Ok(Err(err)) => tracing::warn!(order_id = %id, error = %err, "the saga task failed"),
        Err(_) => tracing::info!(order_id = %id, "checkout budget spent; answering 202"),
    }
    let order = current(&state, id).await?;
    let (status, body) = order_response(&order, StatusCode::CREATED)?;
    if status == StatusCode::ACCEPTED {
        idempotency::defer(&state.pool, &scope, &key).await?;
    } else {
        idempotency::complete(&state.pool, &scope, &key, status, &body).await?;
    }
    Ok(json_response(status, body, "application/json"))
}

async fn make_order(
    state: &AppState,
    claims: &Claims,
    key: &str,
    new: &NewOrder,
    request_id: &str,
) -> Result<Uuid, ApiError> {
    let customer = shopper(claims)?;
    let priced = match new.source {
        OrderSource::Cart => price_cart(state, customer, request_id).await?,
        OrderSource::Reservation(id) => price_reservation(state, customer, id, request_id).await?,
    };
    insert_order(state, claims, key, new, priced, request_id).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Admins only: one customer's orders.
    pub customer_id: Option<Uuid>,
}

/// Your orders, newest first (admins: everyone's)
#[utoipa::path(
    get, path = "/orders", tag = "orders", security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of orders", body = Page<Order>),
        (status = 400, description = "Bad cursor", body = platform::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn list(
    State(state): State<AppState>,
    Caller(claims): Caller,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<Order>>, ApiError> {
    let customer = match claims.role {
        Role::Admin => params.customer_id,
        _ => Some(shopper(&claims)?),
    };
    let limit = page_size(params.limit)?;
    let before = decode_cursor(params.cursor.as_deref())?;
    let mut conn = state.pool.acquire().await?;
    let rows = orders::list(&mut conn, customer, before, limit).await?;
    let mut with_items = Vec::with_capacity(rows.len());
    for row in rows {
        let items = orders::items(&mut conn, row.id).await?;
        with_items.push((row, items));
    }
    Ok(Json(page(
        with_items,
        limit,
        |(row, _)| row.id,
        |(row, items)| view::order(row, items),
    )))
}

/// One order (its owner or an admin)
#[utoipa::path(
    get, path = "/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses(
        (status = 200, description = "The order", body = Order),
        (status = 404, description = "No such order (or not yours)", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_one(
    State(state): State<AppState>,
    Caller(claims): Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Order>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let row = view::visible(&mut conn, id, &claims).await?;
    Ok(Json(view::load(&mut conn, row).await?))
}

/// Cancel an order that has not shipped: refund, stock back, `order.cancelled`
///
/// Idempotent: cancelling a cancelled order returns it unchanged.
#[utoipa::path(
    post, path = "/orders/{id}/cancel", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses(
        (status = 200, description = "Cancelled", body = Order),
        (status = 202, description = "Cancelling: a service is down; it finishes later", body = Order),
        (status = 404, description = "No such order (or not yours)", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Shipped, failed, or still being placed", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn cancel(
    State(state): State<AppState>,
    Caller(claims): Caller,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let mut tx = state.pool.begin().await?;
    view::visible(&mut tx, id, &claims).await?;
    let row = orders::find_for_update(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let conflict = |detail: &str| {
        Err(problem(
            StatusCode::CONFLICT,
            "cannot-cancel",
            "The order cannot be cancelled",
            detail,
        ))
    };
    match (
        row.status.as_str(),
        row.step.as_str(),
        row.shipment_status.as_deref(),
    ) {
        ("cancelled", _, _) | ("confirmed", "cancel", _) => {}
        ("failed", _, _) => return conflict("the order failed; there is nothing to cancel"),
        ("pending", _, _) => return conflict("the order is still being placed; try again shortly"),
        ("confirmed", _, Some("shipped" | "delivered")) => {
            return conflict("the order has shipped; it can no longer be cancelled")
        }
        ("confirmed", "done", _) => {
            // Due to the resumer only after the budget this request drives
            // it for, so the resumer never takes the lease from it (a 202).
            sqlx::query(
                "UPDATE orders SET step = 'cancel', attempts = 0,
                     next_attempt_at = now() + make_interval(secs => $2), updated_at = now()
                 WHERE id = $1",
            )
            .bind(id)
            .bind(state.checkout_budget.as_secs_f64())
            .execute(&mut *tx)
            .await?;
        }
        _ => return conflict("the order cannot be cancelled in its current state"),
    }
    tx.commit().await?;
    let saga = state.saga.clone();
    let driving = tokio::spawn(async move { saga.drive(id).await });
    if let Ok(Ok(Err(err))) = tokio::time::timeout(state.checkout_budget, driving).await {
        tracing::warn!(order_id = %id, error = format!("{err:#}"), "cancelling the order failed; the resumer goes on");
    }
    let order = current(&state, id).await?;
    let status = if order.status == "cancelled" {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(order)).into_response())
}
