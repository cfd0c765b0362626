//! `cargo xtask bench [scenario...]`: builds the services and the load
//! generator with the `bench` profile, starts the platform on free ports with
//! fresh `bench_<service>` databases and a private moto, measures the
//! baselines, runs each scenario through `storefront-bench` (which loads its
//! data through the APIs and checks the invariants), and reports to
//! `bench/results/` and `bench/RESULTS.md`. Everything it made is removed after.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};

use crate::backing;
use crate::local::{cargo, run_status, target_dir, Backends};
use crate::services::services;

mod databases;
mod processes;
mod session;
mod tools;

use session::bench;
use tools::ensure_tools;

const PROFILE: &str = "bench";
/// Where cargo puts the `bench` profile's binaries (a built-in profile).
const PROFILE_DIR: &str = "release";
const GENERATOR: &str = "storefront-bench";
/// Out of the way of any load this generator makes, and said so in the report.
pub(crate) const NO_LIMIT: &str = "1000000000/60";
pub(crate) const RATE_LIMITS: &[&str] = &[
    "RATE_LIMIT_VERIFICATION",
    "RATE_LIMIT_LOGIN",
    "RATE_LIMIT_LOGIN_PER_CLIENT",
    "RATE_LIMIT_CLAIMS",
];

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Scenarios, or the groups `flash-sale` and `catalog`; all when none is named.
    scenarios: Vec<String>,
    /// Seconds of load per scenario.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Products in the catalog the read, search and checkout scenarios share. The run
    /// waits until inventory has consumed each one's `catalog.product_created`
    /// (about 16/s here with moto), so 10,000 adds some ten minutes.
    #[arg(long, default_value_t = 2_000)]
    products: usize,
    /// Use the binaries already built with the bench profile.
    #[arg(long)]
    no_build: bool,
}

struct Planned {
    name: String,
    flash_sale_gate: bool,
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    ensure_tools()?;
    let backends = Backends::from_env();
    backing::ensure_reachable(&backends)?;
    if !args.no_build {
        let mut build = cargo()?;
        build.args(["build", "--profile", PROFILE, "-p", "bench"]);
        for service in services() {
            build.args(["-p", &service.crate_name]);
        }
        if !run_status(&mut build)? {
            bail!("building with the bench profile failed");
        }
    }
    let bin_dir = target_dir()?.join(PROFILE_DIR);
    let plan = plan(&bin_dir, &args.scenarios)?;
    let outcome = tokio::runtime::Runtime::new()
        .context("starting the tokio runtime")?
        .block_on(bench(args, &backends, &bin_dir, &plan));
    println!(
        "cargo xtask bench took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    outcome
}

/// The scenarios to run, in order, as the generator knows them.
fn plan(bin_dir: &Path, scenarios: &[String]) -> anyhow::Result<Vec<Planned>> {
    let out = Command::new(bin_dir.join(GENERATOR))
        .arg("plan")
        .args(scenarios)
        .output()
        .with_context(|| {
            format!("running {GENERATOR} (build it: cargo build --profile bench -p bench)")
        })?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let specs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)?;
    specs
        .iter()
        .map(|spec| {
            Ok(Planned {
                name: spec["name"]
                    .as_str()
                    .context("a planned scenario's name")?
                    .to_owned(),
                flash_sale_gate: spec["flash_sale_gate"].as_bool().unwrap_or(true),
            })
        })
        .collect()
}
