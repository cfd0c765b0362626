//! `spawn_shop`: web-service in front of the five services, and a `Shopper`
//! that browses it as a browser would (cookies, forms with their CSRF token,
//! its own client address), without JavaScript.

use std::time::Duration;

use campaign_service::startup::Campaign;
use catalog_service::startup::Catalog;
use inventory_service::startup::Inventory;
use order_service::startup::Order;
use platform::testing::{spawn_with_database, tokens::TestTokens, Running, TestEnv};
use registration_service::{config::RateLimits, startup::Registration};
use reqwest::{redirect::Policy, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;
use web_service::{config::Upstreams, startup::Web};

/// The shop's admin account (registration makes it at start).
pub const ADMIN_EMAIL: &str = "admin@shop.test";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

pub struct Shop {
    pub web: Running<Web>,
    pub registration: Running<Registration>,
    pub catalog: Running<Catalog>,
    pub inventory: Running<Inventory>,
    pub campaign: Running<Campaign>,
    pub order: Running<Order>,
    pub tokens: TestTokens,
    pub env_prefix: String,
    pub admin: reqwest::Client,
}

#[derive(Default)]
pub struct Options {
    /// registration-service's limits (default: relaxed).
    pub rate_limits: Option<RateLimits>,
}

pub async fn spawn_shop() -> Shop {
    spawn_shop_with(Options::default()).await
}

pub async fn spawn_shop_with(options: Options) -> Shop {
    Box::pin(spawn(options)).await
}

async fn spawn(options: Options) -> Shop {
    let env = TestEnv::new().await;
    let registration = spawn_with_database::<Registration>(|db| {
        let mut settings = registration_service::testing::settings(&env, db);
        settings.common.database.max_connections = 3;
        // It trusts one hop, as behind the load balancer: web-service's.
        settings.common.http.trusted_proxy_hops = 1;
        if let Some(limits) = options.rate_limits.clone() {
            settings.rate_limits = limits;
        }
        settings.admin = Some(registration_service::config::AdminAccount {
            email: ADMIN_EMAIL.to_owned(),
            password: secrecy::SecretString::from(ADMIN_PASSWORD),
        });
        settings
    })
    .await;
    let catalog = spawn_with_database::<Catalog>(|db| {
        let mut settings = catalog_service::testing::settings(&env, db);
        settings.common.database.max_connections = 3;
        settings
    })
    .await;
    let inventory = spawn_with_database::<Inventory>(|db| {
        let mut settings = inventory_service::testing::settings(&env, db);
        settings.common.database.max_connections = 4;
        settings
    })
    .await;
    campaign_service::testing::verify_sender(&env).await;
    let campaign = spawn_with_database::<Campaign>(|db| {
        let mut settings = campaign_service::testing::settings(&env, db);
        settings.common.database.max_connections = 3;
        settings
    })
    .await;
    let order = spawn_with_database::<Order>(|db| {
        let upstreams = order_service::testing::Upstreams {
            registration: registration.address.clone(),
            catalog: catalog.address.clone(),
            inventory: inventory.address.clone(),
            campaign: campaign.address.clone(),
        };
        let mut settings = order_service::testing::settings(&env, db, upstreams);
        settings.common.database.max_connections = 4;
        settings
    })
    .await;
    let web = web_service::testing::spawn(
        &env,
        Upstreams {
            registration: registration.address.clone(),
            campaign: campaign.address.clone(),
            catalog: catalog.address.clone(),
            inventory: inventory.address.clone(),
            order: order.address.clone(),
        },
    )
    .await;
    Shop {
        web,
        registration,
        catalog,
        inventory,
        campaign,
        order,
        env_prefix: env.prefix.clone(),
        tokens: env.tokens,
        admin: reqwest::Client::new(),
    }
}

/// A fresh SKU.
pub fn sku() -> String {
    format!(
        "SKU-{}",
        Uuid::new_v4().simple().to_string()[..10].to_ascii_uppercase()
    )
}

pub fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

impl Shop {
    /// An active product with `on_hand` units; its id and SKU.
    pub async fn product(&self, name: &str, price_cents: i64, on_hand: i64) -> (Uuid, String) {
        let sku = sku();
        let response = self
            .admin
            .post(self.catalog.url("/products"))
            .bearer_auth(self.tokens.admin())
            .json(&json!({
                "sku": sku, "name": name, "description": format!("All about {name}."),
                "price_cents": price_cents, "currency": "USD", "active": true,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "creating a product");
        let product: Value = response.json().await.unwrap();
        self.set_stock(&sku, on_hand).await;
        (
            Uuid::parse_str(product["id"].as_str().unwrap()).unwrap(),
            sku,
        )
    }

    pub async fn set_stock(&self, sku: &str, on_hand: i64) {
        let response = self
            .admin
            .put(self.inventory.url(&format!("/inventory/{sku}")))
            .bearer_auth(self.tokens.admin())
            .json(&json!({"on_hand": on_hand, "low_stock_threshold": 3}))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "setting stock: {}",
            response.status()
        );
    }

    pub async fn available(&self, sku: &str) -> i64 {
        let stock: Value = self
            .admin
            .get(self.inventory.url(&format!("/inventory/{sku}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        stock["available"].as_i64().unwrap()
    }

    /// A campaign running now whose `code` takes `percent` off.
    pub async fn promo(&self, code: &str, percent: i64) {
        let now = time::OffsetDateTime::now_utc();
        let response = self
            .admin
            .post(self.campaign.url("/campaigns"))
            .bearer_auth(self.tokens.admin())
            .json(&json!({
                "name": format!("Campaign {code}"), "description": "Welcome offer",
                "offer": {"kind": "percent", "percent_off": percent},
                "starts_at": rfc3339(now - time::Duration::minutes(1)),
                "ends_at": rfc3339(now + time::Duration::hours(1)),
                "promo_code": {"code": code},
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "creating the campaign"
        );
    }

    /// A flash sale of `sku`, open now; its id.
    pub async fn flash_sale(&self, sku: &str, quantity: i64, price_cents: i64, limit: i64) -> Uuid {
        let now = time::OffsetDateTime::now_utc();
        let response = self
            .admin
            .post(self.inventory.url("/flash-sales"))
            .bearer_auth(self.tokens.admin())
            .json(&json!({
                "sku": sku, "quantity": quantity, "price_cents": price_cents,
                "per_customer_limit": limit,
                "starts_at": rfc3339(now - time::Duration::seconds(1)),
                "ends_at": rfc3339(now + time::Duration::minutes(30)),
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "creating the sale");
        let sale: Value = response.json().await.unwrap();
        Uuid::parse_str(sale["id"].as_str().unwrap()).unwrap()
    }

    /// A shopper browsing from `address` (sent as X-Forwarded-For, as the
    /// load balancer would).
    pub fn shopper_from(&self, address: &str) -> Shopper {
        Shopper {
            base: self.web.address.clone(),
            address: address.to_owned(),
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            csrf: None,
        }
    }

    pub fn shopper(&self) -> Shopper {
        self.shopper_from("198.51.100.7")
    }

    /// The admin, signed in to the shop.
    pub async fn admin_shopper(&self) -> Shopper {
        let mut admin = self.shopper_from("198.51.100.9");
        let page = admin.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD, "/admin").await;
        assert_eq!(page.path, "/admin", "the admin signed in: {}", page.body);
        admin
    }
}

/// One page as the shopper got it.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    /// Where the shopper ended up, after following redirects.
    pub path: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn assert_shows(&self, text: &str) -> &Self {
        assert!(
            self.body.contains(text),
            "{} should show {text:?}; it is:\n{}",
            self.path,
            self.body
        );
        self
    }

    pub fn assert_hides(&self, text: &str) -> &Self {
        assert!(
            !self.body.contains(text),
            "{} should not show {text:?}",
            self.path
        );
        self
    }

    pub fn is_html(&self) -> bool {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
    }

    /// The value of the first `name="<name>" value="..."` input.
    pub fn input(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_owned())
    }
}

pub struct Shopper {
    pub base: String,
    pub address: String,
    pub client: reqwest::Client,
    /// The CSRF token of the last page that had a form.
    pub csrf: Option<String>,
}

impl Shopper {
    async fn follow(&mut self, mut response: reqwest::Response) -> Page {
        for _ in 0..10 {
            if !response.status().is_redirection() {
                break;
            }
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            response = self
                .request(reqwest::Method::GET, &location)
                .send()
                .await
                .unwrap();
        }
        let page = Page {
            status: response.status(),
            path: response.url().path().to_owned()
                + response
                    .url()
                    .query()
                    .map(|q| format!("?{q}"))
                    .as_deref()
                    .unwrap_or(""),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        };
        if let Some(token) = page.input("csrf") {
            self.csrf = Some(token);
        }
        page
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .header("x-forwarded-for", &self.address)
    }

    /// GETs `path`, following redirects.
    pub async fn get(&mut self, path: &str) -> Page {
        let response = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        self.follow(response).await
    }

    /// GETs `path` without following a redirect.
    pub async fn get_once(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap()
    }

    /// Submits a form with the last page's CSRF token, following redirects.
    pub async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf.clone().expect("a page with a form came first");
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let response = self
            .request(reqwest::Method::POST, path)
            .form(&form)
            .send()
            .await
            .unwrap();
        self.follow(response).await
    }

    /// Submits a form exactly as given (no CSRF token added).
    pub async fn submit_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .request(reqwest::Method::POST, path)
            .form(fields)
            .send()
            .await
            .unwrap();
        self.follow(response).await
    }

    pub async fn sign_up(&mut self, email: &str, next: &str) -> Page {
        self.get(&format!("/sign-up?next={next}")).await;
        self.submit(
            "/sign-up",
            &[
                ("first_name", "Ada"),
                ("last_name", "Lovelace"),
                ("email", email),
                ("password", "correct horse battery"),
                ("next", next),
            ],
        )
        .await
    }

    pub async fn sign_in(&mut self, email: &str, password: &str, next: &str) -> Page {
        self.get(&format!("/sign-in?next={next}")).await;
        self.submit(
            "/sign-in",
            &[("email", email), ("password", password), ("next", next)],
        )
        .await
    }

    pub async fn add_to_cart(&mut self, product: Uuid, quantity: &str) -> Page {
        self.get(&format!("/shop/{product}")).await;
        self.submit(
            "/basket/items",
            &[("product_id", &product.to_string()), ("quantity", quantity)],
        )
        .await
    }
}

/// A unique address for a test's emails.
pub fn email() -> String {
    format!("shopper-{}@example.test", Uuid::new_v4().simple())
}
