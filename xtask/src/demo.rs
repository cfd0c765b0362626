//! `cargo xtask demo-data`: load a demo shop into a running platform through its HTTP APIs.
//!
//! It logs in as the admin, then makes categories and products (catalog),
//! their stock (inventory), a live campaign with the promo code `WELCOME10`
//! (campaign) and an upcoming flash sale (inventory). What already exists is
//! kept, so it can run again: a product or category that is there (409) is
//! looked up instead, stock is set back to the demo levels, an expired
//! campaign is reopened and a second flash sale is only made once the last
//! one has ended.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{bail, Context};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use crate::services::{services, ADMIN_EMAIL, ADMIN_PASSWORD};

pub const PROMO_CODE: &str = "WELCOME10";
const PROMO_PERCENT_OFF: i64 = 10;
/// The campaign stays live this long from each run.
const CAMPAIGN_DAYS: i64 = 90;
/// The flash sale opens this long after the run, for this long.
const SALE_STARTS_IN: time::Duration = time::Duration::minutes(10);
const SALE_LASTS: time::Duration = time::Duration::minutes(30);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(clap::Args)]
pub struct DemoArgs {
    /// One base URL for every service, e.g. the compose gateway `http://127.0.0.1:8080`.
    /// Without it each service is called on its own port on 127.0.0.1.
    #[arg(long)]
    base_url: Option<String>,
    /// registration-service (overrides --base-url).
    #[arg(long)]
    registration_url: Option<String>,
    /// catalog-service (overrides --base-url).
    #[arg(long)]
    catalog_url: Option<String>,
    /// inventory-service (overrides --base-url).
    #[arg(long)]
    inventory_url: Option<String>,
    /// campaign-service (overrides --base-url).
    #[arg(long)]
    campaign_url: Option<String>,
    #[arg(long, default_value = ADMIN_EMAIL)]
    admin_email: String,
    #[arg(long, default_value = ADMIN_PASSWORD)]
    admin_password: String,
}

impl DemoArgs {
    fn url(&self, service: &str, explicit: Option<&String>) -> String {
        let url = explicit
            .or(self.base_url.as_ref())
            .cloned()
            .unwrap_or_else(|| {
                services()
                    .iter()
                    .find(|s| s.name == service)
                    .map(crate::services::Service::url)
                    .unwrap_or_default()
            });
        url.trim_end_matches('/').to_owned()
    }
}

struct Category {
    name: &'static str,
    description: &'static str,
}

const CATEGORIES: &[Category] = &[
    Category {
        name: "Kitchen",
        description: "Mugs, pans and everything for cooking",
    },
    Category {
        name: "Audio",
        description: "Headphones, earbuds and speakers",
    },
    Category {
        name: "Outdoors",
        description: "Gear for trails and campsites",
    },
];

struct DemoProduct {
    sku: &'static str,
    name: &'static str,
    description: &'static str,
    price_cents: i64,
    category: &'static str,
    on_hand: i64,
    low_stock_threshold: i64,
}

