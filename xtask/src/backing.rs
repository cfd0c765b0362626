//! Makes sure Postgres and Redis answer before anything needs them.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::local::{repo_root, run_status, Backends};
use crate::net::HostPort;

const COMPOSE_FILE: &str = "docker/compose.yaml";
const COMPOSE_WAIT: Duration = Duration::from_secs(60);

struct Backend {
    name: &'static str,
    var: &'static str,
    addr: HostPort,
    hint: &'static str,
}

impl Backend {
    fn not_reachable(&self) -> String {
        format!(
            "{} is not reachable at {} (from {}). {} or set {}.",
            self.name, self.addr, self.var, self.hint, self.var
        )
    }
}

/// Checks both backends; if one is down, starts them with docker compose when
/// that can work, otherwise fails saying exactly what to start.
pub fn ensure_reachable(backends: &Backends) -> anyhow::Result<()> {
    let all = [
        Backend {
            name: "Postgres",
            var: "DATABASE_URL",
            addr: HostPort::from_url(&backends.database_url, 5432)
                .context("parsing DATABASE_URL")?,
            hint: "Start PostgreSQL (trust auth for user postgres)",
        },
        Backend {
            name: "Redis",
            var: "REDIS_URL",
            addr: HostPort::from_url(&backends.redis_url, 6379).context("parsing REDIS_URL")?,
            hint: "Start Redis",
        },
    ];
    let down = |all: &[Backend]| -> Vec<String> {
        all.iter()
            .filter(|b| !b.addr.is_reachable())
            .map(Backend::not_reachable)
            .collect()
    };
    let missing = down(&all);
    if missing.is_empty() {
        return Ok(());
    }
    if !docker_can_help() {
        bail!("{}", missing.join("\n"));
    }
    println!("Starting Postgres and Redis with docker compose ({COMPOSE_FILE})...");
    let up = [
        "compose",
        "-f",
        COMPOSE_FILE,
        "up",
        "-d",
        "postgres",
        "redis",
    ];
    let started = run_status(Command::new("docker").current_dir(repo_root()).args(up))?;
    if !started {
        bail!(
            "`docker compose -f {COMPOSE_FILE} up -d postgres redis` failed.\n{}",
            missing.join("\n")
        );
    }
    let deadline = Instant::now() + COMPOSE_WAIT;
    loop {
        let missing = down(&all);
        if missing.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "still down {}s after docker compose up:\n{}",
                COMPOSE_WAIT.as_secs(),
                missing.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn docker_can_help() -> bool {
    let engine_up = Command::new("docker")
        .arg("info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    engine_up && repo_root().join(COMPOSE_FILE).is_file()
}
