//! The unsubscribe link of marketing emails. Served at `/emails/unsubscribe`
//! (under a prefix the load balancer routes here, so links work in AWS) and
//! at `/unsubscribe`. POST is the RFC 8058 one-click variant.

use axum::{
    extract::State,
    response::{Html, IntoResponse},
};
use platform::{ApiError, Query};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{emails::unsubscribe, repo::emails, startup::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(unsubscribe_link, unsubscribe_one_click))
        .routes(routes!(unsubscribe_legacy))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeQuery {
    /// The signed token from the email's link.
    pub token: String,
}

async fn apply(state: &AppState, token: &str) -> Result<impl IntoResponse, ApiError> {
    let customer_id = unsubscribe::verify(&state.unsubscribe_secret, token)
        .ok_or_else(|| ApiError::validation("token", "is not a valid unsubscribe token"))?;
    let mut conn = state.pool.acquire().await?;
    emails::unsubscribe(&mut conn, customer_id).await?;
    tracing::info!(%customer_id, "customer unsubscribed from marketing");
    Ok(Html(
        "<!doctype html><title>Unsubscribed</title><p>You will no longer receive marketing emails from Storefront.</p>",
    ))
}

/// Turn marketing emails off (the link in emails)
#[utoipa::path(
    get, path = "/emails/unsubscribe", tag = "emails", params(UnsubscribeQuery),
    responses(
        (status = 200, description = "Unsubscribed (an HTML page)", content_type = "text/html"),
        (status = 422, description = "The token is not valid", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn unsubscribe_link(
    State(state): State<AppState>,
    Query(q): Query<UnsubscribeQuery>,
) -> Result<impl IntoResponse, ApiError> {
    apply(&state, &q.token).await
}

/// One-click unsubscribe (RFC 8058, sent by mail clients)
#[utoipa::path(
    post, path = "/emails/unsubscribe", tag = "emails", params(UnsubscribeQuery),
    responses(
        (status = 200, description = "Unsubscribed", content_type = "text/html"),
        (status = 422, description = "The token is not valid", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn unsubscribe_one_click(
    State(state): State<AppState>,
    Query(q): Query<UnsubscribeQuery>,
) -> Result<impl IntoResponse, ApiError> {
    apply(&state, &q.token).await
}

/// Turn marketing emails off (same as `/emails/unsubscribe`)
#[utoipa::path(
    get, path = "/unsubscribe", tag = "emails", params(UnsubscribeQuery),
    responses(
        (status = 200, description = "Unsubscribed (an HTML page)", content_type = "text/html"),
        (status = 422, description = "The token is not valid", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn unsubscribe_legacy(
    State(state): State<AppState>,
    Query(q): Query<UnsubscribeQuery>,
) -> Result<impl IntoResponse, ApiError> {
    apply(&state, &q.token).await
}
