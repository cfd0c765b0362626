//! `spawn_platform`: order-service with the real registration, catalog,
//! inventory and campaign services, all in this test process, each with its
//! own database, Redis key prefix and this test's own topics and queues.
//! Any dependency of order-service can sit behind a fault proxy.

use std::time::Duration;

use order_service::{
    config::Settings,
    saga::SagaSettings,
    startup::{AppState, Application, MIGRATOR},
};
use platform::{
    auth::JwksSource,
    client::ClientSettings,
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
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const ISSUER: &str = "http://registration.test";
pub const AUDIENCE: &str = "storefront";
const CLIENT_ID: &str = "order-service";
const CLIENT_SECRET: &str = "order-service-test-secret";

pub struct Options {
    pub proxy_catalog: bool,
    pub proxy_inventory: bool,
    pub proxy_campaign: bool,
    /// inventory-service's default hold (flash-sale claims get it).
    pub claim_ttl: Duration,
    /// How often inventory returns expired holds.
    pub inventory_sweep: Duration,
    pub saga: SagaSettings,
    pub client: ClientSettings,
    /// How often the resumer looks for orders stuck mid-saga.
    pub resume_interval: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            proxy_catalog: false,
            proxy_inventory: false,
            proxy_campaign: false,
            claim_ttl: Duration::from_secs(600),
            inventory_sweep: Duration::from_millis(200),
            saga: SagaSettings {
                lease: Duration::from_secs(10),
                give_up_after: Duration::from_secs(120),
                reservation_ttl: Duration::from_secs(600),
                max_backoff: Duration::from_millis(500),
            },
            client: ClientSettings {
                timeout: Duration::from_secs(2),
                max_retries: 1,
                backoff_base: Duration::from_millis(20),
                breaker_failure_threshold: 5,
                breaker_open_for: Duration::from_secs(1),
            },
            resume_interval: Duration::from_millis(200),
        }
    }
}

