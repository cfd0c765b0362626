//! `spawn_platform`: order-service with the real registration, catalog,
//! inventory and campaign services, all in this test process, each with its
//! own database, Redis key prefix and this test's own topics and queues.
//! Any dependency of order-service can sit behind a fault proxy.

use std::time::Duration;

use campaign_service::startup::Campaign;
use catalog_service::startup::Catalog;
use inventory_service::startup::Inventory;
use order_service::{
    config::Settings,
    saga::SagaSettings,
    startup::{Application, Order},
    state::AppState,
    testing::Upstreams,
};
use platform::{
    client::ClientSettings,
    testing::{
        aws::TestMessaging, db::TestDatabase, fault_proxy::FaultProxy, spawn_with_database,
        tokens::TestTokens, Running, TestEnv,
    },
};
use registration_service::startup::Registration;
use secrecy::SecretString;
use serde_json::{json, Value};
use uuid::Uuid;

pub use platform::testing::{problem, AUDIENCE, ISSUER};

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
            saga: order_service::testing::saga(),
            client: order_service::testing::client(),
            resume_interval: order_service::testing::RESUME_INTERVAL,
        }
    }
}

pub struct Platform {
    pub order: Running<Order>,
    pub order_state: AppState,
    pub order_db: TestDatabase,
    pub order_settings: Settings,
    pub _registration: Running<Registration>,
    pub catalog: Running<Catalog>,
    pub inventory: Running<Inventory>,
    pub campaign: Running<Campaign>,
    /// campaign-service's key for signing unsubscribe links.
    pub unsubscribe_secret: SecretString,
    pub catalog_proxy: Option<FaultProxy>,
    pub inventory_proxy: Option<FaultProxy>,
    pub campaign_proxy: Option<FaultProxy>,
    pub tokens: TestTokens,
    pub messaging: TestMessaging,
    pub client: reqwest::Client,
}

fn proxied(proxy: &Option<FaultProxy>, url: &str) -> String {
    proxy
        .as_ref()
        .map_or_else(|| url.to_owned(), |p| p.proxied_url(url))
}

async fn proxy_if(wanted: bool, url: &str) -> Option<FaultProxy> {
    match wanted {
        true => Some(FaultProxy::for_url(url).await),
        false => None,
    }
}

pub async fn spawn_platform() -> Platform {
    spawn_platform_with(Options::default()).await
}

pub async fn spawn_platform_with(options: Options) -> Platform {
    Box::pin(spawn(options)).await
}

async fn spawn(options: Options) -> Platform {
    let env = TestEnv::new().await;
    // registration-service issues the service token order-service uses.
    let registration = spawn_with_database::<Registration>(|db| {
        let mut settings = registration_service::testing::settings(&env, db);
        settings.common.database.max_connections = 3;
        settings
    })
    .await;
    let catalog = spawn_with_database::<Catalog>(|db| {
        let mut settings = catalog_service::testing::settings(&env, db);
        settings.common.database.max_connections = 4;
        settings
    })
    .await;
    let inventory = spawn_with_database::<Inventory>(|db| {
        let mut settings = inventory_service::testing::settings(&env, db);
        settings.common.database.max_connections = 8;
        settings.common.database.acquire_timeout = Duration::from_secs(5);
        settings.reservation_ttl = options.claim_ttl;
        settings.sweep_interval = options.inventory_sweep;
        settings
    })
    .await;
    campaign_service::testing::verify_sender(&env).await;
    let campaign = spawn_with_database::<Campaign>(|db| {
        let mut settings = campaign_service::testing::settings(&env, db);
        settings.common.database.max_connections = 4;
        settings
    })
    .await;
    let unsubscribe_secret = campaign.settings.email.unsubscribe_secret.clone();

    let catalog_proxy = proxy_if(options.proxy_catalog, &catalog.address).await;
    let inventory_proxy = proxy_if(options.proxy_inventory, &inventory.address).await;
    let campaign_proxy = proxy_if(options.proxy_campaign, &campaign.address).await;
    let order_db = TestDatabase::create(&order_service::startup::MIGRATOR).await;
    let upstreams = Upstreams {
        registration: registration.address.clone(),
        catalog: proxied(&catalog_proxy, &catalog.address),
        inventory: proxied(&inventory_proxy, &inventory.address),
        campaign: proxied(&campaign_proxy, &campaign.address),
    };
    let mut order_settings = order_service::testing::settings(&env, &order_db, upstreams);
    order_settings.client = options.client;
    order_settings.saga = options.saga;
    order_settings.resume_interval = options.resume_interval;
    let (order, order_state) = start_order(order_settings.clone()).await;
    let TestEnv {
        messaging, tokens, ..
    } = env;
    Platform {
        order,
        order_state,
        order_db,
        order_settings,
        _registration: registration,
        catalog,
        inventory,
        campaign,
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
    }
}

/// Starts an order-service instance with `settings` (a second instance on
/// the same database stands for a restarted process).
pub async fn start_order(settings: Settings) -> (Running<Order>, AppState) {
    let running = platform::testing::spawn::<Order>(settings).await;
    let state = running.state.clone();
    (running, state)
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
        .fetch_one(&self.campaign.db().pool)
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