const PRODUCTS: &[DemoProduct] = &[
    DemoProduct {
        sku: "MUG-CERAMIC-350",
        name: "Ceramic Mug 350 ml",
        description: "Stoneware mug with a matte glaze; dishwasher safe.",
        price_cents: 1200,
        category: "Kitchen",
        on_hand: 200,
        low_stock_threshold: 20,
    },
    DemoProduct {
        sku: "PAN-CASTIRON-26",
        name: "Cast-Iron Skillet 26 cm",
        description: "Pre-seasoned cast-iron skillet for stove, oven and campfire.",
        price_cents: 4500,
        category: "Kitchen",
        on_hand: 60,
        low_stock_threshold: 10,
    },
    DemoProduct {
        sku: "KETTLE-GOOSENECK",
        name: "Gooseneck Kettle",
        description: "Pour-over kettle with a thermometer in the lid, 1 litre.",
        price_cents: 5900,
        category: "Kitchen",
        on_hand: 40,
        low_stock_threshold: 5,
    },
    DemoProduct {
        sku: "HEADPHONES-NC700",
        name: "Noise-Cancelling Headphones",
        description: "Over-ear wireless headphones with active noise cancelling and 30 h battery.",
        price_cents: 19900,
        category: "Audio",
        on_hand: 80,
        low_stock_threshold: 10,
    },
    DemoProduct {
        sku: "SPEAKER-MINI-BT",
        name: "Mini Bluetooth Speaker",
        description: "Pocket-sized waterproof speaker with 12 h battery.",
        price_cents: 3900,
        category: "Audio",
        on_hand: 120,
        low_stock_threshold: 15,
    },
    DemoProduct {
        sku: "EARBUDS-SPORT",
        name: "Sport Earbuds",
        description: "Sweat-proof wireless earbuds with ear hooks.",
        price_cents: 5900,
        category: "Audio",
        on_hand: 100,
        low_stock_threshold: 10,
    },
    DemoProduct {
        sku: "BOTTLE-STEEL-750",
        name: "Steel Water Bottle 750 ml",
        description: "Insulated stainless-steel bottle; cold for 24 h, hot for 12 h.",
        price_cents: 2500,
        category: "Outdoors",
        on_hand: 150,
        low_stock_threshold: 20,
    },
    DemoProduct {
        sku: "TENT-TREK-2P",
        name: "Two-Person Trekking Tent",
        description: "Freestanding 1.6 kg tent for two, with a vestibule on each side.",
        price_cents: 24900,
        category: "Outdoors",
        on_hand: 15,
        low_stock_threshold: 5,
    },
];

/// The product on flash sale: its SKU, units, sale price and per-customer limit.
const SALE_SKU: &str = "HEADPHONES-NC700";
const SALE_QUANTITY: i64 = 20;
const SALE_PRICE_CENTS: i64 = 9900;
const SALE_PER_CUSTOMER: i64 = 1;

pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()
        .context("starting the tokio runtime")?
        .block_on(load(args))
}

async fn load(args: &DemoArgs) -> anyhow::Result<()> {
    let registration = args.url("registration", args.registration_url.as_ref());
    let catalog = args.url("catalog", args.catalog_url.as_ref());
    let inventory = args.url("inventory", args.inventory_url.as_ref());
    let campaign = args.url("campaign", args.campaign_url.as_ref());

    let mut api = Api::new()?;
    api.log_in(&registration, &args.admin_email, &args.admin_password)
        .await?;
    println!("Logged in as {}.", args.admin_email);

    let categories = ensure_categories(&api, &catalog).await?;
    let products = ensure_products(&api, &catalog, &categories).await?;
    set_stock(&api, &inventory).await?;
    ensure_campaign(&api, &campaign).await?;
    ensure_flash_sale(&api, &inventory).await?;

    println!();
    println!("Demo data is ready. Products ({catalog}/products):");
    println!("{:<18} {:<38} {:>9}  id", "sku", "name", "price");
    for product in PRODUCTS {
        let id = products.get(product.sku).map_or("?", String::as_str);
        println!(
            "{:<18} {:<38} {:>9}  {id}",
            product.sku,
            product.name,
            dollars(product.price_cents)
        );
    }
    println!("Promo code {PROMO_CODE}: {PROMO_PERCENT_OFF}% off, at checkout.");
    Ok(())
}

async fn ensure_categories(api: &Api, catalog: &str) -> anyhow::Result<HashMap<String, String>> {
    for category in CATEGORIES {
        let body = json!({"name": category.name, "description": category.description});
        let reply = api
            .send(Method::POST, &format!("{catalog}/categories"), Some(&body))
            .await?;
        match reply.status {
            StatusCode::CREATED => println!("category {:<10} created", category.name),
            StatusCode::CONFLICT => println!("category {:<10} exists", category.name),
            _ => bail!(reply.failure(&format!("creating category {}", category.name))),
        }
    }
    // Ids by name, as the catalog has them now (new or from an earlier run).
    let mut ids = HashMap::new();
    for item in api
        .all_pages(&format!("{catalog}/categories?limit=100"))
        .await?
    {
        if let (Some(name), Some(id)) = (item["name"].as_str(), item["id"].as_str()) {
            ids.insert(name.to_ascii_lowercase(), id.to_owned());
        }
    }
    Ok(ids)
}

