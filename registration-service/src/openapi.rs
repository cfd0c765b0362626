//! The OpenAPI document of registration-service.

use platform::openapi::BearerAuth;
use utoipa::OpenApi;

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

/// The document as served and committed (`openapi.json`).
pub fn document() -> utoipa::openapi::OpenApi {
    platform::openapi::split(crate::startup::api_router()).1
}
