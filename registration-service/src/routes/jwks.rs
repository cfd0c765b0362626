//! `GET /.well-known/jwks.json`: the public keys that verify our tokens.

use axum::{extract::State, http::header, response::IntoResponse};
use platform::auth::keys::Jwks;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(jwks))
}

/// The token signing public keys (JWKS)
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "auth",
    responses((status = 200, description = "Ed25519 public keys", body = Jwks))
)]
async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(state.signing_keys.jwks()),
    )
}
