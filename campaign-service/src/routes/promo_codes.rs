//! `/promo-codes`: checking a code (anyone) and redeeming or releasing it
//! (services only, on behalf of an order).

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use platform::{auth::ServiceCaller, ApiError, FieldError, Json, Problem, Query};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    domain::{discount_cents, OfferRequest, PromoCode},
    repo::{campaigns::CampaignRow, promo_codes},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(check))
        .routes(routes!(redeem))
        .routes(routes!(release))
}

/// Why a code does not apply now.
fn unavailable_reason(row: &CampaignRow, now: OffsetDateTime) -> Option<&'static str> {
    if now < row.starts_at {
        Some("not_started")
    } else if now >= row.ends_at {
        Some("expired")
    } else if row
        .max_redemptions
        .is_some_and(|max| row.redeemed_count.unwrap_or(0) >= max)
    {
        Some("exhausted")
    } else {
        None
    }
}

fn parse_code(raw: &str) -> Result<PromoCode, ApiError> {
    // A code that cannot exist is simply not found.
    PromoCode::parse(raw).map_err(|_| ApiError::NotFound)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromoCodeCheck {
    pub code: String,
    /// Whether the code can be redeemed now (the order minimum aside).
    pub applies: bool,
    /// `not_started`, `expired` or `exhausted` when it does not apply.
    pub reason: Option<String>,
    pub campaign_id: Uuid,
    pub campaign_name: String,
    pub offer: OfferRequest,
    pub currency: String,
    pub min_order_cents: i64,
    pub per_customer_limit: Option<i32>,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    /// With `subtotal_cents` in the query: what the code would take off that
    /// subtotal now (0 when it does not apply or the subtotal is below the minimum).
    pub discount_cents: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// A cart's subtotal, in minor units: the answer then says the discount on it.
    #[param(minimum = 0)]
    pub subtotal_cents: Option<i64>,
}

/// Check a promo code before checkout
#[utoipa::path(
    get, path = "/promo-codes/{code}", tag = "promo-codes",
    params(CheckQuery),
    responses(
        (status = 200, description = "What the code gives and whether it applies now", body = PromoCodeCheck),
        (status = 404, description = "No such code", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A subtotal that is negative or not a number of minor units", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn check(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<CheckQuery>,
) -> Result<Json<PromoCodeCheck>, ApiError> {
    if query.subtotal_cents.is_some_and(|s| s < 0) {
        return Err(ApiError::validation("subtotal_cents", "must be 0 or more"));
    }
    let code = parse_code(&code)?;
    let mut conn = state.pool.acquire().await?;
    let row = promo_codes::find_for_update(&mut conn, code.as_ref(), false)
        .await?
        .ok_or(ApiError::NotFound)?;
    let reason = unavailable_reason(&row, OffsetDateTime::now_utc());
    let min_order_cents = row.min_order_cents.unwrap_or_default();
    let discount = query.subtotal_cents.map(|subtotal| {
        match reason.is_none()
            && subtotal >= min_order_cents
            && row.currency == *state.shop_currency
        {
            true => discount_cents(&row.offer(), subtotal),
            false => 0,
        }
    });
    Ok(Json(PromoCodeCheck {
        code: code.to_string(),
        applies: reason.is_none(),
        reason: reason.map(str::to_owned),
        campaign_id: row.id,
        offer: row.offer().to_request(),
        min_order_cents,
        discount_cents: discount,
        per_customer_limit: row.per_customer_limit,
        campaign_name: row.name,
        currency: row.currency,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"order_id": "01937a4e-8b90-7f11-a0c4-52b1e7b0d9aa", "customer_id": "01937a4e-8c1e-7cc2-9f3a-2f5d1d0b6a41", "subtotal_cents": 12000, "currency": "USD"}))]
pub struct RedemptionRequest {
    pub order_id: Uuid,
    pub customer_id: Uuid,
    pub subtotal_cents: i64,
    pub currency: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Redemption {
    pub order_id: Uuid,
    pub code: String,
    pub customer_id: Uuid,
    pub discount_cents: i64,
    pub currency: String,
}

fn problem(status: StatusCode, slug: &str, title: &str, detail: &str) -> ApiError {
    ApiError::Custom(Box::new(Problem::new(status, slug, title).detail(detail)))
}

/// Redeem a code for an order (services only; idempotent on order_id)
///
/// Never redeems past the total or per-customer cap, even under concurrent
/// requests: redemptions of one code take turns on the code's row.
#[utoipa::path(
    post, path = "/promo-codes/{code}/redemptions", tag = "promo-codes", security(("bearer" = [])),
    request_body = RedemptionRequest,
    responses(
        (status = 201, description = "Redeemed", body = Redemption),
        (status = 200, description = "Already redeemed for this order: the same redemption", body = Redemption),
        (status = 403, description = "Not a service token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such code", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The code or the customer's share of it is used up", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The code does not apply to this order (not started, expired, below the minimum, other currency)", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn redeem(
    State(state): State<AppState>,
    _service: ServiceCaller,
    Path(code): Path<String>,
    Json(body): Json<RedemptionRequest>,
) -> Result<(StatusCode, Json<Redemption>), ApiError> {
    let code = parse_code(&code)?;
    if body.subtotal_cents < 0 {
        return Err(ApiError::Validation(vec![FieldError::new(
            "subtotal_cents",
            "must not be negative",
        )]));
    }
    if *body.currency != *state.shop_currency {
        return Err(ApiError::Validation(vec![FieldError::new(
            "currency",
            format!("the shop sells in {}", state.shop_currency),
        )]));
    }
    let mut tx = state.pool.begin().await?;
    let row = promo_codes::find_for_update(&mut tx, code.as_ref(), true)
        .await?
        .ok_or(ApiError::NotFound)?;
    // Checked after taking the code's lock, so a replay racing the first request sees it.
    if let Some(existing) = promo_codes::find_redemption(&mut tx, body.order_id).await? {
        return replay(existing, &code, body.customer_id);
    }
    let now = OffsetDateTime::now_utc();
    if now < row.starts_at {
        return Err(problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "promo-code-not-started",
            "Promo code not active yet",
            "this promo code is not active yet",
        ));
    }
    if now >= row.ends_at {
        return Err(problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "promo-code-expired",
            "Promo code expired",
            "this promo code has expired",
        ));
    }
    let minimum = row.min_order_cents.unwrap_or_default();
    if body.subtotal_cents < minimum {
        return Err(problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "promo-code-below-minimum",
            "Order below the code's minimum",
            &format!("this promo code needs an order of at least {minimum} cents"),
        ));
    }
    if let Some(limit) = row.per_customer_limit {
        if promo_codes::active_redemptions_of(&mut tx, code.as_ref(), body.customer_id).await?
            >= i64::from(limit)
        {
            return Err(problem(
                StatusCode::CONFLICT,
                "promo-code-customer-limit",
                "Customer limit reached",
                "this customer has already used this promo code as often as allowed",
            ));
        }
    }
    if !promo_codes::take_one(&mut tx, code.as_ref()).await? {
        return Err(problem(
            StatusCode::CONFLICT,
            "promo-code-exhausted",
            "Promo code used up",
            "this promo code has no redemptions left",
        ));
    }
    let discount = discount_cents(&row.offer(), body.subtotal_cents);
    promo_codes::insert_redemption(
        &mut tx,
        body.order_id,
        code.as_ref(),
        body.customer_id,
        body.subtotal_cents,
        discount,
        &body.currency,
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(Redemption {
            order_id: body.order_id,
            code: code.to_string(),
            customer_id: body.customer_id,
            discount_cents: discount,
            currency: body.currency,
        }),
    ))
}

