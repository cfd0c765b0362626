//! `/orders/{id}/ship` and `/deliver` (admins).

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use platform::{auth::AdminUser, ApiError, Json, Problem};
use time::OffsetDateTime;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::view::{self, Order};
use crate::{
    domain::{OrderStatus, ShipmentStatus, Step},
    events,
    repo::orders,
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ship))
        .routes(routes!(deliver))
}

fn conflict(detail: &str) -> ApiError {
    ApiError::Custom(Box::new(
        Problem::new(
            StatusCode::CONFLICT,
            "wrong-order-state",
            "Wrong order state",
        )
        .detail(detail),
    ))
}

/// Hand a confirmed order to the carrier (`order.shipped`; idempotent)
#[utoipa::path(
    post, path = "/orders/{id}/ship", tag = "fulfilment", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses(
        (status = 200, description = "Shipped (or already was)", body = Order),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a confirmed order", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn ship(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Order>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let row = orders::find_for_update(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    match (row.status, row.step, row.shipment_status) {
        (OrderStatus::Confirmed, _, Some(ShipmentStatus::Shipped | ShipmentStatus::Delivered)) => {}
        (OrderStatus::Confirmed, Step::Done, Some(ShipmentStatus::Pending)) => {
            let now = OffsetDateTime::now_utc();
            orders::mark_shipped(&mut tx, id, now).await?;
            events::shipped(&mut tx, &row, now).await?;
        }
        (OrderStatus::Confirmed, Step::Cancel, _) => {
            return Err(conflict("the order is being cancelled"))
        }
        (status, _, _) => {
            return Err(conflict(&format!(
                "only a confirmed order can ship; this one is {status}"
            )))
        }
    }
    let row = orders::find(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    let order = view::load(&mut tx, row).await?;
    tx.commit().await?;
    Ok(Json(order))
}

/// Record that a shipped order arrived (idempotent)
#[utoipa::path(
    post, path = "/orders/{id}/deliver", tag = "fulfilment", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses(
        (status = 200, description = "Delivered (or already was)", body = Order),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not shipped", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn deliver(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Order>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let row = orders::find_for_update(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    match row.shipment_status {
        Some(ShipmentStatus::Delivered) => {}
        Some(ShipmentStatus::Shipped) => orders::mark_delivered(&mut tx, id).await?,
        Some(ShipmentStatus::Pending) | None => {
            return Err(conflict("only a shipped order can be delivered"))
        }
    }
    let row = orders::find(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    let order = view::load(&mut tx, row).await?;
    tx.commit().await?;
    Ok(Json(order))
}
