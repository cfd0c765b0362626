//! The OpenAPI document of catalog-service.

use platform::openapi::BearerAuth;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Storefront catalog-service",
        description = "Products and categories: full-text search with keyset pagination, and product reads served from a Redis cache.",
        version = "0.1.0"
    ),
    tags(
        (name = "products", description = "Products: admins write; anyone reads the active ones"),
        (name = "categories", description = "Product categories"),
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The document as served and committed (`openapi.json`).
pub fn document() -> utoipa::openapi::OpenApi {
    platform::openapi::split(crate::startup::api_router()).1
}
