//! `POST /customers/verification`: is this email registered?

use axum::extract::State;
use platform::{http::ClientIp, ApiError, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{domain::Email, repo::customers, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(verify))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com"}))]
pub struct VerificationRequest {
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationResponse {
    pub registered: bool,
}

/// Check whether an email is registered
///
/// Rate-limited per client, since the answer reveals membership.
#[utoipa::path(
    post,
    path = "/customers/verification",
    tag = "customers",
    request_body = VerificationRequest,
    responses(
        (status = 200, description = "Whether the email is registered", body = VerificationResponse),
        (status = 422, description = "Not an email address", body = platform::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many checks from this client", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn verify(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(body): Json<VerificationRequest>,
) -> Result<Json<VerificationResponse>, ApiError> {
    state
        .limiter
        .check("verification", &client, state.rate_limits.verification)
        .await?;
    let email = Email::parse(&body.email).map_err(|m| ApiError::validation("email", m))?;
    let mut conn = state.pool.acquire().await?;
    let registered = customers::email_exists(&mut conn, email.as_ref()).await?;
    Ok(Json(VerificationResponse { registered }))
}