/// One running service: its address and how to stop it.
pub struct Running {
    pub address: String,
    pub stop: CancellationToken,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

pub struct Platform {
    pub order: Running,
    pub order_state: AppState,
    pub order_db: TestDatabase,
    pub order_settings: Settings,
    /// Kept so the service runs as long as the platform.
    pub _registration: Running,
    pub catalog: Running,
    pub inventory: Running,
    pub campaign: Running,
    pub campaign_db: TestDatabase,
    /// campaign-service's key for signing unsubscribe links.
    pub unsubscribe_secret: SecretString,
    pub catalog_proxy: Option<FaultProxy>,
    pub inventory_proxy: Option<FaultProxy>,
    pub campaign_proxy: Option<FaultProxy>,
    pub tokens: TestTokens,
    pub messaging: TestMessaging,
    pub client: reqwest::Client,
    _dbs: Vec<TestDatabase>,
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

fn common(
    name: &'static str,
    db: &TestDatabase,
    prefix: &str,
    topic: Option<String>,
    max_connections: u32,
) -> CommonSettings {
    CommonSettings {
        service_name: name,
        http: HttpSettings::for_tests(),
        database: DatabaseSettings {
            url: SecretString::from(db.url.clone()),
            max_connections,
            acquire_timeout: Duration::from_secs(5),
        },
        redis: RedisSettings {
            url: SecretString::from(redis_url()),
            key_prefix: format!("{prefix}:{name}"),
            ca_file: None,
        },
        aws: AwsSettings {
            region: "us-east-1".to_owned(),
            endpoint_url: Some(platform::testing::aws::emulator_endpoint()),
        },
        jwt: JwtSettings {
            issuer: ISSUER.to_owned(),
            audience: AUDIENCE.to_owned(),
        },
        events_topic_arn: topic,
    }
}

/// Starts an application's server; returns where it listens.
fn serve(
    port: u16,
    stop: CancellationToken,
    running: impl std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
) -> Running {
    tokio::spawn(running);
    Running {
        address: format!("http://127.0.0.1:{port}"),
        stop,
    }
}

fn proxied(proxy: &Option<FaultProxy>, url: &str) -> String {
    proxy
        .as_ref()
        .map_or_else(|| url.to_owned(), |p| p.proxied_url(url))
}

pub async fn spawn_platform() -> Platform {
    spawn_platform_with(Options::default()).await
}

pub async fn spawn_platform_with(options: Options) -> Platform {
    Box::pin(spawn(options)).await
}

async fn spawn(options: Options) -> Platform {
    let prefix = unique_prefix();
    let messaging = TestMessaging::bootstrap(&prefix).await;
    let tokens = TestTokens::new(ISSUER, AUDIENCE);
    let jwks = JwksSource::Static(tokens.jwks());

    // registration-service: issues the service token order-service uses.
    let registration_db = TestDatabase::create(&registration_service::startup::MIGRATOR).await;
    let secret_hash = platform::auth::password::hash_blocking(CLIENT_SECRET).expect("hashing");
    let lots = RateLimit::per_minute(100_000);
    let registration_settings = registration_service::config::Settings {
        common: common("registration-service", &registration_db, &prefix, None, 3),
        signing_keys: SecretString::from(tokens.keys_json.clone()),
        service_clients: vec![registration_service::config::ServiceClient {
            client_id: CLIENT_ID.to_owned(),
            secret_hash,
        }],
        admin: None,
        rate_limits: registration_service::config::RateLimits {
            verification: lots,
            registration: lots,
            login_per_account: lots,
            login_per_client: lots,
        },
        log_format: LogFormat::Pretty,
    };
    let app = registration_service::startup::Application::build(registration_settings)
        .await
        .expect("building registration");
    let registration = serve(app.port(), app.stop_token(), app.run_until_stopped());

    let catalog_db = TestDatabase::create(&catalog_service::startup::MIGRATOR).await;
    let catalog_settings = catalog_service::config::Settings {
        common: common(
            "catalog-service",
            &catalog_db,
            &prefix,
            Some(messaging.topic_arn("catalog")),
            4,
        ),
        jwks: jwks.clone(),
        shop_currency: "USD".to_owned(),
        cache: Default::default(),
        log_format: LogFormat::Pretty,
    };
    let app = catalog_service::startup::Application::build(catalog_settings)
        .await
        .expect("building catalog");
    let catalog = serve(app.port(), app.stop_token(), app.run_until_stopped());

    let inventory_db = TestDatabase::create(&inventory_service::startup::MIGRATOR).await;
    let inventory_settings = inventory_service::config::Settings {
        common: common(
            "inventory-service",
            &inventory_db,
            &prefix,
            Some(messaging.topic_arn("inventory")),
            8,
        ),
        jwks: jwks.clone(),
        events_queue_url: Some(messaging.queue_url("inventory")),
        consumer_enabled: true,
        flash_sale_gate: true,
        reservation_ttl: options.claim_ttl,
        sweep_interval: options.inventory_sweep,
        gate_resync_interval: Duration::from_secs(15),
        sale_close_grace: Duration::from_secs(1),
        claim_rate_limit: RateLimit::per_minute(1_000_000),
        shop_currency: "USD".to_owned(),
        log_format: LogFormat::Pretty,
    };
    let app = inventory_service::startup::Application::build(inventory_settings)
        .await
        .expect("building inventory");
    let inventory = serve(app.port(), app.stop_token(), app.run_until_stopped());

    let campaign_db = TestDatabase::create(&campaign_service::startup::MIGRATOR).await;
    let sender_domain = format!("{prefix}.storefront.test");
    let unsubscribe_secret = SecretString::from(format!("secret-{prefix}"));
    platform::aws::ensure_email_identity(&messaging.sdk, &sender_domain)
        .await
        .expect("verifying the sender");
    let campaign_settings = campaign_service::config::Settings {
        common: common("campaign-service", &campaign_db, &prefix, None, 4),
        jwks: jwks.clone(),
        consumer_enabled: true,
        events_queue_url: Some(messaging.queue_url("campaign")),
        email: campaign_service::config::EmailSettings {
            sender: format!("noreply@{sender_domain}"),
            admin_alert_address: format!("ops@{sender_domain}"),
            unsubscribe_secret: unsubscribe_secret.clone(),
            public_base_url: "http://campaign.test".to_owned(),
        },
        shop_currency: "USD".to_owned(),
        log_format: LogFormat::Pretty,
    };
    let app = campaign_service::startup::Application::build(campaign_settings)
        .await
        .expect("building campaign");
    let campaign = serve(app.port(), app.stop_token(), app.run_until_stopped());

    let catalog_proxy = match options.proxy_catalog {
        true => Some(FaultProxy::for_url(&catalog.address).await),
        false => None,
    };
    let inventory_proxy = match options.proxy_inventory {
        true => Some(FaultProxy::for_url(&inventory.address).await),
        false => None,
    };
    let campaign_proxy = match options.proxy_campaign {
        true => Some(FaultProxy::for_url(&campaign.address).await),
        false => None,
    };
    let order_db = TestDatabase::create(&MIGRATOR).await;
    let order_settings = Settings {
        common: common(
            "order-service",
            &order_db,
            &prefix,
            Some(messaging.topic_arn("order")),
            8,
        ),
        jwks,
        registration_url: registration.address.clone(),
        catalog_url: proxied(&catalog_proxy, &catalog.address),
        inventory_url: proxied(&inventory_proxy, &inventory.address),
        campaign_url: proxied(&campaign_proxy, &campaign.address),
        service_client_id: CLIENT_ID.to_owned(),
        service_client_secret: SecretString::from(CLIENT_SECRET.to_owned()),
        client: options.client,
        saga: options.saga,
        checkout_budget: Duration::from_secs(5),
        resume_interval: options.resume_interval,
        shop_currency: "USD".to_owned(),
        log_format: LogFormat::Pretty,
    };
    let (order, order_state) = start_order(order_settings.clone()).await;
    Platform {
        order,
        order_state,
        order_db,
        order_settings,
        _registration: registration,
        catalog,
        inventory,
        campaign,
        campaign_db,
        unsubscribe_secret,
        catalog_proxy,
        inventory_proxy,
        campaign_proxy,
        tokens,
        messaging,
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(32)
            .build()
            .unwrap(),
        _dbs: vec![registration_db, catalog_db, inventory_db],
    }
}

/// Starts an order-service instance with `settings` (a second instance on
/// the same database stands for a restarted process).
pub async fn start_order(settings: Settings) -> (Running, AppState) {
    let app = Application::build(settings)
        .await
        .expect("building order-service");
    let state = app.state().clone();
    (
        serve(app.port(), app.stop_token(), app.run_until_stopped()),
        state,
    )
}

pub fn address() -> Value {
    json!({"line1": "1 Main St", "city": "Toronto", "province": "ON", "postal_code": "M5V 2T6", "country": "CA"})
}

pub fn cart_order(card: &str, promo: Option<&str>) -> Value {
    let mut body =
        json!({"from": "cart", "payment": {"card_token": card}, "shipping_address": address()});
    if let Some(code) = promo {
        body["promo_code"] = json!(code);
    }
    body
}

/// A customer: its id, token and the address its emails go to.
pub struct Customer {
    pub id: Uuid,
    pub token: String,
    pub email: String,
}

impl Platform {
    pub fn customer(&self) -> Customer {
        let (id, token) = self.tokens.customer();
        Customer {
            id,
            token,
            email: format!("{id}@example.test"),
        }
    }

