//! campaign-service on the service kit: what it builds and spawns.

use std::{sync::Arc, time::Duration};

use platform::service::{Kit, Service};
use sqlx::migrate::Migrator;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::{config::Settings, emails::handler::EmailHandler, routes, state::AppState};

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

pub struct Campaign;

pub type Application = platform::service::Application<Campaign>;

impl Service for Campaign {
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

    /// In AWS the Lambda reads the queue (`CONSUMER_ENABLED=false`); locally
    /// the service does, with the same handler.
    async fn build(kit: &mut Kit, settings: &Settings) -> anyhow::Result<AppState> {
        let pool = kit.pool()?;
        match (&settings.events_queue_url, settings.consumer_enabled) {
            (Some(queue_url), true) => {
                let handler = Arc::new(EmailHandler::from_settings(settings, pool.clone()).await);
                kit.consume(queue_url.clone(), handler, 8, Duration::from_secs(60))
                    .await;
            }
            (_, false) => tracing::info!(
                "CONSUMER_ENABLED=false: the queue is consumed elsewhere (the Lambda)"
            ),
            (None, true) => tracing::warn!("EVENTS_QUEUE_URL is not set: no emails will be sent"),
        }
        Ok(AppState {
            pool,
            redis: kit.redis.clone(),
            metrics: kit.metrics.clone(),
            verifier: kit.verifier(&settings.jwks)?,
            shop_currency: kit.common.shop_currency.as_str().into(),
            unsubscribe_secret: settings.email.unsubscribe_secret.clone(),
        })
    }
}
