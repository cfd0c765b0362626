//! Building and running the application.

use std::sync::Arc;

use anyhow::Context;
use axum::{extract::FromRef, Router};
use platform::{
    auth::TokenVerifier,
    consumer::{ConsumerMetrics, QueueConsumer},
    http::{apply_layers, health_router, HealthState},
    metrics::Metrics,
    redis::RedisHandle,
};
use secrecy::SecretString;
use sqlx::PgPool;
use tokio::{net::TcpListener, task::JoinSet};
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

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
    let (api, doc) = api_router().split_for_parts();
    let health = health_router(HealthState {
        pool: state.pool.clone(),
        redis: state.redis.clone(),
        metrics: state.metrics.clone(),
    });
    let app = api
        .with_state(state.clone())
        .merge(SwaggerUi::new("/docs/campaign").url("/docs/campaign/openapi.json", doc))
        .merge(health);
    apply_layers(app, &settings.common.http, state.metrics)
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
    listener: TcpListener,
    router: Router,
    workers: JoinSet<()>,
    stop: CancellationToken,
    settings: Settings,
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
        )?);
        let state = AppState {
            pool: pool.clone(),
            redis,
            metrics: metrics.clone(),
            verifier,
            shop_currency: settings.shop_currency.as_str().into(),
            unsubscribe_secret: settings.email.unsubscribe_secret.clone(),
        };
        let listener = TcpListener::bind(("0.0.0.0", settings.common.http.port))
            .await
            .with_context(|| format!("binding port {}", settings.common.http.port))?;
        let stop = CancellationToken::new();
        let mut workers = JoinSet::new();
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
                workers.spawn(consumer.run(stop.clone()));
            }
            (_, false, _) => tracing::info!(
                "CONSUMER_ENABLED=false: the queue is consumed elsewhere (the Lambda)"
            ),
            _ => tracing::warn!("EVENTS_QUEUE_URL is not set: no emails will be sent"),
        }
        workers.spawn(platform::outbox::run_clean_up(
            pool,
            std::time::Duration::from_secs(14 * 24 * 3600),
            stop.clone(),
        ));
        let router = router(state.clone(), &settings);
        Ok(Self {
            listener,
            router,
            workers,
            stop,
            settings,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        platform::server::serve(
            self.listener,
            self.router,
            self.stop,
            self.workers,
            self.settings.common.http.shutdown_grace,
        )
        .await
    }
}