/// Creates the products that are missing; returns every demo product's id by SKU.
async fn ensure_products(
    api: &Api,
    catalog: &str,
    categories: &HashMap<String, String>,
) -> anyhow::Result<HashMap<&'static str, String>> {
    let mut ids = HashMap::new();
    for product in PRODUCTS {
        let category_id = categories
            .get(&product.category.to_ascii_lowercase())
            .with_context(|| format!("the catalog has no category {}", product.category))?;
        let body = json!({
            "sku": product.sku,
            "name": product.name,
            "description": product.description,
            "price_cents": product.price_cents,
            "currency": "USD",
            "category_id": category_id,
            "active": true,
        });
        let reply = api
            .send(Method::POST, &format!("{catalog}/products"), Some(&body))
            .await?;
        match reply.status {
            StatusCode::CREATED => {
                println!("product  {:<18} created", product.sku);
                ids.insert(product.sku, reply.string("id")?);
            }
            StatusCode::CONFLICT => {
                let existing = find_product(api, catalog, product).await?;
                let id = existing["id"].as_str().unwrap_or_default().to_owned();
                if existing["active"] == json!(false) {
                    let reactivate = json!({"active": true});
                    api.send(
                        Method::PATCH,
                        &format!("{catalog}/products/{id}"),
                        Some(&reactivate),
                    )
                    .await?
                    .expect(&[StatusCode::OK], &format!("reactivating {}", product.sku))?;
                    println!("product  {:<18} exists; reactivated", product.sku);
                } else {
                    println!("product  {:<18} exists", product.sku);
                }
                ids.insert(product.sku, id);
            }
            _ => bail!(reply.failure(&format!("creating product {}", product.sku))),
        }
    }
    Ok(ids)
}

/// An existing product by SKU: searched by its name first, then by listing everything.
async fn find_product(api: &Api, catalog: &str, product: &DemoProduct) -> anyhow::Result<Value> {
    let by_name = format!(
        "{catalog}/products?limit=100&q={}",
        query_escape(&format!("\"{}\"", product.name))
    );
    let reply = api.send(Method::GET, &by_name, None).await?;
    let reply = reply.expect(&[StatusCode::OK], "searching the catalog")?;
    let has_sku = |item: &&Value| item["sku"].as_str() == Some(product.sku);
    if let Some(found) = reply.items().iter().find(has_sku) {
        return Ok(found.clone());
    }
    let everything = api
        .all_pages(&format!("{catalog}/products?limit=100"))
        .await?;
    everything
        .iter()
        .find(has_sku)
        .cloned()
        .with_context(|| format!("{} exists (409) but is not listed", product.sku))
}

/// `PUT /inventory/{sku}` upserts, so it works before or after inventory has
/// seen the product's `catalog.product_created` event.
async fn set_stock(api: &Api, inventory: &str) -> anyhow::Result<()> {
    for product in PRODUCTS {
        let body = json!({
            "on_hand": product.on_hand,
            "low_stock_threshold": product.low_stock_threshold,
        });
        let url = format!("{inventory}/inventory/{}", product.sku);
        let reply = api.send(Method::PUT, &url, Some(&body)).await?;
        match reply.status {
            StatusCode::OK => println!(
                "stock    {:<18} on hand {:>3}, available {}",
                product.sku, product.on_hand, reply.body["available"]
            ),
            // More is held by reservations and sales than the demo level: leave it.
            StatusCode::CONFLICT => println!(
                "stock    {:<18} kept: {}",
                product.sku,
                reply.body["detail"].as_str().unwrap_or("more is held")
            ),
            _ => bail!(reply.failure(&format!("setting the stock of {}", product.sku))),
        }
    }
    Ok(())
}

