//! web-service on the service kit: pages instead of an API, no database of
//! its own (its readiness is its session store, Redis).

use axum::{http::StatusCode, response::Response};
use platform::{
    client::ClientMetrics,
    http::Surface,
    service::{Kit, Service},
};
use sqlx::migrate::Migrator;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;

use crate::{api::Api, config::Settings, pages, routes, session::SessionStore, state::AppState};

pub struct Web;

pub type Application = platform::service::Application<Web>;

impl Service for Web {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Settings = Settings;
    type State = AppState;

    const SURFACE: Surface = Surface::Pages { error_page };

    fn openapi() -> utoipa::openapi::OpenApi {
        utoipa::openapi::OpenApiBuilder::new()
            .info(utoipa::openapi::Info::new(
                "Storefront web shop",
                env!("CARGO_PKG_VERSION"),
            ))
            .build()
    }

    fn routes() -> OpenApiRouter<AppState> {
        routes::router()
    }

    fn wrap(routes: axum::Router, state: &AppState) -> axum::Router {
        routes::wrap(routes, state)
    }

    fn migrator() -> Option<&'static Migrator> {
        None
    }

    async fn build(kit: &mut Kit, settings: &Settings) -> anyhow::Result<AppState> {
        let client_metrics = kit.metrics.group::<Arc<ClientMetrics>>();
        let api = Api::new(
            &settings.upstreams,
            &kit.common.user_agent(),
            settings.client,
            &client_metrics,
        );
        Ok(AppState {
            sessions: SessionStore::new(kit.redis.clone(), settings.session_ttl),
            api,
            redis: kit.redis.clone(),
            metrics: kit.metrics.clone(),
            shop_currency: kit.common.shop_currency.as_str().into(),
            secure_cookies: settings.secure_cookies,
        })
    }
}

/// Every error the kit's layers meet (an unknown path, a timeout, a panic)
/// is a page in the shop's style.
fn error_page(status: StatusCode) -> Response {
    pages::errors::status_page(status)
}
