//! catalog-service reads: `GET /products/{id}` from the Redis cache and past
//! it, and full-text search over the whole catalog.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use reqwest::Method;

use super::data::{self, Product};
use super::{closed_load, common_checks, Ctx};
use crate::baselines::{HEALTH_LIVE, REDIS_GET};
use crate::load::{self, Answer, Mode, Outcome, Plan, Report, Request, Target, Workload};
use crate::report::{int, ms, percent, Check, Comparison, Goal, ScenarioResult};
use crate::{metrics, redis_keys};

const READ_CONNECTIONS: usize = 64;
const SEARCH_CONNECTIONS: usize = 8;
/// The cached scenario reads this many products, all warmed first.
const HOT_PRODUCTS: usize = 100;

struct Reads {
    paths: Vec<String>,
}

impl Workload for Reads {
    fn request(&self, n: u64) -> Option<Request> {
        Some(Request::get(
            self.paths[n as usize % self.paths.len()].clone(),
        ))
    }
}

fn plan(ctx: &Ctx, name: &str, connections: usize) -> anyhow::Result<Plan> {
    Ok(Plan {
        name: name.to_owned(),
        target: Target::from_url(ctx.env.url("catalog")?)?,
        mode: Mode::Closed { connections },
        duration: ctx.duration,
        timeout: Duration::from_secs(10),
    })
}

/// Cache hits and misses counted by the service while `load` ran.
async fn with_cache_counts<F>(ctx: &Ctx, load: F) -> anyhow::Result<(Report, f64, f64)>
where
    F: std::future::Future<Output = anyhow::Result<Report>>,
{
    let catalog = ctx.env.url("catalog")?;
    let before = metrics::scrape(&ctx.api, catalog).await?;
    let report = load.await?;
    let after = metrics::scrape(&ctx.api, catalog).await?;
    let delta = |name: &str| metrics::sum(&after, name, &[]) - metrics::sum(&before, name, &[]);
    Ok((
        report,
        delta("storefront_cache_hits_total"),
        delta("storefront_cache_misses_total"),
    ))
}

fn product_paths(products: &[Product]) -> Vec<String> {
    products
        .iter()
        .map(|p| format!("/products/{}", p.id))
        .collect()
}

pub async fn cached(ctx: &Ctx) -> anyhow::Result<ScenarioResult> {
    let products = data::products(ctx).await?;
    let paths = product_paths(&products[..HOT_PRODUCTS.min(products.len())]);
    let catalog = ctx.env.url("catalog")?;
    for path in &paths {
        ctx.api
            .expect(200, Method::GET, &format!("{catalog}{path}"), None, None)
            .await?;
    }
    let workload = Arc::new(Reads { paths });
    let plan = plan(ctx, "catalog-cached", READ_CONNECTIONS)?;
    let (report, hits, misses) =
        with_cache_counts(ctx, super::run_load(ctx, &plan, workload)).await?;
    let hit_ratio = crate::stats::ratio(hits, hits + misses);
    let load = format!(
        "{}; {HOT_PRODUCTS} products",
        closed_load(READ_CONNECTIONS, report.elapsed)
    );
    let mut result = ScenarioResult::from_report(
        "catalog-cached",
        "catalog read, cached",
        load,
        "reads",
        &report,
    );
    result.value(
        "cache_hit_ratio",
        hit_ratio,
        format!("cache hit ratio {}", percent(hit_ratio)),
    );
    result.comparison = Comparison::new("reads/s", report.ok_rate(), &ctx.baselines, REDIS_GET);
    if let Some(c) = &result.comparison {
        result.goals.push(Goal::new(
            "≥ 50 % of Redis GET",
            percent(c.ratio),
            c.ratio >= 0.5,
        ));
    }
    result.goals.push(Goal::new(
        "p99 < 10 ms",
        ms(result.latency.p99_ms),
        result.latency.p99_ms < 10.0,
    ));
    result.checks = common_checks(ctx, &report, 0.001).await?;
    result.checks.push(Check::new(
        "reads came from the cache",
        hit_ratio >= 0.99,
        format!("{} hits, {} misses", int(hits as u64), int(misses as u64)),
    ));
    Ok(result)
}

/// Reads the catalog in turn and has each entry the read put in the cache
/// deleted right after its answer, so every read misses.
struct UncachedReads {
    paths: Vec<String>,
    keys: Vec<String>,
    answered: tokio::sync::mpsc::UnboundedSender<usize>,
}

impl Workload for UncachedReads {
    fn request(&self, n: u64) -> Option<Request> {
        Some(Request::get(
            self.paths[n as usize % self.paths.len()].clone(),
        ))
    }

