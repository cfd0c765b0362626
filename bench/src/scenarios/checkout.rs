//! Uncontended checkout: each customer (a minted token) has a cart with one
//! product no one else buys, and places one order with its own
//! `Idempotency-Key` and `tok_visa`, end to end through the saga (catalog
//! prices, inventory hold and commit, payment, shipment, outbox).

use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use reqwest::Method;
use serde_json::json;

use super::{closed_load, common_checks, data, Ctx};
use crate::api::{for_each_concurrent, Customer};
use crate::baselines::PG_CHECKOUT;
use crate::checks;
use crate::load::{self, Answer, Mode, Outcome, Plan, Request, Target, Workload};
use crate::metrics;
use crate::report::{int, ms, percent, Check, Comparison, Goal, ScenarioResult};

const CUSTOMERS: usize = 2_000;
const CONNECTIONS: usize = 32;
const STOCK: i64 = 100;
/// Orders whose stored answer is asked for again afterwards.
const REPLAYS: usize = 50;

fn order_body() -> Bytes {
    Bytes::from(
        json!({
            "from": "cart",
            "payment": {"card_token": "tok_visa"},
            "shipping_address": {"line1": "1 Bench Street", "city": "Toronto", "province": "ON",
                                 "postal_code": "M5V 2T6", "country": "CA"},
        })
        .to_string(),
    )
}

struct Orders {
    customers: Vec<Customer>,
    run_id: String,
    body: Bytes,
    /// (customer index, the answer's body) of every confirmed order.
    confirmed: Mutex<Vec<(usize, Bytes)>>,
}

impl Orders {
    fn key(&self, n: usize) -> String {
        format!("bench-{}-{n}", self.run_id)
    }

    fn request_for(&self, n: usize) -> Request {
        Request::post_json("/orders", self.body.clone())
            .bearer(&self.customers[n].token)
            .header("idempotency-key", &self.key(n))
    }
}

impl Workload for Orders {
    fn request(&self, n: u64) -> Option<Request> {
        let n = usize::try_from(n)
            .ok()
            .filter(|n| *n < self.customers.len())?;
        Some(self.request_for(n))
    }

    fn judge(&self, answer: &Answer<'_>) -> Outcome {
        match answer.status {
            StatusCode::CREATED if load::contains(answer.body, b"\"status\":\"confirmed\"") => {
                if let Ok(mut confirmed) = self.confirmed.lock() {
                    confirmed.push((answer.n as usize, Bytes::copy_from_slice(answer.body)));
                }
                Outcome::Ok(Cow::Borrowed("confirmed"))
            }
            StatusCode::CREATED => Outcome::Error(Cow::Borrowed("failed")),
            StatusCode::ACCEPTED => Outcome::Error(Cow::Borrowed("pending (202)")),
            status => load::status_outcome(status),
        }
    }
}

/// Stock for each customer's product and the product in the customer's cart.
async fn fill_carts(
    ctx: &Ctx,
    customers: &[Customer],
    products: &[data::Product],
) -> anyhow::Result<()> {
    let inventory = ctx.env.url("inventory")?;
    let order = ctx.env.url("order")?;
    let pairs: Vec<_> = customers.iter().zip(products).collect();
    eprintln!(
        "stocking {} products and filling {} carts...",
        pairs.len(),
        pairs.len()
    );
    for_each_concurrent(pairs, 16, |(customer, product)| async move {
        let stock = json!({"on_hand": STOCK, "low_stock_threshold": 0});
        let url = format!("{inventory}/inventory/{}", product.sku);
        ctx.api
            .expect(200, Method::PUT, &url, Some(&ctx.admin), Some(&stock))
            .await?;
        let url = format!("{order}/cart/items/{}", product.id);
        let item = json!({"quantity": 1});
        ctx.api
            .expect(200, Method::PUT, &url, Some(&customer.token), Some(&item))
            .await?;
        Ok(())
    })
    .await?;
    Ok(())
}

/// Transactions committed in all bench databases (Postgres' own statistics).
async fn commits(ctx: &Ctx) -> anyhow::Result<i64> {
    let mut conn = checks::connect(&ctx.env.admin_database_url).await?;
    let names: Vec<String> = ctx
        .env
        .services
        .values()
        .filter_map(|s| s.database_url.as_deref().map(database_name))
        .collect();
    // Statistics reach the shared view within a second of a backend going idle.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    Ok(sqlx::query_scalar("SELECT coalesce(sum(xact_commit), 0)::bigint FROM pg_stat_database WHERE datname = ANY($1)")
        .bind(&names)
        .fetch_one(&mut conn)
        .await?)
}

fn database_name(url: &str) -> String {
    let path = url.rsplit('/').next().unwrap_or_default();
    path.split('?').next().unwrap_or_default().to_owned()
}

/// HTTP requests served by all five services (their `/metrics`).
async fn http_requests(ctx: &Ctx) -> anyhow::Result<f64> {
    let mut total = 0.0;
    for service in ctx.env.services.values() {
        let text = metrics::scrape(&ctx.api, &service.url).await?;
        total += metrics::sum(&text, "storefront_http_requests_total", &[]);
    }
    Ok(total)
}

