//! The running platform a benchmark talks to: `env.json`, written by
//! `cargo xtask bench` after it started the services.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunEnv {
    /// Short and unique per run: in addresses, SKUs, keys and Redis prefixes.
    pub run_id: String,
    /// By service name: `registration`, `campaign`, `catalog`, `order`, `inventory`.
    pub services: BTreeMap<String, ServiceEnv>,
    /// The maintenance database URL (`postgres`), for baseline databases.
    pub admin_database_url: String,
    pub redis_url: String,
    /// The run's own AWS emulator.
    pub moto_url: String,
    /// Its process, for the CPU accounting.
    #[serde(default)]
    pub moto_pid: Option<u32>,
    /// `JWT_SIGNING_KEYS` of the registration service: the run mints tokens with it.
    pub signing_keys: String,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    /// Configuration set to keep rate limits out of the way, for the report.
    pub rate_limits: BTreeMap<String, String>,
    /// The cargo profile the services were built with.
    pub profile: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceEnv {
    pub url: String,
    /// None for a service with no database (the web shop).
    pub database_url: Option<String>,
    pub redis_key_prefix: String,
    /// From spawn to the first 200 of `/health/ready`.
    pub ready_ms: f64,
    /// VmRSS shortly after ready, before any load.
    pub idle_rss_kib: u64,
}

impl ServiceEnv {
    /// The service's database; an error for one that has none.
    pub fn database(&self) -> anyhow::Result<&str> {
        self.database_url
            .as_deref()
            .with_context(|| format!("{} has no database", self.url))
    }
}

impl RunEnv {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn service(&self, name: &str) -> anyhow::Result<&ServiceEnv> {
        self.services
            .get(name)
            .with_context(|| format!("{name} is not in the run's env.json"))
    }

    pub fn url(&self, name: &str) -> anyhow::Result<&str> {
        Ok(&self.service(name)?.url)
    }
}