async fn ensure_campaign(api: &Api, campaign: &str) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    let starts_at = rfc3339(now - time::Duration::minutes(1))?;
    let ends_at = rfc3339(now + time::Duration::days(CAMPAIGN_DAYS))?;
    let body = json!({
        "name": "Welcome offer",
        "description": format!("{PROMO_PERCENT_OFF}% off your first order with {PROMO_CODE}"),
        "offer": {"kind": "percent", "percent_off": PROMO_PERCENT_OFF},
        "starts_at": starts_at,
        "ends_at": ends_at,
        "promo_code": {"code": PROMO_CODE, "per_customer_limit": 1},
    });
    let reply = api
        .send(Method::POST, &format!("{campaign}/campaigns"), Some(&body))
        .await?;
    match reply.status {
        StatusCode::CREATED => {
            println!(
                "campaign {:<18} created: {PROMO_PERCENT_OFF}% off until {ends_at}",
                PROMO_CODE
            );
            return Ok(());
        }
        StatusCode::CONFLICT => {}
        _ => bail!(reply.failure("creating the welcome campaign")),
    }
    // The code exists from an earlier run: make sure it still applies.
    let check = api
        .send(
            Method::GET,
            &format!("{campaign}/promo-codes/{PROMO_CODE}"),
            None,
        )
        .await?;
    if check.status == StatusCode::NOT_FOUND {
        println!("campaign {PROMO_CODE:<18} is taken by a deleted campaign; not recreated");
        return Ok(());
    }
    let check = check.expect(&[StatusCode::OK], "checking the promo code")?;
    if check.body["applies"] == json!(true) {
        println!(
            "campaign {PROMO_CODE:<18} exists and applies until {}",
            check.body["ends_at"].as_str().unwrap_or("?")
        );
        return Ok(());
    }
    let reason = check.body["reason"].as_str().unwrap_or("?").to_owned();
    if reason == "not_started" || reason == "expired" {
        let id = check.string("campaign_id")?;
        let window = json!({"starts_at": starts_at, "ends_at": ends_at});
        api.send(
            Method::PATCH,
            &format!("{campaign}/campaigns/{id}"),
            Some(&window),
        )
        .await?
        .expect(&[StatusCode::OK], "reopening the welcome campaign")?;
        println!("campaign {PROMO_CODE:<18} was {reason}; reopened until {ends_at}");
    } else {
        println!("campaign {PROMO_CODE:<18} exists but does not apply ({reason})");
    }
    Ok(())
}

async fn ensure_flash_sale(api: &Api, inventory: &str) -> anyhow::Result<()> {
    let sales = api
        .all_pages(&format!("{inventory}/flash-sales?limit=100"))
        .await?;
    let open = sales.iter().find(|sale| {
        sale["sku"].as_str() == Some(SALE_SKU)
            && matches!(sale["status"].as_str(), Some("scheduled" | "active"))
    });
    if let Some(sale) = open {
        println!(
            "flash sale {SALE_SKU} exists: {} ({} of {} left, starts {})",
            sale["status"].as_str().unwrap_or("?"),
            sale["remaining"],
            sale["quantity"],
            sale["starts_at"].as_str().unwrap_or("?"),
        );
        println!(
            "           {inventory}/flash-sales/{}",
            sale["id"].as_str().unwrap_or("?")
        );
        return Ok(());
    }
    let now = OffsetDateTime::now_utc();
    let starts_at = rfc3339(now + SALE_STARTS_IN)?;
    let ends_at = rfc3339(now + SALE_STARTS_IN + SALE_LASTS)?;
    let body = json!({
        "sku": SALE_SKU,
        "quantity": SALE_QUANTITY,
        "price_cents": SALE_PRICE_CENTS,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "per_customer_limit": SALE_PER_CUSTOMER,
    });
    let reply = api
        .send(
            Method::POST,
            &format!("{inventory}/flash-sales"),
            Some(&body),
        )
        .await?
        .expect(&[StatusCode::CREATED], "creating the flash sale")?;
    println!(
        "flash sale {SALE_SKU} created: {SALE_QUANTITY} units at {} from {starts_at} to {ends_at}",
        dollars(SALE_PRICE_CENTS)
    );
    println!("           {inventory}/flash-sales/{}", reply.string("id")?);
    Ok(())
}

/// A JSON HTTP client with the admin's token.
struct Api {
    http: reqwest::Client,
    token: Option<String>,
}

