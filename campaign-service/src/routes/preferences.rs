//! `GET` and `PUT /emails/preferences/me`: the caller's own marketing
//! choice, which the shop's account page shows and changes. Under `/emails/`
//! (a prefix the load balancer routes here). Turning marketing off takes
//! effect at once, as the unsubscribe link does.

use axum::extract::State;
use platform::{
    auth::{Caller, Claims, Role},
    ApiError, Json, JsonObject,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{repo::emails, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show, change))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"marketing_opt_in": false}))]
pub struct MarketingPreference {
    /// Whether the customer gets offers and campaigns by email (order and
    /// account emails are sent either way).
    pub marketing_opt_in: bool,
}

/// A customer's own id; a service has no preferences.
fn customer(claims: &Claims) -> Result<Uuid, ApiError> {
    if claims.role == Role::Service {
        return Err(ApiError::NotFound);
    }
    claims.sub.parse().map_err(|_| ApiError::NotFound)
}

/// The caller's marketing choice
///
/// `false` until the customer's registration has reached this service, or
/// after an unsubscribe.
#[utoipa::path(
    get, path = "/emails/preferences/me", tag = "emails", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's choice", body = MarketingPreference),
        (status = 401, description = "No valid token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The caller is a service", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn show(
    State(state): State<AppState>,
    Caller(claims): Caller,
) -> Result<Json<MarketingPreference>, ApiError> {
    let id = customer(&claims)?;
    let mut conn = state.pool.acquire().await?;
    let marketing_opt_in = emails::wants_marketing(&mut conn, id).await?;
    Ok(Json(MarketingPreference { marketing_opt_in }))
}

/// Change the caller's marketing choice
///
/// `false` is an unsubscribe; `true` subscribes again.
#[utoipa::path(
    put, path = "/emails/preferences/me", tag = "emails", security(("bearer" = [])),
    request_body = MarketingPreference,
    responses(
        (status = 200, description = "The choice as it is now", body = MarketingPreference),
        (status = 401, description = "No valid token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The caller is a service", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a choice", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn change(
    State(state): State<AppState>,
    Caller(claims): Caller,
    JsonObject(body): JsonObject<MarketingPreference>,
) -> Result<Json<MarketingPreference>, ApiError> {
    let id = customer(&claims)?;
    let mut conn = state.pool.acquire().await?;
    if body.marketing_opt_in {
        emails::subscribe(&mut conn, id, claims.email.as_deref().unwrap_or_default()).await?;
    } else {
        emails::unsubscribe(&mut conn, id).await?;
    }
    tracing::info!(customer_id = %id, marketing_opt_in = body.marketing_opt_in, "marketing choice changed");
    Ok(Json(body))
}
