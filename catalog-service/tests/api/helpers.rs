//! `spawn_app`: catalog-service on a free port with its own database, Redis
//! key prefix and topics/queues, optionally behind fault proxies.

use std::time::Duration;

use catalog_service::{
    cache::CacheSettings,
    startup::{Catalog, MIGRATOR},
    state::AppState,
};
use platform::testing::{
    aws::TestMessaging, db::TestDatabase, fault_proxy::FaultProxy, redis_url, tokens::TestTokens,
    unique_prefix, Running, TestEnv,
};
use secrecy::SecretString;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::query_counter::QueryCounter;

pub use platform::testing::problem;

#[derive(Default)]
pub struct Options {
    pub proxy_postgres: bool,
    pub proxy_redis: bool,
    /// Route Postgres through a proxy that counts product-by-id queries.
    pub count_queries: bool,
    pub cache: Option<CacheSettings>,
    pub max_connections: Option<u32>,
}

pub struct TestApp {
    pub address: String,
    pub db: TestDatabase,
    pub messaging: TestMessaging,
    pub tokens: TestTokens,
    pub state: AppState,
    pub client: reqwest::Client,
    pub postgres_proxy: Option<FaultProxy>,
    pub redis_proxy: Option<FaultProxy>,
    pub query_counter: Option<QueryCounter>,
    _app: Running<Catalog>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    // Boxed: building the app is a large future.
    Box::pin(spawn(options)).await
}

async fn spawn(options: Options) -> TestApp {
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
    let query_counter = match options.count_queries {
        true => Some(QueryCounter::start(&db.url, is_product_by_id).await),
        false => None,
    };
    let database_url = match (&postgres_proxy, &query_counter) {
        (Some(proxy), _) => proxy.proxied_url(&db.url),
        (None, Some(counter)) => counter.url.clone(),
        (None, None) => db.url.clone(),
    };
    let mut settings = catalog_service::testing::settings(&env, &db);
    let common = &mut settings.common;
    common.database.url = SecretString::from(database_url);
    common.database.max_connections = options.max_connections.unwrap_or(8);
    common.database.acquire_timeout = Duration::from_secs(2);
    if let Some(proxy) = &redis_proxy {
        common.redis.url = SecretString::from(proxy.proxied_url(&redis_url()));
    }
    settings.cache = options.cache.unwrap_or_default();
    let app = platform::testing::spawn::<Catalog>(settings).await;
    let TestEnv {
        messaging, tokens, ..
    } = env;
    TestApp {
        address: app.address.clone(),
        db,
        messaging,
        tokens,
        state: app.state.clone(),
        client: reqwest::Client::new(),
        postgres_proxy,
        redis_proxy,
        query_counter,
        _app: app,
    }
}

/// The statement `GET /products/{id}` runs on a cache miss.
fn is_product_by_id(sql: &str) -> bool {
    sql.trim_start().starts_with("SELECT")
        && sql.contains("FROM products WHERE id = $1")
        && !sql.contains("FOR UPDATE")
}

/// A valid product body with `sku`.
pub fn product(sku: &str) -> Value {
    json!({
        "sku": sku,
        "name": "Blue mug, 350 ml",
        "description": "A stoneware mug with a blue glaze.",
        "price_cents": 1250,
        "currency": "USD",
        "attributes": {"colour": "blue", "volume_ml": 350},
        "image_url": "https://img.storefront.test/mug-blue.jpg",
    })
}

/// A SKU no other test (or run) uses.
pub fn unique_sku() -> String {
    unique_prefix().to_ascii_uppercase()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn create_product(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/products"))
            .bearer_auth(self.tokens.admin())
            .json(body)
            .send()
            .await
            .expect("request failed")
    }

    /// Creates a product and returns it, panicking unless it was a 201.
    pub async fn created(&self, body: &Value) -> Value {
        let response = self.create_product(body).await;
        assert_eq!(response.status().as_u16(), 201, "creating {body}");
        response.json().await.unwrap()
    }

    pub async fn get_product(&self, id: &str) -> reqwest::Response {
        self.client
            .get(self.url(&format!("/products/{id}")))
            .send()
            .await
            .expect("request failed")
    }

    pub async fn patch_product(&self, id: &str, body: &Value) -> reqwest::Response {
        self.client
            .patch(self.url(&format!("/products/{id}")))
            .bearer_auth(self.tokens.admin())
            .json(body)
            .send()
            .await
            .expect("request failed")
    }

    pub async fn delete_product(&self, id: &str) -> reqwest::Response {
        self.client
            .delete(self.url(&format!("/products/{id}")))
            .bearer_auth(self.tokens.admin())
            .send()
            .await
            .expect("request failed")
    }

    pub async fn list(&self, query: &str) -> reqwest::Response {
        self.client
            .get(self.url(&format!("/products?{query}")))
            .send()
            .await
            .expect("request failed")
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.pool)
            .await
            .expect("counting")
    }

    /// Removes the product's cache entry, as if it had expired.
    pub async fn evict(&self, id: &str) {
        let mut conn = redis::Client::open(redis_url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let key = self.state.redis.key(&format!("product:{id}"));
        let _: i64 = redis::cmd("DEL")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap();
    }

    /// The raw cache entry of a product, read from Redis directly.
    pub async fn cache_entry(&self, id: &str) -> Option<String> {
        let mut conn = redis::Client::open(redis_url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let key = self.state.redis.key(&format!("product:{id}"));
        redis::cmd("GET")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap()
    }

    pub fn hits(&self) -> u64 {
        self.state.cache_metrics.hits.get()
    }
}

pub fn id_of(product: &Value) -> String {
    product["id"].as_str().expect("an id").to_owned()
}

pub fn parse_id(product: &Value) -> Uuid {
    Uuid::parse_str(&id_of(product)).unwrap()
}
