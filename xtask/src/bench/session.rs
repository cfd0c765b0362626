//! One bench run: the platform it starts (a private moto, fresh databases, the
//! services on free ports), the scenarios it drives through the generator and
//! the clean-up after.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::json;

use super::databases::{database, drop_database, recreate_database};
use super::processes::{rss_kib, Running};
use super::{BenchArgs, Planned, GENERATOR, NO_LIMIT, PROFILE, RATE_LIMITS};
use crate::local::{repo_root, run_status, target_dir, Backends, AWS_REGION};
use crate::services::{services, Service, SENDER_DOMAIN};
use crate::{moto, net};

/// What the run started and must remove.
pub(super) struct Platform<'a> {
    pub(super) args: &'a BenchArgs,
    pub(super) backends: &'a Backends,
    pub(super) bin_dir: &'a Path,
    pub(super) run_dir: PathBuf,
    pub(super) run_id: String,
    pub(super) moto_url: String,
    pub(super) moto_pid: u32,
    pub(super) provisioned: platform::messaging::Provisioned,
    pub(super) signing_keys: String,
    pub(super) order_secret_hash: String,
    pub(super) ports: BTreeMap<&'static str, u16>,
    pub(super) running: Vec<Running>,
}

pub(super) async fn bench(
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
    for database in services().iter().filter_map(database) {
        recreate_database(&backends.database_url, &database).await?;
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
    for database in services().iter().filter_map(database) {
        if let Err(e) = drop_database(&backends.database_url, &database).await {
            println!("could not drop {database}: {e:#}");
        }
    }
    drop(moto);
    outcome
}

impl Platform<'_> {
    pub(super) async fn run_scenarios(&mut self, plan: &[Planned]) -> anyhow::Result<()> {
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
    pub(super) fn generator(&self, command: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(GENERATOR));
        cmd.current_dir(repo_root())
            .arg(command)
            .arg("--env")
            .arg(self.run_dir.join("env.json"))
            .arg("--run-dir")
            .arg(&self.run_dir);
        cmd
    }

    pub(super) fn url(&self, service: &Service) -> String {
        format!("http://127.0.0.1:{}", self.ports[service.name.as_str()])
    }

    pub(super) fn write_env(&self) -> anyhow::Result<()> {
        let mut entries = serde_json::Map::new();
        for running in &self.running {
            let service = running.service;
            entries.insert(
                service.name.clone(),
                json!({
                    "url": self.url(service),
                    "database_url": database(service)
                        .map(|db| net::with_database(&self.backends.database_url, &db))
                        .transpose()?,
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
}
