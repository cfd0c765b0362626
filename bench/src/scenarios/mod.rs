//! The scenarios, in the order a full run takes them, and what each needs.

mod catalog;
mod checkout;
mod data;
mod events;
mod flash_sale;
mod registration;
mod web;

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::bail;
use serde::Serialize;

use crate::api::{Api, Minter};
use crate::baselines::{ARGON2ID, HEALTH_LIVE, PG_CHECKOUT, PG_HOT_ROW, REDIS_EVALSHA, REDIS_GET};
use crate::checks;
use crate::env::RunEnv;
use std::sync::Arc;

use crate::cpu::Snapshot;
use crate::load::{self, Plan, Report, Workload};
use crate::report::{Baselines, Check, RunDir, ScenarioResult};

#[derive(Debug, Serialize)]
pub struct Spec {
    pub name: &'static str,
    /// `FLASH_SALE_GATE` the inventory service must run with.
    pub flash_sale_gate: bool,
    #[serde(skip)]
    pub baselines: &'static [&'static str],
    #[serde(skip)]
    pub about: &'static str,
}

const fn spec(name: &'static str, baselines: &'static [&'static str], about: &'static str) -> Spec {
    Spec {
        name,
        flash_sale_gate: true,
        baselines,
        about,
    }
}

/// Every scenario, in run order. Event latency goes first, while the
/// emulator holds few messages (it is polled for them).
pub const ALL: &[Spec] = &[
    spec(
        "event-latency",
        &[],
        "POST /customers at 10/s; time until the welcome email is at the emulator",
    ),
    spec(
        "registration",
        &[ARGON2ID],
        "POST /customers, 8 connections, against the bare argon2id rate",
    ),
    spec(
        "verification",
        &[HEALTH_LIVE],
        "POST /customers/verification, 64 connections, against /health/live",
    ),
    spec(
        "catalog-cached",
        &[REDIS_GET],
        "GET /products/{id} of 100 cached products, 64 connections, against Redis GET",
    ),
    spec(
        "catalog-uncached",
        &[HEALTH_LIVE],
        "GET /products/{id}, each cache entry deleted after its read, 64 connections",
    ),
    spec(
        "search",
        &[HEALTH_LIVE],
        "GET /products?q= over the whole catalog, 8 connections",
    ),
    spec(
        "web-pages",
        &[],
        "web shop home and product pages, 64 connections, against the cached catalog read in the same run",
    ),
    spec(
        "checkout",
        &[PG_CHECKOUT],
        "POST /orders from pre-filled carts, distinct products, 32 connections",
    ),
    spec(
        "flash-sale-gate-on",
        &[REDIS_EVALSHA],
        "flash-sale claims, 256 connections, Redis gate on",
    ),
    Spec {
        name: "flash-sale-gate-off",
        flash_sale_gate: false,
        baselines: &[PG_HOT_ROW],
        about: "flash-sale claims, 256 connections, every claim through Postgres",
    },
];

/// Names that select several scenarios.
const GROUPS: &[(&str, &[&str])] = &[
    ("flash-sale", &["flash-sale-gate-on", "flash-sale-gate-off"]),
    ("catalog", &["catalog-cached", "catalog-uncached"]),
];

/// The scenarios `names` select (all when empty), in run order.
pub fn select(names: &[String]) -> anyhow::Result<Vec<&'static Spec>> {
    if names.is_empty() {
        return Ok(ALL.iter().collect());
    }
    let mut wanted = BTreeSet::new();
    for name in names {
        if let Some((_, members)) = GROUPS.iter().find(|(group, _)| group == name) {
            wanted.extend(members.iter().copied());
        } else if ALL.iter().any(|s| s.name == name) {
            wanted.insert(name.as_str());
        } else {
            let known: Vec<_> = ALL
                .iter()
                .map(|s| s.name)
                .chain(GROUPS.iter().map(|(g, _)| *g))
                .collect();
            bail!("unknown scenario `{name}`; known: {}", known.join(", "));
        }
    }
    Ok(ALL.iter().filter(|s| wanted.contains(s.name)).collect())
}

