//! The whole HTTP surface of a service: its API, its Swagger UI, health and
//! metrics, wrapped in the shared middleware.

use axum::Router;
use utoipa_swagger_ui::{Config, SwaggerUi};

use super::{apply_layers_for, health_router, HealthState, Surface};
use crate::config::HttpSettings;

/// `api` plus, for an API, the Swagger UI at `/docs/<docs_name>/` (spec at
/// `/docs/<docs_name>/openapi.json`); `/health/*` and `/metrics`.
pub fn service_router(
    api: Router,
    doc: utoipa::openapi::OpenApi,
    docs_name: &str,
    health: HealthState,
    http: &HttpSettings,
    surface: Surface,
) -> Router {
    let metrics = health.metrics.clone();
    let app = match surface {
        Surface::Api => {
            let swagger = SwaggerUi::new(format!("/docs/{docs_name}"))
                .url(format!("/docs/{docs_name}/openapi.json"), doc)
                // The default validator is swagger.io's: the page must work offline.
                .config(Config::default().validator_url("none"));
            api.merge(swagger)
        }
        Surface::Pages { .. } => api,
    };
    apply_layers_for(app.merge(health_router(health)), http, metrics, surface)
}
