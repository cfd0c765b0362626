//! `POST /flash-sales/{id}/claims`: a customer claims one unit. The Redis
//! gate answers most claims (sold out, over the limit, not open) without
//! Postgres; admitted claims become a reservation through a conditional
//! update that can never take more than the sale holds.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use platform::{auth::Caller, auth::Role, http::ClientIp, ApiError, Json, Problem};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    gate::GateAnswer,
    repo::{
        reservations,
        sales::{self, SaleRow, SaleStatus, UnitClaim},
    },
    startup::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(claim))
}

/// A claim takes an empty JSON object.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {}

#[derive(Debug, Serialize, ToSchema)]
pub struct Claim {
    /// Check it out with `POST /orders {"reservation_id": ...}` before it expires.
    pub reservation_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

fn sold_out() -> ApiError {
    ApiError::Custom(Box::new(
        Problem::new(StatusCode::CONFLICT, "sold-out", "Sold out")
            .detail("every unit of this sale has been claimed"),
    ))
}

fn limit_reached() -> ApiError {
    ApiError::Custom(Box::new(
        Problem::new(StatusCode::CONFLICT, "claim-limit-reached", "Limit reached")
            .detail("you already hold as many units of this sale as it allows per customer"),
    ))
}

fn not_open(status: SaleStatus) -> ApiError {
    let detail = match status {
        SaleStatus::Scheduled => "the sale has not started yet",
        _ => "the sale has ended",
    };
    ApiError::Custom(Box::new(
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "sale-not-open",
            "Sale not open",
        )
        .detail(detail),
    ))
}

/// Claim one unit of a flash sale (customers)
#[utoipa::path(
    post, path = "/flash-sales/{id}/claims", tag = "flash-sales", security(("bearer" = [])),
    request_body = ClaimRequest,
    responses(
        (status = 201, description = "A reservation at the sale price, owned by you", body = Claim),
        (status = 401, description = "No valid token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such sale", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Sold out, or your limit is reached", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The sale is not open", body = platform::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many claims", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn claim(
    State(state): State<AppState>,
    Caller(claims): Caller,
    ClientIp(client): ClientIp,
    Path(sale_id): Path<Uuid>,
    Json(_body): Json<ClaimRequest>,
) -> Result<(StatusCode, Json<Claim>), ApiError> {
    if claims.role != Role::Customer {
        return Err(ApiError::Forbidden);
    }
    let customer: Uuid = claims.sub.parse().map_err(|_| ApiError::Forbidden)?;
    state
        .limiter
        .check(
            "claims",
            &format!("{client}:{customer}"),
            state.claim_rate_limit,
        )
        .await?;
    let Some(gate) = &state.gate else {
        return reserve_in_postgres(&state, sale_id, customer, false).await;
    };
    let mut answer = gate.claim(sale_id, customer).await;
    if matches!(answer, Ok(GateAnswer::Missing)) {
        // Redis lost the keys (or never had them): rebuild from Postgres, once.
        let mut conn = state.pool.acquire().await?;
        let sale = sales::find(&mut conn, sale_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let units = sales::units_by_customer(&mut conn, sale_id).await?;
        drop(conn);
        answer = match gate.rebuild(&sale, &units).await {
            Ok(()) => gate.claim(sale_id, customer).await,
            Err(err) => Err(err),
        };
        state
            .metrics
            .record_degraded("redis", "flash_sale_gate_rebuilt");
    }
    match answer {
        Ok(GateAnswer::Admitted) => reserve_in_postgres(&state, sale_id, customer, true).await,
        Ok(GateAnswer::SoldOut) => Err(sold_out()),
        Ok(GateAnswer::LimitReached) => Err(limit_reached()),
        Ok(GateAnswer::NotOpen | GateAnswer::Missing) => {
            let mut conn = state.pool.acquire().await?;
            let sale = sales::find(&mut conn, sale_id)
                .await?
                .ok_or(ApiError::NotFound)?;
            Err(not_open(sale.status_at(OffsetDateTime::now_utc())))
        }
        Err(err) => {
            tracing::warn!(error = %err, "flash-sale gate unavailable; claiming through Postgres");
            state
                .metrics
                .record_degraded("redis", "flash_sale_postgres_path");
            reserve_in_postgres(&state, sale_id, customer, false).await
        }
    }
}

/// The authority: counts the unit against the customer's limit (a row lock
/// per customer) and takes one of the sale's unit rows (`SKIP LOCKED`, so
/// claims do not queue on one hot row), then creates the reservation. A unit
/// the gate admitted but Postgres refused goes back to the gate.
async fn reserve_in_postgres(
    state: &AppState,
    sale_id: Uuid,
    customer: Uuid,
    admitted_by_gate: bool,
) -> Result<(StatusCode, Json<Claim>), ApiError> {
    let outcome = try_reserve(state, sale_id, customer).await;
    if admitted_by_gate && outcome.is_err() {
        if let Some(gate) = &state.gate {
            if let Err(err) = gate.give_back(sale_id, customer, 1).await {
                tracing::warn!(error = %err, "returning a refused unit to the gate failed; a rebuild corrects it");
            }
        }
    }
    outcome
}

/// How often a claim looks again when every free unit is being taken by
/// claims in flight (some of which may roll back).
const BUSY_RETRIES: u32 = 20;

async fn try_reserve(
    state: &AppState,
    sale_id: Uuid,
    customer: Uuid,
) -> Result<(StatusCode, Json<Claim>), ApiError> {
    let mut tx = state.pool.begin().await?;
    let sale: SaleRow = sales::find_for_share(&mut tx, sale_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    match sale.status_at(OffsetDateTime::now_utc()) {
        status @ (SaleStatus::Scheduled | SaleStatus::Ended) => return Err(not_open(status)),
        SaleStatus::SoldOut => return Err(sold_out()),
        SaleStatus::Active => {}
    }
    if !sales::take_customer_slot(&mut tx, sale_id, customer, sale.per_customer_limit).await? {
        return Err(limit_reached());
    }
    let reservation_id = Uuid::now_v7();
    let mut attempt = 0;
    loop {
        match sales::take_unit(&mut tx, sale_id, reservation_id).await? {
            UnitClaim::Taken => break,
            UnitClaim::SoldOut => return Err(sold_out()),
            UnitClaim::Busy if attempt < BUSY_RETRIES => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            UnitClaim::Busy => return Err(sold_out()),
        }
    }
    let expires_at = OffsetDateTime::now_utc() + state.reservation_ttl;
    let reference = format!("claim:{reservation_id}");
    reservations::insert(
        &mut tx,
        reservation_id,
        &reference,
        customer,
        Some(sale_id),
        expires_at,
    )
    .await?
    .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("a fresh claim reference collided")))?;
    reservations::insert_item(
        &mut tx,
        reservation_id,
        &sale.sku,
        1,
        Some(sale.price_cents),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(Claim {
            reservation_id,
            expires_at,
        }),
    ))
}
