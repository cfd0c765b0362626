//! `/orders`: checkout with `Idempotency-Key`, order history, cancellation.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use platform::{
    auth::{Caller, Role},
    http::RequestId,
    idempotency::IdempotencyKey,
    pagination::{decode_cursor, page, page_size, Page},
    ApiError, Json, Query,
};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    cart::shopper,
    view::{self, Order},
};
use crate::{
    checkout::{self, problem},
    domain::{OrderRequest, OrderStatus, ShipmentStatus, Step},
    repo::orders,
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get_one))
        .routes(routes!(cancel))
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
    checkout::place(&state, &claims, &key, &request_id.0, raw).await
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
    /// Only orders in this state.
    pub status: Option<OrderStatus>,
    /// Only orders whose shipment is in this state (`pending`: confirmed and
    /// waiting to be shipped).
    pub shipment: Option<ShipmentStatus>,
    /// Only orders placed on or after this UTC day (`YYYY-MM-DD`).
    pub placed_from: Option<String>,
    /// Only orders placed on or before this UTC day (`YYYY-MM-DD`).
    pub placed_to: Option<String>,
}

/// A `YYYY-MM-DD` bound of `field`, as the start of that UTC day.
fn day_start(field: &str, raw: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    raw.map(|raw| {
        crate::reports::parse_day(raw)
            .map(|day| day.midnight().assume_utc())
            .map_err(|m| ApiError::validation(field, &m))
    })
    .transpose()
}

/// Your orders, newest first (admins: everyone's)
#[utoipa::path(
    get, path = "/orders", tag = "orders", security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of orders", body = Page<Order>),
        (status = 400, description = "Bad cursor", body = platform::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter that is not one (an unknown status, a date not YYYY-MM-DD, `placed_to` before `placed_from`)", body = platform::Problem, content_type = "application/problem+json"),
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
    let from = day_start("placed_from", params.placed_from.as_deref())?;
    let to = day_start("placed_to", params.placed_to.as_deref())?;
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            return Err(ApiError::validation(
                "placed_to",
                "must not be before placed_from",
            ));
        }
    }
    let filter = orders::ListFilter {
        customer,
        status: params.status,
        shipment: params.shipment,
        placed_from: from,
        placed_before: to.map(|day| day + time::Duration::DAY),
    };
    let mut conn = state.pool.acquire().await?;
    let rows = orders::list(&mut conn, &filter, before, limit).await?;
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
    match (row.status, row.step, row.shipment_status) {
        (OrderStatus::Cancelled, _, _) | (OrderStatus::Confirmed, Step::Cancel, _) => {}
        (OrderStatus::Failed, _, _) => {
            return conflict("the order failed; there is nothing to cancel")
        }
        (OrderStatus::Pending, _, _) => {
            return conflict("the order is still being placed; try again shortly")
        }
        (OrderStatus::Confirmed, _, Some(ShipmentStatus::Shipped | ShipmentStatus::Delivered)) => {
            return conflict("the order has shipped; it can no longer be cancelled")
        }
        (OrderStatus::Confirmed, Step::Done, _) => {
            // Due to the resumer only after the budget this request drives
            // it for, so the resumer never takes the lease from it (a 202).
            orders::start_cancel(&mut tx, id, state.checkout_budget).await?;
        }
        (OrderStatus::Confirmed, _, _) => {
            return conflict("the order cannot be cancelled in its current state")
        }
    }
    tx.commit().await?;
    let saga = state.saga.clone();
    let driving = tokio::spawn(async move { saga.drive(id).await });
    if let Ok(Ok(Err(err))) = tokio::time::timeout(state.checkout_budget, driving).await {
        tracing::warn!(order_id = %id, error = format!("{err:#}"), "cancelling the order failed; the resumer goes on");
    }
    let order = checkout::current(&state, id).await?;
    let status = if order.status == OrderStatus::Cancelled {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(order)).into_response())
}
