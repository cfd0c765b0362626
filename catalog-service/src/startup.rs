//! catalog-service on the service kit: what it builds.

use platform::service::{Kit, Service};
use sqlx::migrate::Migrator;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::{
    cache::{CacheMetrics, ProductCache},
    config::Settings,
    routes,
    state::AppState,
};

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

pub struct Catalog;

pub type Application = platform::service::Application<Catalog>;

impl Service for Catalog {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Settings = Settings;
    type State = AppState;

    fn openapi() -> utoipa::openapi::OpenApi {
        routes::ApiDoc::openapi()
    }

    fn routes() -> OpenApiRouter<AppState> {
        routes::router()
    }

    fn migrator() -> Option<&'static Migrator> {
        Some(&MIGRATOR)
    }

    async fn build(kit: &mut Kit, settings: &Settings) -> anyhow::Result<AppState> {
        let cache_metrics = kit.metrics.group::<CacheMetrics>();
        Ok(AppState {
            pool: kit.pool()?,
            cache: ProductCache::new(
                kit.redis.clone(),
                kit.metrics.clone(),
                cache_metrics.clone(),
                settings.cache.clone(),
            ),
            cache_metrics,
            redis: kit.redis.clone(),
            metrics: kit.metrics.clone(),
            verifier: kit.verifier(&settings.jwks)?,
            shop_currency: kit.common.shop_currency.as_str().into(),
        })
    }
}