    pub fn order_url(&self, path: &str) -> String {
        format!("{}{}", self.order.address, path)
    }

    /// Creates an active product with `on_hand` units in stock; returns (product id, sku).
    pub async fn product(&self, price_cents: i64, on_hand: i64) -> (Uuid, String) {
        self.product_named(None, price_cents, on_hand).await
    }

    /// Like [`Platform::product`], named `name` (default: `Product <sku>`).
    pub async fn product_named(
        &self,
        name: Option<&str>,
        price_cents: i64,
        on_hand: i64,
    ) -> (Uuid, String) {
        let sku = format!(
            "SKU-{}",
            Uuid::new_v4().simple().to_string()[..10].to_ascii_uppercase()
        );
        let name = name.map_or_else(|| format!("Product {sku}"), str::to_owned);
        let response = self
            .client
            .post(format!("{}/products", self.catalog.address))
            .bearer_auth(self.tokens.admin())
            .json(&json!({
                "sku": sku, "name": name, "description": "A test product",
                "price_cents": price_cents, "currency": "USD", "active": true,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201, "creating a product");
        let product: Value = response.json().await.unwrap();
        let response = self
            .client
            .put(format!("{}/inventory/{sku}", self.inventory.address))
            .bearer_auth(self.tokens.admin())
            .json(&json!({"on_hand": on_hand, "low_stock_threshold": 0}))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "setting stock: {}",
            response.status()
        );
        (
            Uuid::parse_str(product["id"].as_str().unwrap()).unwrap(),
            sku,
        )
    }

    pub async fn stock(&self, sku: &str) -> Value {
        self.client
            .get(format!("{}/inventory/{sku}", self.inventory.address))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn available(&self, sku: &str) -> i64 {
        self.stock(sku).await["available"].as_i64().unwrap()
    }

    pub async fn add_to_cart(
        &self,
        customer: &Customer,
        product: Uuid,
        quantity: i64,
    ) -> reqwest::Response {
        self.client
            .put(self.order_url(&format!("/cart/items/{product}")))
            .bearer_auth(&customer.token)
            .json(&json!({"quantity": quantity}))
            .send()
            .await
            .unwrap()
    }

    pub async fn place(&self, customer: &Customer, key: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.order_url("/orders"))
            .bearer_auth(&customer.token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn order(&self, token: &str, id: &str) -> reqwest::Response {
        self.client
            .get(self.order_url(&format!("/orders/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_admin(&self, path: &str) -> reqwest::Response {
        self.client
            .post(self.order_url(path))
            .bearer_auth(self.tokens.admin())
            .send()
            .await
            .unwrap()
    }

    /// A campaign live now with `code` giving `percent` off.
    pub async fn promo(&self, code: &str, percent: i64, max_redemptions: Option<i64>) {
        let now = time::OffsetDateTime::now_utc();
        let fmt = |t: time::OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        let mut promo_code = json!({"code": code});
        if let Some(max) = max_redemptions {
            promo_code["max_redemptions"] = json!(max);
        }
        let response = self
            .client
            .post(format!("{}/campaigns", self.campaign.address))
            .bearer_auth(self.tokens.admin())
            .json(&json!({
                "name": format!("Campaign {code}"), "description": "Test campaign",
                "offer": {"kind": "percent", "percent_off": percent},
                "starts_at": fmt(now - time::Duration::minutes(1)),
                "ends_at": fmt(now + time::Duration::hours(1)),
                "promo_code": promo_code,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            201,
            "creating the campaign: {}",
            response.text().await.unwrap()
        );
    }

    pub async fn redemptions(&self, code: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FROM redemptions WHERE code = $1 AND released_at IS NULL",
        )
        .bind(code)
        .fetch_one(&self.campaign_db.pool)
        .await
        .unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.order_db.pool)
            .await
            .unwrap()
    }

    /// The order's status once it stops being pending (or after `timeout`).
    pub async fn settled(&self, token: &str, id: &str, timeout: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let order: Value = self.order(token, id).await.json().await.unwrap();
            if order["status"] != "pending" || tokio::time::Instant::now() > deadline {
                return order;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

pub async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    response.json().await.unwrap()
}

/// An order-service instance in a runtime of its own, so a test can kill it
/// as SIGKILL would: every task stops at its next await and nothing runs on
/// (no graceful shutdown, leases left held, requests unanswered).
pub struct Killable {
    pub address: String,
    kill: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Killable {
    pub fn start(settings: Settings) -> Self {
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let (kill_tx, kill_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a runtime for the instance");
            let port = runtime.block_on(async move {
                let app = Application::build(settings)
                    .await
                    .expect("building order-service");
                let port = app.port();
                tokio::spawn(app.run_until_stopped());
                port
            });
            port_tx.send(port).expect("reporting the port");
            let _ = kill_rx.recv();
            runtime.shutdown_background();
        });
        let port = port_rx.recv().expect("the instance started");
        Self {
            address: format!("http://127.0.0.1:{port}"),
            kill: Some(kill_tx),
            thread: Some(thread),
        }
    }

    pub fn kill(&mut self) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Killable {
    fn drop(&mut self) {
        self.kill();
    }
}
