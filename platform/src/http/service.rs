//! The whole HTTP surface of a service: its API, its Swagger UI, health and
//! metrics, wrapped in the shared middleware.

use axum::Router;
use utoipa_swagger_ui::{Config, SwaggerUi};

use super::{apply_layers, health_router, HealthState};
use crate::config::HttpSettings;

/// `api` plus the Swagger UI at `/docs/<docs_name>/` (spec at
/// `/docs/<docs_name>/openapi.json`), `/health/*` and `/metrics`.
pub fn service_router(
    api: Router,
    doc: utoipa::openapi::OpenApi,
    docs_name: &str,
    health: HealthState,
    http: &HttpSettings,
) -> Router {
    let metrics = health.metrics.clone();
    let swagger = SwaggerUi::new(format!("/docs/{docs_name}"))
        .url(format!("/docs/{docs_name}/openapi.json"), doc)
        // The default validator is swagger.io's: the page must work offline.
        .config(Config::default().validator_url("none"));
    let app = api.merge(swagger).merge(health_router(health));
    apply_layers(app, http, metrics)
}
