//! `spawn_app`: inventory-service on a free port with its own database, Redis
//! key prefix and topics/queues, optionally with Redis behind a fault proxy.

use std::time::Duration;

use inventory_service::{
    config::Settings,
    startup::{AppState, Application, MIGRATOR},
};
use platform::{
    auth::JwksSource,
    config::{
        AwsSettings, CommonSettings, DatabaseSettings, HttpSettings, JwtSettings, LogFormat,
        RedisSettings,
    },
    ratelimit::RateLimit,
    testing::{
        aws::TestMessaging, db::TestDatabase, fault_proxy::FaultProxy, tokens::TestTokens,
        unique_prefix,
    },
};
use secrecy::SecretString;
use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub struct Options {
    pub gate: bool,
    pub proxy_redis: bool,
    pub proxy_postgres: bool,
    /// How often open sales' gates are set to what Postgres holds.
    pub gate_resync_interval: Duration,
    pub reservation_ttl: Duration,
    pub claim_rate_limit: RateLimit,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            gate: true,
            proxy_redis: false,
            proxy_postgres: false,
            gate_resync_interval: Duration::from_secs(15),
            reservation_ttl: Duration::from_secs(600),
            claim_rate_limit: RateLimit::per_minute(1_000_000),
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub db: TestDatabase,
    pub messaging: TestMessaging,
    pub tokens: TestTokens,
    pub state: AppState,
    pub client: reqwest::Client,
    pub redis_proxy: Option<FaultProxy>,
    pub postgres_proxy: Option<FaultProxy>,
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

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    Box::pin(spawn(options)).await
}

async fn spawn(options: Options) -> TestApp {
    let db = TestDatabase::create(&MIGRATOR).await;
    let prefix = unique_prefix();
    let messaging = TestMessaging::bootstrap(&prefix).await;
    let redis_proxy = match options.proxy_redis {
        true => Some(FaultProxy::for_url(&redis_url()).await),
        false => None,
    };
    let redis = redis_proxy
        .as_ref()
        .map_or_else(redis_url, |p| p.proxied_url(&redis_url()));
    let postgres_proxy = match options.proxy_postgres {
        true => Some(FaultProxy::for_url(&db.url).await),
        false => None,
    };
    let database_url = postgres_proxy
        .as_ref()
        .map_or_else(|| db.url.clone(), |p| p.proxied_url(&db.url));
    let tokens = TestTokens::new("http://registration.test", "storefront");
    let settings = Settings {
        common: CommonSettings {
            service_name: "inventory-service",
            http: HttpSettings::for_tests(),
            database: DatabaseSettings {
                url: SecretString::from(database_url),
                max_connections: 16,
                acquire_timeout: Duration::from_secs(10),
            },
            redis: RedisSettings {
                url: SecretString::from(redis),
                key_prefix: prefix.clone(),
                ca_file: None,
            },
            aws: AwsSettings {
                region: "us-east-1".to_owned(),
                endpoint_url: Some(platform::testing::aws::emulator_endpoint()),
            },
            jwt: JwtSettings {
                issuer: tokens.issuer.clone(),
                audience: tokens.audience.clone(),
            },
            events_topic_arn: Some(messaging.topic_arn("inventory")),
        },
        jwks: JwksSource::Static(tokens.jwks()),
        events_queue_url: Some(messaging.queue_url("inventory")),
        consumer_enabled: true,
        flash_sale_gate: options.gate,
        reservation_ttl: options.reservation_ttl,
        sweep_interval: Duration::from_millis(200),
        gate_resync_interval: options.gate_resync_interval,
        // The tests' claims finish long before their sales end.
        sale_close_grace: Duration::from_secs(1),
        claim_rate_limit: options.claim_rate_limit,
        shop_currency: "USD".to_owned(),
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
        tokens,
        state,
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .unwrap(),
        redis_proxy,
        postgres_proxy,
        stop,
    }
}

pub fn at(minutes: i64) -> String {
    (OffsetDateTime::now_utc() + time::Duration::minutes(minutes))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn set_stock(&self, sku: &str, on_hand: i64, threshold: i64) -> reqwest::Response {
        self.client
            .put(self.url(&format!("/inventory/{sku}")))
            .bearer_auth(self.tokens.admin())
            .json(&json!({"on_hand": on_hand, "low_stock_threshold": threshold}))
            .send()
            .await
            .unwrap()
    }

    pub async fn stock(&self, sku: &str) -> Value {
        self.client
            .get(self.url(&format!("/inventory/{sku}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// A sale of `quantity` units of `sku` open now, with a per-customer `limit`.
    pub async fn open_sale(&self, sku: &str, quantity: i64, limit: i64) -> String {
        let response = self
            .create_sale(&json!({
                "sku": sku, "quantity": quantity, "price_cents": 999,
                "starts_at": at(-1), "ends_at": at(30), "per_customer_limit": limit,
            }))
            .await;
        assert_eq!(response.status().as_u16(), 201, "creating the sale");
        let sale: Value = response.json().await.unwrap();
        sale["id"].as_str().unwrap().to_owned()
    }

    pub async fn create_sale(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/flash-sales"))
            .bearer_auth(self.tokens.admin())
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn claim(&self, sale: &str, token: &str) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/flash-sales/{sale}/claims")))
            .bearer_auth(token)
            .json(&json!({}))
            .send()
            .await
            .unwrap()
    }

    pub async fn reserve(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/reservations"))
            .bearer_auth(self.tokens.service("order-service"))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn act(&self, reservation: &str, action: &str) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/reservations/{reservation}/{action}")))
            .bearer_auth(self.tokens.service("order-service"))
            .send()
            .await
            .unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    /// on_hand = available + reserved + allocated_to_sales, read from the API.
    pub async fn assert_balanced(&self, sku: &str) {
        let s = self.stock(sku).await;
        let n = |k: &str| s[k].as_i64().unwrap();
        assert!(n("available") >= 0, "{s}");
        assert_eq!(
            n("on_hand"),
            n("available") + n("reserved") + n("allocated_to_sales"),
            "{s}"
        );
    }
}

pub fn new_reference() -> String {
    format!("order-{}", Uuid::new_v4())
}

pub async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    response.json().await.unwrap()
}
