//! One file per resource, each exposing its router, and the API they make up.

use platform::openapi::BearerAuth;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub mod cart;
pub mod fulfilment;
pub mod orders;
pub mod reports;
pub mod view;

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

/// Every route of the API, with its OpenAPI operation.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(cart::router())
        .merge(orders::router())
        .merge(fulfilment::router())
        .merge(reports::router())
}
