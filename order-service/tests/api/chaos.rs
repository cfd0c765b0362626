//! Faults during a flash sale plus checkout load (issue 11): an order-service
//! instance killed and restarted, Postgres restarted, Redis emptied and
//! stopped, the AWS emulator frozen. Every backend here is private to this
//! test, never the machine's shared servers. Afterwards nothing is sold
//! twice, no acknowledged order is lost, none is duplicated or left
//! mid-saga, and every event and email arrives exactly once.
//!
//! This is the short version the test command runs; `cargo xtask chaos`
//! runs it with more buyers and a 30 s freeze (`CHAOS_BUYERS`,
//! `CHAOS_PAUSE_SECS`).

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, RwLock,
    },
    time::Duration,
};

use platform::testing::{
    eventually,
    private::{PrivateMoto, PrivatePostgres, PrivateRedis},
};
use serde_json::{json, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::helpers::{address, cart_order, spawn_platform_with, Customer, Killable, Options};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What the load saw.
#[derive(Default)]
struct Seen {
    /// Requests that failed or got a 5xx: each fault must raise it.
    errors: AtomicU64,
    /// customer id → the order id the platform acknowledged (201/202).
    acknowledged: std::sync::Mutex<HashMap<Uuid, Uuid>>,
}

struct Load {
    client: reqwest::Client,
    /// Where the killable instance listens now (it moves when restarted).
    order_url: Arc<RwLock<String>>,
    inventory: String,
    seen: Arc<Seen>,
    deadline: tokio::time::Instant,
}

impl Load {
    fn order_url(&self, path: &str) -> String {
        format!("{}{path}", self.order_url.read().unwrap())
    }

    fn failed(&self) {
        self.seen.errors.fetch_add(1, Ordering::SeqCst);
    }

    /// Sends until the answer is not a failure of the platform (a transport
    /// error, a 5xx or an in-progress 409), or the deadline passes.
    async fn send(&self, make: impl Fn() -> reqwest::RequestBuilder) -> Option<(u16, Value)> {
        while tokio::time::Instant::now() < self.deadline {
            match make().timeout(Duration::from_secs(20)).send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    let in_progress = status == 409 && body["title"] == "Request in progress";
                    if status < 500 && !in_progress {
                        return Some((status, body));
                    }
                    if status >= 500 {
                        self.failed();
                    }
                }
                Err(_) => self.failed(),
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        None
    }

    async fn checkout(&self, customer: &Customer, body: Value) {
        let key = format!("chaos-{}", customer.id);
        let answer = self
            .send(|| {
                self.client
                    .post(self.order_url("/orders"))
                    .bearer_auth(&customer.token)
                    .header("Idempotency-Key", &key)
                    .json(&body)
            })
            .await;
        if let Some((200..=202, order)) = answer {
            let id = Uuid::parse_str(order["id"].as_str().unwrap_or_default()).unwrap_or_default();
            self.seen
                .acknowledged
                .lock()
                .unwrap()
                .insert(customer.id, id);
        }
    }

    async fn flash_buyer(&self, sale: &str, customer: Customer) {
        let claim = self
            .send(|| {
                self.client
                    .post(format!("{}/flash-sales/{sale}/claims", self.inventory))
                    .bearer_auth(&customer.token)
                    .json(&json!({}))
            })
            .await;
        // Sold out, or an answer lost to a fault (a retry then hits the limit).
        let Some((201, claim)) = claim else { return };
        let body = json!({
            "reservation_id": claim["reservation_id"],
            "payment": {"card_token": "tok_visa"},
            "shipping_address": address(),
        });
        self.checkout(&customer, body).await;
    }

    async fn cart_buyer(&self, product: Uuid, customer: Customer) {
        let put = self
            .send(|| {
                self.client
                    .put(self.order_url(&format!("/cart/items/{product}")))
                    .bearer_auth(&customer.token)
                    .json(&json!({"quantity": 1}))
            })
            .await;
        if matches!(put, Some((200, _))) {
            self.checkout(&customer, cart_order("tok_visa", None)).await;
        }
    }
}

async fn metric(client: &reqwest::Client, base: &str, line_prefix: &str) -> f64 {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with(line_prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn seen_more_errors(seen: &Seen, before: u64, what: &str) {
    let raised = eventually(Duration::from_secs(15), || async {
        (seen.errors.load(Ordering::SeqCst) > before).then_some(())
    })
    .await;
    assert!(raised.is_some(), "the load saw no error while {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn under_faults_nothing_is_sold_twice_lost_duplicated_or_left_half_done() {
    let postgres = PrivatePostgres::start();
    let mut redis = PrivateRedis::start();
    let moto = PrivateMoto::start();
    // This test runs in a process of its own (nextest): its services use the
    // private servers.
    std::env::set_var("DATABASE_URL", postgres.url());
    std::env::set_var("REDIS_URL", redis.url());
    std::env::set_var("AWS_ENDPOINT_URL", moto.endpoint_url());
    let buyers = env_number("CHAOS_BUYERS", 60) as usize;
    let pause = Duration::from_secs(env_number("CHAOS_PAUSE_SECS", 5));

    let mut options = Options::default();
    options.saga.lease = Duration::from_secs(3);
    let p = spawn_platform_with(options).await;
    let sale_units = (buyers / 2) as i64;
    let on_hand = sale_units * 2;
    let (_, sale_sku) = p.product(2500, on_hand).await;
    let fmt = |t: OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let now = OffsetDateTime::now_utc();
    let response = p
        .client
        .post(format!("{}/flash-sales", p.inventory.address))
        .bearer_auth(p.tokens.admin())
        .json(&json!({"sku": sale_sku, "quantity": sale_units, "price_cents": 999,
            "starts_at": fmt(now - time::Duration::minutes(1)), "ends_at": fmt(now + time::Duration::hours(1)),
            "per_customer_limit": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201, "creating the sale");
    let sale: Value = response.json().await.unwrap();
    let sale_id = sale["id"].as_str().unwrap().to_owned();
    let mut products = Vec::new();
    for _ in 0..4 {
        products.push(p.product(1200, 1000).await);
    }

    let mut instance = Killable::start(p.order_settings.clone());
    let seen = Arc::new(Seen::default());
    let load = Arc::new(Load {
        client: p.client.clone(),
        order_url: Arc::new(RwLock::new(instance.address.clone())),
        inventory: p.inventory.address.clone(),
        seen: seen.clone(),
        deadline: tokio::time::Instant::now() + Duration::from_secs(120) + pause,
    });
    // Buyers arrive over the whole fault window: two flash buyers for every
    // sale unit, and as many cart buyers.
    let mut tasks = Vec::new();
    let spread = (Duration::from_secs(12) + pause).as_millis() as u64;
    for i in 0..buyers * 2 {
        let load = load.clone();
        let customer = p.customer();
        let sale_id = sale_id.clone();
        let product = products[i % products.len()].0;
        let delay = Duration::from_millis(spread * i as u64 / (buyers as u64 * 2));
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if i % 2 == 0 {
                load.flash_buyer(&sale_id, customer).await;
            } else {
                load.cart_buyer(product, customer).await;
            }
        }));
    }

    // 1. An order-service instance dies mid-load and a new one starts.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = seen.errors.load(Ordering::SeqCst);
    instance.kill();
    seen_more_errors(&seen, before, "order-service was down").await;
    instance = Killable::start(p.order_settings.clone());
    *load.order_url.write().unwrap() = instance.address.clone();

    // 2. Postgres (every service's) crashes, stays down until the load
    //    notices, and comes back.
    let before = seen.errors.load(Ordering::SeqCst);
    postgres.crash();
    seen_more_errors(&seen, before, "Postgres was down").await;
    postgres.start_again();

    // 3. Redis loses everything and stays away a while.
    let degraded =
        r#"storefront_degraded_total{dependency="redis",action="flash_sale_postgres_path"}"#;
    let before = metric(&p.client, &p.inventory.address, degraded).await;
    redis.stop();
    let went_to_postgres = eventually(Duration::from_secs(15), || async {
        (metric(&p.client, &p.inventory.address, degraded).await > before).then_some(())
    })
    .await;
    assert!(
        went_to_postgres.is_some(),
        "claims took the Postgres path while Redis was away"
    );
    redis.start_again();

    // 4. The AWS emulator freezes: events wait in the outbox.
    moto.pause();
    let backlog = eventually(pause, || async {
        (p.count("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .await
            > 0)
        .then_some(())
    })
    .await;
    tokio::time::sleep(pause).await;
    moto.resume();
    assert!(
        backlog.is_some(),
        "events waited in the outbox while the emulator was frozen"
    );

    for task in tasks {
        task.await.unwrap();
    }
    let acknowledged = seen.acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= buyers / 2,
        "the load made orders: {}",
        acknowledged.len()
    );

    // No order stays mid-saga once the resumers have run.
    let finished = eventually(Duration::from_secs(90), || async {
        (p.count("SELECT count(*) FROM orders WHERE step <> 'done'")
            .await
            == 0)
            .then_some(())
    })
    .await;
    assert!(finished.is_some(), "orders left mid-saga");

    // Every acknowledged order exists; one order per customer (one key each).
    for (customer, order) in &acknowledged {
        let owner: Option<Uuid> =
            sqlx::query_scalar("SELECT customer_id FROM orders WHERE id = $1")
                .bind(order)
                .fetch_optional(&p.order_db.pool)
                .await
                .unwrap();
        assert_eq!(owner, Some(*customer), "acknowledged order {order} exists");
    }
    assert_eq!(
        p.count("SELECT count(*) FROM (SELECT customer_id FROM orders GROUP BY customer_id HAVING count(*) > 1) d").await,
        0,
        "no customer got two orders"
    );

    // Never more sold than the sale held; every SKU balances.
    let sold_at_sale_price = p
        .count("SELECT coalesce(sum(i.quantity), 0)::bigint FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.status = 'confirmed' AND i.unit_price_cents = 999")
        .await;
    assert!(
        sold_at_sale_price <= sale_units,
        "{sold_at_sale_price} sold of {sale_units}"
    );
    for sku in std::iter::once(sale_sku.as_str()).chain(products.iter().map(|(_, s)| s.as_str())) {
        let stock = p.stock(sku).await;
        let n = |k: &str| stock[k].as_i64().unwrap();
        assert!(n("available") >= 0, "{stock}");
        assert_eq!(
            n("on_hand"),
            n("available") + n("reserved") + n("allocated_to_sales"),
            "{stock}"
        );
    }
    let sale_stock = p.stock(&sale_sku).await;
    assert_eq!(
        sale_stock["on_hand"].as_i64().unwrap(),
        on_hand - sold_at_sale_price,
        "{sale_stock}"
    );

    // Every event is published; every confirmed order gets one receipt.
    let published = eventually(Duration::from_secs(60), || async {
        (p.count("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .await
            == 0)
            .then_some(())
    })
    .await;
    assert!(published.is_some(), "events left unpublished");
    let confirmed: Vec<Uuid> =
        sqlx::query_scalar("SELECT customer_id FROM orders WHERE status = 'confirmed'")
            .fetch_all(&p.order_db.pool)
            .await
            .unwrap();
    assert!(!confirmed.is_empty());
    let receipts = |data: &Value| -> HashMap<String, usize> {
        let mut by_recipient = HashMap::new();
        for message in data
            .pointer("/ses/Message")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for to in message
                .pointer("/destinations/ToAddresses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                *by_recipient
                    .entry(to.as_str().unwrap_or_default().to_owned())
                    .or_insert(0) += 1;
            }
        }
        by_recipient
    };
    let data_url = format!("{}/moto-api/data.json", moto.endpoint_url());
    let all_arrived = eventually(Duration::from_secs(90), || async {
        let data: Value = p
            .client
            .get(&data_url)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let counts = receipts(&data);
        confirmed
            .iter()
            .all(|c| {
                counts
                    .get(&format!("{c}@example.test"))
                    .copied()
                    .unwrap_or(0)
                    >= 1
            })
            .then_some(())
    })
    .await;
    assert!(all_arrived.is_some(), "a receipt never arrived");
    // Redeliveries would show up after a visibility timeout and a relay cycle.
    tokio::time::sleep(platform::testing::aws::VISIBILITY_TIMEOUT * 2 + Duration::from_secs(2))
        .await;
    let data: Value = p
        .client
        .get(&data_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let counts = receipts(&data);
    for customer in &confirmed {
        assert_eq!(
            counts.get(&format!("{customer}@example.test")),
            Some(&1),
            "one receipt for {customer}"
        );
    }
    drop(instance);
    drop(p);
}
