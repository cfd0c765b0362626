//! `spawn_app`: inventory-service on a free port with its own database, Redis
//! key prefix and topics/queues, optionally with Redis behind a fault proxy.

use std::time::Duration;

use inventory_service::{
    startup::{Inventory, MIGRATOR},
    state::AppState,
};
use platform::{
    ratelimit::RateLimit,
    testing::{
        aws::TestMessaging, db::TestDatabase, fault_proxy::FaultProxy, tokens::TestTokens, Running,
        TestEnv,
    },
};
use secrecy::SecretString;
use serde_json::{json, Value};
use time::OffsetDateTime;
use uuid::Uuid;

pub use platform::testing::{problem, redis_url};

pub struct Options {
    pub gate: bool,
    pub proxy_redis: bool,
    pub proxy_postgres: bool,
    /// How often open sales' gates are set to what Postgres holds.
    pub gate_resync_interval: Duration,
    pub reservation_ttl: Duration,
    pub claim_rate_limit: RateLimit,
    /// How often expired holds are returned and ended sales closed; a test
    /// that sweeps by itself (`TestApp::sweep`) sets it out of the way.
    pub sweep_interval: Duration,
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
            sweep_interval: Duration::from_millis(200),
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
    _app: Running<Inventory>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    Box::pin(spawn(options)).await
}

async fn spawn(options: Options) -> TestApp {
    let env = TestEnv::new().await;
    let db = TestDatabase::create(&MIGRATOR).await;
    let redis_proxy = match options.proxy_redis {
        true => Some(FaultProxy::for_url(&redis_url()).await),
        false => None,
    };
    let postgres_proxy = match options.proxy_postgres {
        true => Some(FaultProxy::for_url(&db.url).await),
        false => None,
    };
    let mut settings = inventory_service::testing::settings(&env, &db);
    if let Some(proxy) = &redis_proxy {
        settings.common.redis.url = SecretString::from(proxy.proxied_url(&redis_url()));
    }
    if let Some(proxy) = &postgres_proxy {
        settings.common.database.url = SecretString::from(proxy.proxied_url(&db.url));
    }
    settings.flash_sale_gate = options.gate;
    settings.reservation_ttl = options.reservation_ttl;
    settings.gate_resync_interval = options.gate_resync_interval;
    settings.claim_rate_limit = options.claim_rate_limit;
    settings.sweep_interval = options.sweep_interval;
    let app = platform::testing::spawn::<Inventory>(settings).await;
    let TestEnv {
        messaging, tokens, ..
    } = env;
    TestApp {
        address: app.address.clone(),
        db,
        messaging,
        tokens,
        state: app.state.clone(),
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .unwrap(),
        redis_proxy,
        postgres_proxy,
        _app: app,
    }
}

/// Options for a test that runs the sweeper itself, so what it checks
/// happens at one known step and not on a timer.
pub fn sweeping_by_hand() -> Options {
    Options {
        sweep_interval: Duration::from_secs(24 * 3600),
        ..Options::default()
    }
}

impl TestApp {
    /// One pass of the sweeper, now (ended sales closed at once); returns
    /// how many holds it expired.
    pub async fn sweep(&self) -> u64 {
        inventory_service::workers::sweeper::sweep(&self.state, Duration::ZERO)
            .await
            .expect("sweeping")
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