fn replay(
    existing: promo_codes::RedemptionRow,
    code: &PromoCode,
    customer_id: Uuid,
) -> Result<(StatusCode, Json<Redemption>), ApiError> {
    if existing.code != code.as_ref() || existing.customer_id != customer_id {
        return Err(problem(
            StatusCode::CONFLICT,
            "order-already-redeemed",
            "Order already has a redemption",
            "this order already redeemed a different code or belongs to another customer",
        ));
    }
    if existing.released {
        return Err(problem(
            StatusCode::CONFLICT,
            "redemption-released",
            "Redemption released",
            "this order's redemption was released; a new order is needed",
        ));
    }
    Ok((
        StatusCode::OK,
        Json(Redemption {
            order_id: existing.order_id,
            code: existing.code,
            customer_id: existing.customer_id,
            discount_cents: existing.discount_cents,
            currency: existing.currency,
        }),
    ))
}

/// Release an order's redemption (services only; compensation, idempotent)
#[utoipa::path(
    delete, path = "/promo-codes/{code}/redemptions/{order_id}", tag = "promo-codes", security(("bearer" = [])),
    responses(
        (status = 204, description = "Released, or nothing to release"),
        (status = 403, description = "Not a service token", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn release(
    State(state): State<AppState>,
    _service: ServiceCaller,
    Path((code, order_id)): Path<(String, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let code = parse_code(&code)?;
    let mut tx = state.pool.begin().await?;
    promo_codes::find_for_update(&mut tx, code.as_ref(), true).await?;
    promo_codes::release(&mut tx, code.as_ref(), order_id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
