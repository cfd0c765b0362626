//! HTTP resources, one module each, and the API they make up.

use platform::openapi::BearerAuth;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub mod customers;
pub mod jwks;
pub mod token;
pub mod verification;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Storefront registration-service",
        description = "Customers, login, and the JWT issuer with its JWKS.",
        version = "0.1.0"
    ),
    tags(
        (name = "customers", description = "Registration and profiles"),
        (name = "auth", description = "Tokens and signing keys"),
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Every route of the API, with its OpenAPI operation.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(customers::router())
        .merge(verification::router())
        .merge(token::router())
        .merge(jwks::router())
}
