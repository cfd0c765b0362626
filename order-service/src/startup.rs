//! order-service on the service kit: its clients, saga and workers.

use std::{sync::Arc, time::Duration};

use platform::{
    client::{ClientMetrics, ServiceClient, TokenSource},
    service::{Kit, Service},
};
use sqlx::migrate::Migrator;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::{
    clients::{Campaign, Catalog, Dependencies, Inventory},
    config::Settings,
    payments::SimulatedGateway,
    routes,
    saga::Saga,
    state::AppState,
    workers,
};

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

pub struct Order;

pub type Application = platform::service::Application<Order>;

impl Service for Order {
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
        let pool = kit.pool()?;
        let client_metrics = kit.metrics.group::<Arc<ClientMetrics>>();
        let tokens = Arc::new(TokenSource::new(
            &settings.registration_url,
            settings.service_client_id.clone(),
            settings.service_client_secret.clone(),
            settings.client,
            &kit.common.user_agent(),
        ));
        let client = |dependency: &'static str, url: &str| {
            ServiceClient::new(
                dependency,
                url,
                tokens.clone(),
                settings.client,
                client_metrics.clone(),
            )
        };
        let deps = Dependencies {
            catalog: Catalog(client("catalog", &settings.catalog_url)),
            inventory: Inventory(client("inventory", &settings.inventory_url)),
            campaign: Campaign(client("campaign", &settings.campaign_url)),
        };
        let saga = Saga::new(
            pool.clone(),
            deps.clone(),
            Arc::new(SimulatedGateway::new(pool.clone())),
            settings.saga.clone(),
        );
        let resuming = (saga.clone(), pool.clone());
        kit.every("resumed orders", settings.resume_interval, move || {
            let (saga, pool) = resuming.clone();
            async move { workers::resumer::pass(&saga, &pool).await }
        });
        let cleaning = pool.clone();
        kit.every(
            "old idempotency keys deleted",
            Duration::from_secs(3600),
            move || {
                let pool = cleaning.clone();
                async move {
                    Ok(
                        platform::idempotency::clean_up(&pool, platform::idempotency::RETENTION)
                            .await?,
                    )
                }
            },
        );
        Ok(AppState {
            pool,
            redis: kit.redis.clone(),
            metrics: kit.metrics.clone(),
            client_metrics,
            verifier: kit.verifier(&settings.jwks)?,
            deps,
            saga,
            checkout_budget: settings.checkout_budget,
            key_lock: kit.common.http.request_timeout + Duration::from_secs(5),
            shop_currency: kit.common.shop_currency.as_str().into(),
        })
    }
}
