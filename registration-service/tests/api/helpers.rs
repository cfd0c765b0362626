//! `spawn_app`: the service on a free port with its own database, Redis key
//! prefix and topics/queues, optionally behind fault proxies.

use std::{sync::Arc, time::Duration};

use platform::testing::{
    aws::TestMessaging, db::TestDatabase, fault_proxy::FaultProxy, unique_prefix, Running, TestEnv,
};
use registration_service::{
    config::RateLimits,
    startup::{Registration, MIGRATOR},
    state::AppState,
};
use secrecy::SecretString;
use serde_json::{json, Value};

pub use platform::testing::{
    problem, redis_url, AUDIENCE, ISSUER, SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET,
};
pub use registration_service::testing::relaxed_limits;

#[derive(Default)]
pub struct Options {
    pub proxy_postgres: bool,
    pub proxy_redis: bool,
    pub proxy_aws: bool,
    pub rate_limits: Option<RateLimits>,
    /// `TRUSTED_PROXY_HOPS`: 1 makes `X-Forwarded-For` name the client.
    pub trusted_proxy_hops: usize,
}

pub struct TestApp {
    pub address: String,
    pub db: TestDatabase,
    pub messaging: TestMessaging,
    pub state: AppState,
    pub client: reqwest::Client,
    pub signing_keys_json: String,
    pub postgres_proxy: Option<FaultProxy>,
    pub redis_proxy: Option<FaultProxy>,
    pub aws_proxy: Option<FaultProxy>,
    _app: Running<Registration>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    let env = TestEnv::new().await;
    let db = TestDatabase::create(&MIGRATOR).await;
    let postgres_proxy = match options.proxy_postgres {
        true => Some(FaultProxy::for_url(&db.url).await),
        false => None,
    };
    let redis_proxy = match options.proxy_redis {
        true => Some(FaultProxy::for_url(&redis_url()).await),
        false => None,
    };
    let endpoint = platform::testing::aws::emulator_endpoint();
    let aws_proxy = match options.proxy_aws {
        true => Some(FaultProxy::for_url(&endpoint).await),
        false => None,
    };
    let proxied = |proxy: &Option<FaultProxy>, url: &str| {
        proxy
            .as_ref()
            .map_or_else(|| url.to_owned(), |p| p.proxied_url(url))
    };
    // A key id the forged-token tests reuse.
    let signing_keys_json = platform::auth::keys::generate_signing_keys_json("test-key-1");
    let mut settings = registration_service::testing::settings(&env, &db);
    let common = &mut settings.common;
    common.http.trusted_proxy_hops = options.trusted_proxy_hops;
    common.database.url = SecretString::from(proxied(&postgres_proxy, &db.url));
    common.database.max_connections = 5;
    common.database.acquire_timeout = Duration::from_secs(1);
    common.redis.url = SecretString::from(proxied(&redis_proxy, &redis_url()));
    common.aws.endpoint_url = Some(proxied(&aws_proxy, &endpoint));
    settings.signing_keys = SecretString::from(signing_keys_json.clone());
    if let Some(limits) = options.rate_limits {
        settings.rate_limits = limits;
    }
    let app = platform::testing::spawn::<Registration>(settings).await;
    TestApp {
        address: app.address.clone(),
        db,
        messaging: env.messaging,
        state: app.state.clone(),
        client: reqwest::Client::new(),
        signing_keys_json,
        postgres_proxy,
        redis_proxy,
        aws_proxy,
        _app: app,
    }
}

/// A valid registration body for `email`.
pub fn registration(email: &str) -> Value {
    json!({
        "email": email,
        "password": "correct horse battery",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "city": "London",
        "marketing_opt_in": true,
    })
}

/// An email no other test (or run) uses.
pub fn unique_email() -> String {
    format!("{}@example.com", unique_prefix())
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request failed")
    }

    pub async fn register(&self, body: &Value) -> reqwest::Response {
        self.post_json("/customers", body).await
    }

    pub async fn token_for(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/auth/token",
            &json!({"grant_type": "password", "email": email, "password": password}),
        )
        .await
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.pool)
            .await
            .expect("counting")
    }

    /// A verifier of this service's tokens, as other services build one:
    /// from its published JWKS.
    pub fn verifier(&self) -> platform::auth::TokenVerifier {
        platform::auth::TokenVerifier::remote(
            ISSUER,
            AUDIENCE,
            &self.url("/.well-known/jwks.json"),
            "storefront-test/0",
        )
        .expect("a verifier")
    }

    pub fn metrics(&self) -> Arc<platform::metrics::Metrics> {
        self.state.metrics.clone()
    }
}
