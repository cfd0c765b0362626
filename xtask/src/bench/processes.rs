//! The service processes of a run: started with the run's environment and
//! waited on until ready, checked while the scenarios run, stopped (SIGTERM,
//! then SIGKILL) after.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::process::Child;

use super::databases::database;
use super::session::Platform;
use super::{NO_LIMIT, RATE_LIMITS};
use crate::net;
use crate::services::{services, Service, ServiceEnv};

const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// A running service process, its log in the run directory.
pub(super) struct Running {
    pub(super) service: &'static Service,
    pub(super) child: Child,
    pub(super) ready_ms: f64,
}

impl Platform<'_> {
    pub(super) async fn start(
        &self,
        service: &'static Service,
        gate: bool,
    ) -> anyhow::Result<Running> {
        let env = ServiceEnv {
            backends: self.backends,
            moto_url: &self.moto_url,
            provisioned: &self.provisioned,
            signing_keys: &self.signing_keys,
            order_secret_hash: &self.order_secret_hash,
        };
        let mut cmd = env.command_at(service, self.bin_dir, &|s| self.ports[s.name.as_str()])?;
        if let Some(database) = database(service) {
            cmd.env(
                "DATABASE_URL",
                net::with_database(&self.backends.database_url, &database)?,
            );
        }
        cmd.env(
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

    pub(super) async fn restart_inventory(&mut self, gate: bool) -> anyhow::Result<()> {
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

    pub(super) fn all_alive(&mut self) -> anyhow::Result<()> {
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

    pub(super) async fn stop_all(&mut self) {
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
pub(super) fn rss_kib(pid: u32) -> u64 {
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
