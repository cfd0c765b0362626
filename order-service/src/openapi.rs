//! The OpenAPI document of order-service.

use platform::openapi::BearerAuth;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Storefront order-service",
        description = "Cart, idempotent checkout with a durable saga, cancellation, fulfilment and the daily sales report.",
        version = "0.1.0"
    ),
    tags(
        (name = "cart", description = "The customer's cart"),
        (name = "orders", description = "Checkout, order history and cancellation"),
        (name = "fulfilment", description = "Shipping and delivery (admins)"),
        (name = "reports", description = "Sales reports (admins)"),
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The document as served and committed (`openapi.json`).
pub fn document() -> utoipa::openapi::OpenApi {
    platform::openapi::split(crate::startup::api_router()).1
}