struct Reply {
    method: Method,
    url: String,
    status: StatusCode,
    body: Value,
}

impl Reply {
    fn expect(self, ok: &[StatusCode], what: &str) -> anyhow::Result<Self> {
        if ok.contains(&self.status) {
            Ok(self)
        } else {
            bail!(self.failure(what))
        }
    }

    fn failure(&self, what: &str) -> String {
        let detail = self.body["detail"]
            .as_str()
            .or_else(|| self.body["title"].as_str())
            .map_or_else(|| self.body.to_string(), str::to_owned);
        let errors = match self.body.get("errors") {
            Some(errors) => format!(" {errors}"),
            None => String::new(),
        };
        format!(
            "{what}: {} {} answered {}: {detail}{errors}",
            self.method, self.url, self.status
        )
    }

    fn string(&self, field: &str) -> anyhow::Result<String> {
        self.body[field]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("{} {} answered without `{field}`", self.method, self.url))
    }

    fn items(&self) -> &[Value] {
        self.body["items"].as_array().map_or(&[], Vec::as_slice)
    }
}

impl Api {
    fn new() -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .context("building the HTTP client")?;
        Ok(Self { http, token: None })
    }

    async fn log_in(
        &mut self,
        registration: &str,
        email: &str,
        password: &str,
    ) -> anyhow::Result<()> {
        let body = json!({"grant_type": "password", "email": email, "password": password});
        let reply = self
            .send(
                Method::POST,
                &format!("{registration}/auth/token"),
                Some(&body),
            )
            .await?
            .expect(&[StatusCode::OK], "logging in as the admin")?;
        self.token = Some(reply.string("access_token")?);
        Ok(())
    }

    async fn send(&self, method: Method, url: &str, body: Option<&Value>) -> anyhow::Result<Reply> {
        let mut request = self.http.request(method.clone(), url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.with_context(|| {
            format!(
                "{method} {url} failed; is the platform running \
                 (`cargo xtask dev`, or `docker compose -f docker/compose.yaml up`)?"
            )
        })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .with_context(|| format!("reading the answer to {method} {url}"))?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(Reply {
            method,
            url: url.to_owned(),
            status,
            body,
        })
    }

    /// Every item of a paginated list (`{items, next_cursor}`); `url` has a query already.
    async fn all_pages(&self, url: &str) -> anyhow::Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page_url = match &cursor {
                Some(c) => format!("{url}&cursor={}", query_escape(c)),
                None => url.to_owned(),
            };
            let reply = self
                .send(Method::GET, &page_url, None)
                .await?
                .expect(&[StatusCode::OK], "listing")?;
            items.extend(reply.items().iter().cloned());
            match reply.body["next_cursor"].as_str() {
                Some(next) if !next.is_empty() => cursor = Some(next.to_owned()),
                _ => return Ok(items),
            }
        }
    }
}

/// Percent-encodes everything but the unreserved characters (RFC 3986).
fn query_escape(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn rfc3339(at: OffsetDateTime) -> anyhow::Result<String> {
    // Whole seconds: easier to read in the output.
    let at = at.replace_nanosecond(0).context("rounding a timestamp")?;
    at.format(&Rfc3339).context("formatting a timestamp")
}

fn dollars(cents: i64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_escaped() {
        assert_eq!(
            query_escape("\"Ceramic Mug 350 ml\""),
            "%22Ceramic%20Mug%20350%20ml%22"
        );
        assert_eq!(query_escape("a+b/c=="), "a%2Bb%2Fc%3D%3D");
    }

    #[test]
    fn demo_data_is_consistent() {
        for product in PRODUCTS {
            assert!(
                CATEGORIES.iter().any(|c| c.name == product.category),
                "{} has an unknown category",
                product.sku
            );
            assert!(product.on_hand > product.low_stock_threshold);
        }
        let sale = PRODUCTS.iter().find(|p| p.sku == SALE_SKU).unwrap();
        assert!(sale.on_hand > SALE_QUANTITY);
        assert!(SALE_PRICE_CENTS < sale.price_cents);
    }
}
