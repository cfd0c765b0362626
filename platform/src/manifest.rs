//! `infra/services.yaml`, the one list of services (its header says what each
//! field means). Terraform reads it with `yamldecode`; this is its reader for
//! the services themselves (their default port and database), the local
//! tooling and the deployment checks.

use std::{collections::BTreeSet, sync::OnceLock};

use anyhow::Context;
use serde::Deserialize;

const MANIFEST: &str = include_str!("../../infra/services.yaml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub common: SettingNames,
    pub services: Vec<ServiceEntry>,
}

/// The names of the settings a service is given, by who gives them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingNames {
    #[serde(default)]
    pub environment: Vec<String>,
    #[serde(default)]
    pub secrets: Vec<String>,
    #[serde(default)]
    pub operator_secrets: Vec<String>,
    #[serde(default)]
    pub aws: Vec<String>,
    #[serde(default)]
    pub local: Vec<String>,
    #[serde(default)]
    pub optional: Vec<String>,
    #[serde(default)]
    pub runtime: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServiceEntry {
    pub name: String,
    #[serde(rename = "crate")]
    pub crate_name: String,
    pub port: u16,
    /// The service's own Postgres database; none for the web shop, which
    /// keeps its sessions in Redis.
    #[serde(default)]
    pub database: Option<String>,
    pub paths: Vec<String>,
    /// The load balancer's default action: the web shop's pages.
    #[serde(default)]
    pub default_route: bool,
    #[serde(default)]
    pub queue_consumer: Option<QueueConsumer>,
    #[serde(default)]
    pub calls: Vec<String>,
    #[serde(flatten)]
    pub settings: SettingNames,
}

/// Who reads a service's queue in AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueConsumer {
    /// The service's own tasks.
    Service,
    /// The campaign Lambda; locally the service reads it in-process.
    Lambda,
}

/// Where a service runs: what it is given differs only by the `aws` and
/// `local` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Aws,
    Local,
}

/// The manifest compiled into this binary, parsed once.
pub fn manifest() -> anyhow::Result<&'static Manifest> {
    static PARSED: OnceLock<Result<Manifest, String>> = OnceLock::new();
    PARSED
        .get_or_init(|| Manifest::load().map_err(|err| format!("{err:#}")))
        .as_ref()
        .map_err(|err| anyhow::anyhow!("{err}"))
}

/// The entry of the service built as crate `crate_name` (`order-service`).
pub fn entry_of_crate(crate_name: &str) -> anyhow::Result<&'static ServiceEntry> {
    manifest()?
        .services
        .iter()
        .find(|s| s.crate_name == crate_name)
        .with_context(|| format!("{crate_name} is not a service of infra/services.yaml"))
}

impl Manifest {
    pub fn load() -> anyhow::Result<Self> {
        let manifest: Self = serde_yaml::from_str(MANIFEST).context("infra/services.yaml")?;
        for service in &manifest.services {
            for callee in &service.calls {
                anyhow::ensure!(
                    manifest.service(callee).is_some(),
                    "infra/services.yaml: {} calls {callee}, which is not a service",
                    service.name
                );
            }
        }
        Ok(manifest)
    }

    pub fn service(&self, name: &str) -> Option<&ServiceEntry> {
        self.services.iter().find(|s| s.name == name)
    }

    /// What every deployment of `service` in `shape` sets.
    pub fn given(&self, service: &ServiceEntry, shape: Shape) -> BTreeSet<String> {
        let mut names = self.required(service);
        let extra = |names: &SettingNames| match shape {
            Shape::Aws => names.aws.clone(),
            Shape::Local => names.local.clone(),
        };
        names.extend(extra(&self.common));
        names.extend(extra(&service.settings));
        service.without_unused(names)
    }

    /// What every deployment shape sets (environment and secrets).
    pub fn required(&self, service: &ServiceEntry) -> BTreeSet<String> {
        let names = [&self.common, &service.settings]
            .into_iter()
            .flat_map(|n| {
                n.environment
                    .iter()
                    .chain(&n.secrets)
                    .chain(&n.operator_secrets)
            })
            .cloned()
            .collect();
        service.without_unused(names)
    }

    /// Every name `Settings::from_env` of `service` reads.
    pub fn read(&self, service: &ServiceEntry) -> BTreeSet<String> {
        let mut names = self.given(service, Shape::Aws);
        names.extend(self.given(service, Shape::Local));
        for n in [&self.common, &service.settings] {
            names.extend(n.optional.iter().cloned());
        }
        service.without_unused(names)
    }

    /// Names read by libraries rather than by `Settings`, which a shape may set.
    pub fn runtime(&self) -> BTreeSet<String> {
        self.common.runtime.iter().cloned().collect()
    }
}

/// Paths (and everything below them) the load balancer answers with a fixed
/// 404 ahead of its default action: every service's metrics and health.
pub const UNROUTED_PATHS: [&str; 2] = ["/metrics", "/health"];

/// The common settings only a service with a database reads.
pub const DATABASE_SETTINGS: [&str; 3] = [
    "DATABASE_URL",
    "DATABASE_MAX_CONNECTIONS",
    "DATABASE_ACQUIRE_TIMEOUT_SECS",
];

impl ServiceEntry {
    /// `names` without the database's settings when the service has none.
    fn without_unused(&self, mut names: BTreeSet<String>) -> BTreeSet<String> {
        if self.database.is_none() {
            names.retain(|n| !DATABASE_SETTINGS.contains(&n.as_str()));
        }
        names
    }

    /// Where the service listens on this machine (`cargo xtask dev`, tests).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Swagger UI, `/docs/<name>/`.
    pub fn docs_path(&self) -> String {
        format!("/docs/{}/", self.name)
    }

    /// The service that signs tokens is given the signing keys.
    pub fn issues_tokens(&self) -> bool {
        self.settings
            .operator_secrets
            .iter()
            .any(|n| n == "JWT_SIGNING_KEYS")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_parses_and_names_each_service_once() {
        let manifest = Manifest::load().unwrap();
        let names: BTreeSet<&str> = manifest.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names.len(), manifest.services.len());
        assert_eq!(
            manifest
                .services
                .iter()
                .filter(|s| s.issues_tokens())
                .count(),
            1,
            "one token issuer"
        );
    }

    #[test]
    fn a_local_only_name_is_given_locally_and_not_in_aws() {
        let manifest = Manifest::load().unwrap();
        let campaign = manifest.service("campaign").unwrap();
        assert!(manifest
            .given(campaign, Shape::Local)
            .contains("EVENTS_QUEUE_URL"));
        assert!(!manifest
            .given(campaign, Shape::Aws)
            .contains("EVENTS_QUEUE_URL"));
        assert!(manifest
            .given(campaign, Shape::Aws)
            .contains("CONSUMER_ENABLED"));
        assert!(manifest
            .given(campaign, Shape::Aws)
            .contains("TRUSTED_PROXY_HOPS"));
        assert!(manifest.read(campaign).contains("EVENTS_TOPIC_ARN"));
    }
}
