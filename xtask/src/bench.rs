//! `cargo xtask bench [scenario...]`: builds the services and the load
//! generator with the `bench` profile, starts the platform on free ports with
//! fresh `bench_<service>` databases and a private moto, measures the
//! baselines, runs each scenario through `storefront-bench` (which loads its
//! data through the APIs and checks the invariants), and reports to
//! `bench/results/` and `bench/RESULTS.md`. Everything it made is removed after.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::json;
use sqlx::{Connection, PgConnection};
use tokio::process::Child;

use crate::local::{cargo, repo_root, run_status, target_dir, Backends, AWS_REGION};
use crate::services::{services, Service, ServiceEnv, SENDER_DOMAIN};
use crate::{backing, moto, net};

const PROFILE: &str = "bench";
/// Where cargo puts the `bench` profile's binaries (a built-in profile).
const PROFILE_DIR: &str = "release";
const GENERATOR: &str = "storefront-bench";
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Out of the way of any load this generator makes, and said so in the report.
const NO_LIMIT: &str = "1000000000/60";
const RATE_LIMITS: &[&str] = &[
    "RATE_LIMIT_VERIFICATION",
    "RATE_LIMIT_LOGIN",
    "RATE_LIMIT_LOGIN_PER_CLIENT",
    "RATE_LIMIT_CLAIMS",
];
/// Tools the baselines run, and the Debian package of each.
const TOOLS: &[(&str, &str)] = &[
    ("pgbench", "postgresql-client"),
    ("redis-benchmark", "redis-tools"),
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

/// The baseline tools, installed with apt-get when missing and we are root.
fn ensure_tools() -> anyhow::Result<()> {
    let missing: Vec<_> = TOOLS.iter().filter(|(tool, _)| !on_path(tool)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let packages: Vec<&str> = missing.iter().map(|(_, package)| *package).collect();
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !is_root {
        bail!(
            "the baselines need {}: apt-get install {}",
            missing
                .iter()
                .map(|(t, _)| *t)
                .collect::<Vec<_>>()
                .join(", "),
            packages.join(" ")
        );
    }
    println!("Installing {} for the baselines...", packages.join(" "));
    let updated = run_status(Command::new("apt-get").args(["update", "-qq"]))?;
    let installed = updated
        && run_status(
            Command::new("apt-get")
                .args(["install", "-y", "-qq"])
                .args(&packages),
        )?;
    if !installed {
        bail!("apt-get install {} failed", packages.join(" "));
    }
    Ok(())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// A running service process, its log in the run directory.
struct Running {
    service: &'static Service,
    child: Child,
    ready_ms: f64,
}

/// What the run started and must remove.
struct Platform<'a> {
    args: &'a BenchArgs,
    backends: &'a Backends,
    bin_dir: &'a Path,
    run_dir: PathBuf,
    run_id: String,
    moto_url: String,
    moto_pid: u32,
    provisioned: platform::messaging::Provisioned,
    signing_keys: String,
    order_secret_hash: String,
    ports: BTreeMap<&'static str, u16>,
    running: Vec<Running>,
}

async fn bench(
    args: &BenchArgs,
    backends: &Backends,
    bin_dir: &Path,
    plan: &[Planned],
) -> anyhow::Result<()> {
    moto::ensure_installed()?;
    let moto = moto::Moto::start(net::free_port()?)?;
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let run_dir = target_dir()?.join("bench").join(&run_id);
    std::fs::create_dir_all(&run_dir).with_context(|| format!("creating {}", run_dir.display()))?;
    println!(
        "Run {run_id}: services, logs and data in {}",
        run_dir.display()
    );
    for service in services() {
        recreate_database(&backends.database_url, &database(service)).await?;
    }
    let aws = platform::config::AwsSettings {
        region: AWS_REGION.to_owned(),
        endpoint_url: Some(moto.endpoint_url()),
    };
    let sdk = platform::aws::sdk_config(&aws).await;
    let topology = platform::messaging::Topology::load(&repo_root().join("infra/messaging.yaml"))?;
    let provisioned = platform::messaging::bootstrap(&sdk, &topology, "bench").await?;
    platform::aws::ensure_email_identity(&sdk, SENDER_DOMAIN).await?;
    // A port the system just called free can be handed out again on the
    // next call (it happened: registration and catalog got the same one).
    let mut ports = BTreeMap::new();
    for service in services() {
        let mut port = net::free_port()?;
        while ports.values().any(|p| *p == port) {
            port = net::free_port()?;
        }
        ports.insert(service.name.as_str(), port);
    }
    let mut platform = Platform {
        args,
        backends,
        bin_dir,
        run_dir,
        run_id,
        moto_url: moto.endpoint_url(),
        moto_pid: moto.pid(),
        provisioned,
        signing_keys: platform::auth::keys::generate_signing_keys_json("bench-1"),
        order_secret_hash: platform::auth::password::hash_blocking(
            crate::services::ORDER_CLIENT_SECRET,
        )?,
        ports,
        running: Vec::new(),
    };
    let outcome = platform.run_scenarios(plan).await;
    platform.stop_all().await;
    platform.generator("cleanup").status().ok();
    for service in services() {
        if let Err(e) = drop_database(&backends.database_url, &database(service)).await {
            println!("could not drop {}: {e:#}", database(service));
        }
    }
    drop(moto);
    outcome
}

fn database(service: &Service) -> String {
    format!("bench_{}", service.database)
}

impl Platform<'_> {
    async fn run_scenarios(&mut self, plan: &[Planned]) -> anyhow::Result<()> {
        let first_gate = plan.first().is_none_or(|p| p.flash_sale_gate);
        for service in services() {
            let running = self.start(service, first_gate).await?;
            self.running.push(running);
        }
        // Idle: after every service is up and before any load.
        tokio::time::sleep(Duration::from_secs(2)).await;
        self.write_env()?;
        let scenarios: Vec<&str> = plan.iter().map(|p| p.name.as_str()).collect();
        let mut baselines = self.generator("baselines");
        baselines.args(&scenarios);
        if !run_status(&mut baselines)? {
            bail!("measuring the baselines failed");
        }
        let mut failed = Vec::new();
        let mut gate = first_gate;
        for planned in plan {
            if planned.flash_sale_gate != gate {
                self.restart_inventory(planned.flash_sale_gate).await?;
                gate = planned.flash_sale_gate;
            }
            let mut scenario = self.generator("scenario");
            scenario.arg(&planned.name).args([
                "--duration".to_owned(),
                self.args.duration.to_string(),
                "--products".to_owned(),
                self.args.products.to_string(),
            ]);
            if !run_status(&mut scenario)? {
                failed.push(planned.name.clone());
            }
            self.all_alive()?;
        }
        let mut report = self.generator("report");
        report
            .arg("--results-dir")
            .arg(repo_root().join("bench/results"))
            .arg("--markdown")
            .arg(repo_root().join("bench/RESULTS.md"));
        run_status(&mut report)?;
        if !failed.is_empty() {
            bail!("failed: {} (see above)", failed.join(", "));
        }
        Ok(())
    }

    /// `storefront-bench <command> --env ... --run-dir ...`.
    fn generator(&self, command: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(GENERATOR));
        cmd.current_dir(repo_root())
            .arg(command)
            .arg("--env")
            .arg(self.run_dir.join("env.json"))
            .arg("--run-dir")
            .arg(&self.run_dir);
        cmd
    }

    fn url(&self, service: &Service) -> String {
        format!("http://127.0.0.1:{}", self.ports[service.name.as_str()])
    }

    async fn start(&self, service: &'static Service, gate: bool) -> anyhow::Result<Running> {
        let env = ServiceEnv {
            backends: self.backends,
            moto_url: &self.moto_url,
            provisioned: &self.provisioned,
            signing_keys: &self.signing_keys,
            order_secret_hash: &self.order_secret_hash,
        };
        let mut cmd = env.command_at(service, self.bin_dir, &|s| self.ports[s.name.as_str()])?;
        cmd.env(
            "DATABASE_URL",
            net::with_database(&self.backends.database_url, &database(service))?,
        )
        .env(
            "REDIS_KEY_PREFIX",
            format!("bench-{}-{}", self.run_id, service.name),
        )
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "warn")
        .envs(RATE_LIMITS.iter().map(|name| (name, NO_LIMIT)));
        if service.name == "inventory" {
            cmd.env("FLASH_SALE_GATE", gate.to_string());
        }
        if matches!(service.name.as_str(), "inventory" | "order") {
            cmd.env("DATABASE_MAX_CONNECTIONS", "16");
        }
        let log_path = self.run_dir.join(format!("{}.log", service.name));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;
        let spawned = Instant::now();
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", service.crate_name))?;
        let addr = net::HostPort::localhost(self.ports[service.name.as_str()]);
        loop {
            let probe = addr.clone();
            if tokio::task::spawn_blocking(move || probe.http_ok("/health/ready")).await? {
                break;
            }
            if let Some(status) = child.try_wait()? {
                bail!(
                    "{} exited ({status}) before ready; see {}",
                    service.name,
                    log_path.display()
                );
            }
            if spawned.elapsed() > READY_TIMEOUT {
                bail!(
                    "{} not ready within {}s; see {}",
                    service.name,
                    READY_TIMEOUT.as_secs(),
                    log_path.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let ready_ms = spawned.elapsed().as_secs_f64() * 1000.0;
        println!(
            "{:<13} ready in {ready_ms:>5.0} ms on {}",
            service.name,
            self.url(service)
        );
        Ok(Running {
            service,
            child,
            ready_ms,
        })
    }

    fn write_env(&self) -> anyhow::Result<()> {
        let mut entries = serde_json::Map::new();
        for running in &self.running {
            let service = running.service;
            entries.insert(
                service.name.clone(),
                json!({
                    "url": self.url(service),
                    "database_url": net::with_database(&self.backends.database_url, &database(service))?,
                    "redis_key_prefix": format!("bench-{}-{}", self.run_id, service.name),
                    "ready_ms": running.ready_ms,
                    "idle_rss_kib": running.child.id().map_or(0, rss_kib),
                }),
            );
        }
        let issuer = self.url(
            services()
                .iter()
                .find(|s| s.issues_tokens())
                .context("a token issuer")?,
        );
        let env = json!({
            "run_id": self.run_id,
            "services": entries,
            "admin_database_url": self.backends.database_url,
            "redis_url": self.backends.redis_url,
            "moto_url": self.moto_url,
            "moto_pid": self.moto_pid,
            "signing_keys": self.signing_keys,
            "jwt_issuer": issuer,
            "jwt_audience": crate::services::JWT_AUDIENCE,
            "rate_limits": RATE_LIMITS.iter().map(|n| (n.to_string(), NO_LIMIT)).collect::<BTreeMap<_, _>>(),
            "profile": PROFILE,
        });
        let path = self.run_dir.join("env.json");
        std::fs::write(&path, serde_json::to_vec_pretty(&env)?)
            .with_context(|| format!("writing {}", path.display()))
    }

    async fn restart_inventory(&mut self, gate: bool) -> anyhow::Result<()> {
        let index = self
            .running
            .iter()
            .position(|r| r.service.name == "inventory")
            .context("inventory is not running")?;
        let old = self.running.remove(index);
        stop(old).await;
        println!("Restarting inventory with FLASH_SALE_GATE={gate}");
        let service = services()
            .iter()
            .find(|s| s.name == "inventory")
            .context("inventory")?;
        let running = self.start(service, gate).await?;
        self.running.push(running);
        Ok(())
    }

    fn all_alive(&mut self) -> anyhow::Result<()> {
        for running in &mut self.running {
            if let Some(status) = running.child.try_wait()? {
                bail!(
                    "{} exited during the run ({status}); see its log in {}",
                    running.service.name,
                    self.run_dir.display()
                );
            }
        }
        Ok(())
    }

    async fn stop_all(&mut self) {
        for running in self.running.drain(..) {
            stop(running).await;
        }
    }
}

/// SIGTERM, then SIGKILL if it has not stopped in time. Through `kill(1)`:
/// the workspace forbids the unsafe code `libc::kill` needs.
async fn stop(mut running: Running) {
    if let Some(pid) = running.child.id() {
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        if tokio::time::timeout(STOP_TIMEOUT, running.child.wait())
            .await
            .is_ok()
        {
            return;
        }
    }
    let _ = running.child.kill().await;
}

/// VmRSS of process `pid`, in KiB (0 when it cannot be read).
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

async fn recreate_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    drop_database(admin_url, name).await?;
    platform::db::ensure_database(admin_url, name).await
}

async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(admin_url)
        .await
        .context("connecting to Postgres")?;
    // Names are `bench_` and a service's database name: nothing to escape.
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .with_context(|| format!("dropping {name}"))?;
    conn.close().await.ok();
    Ok(())
}