pub async fn run(ctx: &Ctx) -> anyhow::Result<ScenarioResult> {
    let products = data::products(ctx).await?;
    let count = CUSTOMERS.min(products.len());
    let customers = ctx.minter.customers("checkout", &ctx.run_id, count)?;
    fill_carts(ctx, &customers, &products[..count]).await?;
    let workload = Arc::new(Orders {
        customers,
        run_id: ctx.run_id.clone(),
        body: order_body(),
        confirmed: Mutex::new(Vec::new()),
    });
    let plan = Plan {
        name: "checkout".to_owned(),
        target: Target::from_url(ctx.env.url("order")?)?,
        mode: Mode::Closed {
            connections: CONNECTIONS,
        },
        duration: ctx.duration,
        timeout: Duration::from_secs(15),
    };
    let (commits_before, calls_before) = (commits(ctx).await?, http_requests(ctx).await?);
    let report = super::run_load(ctx, &plan, Arc::clone(&workload)).await?;
    let (commits_after, calls_after) = (commits(ctx).await?, http_requests(ctx).await?);
    let confirmed = workload
        .confirmed
        .lock()
        .map(|c| c.clone())
        .unwrap_or_default();
    let per_order = |delta: f64| crate::stats::ratio(delta, confirmed.len() as f64);

    let load = format!(
        "{}; {} customers with one distinct product each, tok_visa",
        closed_load(CONNECTIONS, report.elapsed),
        int(count as u64)
    );
    let mut result =
        ScenarioResult::from_report("checkout", "checkout, uncontended", load, "orders", &report);
    let commits_per_order = per_order((commits_after - commits_before) as f64);
    // Minus the bench's own POST /orders and the /metrics scrapes.
    let calls = calls_after - calls_before - report.requests as f64 - ctx.env.services.len() as f64;
    let calls_per_order = per_order(calls);
    result.value("commits_per_order", commits_per_order, format!("≈ {commits_per_order:.1} Postgres commits per order (all databases, background work included)"));
    result.value(
        "calls_per_order",
        calls_per_order,
        format!("≈ {calls_per_order:.1} service-to-service HTTP calls per order"),
    );
    result.comparison = Comparison::new("orders/s", report.ok_rate(), &ctx.baselines, PG_CHECKOUT);
    if let Some(c) = &result.comparison {
        result.goals.push(Goal::new(
            "≥ 10 % of the pgbench transaction",
            percent(c.ratio),
            c.ratio >= 0.10,
        ));
    }
    result.goals.push(Goal::new(
        "p99 < 150 ms",
        ms(result.latency.p99_ms),
        result.latency.p99_ms < 150.0,
    ));
    result.checks = common_checks(ctx, &report, 0.01).await?;
    result
        .checks
        .push(replays(ctx, &workload, &confirmed).await?);
    result.checks.extend(order_checks(ctx, &report).await?);
    result
        .checks
        .push(checks::no_negative_availability(&ctx.env).await?);
    let recipients: Vec<String> = confirmed
        .iter()
        .map(|(n, _)| workload.customers[*n].email.clone())
        .collect();
    result.checks.push(
        checks::one_email_each(&ctx.env, &ctx.api, &recipients, Duration::from_secs(180)).await?,
    );
    Ok(result)
}

/// The same key and body again: the stored answer, byte for byte, and no new order.
async fn replays(
    ctx: &Ctx,
    workload: &Orders,
    confirmed: &[(usize, Bytes)],
) -> anyhow::Result<Check> {
    let url = format!("{}/orders", ctx.env.url("order")?);
    let http = reqwest::Client::new();
    let mut same = 0;
    let sample: Vec<_> = confirmed.iter().take(REPLAYS).collect();
    for (n, first) in &sample {
        let answer = http
            .post(&url)
            .bearer_auth(&workload.customers[*n].token)
            .header("idempotency-key", workload.key(*n))
            .header("content-type", "application/json")
            .body(workload.body.clone())
            .send()
            .await?;
        if answer.status() == StatusCode::CREATED && answer.bytes().await? == *first {
            same += 1;
        }
    }
    Ok(Check::new(
        "a replayed key returns the stored answer",
        same == sample.len(),
        format!("{same} of {} replays byte for byte", sample.len()),
    ))
}

async fn order_checks(ctx: &Ctx, report: &load::Report) -> anyhow::Result<Vec<Check>> {
    let answered =
        report.count("confirmed") + report.count("failed") + report.count("pending (202)");
    let mut orders = checks::connect(ctx.env.service("order")?.database()?).await?;
    let (order_rows, keyed, distinct): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM orders),
                (SELECT count(*) FROM idempotency_keys WHERE resource_id IS NOT NULL),
                (SELECT count(DISTINCT resource_id) FROM idempotency_keys)",
    )
    .fetch_one(&mut orders)
    .await?;
    let mut inventory = checks::connect(ctx.env.service("inventory")?.database()?).await?;
    let held: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM reservations WHERE status = 'held' AND flash_sale_id IS NULL",
    )
    .fetch_one(&mut inventory)
    .await?;
    Ok(vec![
        Check::new(
            "one order per idempotency key",
            order_rows == keyed && keyed == distinct && order_rows == answered as i64,
            format!("{order_rows} orders, {keyed} keys with an order ({distinct} distinct), {answered} orders answered"),
        ),
        Check::new(
            "no stock left on hold",
            held == 0,
            format!("{held} ordinary reservations still held"),
        ),
    ])
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_name_is_the_urls_last_segment() {
        assert_eq!(
            super::database_name("postgres://u@h:5432/bench_orders?sslmode=disable"),
            "bench_orders"
        );
    }
}
