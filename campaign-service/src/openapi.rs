//! The OpenAPI document of campaign-service.

use platform::openapi::BearerAuth;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Storefront campaign-service",
        description = "Campaigns, promo codes, and the log of every email the platform sends.",
        version = "0.1.0"
    ),
    tags(
        (name = "campaigns", description = "Campaigns and their offers"),
        (name = "promo-codes", description = "Checking, redeeming and releasing promo codes"),
        (name = "emails", description = "The email log and unsubscribing"),
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The document as served and committed (`openapi.json`).
pub fn document() -> utoipa::openapi::OpenApi {
    platform::openapi::split(crate::startup::api_router()).1
}
