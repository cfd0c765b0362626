//! HTTP resources, one module each, and the API they make up.

use platform::openapi::BearerAuth;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub mod claims;
pub mod flash_sales;
pub mod reservations;
pub mod sale_figures;
pub mod stock;

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

/// Every route of the API, with its OpenAPI operation.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(stock::router())
        .merge(reservations::router())
        .merge(flash_sales::router())
        .merge(claims::router())
        .merge(sale_figures::router())
}