/// The baselines the selected scenarios compare against, each once.
pub fn baselines_for(specs: &[&Spec]) -> Vec<String> {
    let keys: BTreeSet<&str> = specs
        .iter()
        .flat_map(|s| s.baselines.iter().copied())
        .collect();
    keys.into_iter().map(str::to_owned).collect()
}

/// What every scenario gets.
pub struct Ctx {
    pub env: RunEnv,
    pub dir: RunDir,
    pub api: Api,
    pub minter: Minter,
    pub admin: String,
    pub duration: Duration,
    /// Products in the catalog scenarios' data set.
    pub products: usize,
    /// Unique per run: in addresses, SKUs and idempotency keys.
    pub run_id: String,
    pub baselines: Baselines,
    /// CPU shares of the scenario's load, set by [`run_load`].
    pub cpu: std::sync::Mutex<Vec<crate::cpu::CpuShare>>,
}

pub async fn run(spec: &Spec, ctx: &Ctx) -> anyhow::Result<ScenarioResult> {
    let mut result = run_one(spec, ctx).await?;
    result.cpu = ctx.cpu.lock().map(|c| c.clone()).unwrap_or_default();
    Ok(result)
}

/// Runs the load, noting where the machine's CPU went meanwhile.
async fn run_load<W: Workload>(ctx: &Ctx, plan: &Plan, workload: Arc<W>) -> anyhow::Result<Report> {
    let before = Snapshot::take(ctx.env.moto_pid);
    let report = load::run(plan, workload).await?;
    let shares = before.shares_until(&Snapshot::take(ctx.env.moto_pid));
    if let Ok(mut cpu) = ctx.cpu.lock() {
        *cpu = shares;
    }
    Ok(report)
}

async fn run_one(spec: &Spec, ctx: &Ctx) -> anyhow::Result<ScenarioResult> {
    match spec.name {
        "event-latency" => events::run(ctx).await,
        "registration" => registration::registration(ctx).await,
        "verification" => registration::verification(ctx).await,
        "catalog-cached" => catalog::cached(ctx).await,
        "catalog-uncached" => catalog::uncached(ctx).await,
        "search" => catalog::search(ctx).await,
        "web-pages" => web::run(ctx).await,
        "checkout" => checkout::run(ctx).await,
        "flash-sale-gate-on" => flash_sale::run(ctx, true).await,
        "flash-sale-gate-off" => flash_sale::run(ctx, false).await,
        other => bail!("scenario `{other}` has no runner"),
    }
}

/// The checks every scenario makes: it answered, within its error bound, and
/// every event it caused left its outbox.
async fn common_checks(ctx: &Ctx, report: &Report, error_bound: f64) -> anyhow::Result<Vec<Check>> {
    Ok(vec![
        checks::some_requests(report),
        checks::error_rate(report, error_bound),
        checks::outbox_drained(&ctx.env, Duration::from_secs(60)).await?,
    ])
}

/// `closed loop, 64 connections, 10 s`.
fn closed_load(connections: usize, elapsed: Duration) -> String {
    format!(
        "closed loop, {connections} connections, {:.0} s",
        elapsed.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_expand_and_the_run_order_is_kept() {
        let names = |specs: Vec<&Spec>| specs.iter().map(|s| s.name).collect::<Vec<_>>();
        let picked = select(&["flash-sale".to_owned(), "registration".to_owned()]).unwrap();
        assert_eq!(
            names(picked),
            ["registration", "flash-sale-gate-on", "flash-sale-gate-off"]
        );
        assert_eq!(select(&[]).unwrap().len(), ALL.len());
        assert!(select(&["nope".to_owned()]).is_err());
    }

    #[test]
    fn each_baseline_is_measured_once() {
        let specs = select(&["catalog".to_owned(), "search".to_owned()]).unwrap();
        assert_eq!(baselines_for(&specs), [HEALTH_LIVE, REDIS_GET]);
    }
}
