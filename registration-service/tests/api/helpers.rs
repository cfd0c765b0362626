//! `spawn_app`: the service on a free port with its own database, Redis key
//! prefix and topics/queues, optionally behind fault proxies.

use std::{sync::Arc, time::Duration};

use platform::{
    config::{
        AwsSettings, CommonSettings, DatabaseSettings, HttpSettings, JwtSettings, LogFormat,
        RedisSettings,
    },
    testing::{aws::TestMessaging, db::TestDatabase, fault_proxy::FaultProxy, unique_prefix},
};
use registration_service::{
    config::{RateLimits, ServiceClient, Settings},
    startup::{AppState, Application, MIGRATOR},
};
use secrecy::SecretString;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

pub const ISSUER: &str = "http://registration.test";
pub const AUDIENCE: &str = "storefront";
pub const SERVICE_CLIENT_ID: &str = "order-service";
pub const SERVICE_CLIENT_SECRET: &str = "order-service-secret-for-tests";

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
    stop: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A generous limit so tests that are not about rate limiting never hit one.
pub fn relaxed_limits() -> RateLimits {
    let lots = platform::ratelimit::RateLimit::per_minute(100_000);
    RateLimits {
        verification: lots,
        registration: lots,
        login_per_account: lots,
        login_per_client: lots,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    let db = TestDatabase::create(&MIGRATOR).await;
    let prefix = unique_prefix();
    let messaging = TestMessaging::bootstrap(&prefix).await;
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
    let signing_keys_json = platform::auth::keys::generate_signing_keys_json("test-key-1");
    let secret_hash =
        platform::auth::password::hash_blocking(SERVICE_CLIENT_SECRET).expect("hashing");
    let settings = Settings {
        common: CommonSettings {
            service_name: "registration-service",
            http: HttpSettings {
                trusted_proxy_hops: options.trusted_proxy_hops,
                ..HttpSettings::for_tests()
            },
            database: DatabaseSettings {
                url: SecretString::from(proxied(&postgres_proxy, &db.url)),
                max_connections: 5,
                acquire_timeout: Duration::from_secs(1),
            },
            redis: RedisSettings {
                url: SecretString::from(proxied(&redis_proxy, &redis_url())),
                key_prefix: prefix.clone(),
                ca_file: None,
            },
            aws: AwsSettings {
                region: "us-east-1".to_owned(),
                endpoint_url: Some(proxied(&aws_proxy, &endpoint)),
            },
            jwt: JwtSettings {
                issuer: ISSUER.to_owned(),
                audience: AUDIENCE.to_owned(),
            },
            events_topic_arn: Some(messaging.topic_arn("registration")),
        },
        signing_keys: SecretString::from(signing_keys_json.clone()),
        service_clients: vec![ServiceClient {
            client_id: SERVICE_CLIENT_ID.to_owned(),
            secret_hash,
        }],
        admin: None,
        rate_limits: options.rate_limits.unwrap_or_else(relaxed_limits),
        log_format: LogFormat::Pretty,
    };
    let app = Application::build(settings)
        .await
        .expect("building the app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let stop = app.stop_token();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        db,
        messaging,
        state,
        client: reqwest::Client::new(),
        signing_keys_json,
        postgres_proxy,
        redis_proxy,
        aws_proxy,
        stop,
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

    pub fn metrics(&self) -> Arc<platform::metrics::Metrics> {
        self.state.metrics.clone()
    }
}

/// Reads a problem+json response, checking its content type and status.
pub async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status);
    body
}
