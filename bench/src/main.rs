//! `storefront-bench`: the benchmark driver `cargo xtask bench` runs against
//! the platform it started (see bench/src/lib.rs), and an ad-hoc load tool.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a CLI: stdout and stderr are its interface

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bench::env::RunEnv;
use bench::load::{self, Mode, Plan, Request, Target, Workload};
use bench::report::{self, RunDir};
use bench::scenarios::{self, Ctx};
use bench::{api, baselines, redis_keys, stats::Latency};
use clap::{Args, Parser};

#[derive(Parser)]
#[command(about = "Storefront load benchmarks (normally run by `cargo xtask bench`)")]
enum Cli {
    /// Print the selected scenarios (all when none is named) as JSON, in run order.
    Plan { scenarios: Vec<String> },
    /// Measure the baselines the selected scenarios compare against.
    Baselines {
        #[command(flatten)]
        run: RunArgs,
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        scenarios: Vec<String>,
    },
    /// Run one scenario and write its result; exits non-zero when a check fails.
    Scenario {
        #[command(flatten)]
        run: RunArgs,
        name: String,
        /// Seconds of load.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Products in the catalog the read, search and checkout scenarios share.
        #[arg(long, default_value_t = 2_000)]
        products: usize,
    },
    /// Write bench/results/<date>-<scenario>.json and append the run to bench/RESULTS.md.
    Report {
        #[command(flatten)]
        run: RunArgs,
        #[arg(long)]
        results_dir: PathBuf,
        #[arg(long)]
        markdown: PathBuf,
    },
    /// Delete the run's keys from Redis.
    Cleanup {
        #[command(flatten)]
        run: RunArgs,
    },
    /// Ad hoc: load one URL (GET, or POST with --body) and print the figures.
    Load(LoadArgs),
}

#[derive(Args)]
struct RunArgs {
    /// The env.json `cargo xtask bench` wrote.
    #[arg(long)]
    env: PathBuf,
    /// Where the run keeps its files.
    #[arg(long)]
    run_dir: PathBuf,
}

#[derive(Args)]
struct LoadArgs {
    url: String,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Requests per second (open loop); without it, closed loop.
    #[arg(long)]
    rate: Option<f64>,
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// A JSON body to POST.
    #[arg(long)]
    body: Option<String>,
    /// `name: value`, repeatable.
    #[arg(long = "header")]
    headers: Vec<String>,
}

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: starting the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(Cli::parse())) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Ok(false) when the command ran but what it checked failed.
async fn run(cli: Cli) -> anyhow::Result<bool> {
    match cli {
        Cli::Plan { scenarios } => {
            let specs = scenarios::select(&scenarios)?;
            println!("{}", serde_json::to_string(&specs)?);
            Ok(true)
        }
        Cli::Baselines {
            run,
            seconds,
            scenarios,
        } => {
            let env = RunEnv::load(&run.env)?;
            let dir = RunDir(run.run_dir);
            let keys = scenarios::baselines_for(&scenarios::select(&scenarios)?);
            let measured = baselines::measure(&env, &dir, &keys, seconds).await?;
            report::write_json(&dir.baselines_path(), &measured)?;
            Ok(true)
        }
        Cli::Scenario {
            run,
            name,
            duration,
            products,
        } => scenario(run, &name, duration, products).await,
        Cli::Report {
            run,
            results_dir,
            markdown,
        } => {
            let env = RunEnv::load(&run.env)?;
            let summary = report::publish(&env, &RunDir(run.run_dir), &results_dir, &markdown)?;
            println!("{}", report::render_run(&summary));
            Ok(summary.scenarios.iter().all(report::ScenarioResult::passed))
        }
        Cli::Cleanup { run } => {
            let env = RunEnv::load(&run.env)?;
            let mut redis = redis_keys::connect(&env.redis_url).await?;
            for service in env.services.values() {
                redis_keys::delete_matching(&mut redis, &format!("{}:*", service.redis_key_prefix))
                    .await?;
            }
            Ok(true)
        }
        Cli::Load(args) => ad_hoc(args).await,
    }
}

async fn scenario(
    run: RunArgs,
    name: &str,
    duration: u64,
    products: usize,
) -> anyhow::Result<bool> {
    let spec = scenarios::select(&[name.to_owned()])?
        .into_iter()
        .find(|s| s.name == name)
        .with_context(|| format!("`{name}` is a group; name one scenario"))?;
    let env = RunEnv::load(&run.env)?;
    let dir = RunDir(run.run_dir);
    let minter = api::Minter::new(&env)?;
    let ctx = Ctx {
        admin: minter.admin()?,
        minter,
        api: api::Api::new()?,
        baselines: dir.read_baselines(),
        run_id: env.run_id.clone(),
        duration: Duration::from_secs(duration),
        products,
        env,
        dir,
        cpu: Default::default(),
    };
    eprintln!("== {}: {}", spec.name, spec.about);
    let result = scenarios::run(spec, &ctx).await?;
    report::write_json(&ctx.dir.scenario_path(spec.name), &result)?;
    eprintln!(
        "{}: {} {} in {:.1} s = {:.1}/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
        spec.name,
        result.requests,
        result.unit,
        result.elapsed_s,
        result.rate,
        result.latency.p50_ms,
        result.latency.p99_ms,
        result.errors
    );
    for goal in &result.goals {
        eprintln!(
            "  goal {}: {} ({})",
            goal.goal,
            if goal.met { "met" } else { "MISSED" },
            goal.actual
        );
    }
    for check in &result.checks {
        eprintln!(
            "  {} {}: {}",
            if check.ok { "ok  " } else { "FAIL" },
            check.name,
            check.detail
        );
    }
    Ok(result.passed())
}

struct Fixed(Request);

impl Workload for Fixed {
    fn request(&self, _n: u64) -> Option<Request> {
        Some(self.0.clone())
    }
}

async fn ad_hoc(args: LoadArgs) -> anyhow::Result<bool> {
    let uri: http::Uri = args.url.parse()?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let base = format!("http://{}", uri.authority().context("the URL has no host")?);
    let mut request = match args.body {
        Some(body) => Request::post_json(path, body),
        None => Request::get(path),
    };
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .context("a header is `name: value`")?;
        request
            .headers
            .push((name.trim().parse()?, value.trim().parse()?));
    }
    let mode = match args.rate {
        Some(rate) => Mode::Open {
            rate,
            connections: args.connections,
        },
        None => Mode::Closed {
            connections: args.connections,
        },
    };
    let plan = Plan {
        name: "load".to_owned(),
        target: Target::from_url(&base)?,
        mode,
        duration: Duration::from_secs(args.duration),
        timeout: Duration::from_secs(10),
    };
    let report = load::run(&plan, Arc::new(Fixed(request))).await?;
    let latency = Latency::of(&report.latency);
    println!(
        "{} requests in {:.1} s = {:.1}/s; p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; outcomes {:?}",
        report.requests, report.elapsed.as_secs_f64(), report.rate(),
        latency.p50_ms, latency.p90_ms, latency.p99_ms, latency.max_ms, report.outcomes
    );
    Ok(report.errors == 0)
}
