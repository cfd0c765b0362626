//! `POST /flash-sales/{id}/claims`: a customer claims one unit. The Redis
//! gate answers most claims (sold out, over the limit, not open) without
//! Postgres; admitted claims become a reservation through a conditional
//! update that can never take more than the sale holds, written in groups
//! by the `claim_writer`.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use platform::{
    auth::Caller, auth::Role, http::ClientIp, pagination::Page, ApiError, Json, Problem,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    claim_writer::{self, ClaimOutcome},
    gate::{Gate, GateAnswer},
    repo::sales::{self, SaleStatus},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(claim))
        .routes(routes!(my_claims))
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
        Problem::new(StatusCode::CONFLICT, "claim-limit-reached", "Limit reached").detail(
            "you already hold as many units of this sale as it allows per customer; \
             GET /flash-sales/{id}/claims/mine lists them",
        ),
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
        return reserve_in_postgres(&state, sale_id, customer).await;
    };
    let mut answer = gate.claim(sale_id, customer).await;
    if matches!(answer, Ok(GateAnswer::Missing)) {
        answer = rebuild_once(&state, gate, sale_id, customer).await?;
    }
    match answer {
        Ok(GateAnswer::Admitted) => {
            // Written in a group with the other admitted claims (one
            // transaction for many); a unit Postgres refuses goes back.
            let outcome = state.claim_writer.claim(sale_id, customer).await;
            match &outcome {
                Ok(ClaimOutcome::Reserved { .. }) => {}
                // Postgres refused: the gate was wrong about this sale, so it
                // takes Postgres' figures rather than a unit back.
                Ok(ClaimOutcome::SoldOut | ClaimOutcome::LimitReached) => {
                    if let Err(err) = state.resync_gate(sale_id).await {
                        tracing::warn!(
                            error = format!("{err:#}"),
                            "resyncing the gate failed; the timer will"
                        );
                    }
                }
                _ => give_back(&state, sale_id, customer).await,
            }
            respond(outcome?)
        }
        Ok(GateAnswer::SoldOut) => Err(sold_out()),
        Ok(GateAnswer::LimitReached) => Err(limit_reached()),
        // From the gate's own copy of the window: a crowd pressing "claim"
        // early (or late) never reaches Postgres.
        Ok(GateAnswer::NotStarted) => Err(not_open(SaleStatus::Scheduled)),
        Ok(GateAnswer::Ended) => Err(not_open(SaleStatus::Ended)),
        Ok(GateAnswer::Missing) => {
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
            reserve_in_postgres(&state, sale_id, customer).await
        }
    }
}

/// The gate's keys are gone (Redis lost them, or never had them): one
/// request, the one holding the sale's rebuild lock, rebuilds it from
/// Postgres; the others wait for that gate a moment, then get a clean 503
/// to retry, so a crowd after a Redis flush costs Postgres one rebuild.
async fn rebuild_once(
    state: &AppState,
    gate: &Gate,
    sale_id: Uuid,
    customer: Uuid,
) -> Result<redis::RedisResult<GateAnswer>, ApiError> {
    match gate.lock_rebuild(sale_id).await {
        Err(err) => Ok(Err(err)),
        Ok(true) => {
            let rebuilt = rebuild(state, gate, sale_id).await;
            if let Err(err) = gate.unlock_rebuild(sale_id).await {
                tracing::warn!(error = %err, "releasing the gate's rebuild lock failed; it expires");
            }
            match rebuilt? {
                Ok(()) => Ok(gate.claim(sale_id, customer).await),
                Err(err) => Ok(Err(err)),
            }
        }
        Ok(false) => {
            for _ in 0..REBUILD_WAIT_TRIES {
                tokio::time::sleep(REBUILD_WAIT_STEP).await;
                let answer = gate.claim(sale_id, customer).await;
                if !matches!(answer, Ok(GateAnswer::Missing)) {
                    return Ok(answer);
                }
            }
            Err(ApiError::Unavailable("the flash sale's gate".to_owned()))
        }
    }
}

const REBUILD_WAIT_TRIES: usize = 20;
const REBUILD_WAIT_STEP: std::time::Duration = std::time::Duration::from_millis(50);

async fn rebuild(
    state: &AppState,
    gate: &Gate,
    sale_id: Uuid,
) -> Result<redis::RedisResult<()>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let sale = sales::find(&mut conn, sale_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let units = sales::units_by_customer(&mut conn, sale_id).await?;
    drop(conn);
    state
        .metrics
        .record_degraded("redis", "flash_sale_gate_rebuilt");
    Ok(gate.rebuild(&sale, &units).await)
}

/// Your held claims of a flash sale (customers)
///
/// A claim answered after its buyer hung up still holds a unit: this is
/// where the buyer finds it (the limit-reached answer points here).
#[utoipa::path(
    get, path = "/flash-sales/{id}/claims/mine", tag = "flash-sales", security(("bearer" = [])),
    responses(
        (status = 200, description = "Your held, unexpired claims, oldest first", body = Page<Claim>),
        (status = 401, description = "No valid token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a customer", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such sale", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn my_claims(
    State(state): State<AppState>,
    Caller(claims): Caller,
    Path(sale_id): Path<Uuid>,
) -> Result<Json<Page<Claim>>, ApiError> {
    if claims.role != Role::Customer {
        return Err(ApiError::Forbidden);
    }
    let customer: Uuid = claims.sub.parse().map_err(|_| ApiError::Forbidden)?;
    let mut conn = state.pool.acquire().await?;
    sales::find(&mut conn, sale_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let items = sales::held_claims(&mut conn, sale_id, customer)
        .await?
        .into_iter()
        .map(|(reservation_id, expires_at)| Claim {
            reservation_id,
            expires_at,
        })
        .collect();
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

/// Without the gate's admission: one transaction for this claim alone.
async fn reserve_in_postgres(
    state: &AppState,
    sale_id: Uuid,
    customer: Uuid,
) -> Result<(StatusCode, Json<Claim>), ApiError> {
    let mut tx = state.pool.begin().await?;
    let outcome =
        claim_writer::reserve_one(&mut tx, state.reservation_ttl, sale_id, customer).await?;
    tx.commit().await?;
    respond(outcome)
}

async fn give_back(state: &AppState, sale_id: Uuid, customer: Uuid) {
    if let Some(gate) = &state.gate {
        if let Err(err) = gate.give_back(sale_id, customer, 1).await {
            tracing::warn!(error = %err, "returning a refused unit to the gate failed; the next resync corrects it");
        }
    }
}

fn respond(outcome: ClaimOutcome) -> Result<(StatusCode, Json<Claim>), ApiError> {
    match outcome {
        ClaimOutcome::Reserved {
            reservation_id,
            expires_at,
        } => Ok((
            StatusCode::CREATED,
            Json(Claim {
                reservation_id,
                expires_at,
            }),
        )),
        ClaimOutcome::SoldOut => Err(sold_out()),
        ClaimOutcome::LimitReached => Err(limit_reached()),
        ClaimOutcome::NotOpen(status) => Err(not_open(status)),
        ClaimOutcome::NoSuchSale => Err(ApiError::NotFound),
    }
}