    fn judge(&self, answer: &Answer<'_>) -> Outcome {
        let _ = self.answered.send(answer.n as usize % self.keys.len());
        load::status_outcome(answer.status)
    }
}

/// UNLINKs the keys of answered reads, in batches, until the workload is dropped.
async fn forget_answered(
    mut redis: redis::aio::MultiplexedConnection,
    keys: Vec<String>,
    mut answered: tokio::sync::mpsc::UnboundedReceiver<usize>,
) {
    let mut batch = Vec::with_capacity(512);
    while answered.recv_many(&mut batch, 512).await > 0 {
        let mut unlink = redis::cmd("UNLINK");
        for i in batch.drain(..) {
            unlink.arg(&keys[i]);
        }
        if let Err(e) = unlink.query_async::<()>(&mut redis).await {
            eprintln!("deleting read cache entries failed: {e:#}");
        }
    }
}

pub async fn uncached(ctx: &Ctx) -> anyhow::Result<ScenarioResult> {
    let products = data::products(ctx).await?;
    let prefix = &ctx.env.service("catalog")?.redis_key_prefix;
    let mut redis = redis_keys::connect(&ctx.env.redis_url).await?;
    redis_keys::delete_matching(&mut redis, &format!("{prefix}:product:*")).await?;
    let keys: Vec<String> = products
        .iter()
        .map(|p| format!("{prefix}:product:{}", p.id))
        .collect();
    let (answered, to_forget) = tokio::sync::mpsc::unbounded_channel();
    let forgetter = tokio::spawn(forget_answered(redis, keys.clone(), to_forget));
    let workload = Arc::new(UncachedReads {
        paths: product_paths(&products),
        keys,
        answered,
    });
    let plan = plan(ctx, "catalog-uncached", READ_CONNECTIONS)?;
    let outcome = with_cache_counts(ctx, super::run_load(ctx, &plan, workload)).await;
    // The workload (and its sender) is gone: the forgetter ends.
    forgetter.await?;
    let (report, hits, misses) = outcome?;
    let miss_ratio = crate::stats::ratio(misses, hits + misses);
    let load = format!(
        "{}; {} products read in turn, each entry deleted after its read",
        closed_load(READ_CONNECTIONS, report.elapsed),
        int(products.len() as u64)
    );
    let mut result = ScenarioResult::from_report(
        "catalog-uncached",
        "catalog read, uncached",
        load,
        "reads",
        &report,
    );
    result.value(
        "cache_miss_ratio",
        miss_ratio,
        format!("cache miss ratio {}", percent(miss_ratio)),
    );
    result.comparison = Comparison::new("reads/s", report.ok_rate(), &ctx.baselines, HEALTH_LIVE);
    result.checks = common_checks(ctx, &report, 0.001).await?;
    result.checks.push(Check::new(
        "reads went past the cache",
        miss_ratio >= 0.9,
        format!("{} misses, {} hits", int(misses as u64), int(hits as u64)),
    ));
    Ok(result)
}

struct Searches {
    paths: Vec<String>,
}

impl Workload for Searches {
    fn request(&self, n: u64) -> Option<Request> {
        Some(Request::get(
            self.paths[n as usize % self.paths.len()].clone(),
        ))
    }

    fn judge(&self, answer: &Answer<'_>) -> Outcome {
        if answer.status != StatusCode::OK {
            return load::status_outcome(answer.status);
        }
        // Every word matches part of the catalog: an empty page is wrong.
        if answer.body.starts_with(b"{\"items\":[]") {
            Outcome::Error(Cow::Borrowed("no results"))
        } else {
            Outcome::Ok(Cow::Borrowed("200"))
        }
    }
}

pub async fn search(ctx: &Ctx) -> anyhow::Result<ScenarioResult> {
    let products = data::products(ctx).await?;
    let paths = data::search_words()
        .into_iter()
        .map(|word| format!("/products?q={word}&limit=20"))
        .collect();
    let plan = plan(ctx, "search", SEARCH_CONNECTIONS)?;
    let report = super::run_load(ctx, &plan, Arc::new(Searches { paths })).await?;
    let load = format!(
        "{}; {} products, one-word queries, 20 a page",
        closed_load(SEARCH_CONNECTIONS, report.elapsed),
        int(products.len() as u64)
    );
    let mut result = ScenarioResult::from_report("search", "search", load, "searches", &report);
    result.comparison =
        Comparison::new("searches/s", report.ok_rate(), &ctx.baselines, HEALTH_LIVE);
    result.goals.push(Goal::new(
        format!("p99 < 50 ms over {} products", int(products.len() as u64)),
        ms(result.latency.p99_ms),
        result.latency.p99_ms < 50.0,
    ));
    result.checks = common_checks(ctx, &report, 0.001).await?;
    Ok(result)
}
