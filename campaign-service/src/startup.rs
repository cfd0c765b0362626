//! Building and running the application.

use std::sync::Arc;

use anyhow::Context;
use axum::{extract::FromRef, Router};
use platform::{
    auth::TokenVerifier,
    consumer::{ConsumerMetrics, QueueConsumer},
    http::{service_router, HealthState},
    metrics::Metrics,
    redis::RedisHandle,
    server::Server,
};
use secrecy::SecretString;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::{
    config::Settings,
    emails::{handler::EmailHandler, sender::EmailSender},
    openapi::ApiDoc,
    routes,
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub redis: Arc<RedisHandle>,
    pub metrics: Arc<Metrics>,
    pub verifier: Arc<TokenVerifier>,
    pub shop_currency: Arc<str>,
    pub unsubscribe_secret: SecretString,
}

impl FromRef<AppState> for Arc<TokenVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

/// The API routes with their OpenAPI document.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::campaigns::router())
        .merge(routes::promo_codes::router())
        .merge(routes::emails::router())
        .merge(routes::unsubscribe::router())
}

/// The whole HTTP surface; pure, so tests can `oneshot` it.
pub fn router(state: AppState, settings: &Settings) -> Router {
    let (api, doc) = platform::openapi::split(api_router());
    let health = HealthState {
        pool: state.pool.clone(),
        redis: state.redis.clone(),
        metrics: state.metrics.clone(),
    };
    service_router(
        api.with_state(state),
        doc,
        "campaign",
        health,
        &settings.common.http,
    )
}

/// The email handler, as both the in-process consumer and the Lambda use it.
pub async fn email_handler(settings: &Settings, pool: PgPool) -> EmailHandler {
    let sdk = platform::aws::sdk_config(&settings.common.aws).await;
    EmailHandler {
        pool,
        sender: EmailSender {
            ses: aws_sdk_sesv2::Client::new(&sdk),
            from: settings.email.sender.clone(),
        },
        settings: settings.email.clone(),
        shop_currency: settings.shop_currency.clone(),
    }
}

pub struct Application {
    server: Server,
    router: Router,
    state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = platform::db::pool(&settings.common.database)?;
        MIGRATOR
            .run(&pool)
            .await
            .context("migrating the database")?;
        let redis = Arc::new(RedisHandle::new(&settings.common.redis)?);
        let mut consumer_metrics = None;
        let metrics =
            Metrics::new(|registry| consumer_metrics = Some(ConsumerMetrics::register(registry)));
        let jwt = &settings.common.jwt;
        let verifier = Arc::new(TokenVerifier::from_source(
            &jwt.issuer,
            &jwt.audience,
            &settings.jwks,
            &settings.common.user_agent(),
        )?);
        let state = AppState {
            pool: pool.clone(),
            redis,
            metrics: metrics.clone(),
            verifier,
            shop_currency: settings.shop_currency.as_str().into(),
            unsubscribe_secret: settings.email.unsubscribe_secret.clone(),
        };
        let mut server = Server::bind(&settings.common.http).await?;
        match (
            &settings.events_queue_url,
            settings.consumer_enabled,
            consumer_metrics,
        ) {
            (Some(queue_url), true, Some(metrics)) => {
                let sdk = platform::aws::sdk_config(&settings.common.aws).await;
                let consumer = QueueConsumer {
                    sqs: aws_sdk_sqs::Client::new(&sdk),
                    queue_url: queue_url.clone(),
                    handler: Arc::new(email_handler(&settings, pool.clone()).await),
                    metrics,
                    concurrency: 8,
                    visibility_timeout: std::time::Duration::from_secs(60),
                };
                server.spawn(consumer.run(server.stop_token()));
            }
            (_, false, _) => tracing::info!(
                "CONSUMER_ENABLED=false: the queue is consumed elsewhere (the Lambda)"
            ),
            _ => tracing::warn!("EVENTS_QUEUE_URL is not set: no emails will be sent"),
        }
        // campaign-service publishes no events; its inbox still needs clean-up.
        server.spawn(platform::outbox::run_clean_up(
            pool,
            platform::outbox::RETENTION,
            server.stop_token(),
        ));
        let router = router(state.clone(), &settings);
        Ok(Self {
            server,
            router,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// Cancelling this token stops the application as SIGTERM would.
    pub fn stop_token(&self) -> CancellationToken {
        self.server.stop_token()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.run_until_stopped(self.router).await
    }
}
