//! [`Application`]: one service bound, connected and served; [`Kit`]: what
//! a service builds its state and workers from.

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use axum::Router;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::{Service, ServiceSettings};
use crate::{
    auth::{JwksSource, TokenVerifier},
    config::CommonSettings,
    consumer::{ConsumerMetrics, EventHandler, QueueConsumer},
    http::{service_router, HealthState},
    metrics::Metrics,
    redis::RedisHandle,
    server::Server,
};

/// What the kit connected before the service builds its state: its pool,
/// Redis, metrics, AWS configuration, and the server its workers run on.
pub struct Kit {
    pub common: CommonSettings,
    pub redis: Arc<RedisHandle>,
    pub metrics: Arc<Metrics>,
    pool: Option<PgPool>,
    server: Server,
    sdk: Option<aws_config::SdkConfig>,
}

impl Kit {
    /// The service's pool (lazy: built without a connection, migrated when
    /// Postgres was reachable at start).
    pub fn pool(&self) -> anyhow::Result<PgPool> {
        self.pool
            .clone()
            .context("this service has no database (its `migrator` is None)")
    }

    /// A verifier of the tokens registration-service issues, with `jwks`
    /// (fetched and cached from `JWKS_URL`, or keys given in code).
    pub fn verifier(&self, jwks: &JwksSource) -> anyhow::Result<Arc<TokenVerifier>> {
        let jwt = &self.common.jwt;
        Ok(Arc::new(TokenVerifier::from_source(
            &jwt.issuer,
            &jwt.audience,
            jwks,
            &self.common.user_agent(),
        )?))
    }

    /// The AWS SDK configuration (region, emulator endpoint), loaded once.
    pub async fn aws(&mut self) -> aws_config::SdkConfig {
        match &self.sdk {
            Some(sdk) => sdk.clone(),
            None => {
                let sdk = crate::aws::sdk_config(&self.common.aws).await;
                self.sdk = Some(sdk.clone());
                sdk
            }
        }
    }

    /// Cancelled when the application stops; every worker watches it.
    pub fn stop_token(&self) -> CancellationToken {
        self.server.stop_token()
    }

    /// Runs `worker(stop)` until the application stops.
    pub fn spawn<F, Fut>(&mut self, worker: F)
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let stop = self.stop_token();
        self.server.spawn(worker(stop));
    }

    /// Runs `pass` every `interval` until the application stops
    /// ([`super::every`]).
    pub fn every<F, Fut>(&mut self, what: &'static str, interval: Duration, pass: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<u64>> + Send + 'static,
    {
        let stop = self.stop_token();
        self.server.spawn(super::every(what, interval, stop, pass));
    }

    /// Consumes `queue_url` with `handler` until the application stops.
    pub async fn consume<H: EventHandler>(
        &mut self,
        queue_url: String,
        handler: Arc<H>,
        concurrency: usize,
        visibility_timeout: Duration,
    ) {
        let consumer = QueueConsumer {
            sqs: aws_sdk_sqs::Client::new(&self.aws().await),
            queue_url,
            handler,
            metrics: self.metrics.group::<ConsumerMetrics>(),
            concurrency,
            visibility_timeout,
        };
        self.spawn(|stop| consumer.run(stop));
    }
}

/// A service built and bound, ready to serve.
pub struct Application<S: Service> {
    server: Server,
    router: Router,
    state: S::State,
}

impl<S: Service> Application<S> {
    /// Connects (lazily), migrates, binds the port, starts the outbox relay
    /// and clean-up (for a service with a database) and the service's own
    /// workers; `run_until_stopped` serves.
    pub async fn build(settings: S::Settings) -> anyhow::Result<Self> {
        let common = settings.common().clone();
        let pool = match S::migrator() {
            Some(migrator) => {
                let pool = crate::db::pool(&common.database)?;
                migrator
                    .run(&pool)
                    .await
                    .context("migrating the database")?;
                Some(pool)
            }
            None => None,
        };
        let redis = Arc::new(RedisHandle::new(&common.redis)?);
        let server = Server::bind(&common.http).await?;
        let mut kit = Kit {
            common,
            redis,
            metrics: Metrics::new(),
            pool,
            server,
            sdk: None,
        };
        if let Some(pool) = kit.pool.clone() {
            crate::outbox::spawn_workers(&mut kit, &pool).await;
        }
        let state = S::build(&mut kit, &settings).await?;
        let (api, doc) = crate::openapi::split(super::api_router::<S>());
        let health = HealthState {
            pool: kit.pool.clone(),
            redis: kit.redis.clone(),
            metrics: kit.metrics.clone(),
        };
        let docs_name = crate::manifest::entry_of_crate(kit.common.service_name)?
            .name
            .as_str();
        let router = service_router(
            S::wrap(api.with_state(state.clone()), &state),
            doc,
            docs_name,
            health,
            &kit.common.http,
            S::SURFACE,
        );
        Ok(Self {
            server: kit.server,
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

    pub fn state(&self) -> &S::State {
        &self.state
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.run_until_stopped(self.router).await
    }
}

#[cfg(all(test, feature = "test-support"))]
mod tests {
    use serde_json::{json, Value};
    use sqlx::migrate::Migrator;
    use utoipa::openapi::OpenApiBuilder;
    use utoipa_axum::router::OpenApiRouter;

    use super::*;
    use crate::testing::{spawn, TestEnv};

    /// A service with no database of its own, as the web shop is.
    struct NoDatabase;

    #[derive(Clone)]
    struct NoDatabaseSettings(CommonSettings);

    impl ServiceSettings for NoDatabaseSettings {
        fn from_env() -> anyhow::Result<Self> {
            anyhow::bail!("built in code")
        }

        fn common(&self) -> &CommonSettings {
            &self.0
        }
    }

    impl Service for NoDatabase {
        // Any crate of the manifest: its port and defaults are taken from it.
        const NAME: &'static str = "catalog-service";
        type Settings = NoDatabaseSettings;
        type State = bool;

        fn openapi() -> utoipa::openapi::OpenApi {
            OpenApiBuilder::new().build()
        }

        fn routes() -> OpenApiRouter<bool> {
            OpenApiRouter::new()
        }

        fn migrator() -> Option<&'static Migrator> {
            None
        }

        async fn build(kit: &mut Kit, _: &NoDatabaseSettings) -> anyhow::Result<bool> {
            Ok(kit.pool().is_err())
        }
    }

    #[tokio::test]
    async fn a_service_without_a_database_gets_no_pool_and_is_ready_on_redis_alone() {
        let env = TestEnv::new().await;
        // Nothing listens there: a service that tried Postgres would not be ready.
        let common = env.common("catalog-service", "postgres://postgres@127.0.0.1:1/none");

        let app = spawn::<NoDatabase>(NoDatabaseSettings(common)).await;

        assert!(app.state, "the kit gave it no pool");
        let response = reqwest::get(app.url("/health/ready")).await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({"status": "ok", "checks": {"redis": "ok"}}));
    }
}
