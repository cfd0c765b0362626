//! HTTP resources, one module each, and the API they make up.

use platform::openapi::BearerAuth;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub mod campaigns;
pub mod emails;
pub mod preferences;
pub mod promo_codes;
pub mod unsubscribe;

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

/// Every route of the API, with its OpenAPI operation.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(campaigns::router())
        .merge(promo_codes::router())
        .merge(emails::router())
        .merge(preferences::router())
        .merge(unsubscribe::router())
}
