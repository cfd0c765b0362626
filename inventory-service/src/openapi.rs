//! The OpenAPI document of inventory-service.

use platform::openapi::BearerAuth;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Storefront inventory-service",
        description = "Stock, expiring reservations and flash sales that cannot oversell.",
        version = "0.1.0"
    ),
    tags(
        (name = "inventory", description = "Stock levels per SKU"),
        (name = "reservations", description = "All-or-nothing holds for orders"),
        (name = "flash-sales", description = "Flash sales and claims"),
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The document as served and committed (`openapi.json`).
pub fn document() -> utoipa::openapi::OpenApi {
    platform::openapi::split(crate::startup::api_router()).1
}
