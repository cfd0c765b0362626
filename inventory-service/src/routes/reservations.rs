//! `/reservations`: all-or-nothing holds on several SKUs for services, with expiry.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use platform::{
    auth::{Caller, Role, ServiceCaller},
    http::RequestId,
    ApiError, Json, Problem,
};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    domain::{NewReservation, ReservationRequest},
    holds,
    repo::{
        reservations::{self, ItemRow, ReservationRow},
        stock,
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(get_one))
        .routes(routes!(commit))
        .routes(routes!(release))
        .routes(routes!(return_units))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReservationItem {
    pub sku: String,
    pub quantity: i32,
    /// Set for flash-sale reservations: the sale price.
    pub unit_price_cents: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Reservation {
    pub id: Uuid,
    pub reference: String,
    /// held | committed | released | expired | returned
    pub status: String,
    pub owner_id: Uuid,
    pub flash_sale_id: Option<Uuid>,
    pub items: Vec<ReservationItem>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

pub fn view(row: ReservationRow, items: Vec<ItemRow>) -> Reservation {
    Reservation {
        id: row.id,
        reference: row.reference,
        status: row.status,
        owner_id: row.owner_id,
        flash_sale_id: row.flash_sale_id,
        items: items
            .into_iter()
            .map(|i| ReservationItem {
                sku: i.sku,
                quantity: i.quantity,
                unit_price_cents: i.unit_price_cents,
            })
            .collect(),
        expires_at: row.expires_at,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Shortage {
    pub sku: String,
    pub requested: i32,
    pub available: i32,
}

/// Hold stock for an order (services; idempotent on `reference`)
#[utoipa::path(
    post, path = "/reservations", tag = "reservations", security(("bearer" = [])),
    request_body = ReservationRequest,
    responses(
        (status = 201, description = "Held", body = Reservation),
        (status = 200, description = "This reference was already reserved: the same reservation", body = Reservation),
        (status = 403, description = "Not a service token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "An unknown SKU", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not enough stock; `shortages` lists each short SKU", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid request", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn create(
    State(state): State<AppState>,
    _service: ServiceCaller,
    request_id: RequestId,
    Json(body): Json<ReservationRequest>,
) -> Result<(StatusCode, Json<Reservation>), ApiError> {
    let new = NewReservation::try_from(body).map_err(ApiError::Validation)?;
    let ttl = new.ttl_seconds.map_or(state.reservation_ttl, |s| {
        std::time::Duration::from_secs(s as u64)
    });
    let expires_at = OffsetDateTime::now_utc() + ttl;
    let mut tx = state.pool.begin().await?;
    let Some(id) = reservations::insert(
        &mut tx,
        Uuid::now_v7(),
        &new.reference,
        new.owner_id,
        None,
        expires_at,
    )
    .await?
    else {
        let existing = reservations::find_by_reference(&mut tx, &new.reference)
            .await?
            .ok_or(ApiError::NotFound)?;
        if existing.owner_id != new.owner_id {
            return Err(ApiError::Conflict(
                "this reference belongs to another reservation".to_owned(),
            ));
        }
        let items = reservations::items(&mut tx, existing.id).await?;
        return Ok((StatusCode::OK, Json(view(existing, items))));
    };
    let mut shortages = Vec::new();
    for (sku, quantity) in &new.items {
        if stock::hold(&mut tx, sku.as_ref(), quantity.get()).await? {
            reservations::insert_item(&mut tx, id, sku.as_ref(), quantity.get(), None).await?;
            stock::check_low_stock(&mut tx, sku.as_ref(), Some(request_id.0.clone())).await?;
        } else {
            let Some(row) = stock::find(&mut tx, sku.as_ref()).await? else {
                return Err(ApiError::Custom(Box::new(
                    Problem::new(StatusCode::NOT_FOUND, "unknown-sku", "Unknown SKU")
                        .detail(format!("no stock record for {sku}")),
                )));
            };
            shortages.push(Shortage {
                sku: sku.to_string(),
                requested: quantity.get(),
                available: row.available.max(0),
            });
        }
    }
    if !shortages.is_empty() {
        // Dropping the transaction rolls back every line: all or nothing.
        return Err(ApiError::Custom(Box::new(
            Problem::new(
                StatusCode::CONFLICT,
                "insufficient-stock",
                "Insufficient stock",
            )
            .detail("not enough stock for every line; nothing was reserved")
            .extension(
                "shortages",
                serde_json::to_value(&shortages).unwrap_or_default(),
            ),
        )));
    }
    let row = reservations::find(&mut tx, id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    let items = reservations::items(&mut tx, id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view(row, items))))
}

/// A reservation (the service, or the customer who owns it)
#[utoipa::path(
    get, path = "/reservations/{id}", tag = "reservations", security(("bearer" = [])),
    responses(
        (status = 200, description = "The reservation", body = Reservation),
        (status = 404, description = "No such reservation (or not yours)", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_one(
    State(state): State<AppState>,
    Caller(claims): Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Reservation>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let row = reservations::find(&mut conn, id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    let allowed = claims.role == Role::Service || claims.sub == row.owner_id.to_string();
    if !allowed {
        return Err(ApiError::NotFound);
    }
    let items = reservations::items(&mut conn, id).await?;
    Ok(Json(view(row, items)))
}

fn conflict(detail: &str) -> ApiError {
    ApiError::Conflict(detail.to_owned())
}

/// Commit a held reservation: its units are sold (services; idempotent)
#[utoipa::path(
    post, path = "/reservations/{id}/commit", tag = "reservations", security(("bearer" = [])),
    responses(
        (status = 200, description = "Committed", body = Reservation),
        (status = 404, description = "No such reservation", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Released or expired", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn commit(
    State(state): State<AppState>,
    _service: ServiceCaller,
    request_id: RequestId,
    Path(id): Path<Uuid>,
) -> Result<Json<Reservation>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let row = reservations::find(&mut tx, id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    let items = reservations::items(&mut tx, id).await?;
    match row.status.as_str() {
        "committed" => return Ok(Json(view(row, items))),
        "released" => return Err(conflict("the reservation was released")),
        "expired" => return Err(conflict("the reservation has expired")),
        "returned" => return Err(conflict("the reservation was returned")),
        _ => {}
    }
    if row.expires_at <= OffsetDateTime::now_utc() {
        let returned =
            holds::give_back(&mut tx, &row, &items, "expired", Some(request_id.0)).await?;
        tx.commit().await?;
        state.return_to_gate(returned).await;
        return Err(conflict("the reservation has expired"));
    }
    holds::commit(&mut tx, &row, &items).await?;
    let row = reservations::find(&mut tx, id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(view(row, items)))
}

/// Release a held reservation: its units return (services; idempotent)
#[utoipa::path(
    post, path = "/reservations/{id}/release", tag = "reservations", security(("bearer" = [])),
    responses(
        (status = 200, description = "Released (or already released or expired)", body = Reservation),
        (status = 404, description = "No such reservation", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already committed", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn release(
    State(state): State<AppState>,
    _service: ServiceCaller,
    request_id: RequestId,
    Path(id): Path<Uuid>,
) -> Result<Json<Reservation>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let row = reservations::find(&mut tx, id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    let items = reservations::items(&mut tx, id).await?;
    match row.status.as_str() {
        "released" | "expired" => return Ok(Json(view(row, items))),
        "committed" | "returned" => return Err(conflict("the reservation was committed")),
        _ => {}
    }
    let returned = holds::give_back(&mut tx, &row, &items, "released", Some(request_id.0)).await?;
    let row = reservations::find(&mut tx, id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    state.return_to_gate(returned).await;
    Ok(Json(view(row, items)))
}

/// Return a committed reservation's units to stock, e.g. for an order cancelled before it shipped (services; idempotent)
#[utoipa::path(
    post, path = "/reservations/{id}/return", tag = "reservations", security(("bearer" = [])),
    responses(
        (status = 200, description = "Returned (or already returned)", body = Reservation),
        (status = 404, description = "No such reservation", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not committed: release a held reservation instead", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn return_units(
    State(state): State<AppState>,
    _service: ServiceCaller,
    Path(id): Path<Uuid>,
) -> Result<Json<Reservation>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let row = reservations::find(&mut tx, id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    let items = reservations::items(&mut tx, id).await?;
    match row.status.as_str() {
        "returned" => return Ok(Json(view(row, items))),
        "committed" => {}
        _ => return Err(conflict("only a committed reservation can be returned")),
    }
    holds::return_committed(&mut tx, &row, &items).await?;
    let row = reservations::find(&mut tx, id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(view(row, items)))
}
