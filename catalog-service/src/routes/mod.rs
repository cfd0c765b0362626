//! HTTP resources, one module each, and the API they make up.

use platform::openapi::BearerAuth;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub mod categories;
pub mod products;

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

/// Every route of the API, with its OpenAPI operation.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(products::router())
        .merge(categories::router())
}
