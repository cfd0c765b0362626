//! The shop journeys of `cargo xtask browser-test`: the six services as
//! processes (debug builds) on free ports, each with a database and Redis key
//! prefix of this run, this run's topics and queues on the emulator, the
//! demo shop loaded, then `e2e/browser/shop.mjs` driving Debian's Chromium
//! through the web shop (docs/architecture.md, "Testing rules").

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anyhow::Context;

use super::{drop_database, Service, CHROMIUM, SCRIPT_DIR};
use crate::bench::{NO_LIMIT, RATE_LIMITS};
use crate::local::{repo_root, run_status, target_dir, Backends, AWS_REGION};
use crate::services::{services, ServiceEnv, ORDER_CLIENT_SECRET, SENDER_DOMAIN};
use crate::{demo, net};

/// Runs the journeys; true when they passed.
pub(super) fn run(
    runtime: &tokio::runtime::Runtime,
    backends: &Backends,
    moto_url: &str,
    out_dir: &Path,
) -> anyhow::Result<bool> {
    let id = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let databases: BTreeMap<&str, String> = services()
        .iter()
        .filter_map(|s| {
            s.database
                .as_ref()
                .map(|db| (s.name.as_str(), format!("browser_{id}_{db}")))
        })
        .collect();
    for database in databases.values() {
        runtime
            .block_on(platform::db::ensure_database(
                &backends.database_url,
                database,
            ))
            .with_context(|| format!("creating database `{database}`"))?;
    }
    let outcome = journeys(runtime, backends, moto_url, out_dir, &id, &databases);
    for database in databases.values() {
        if let Err(e) = runtime.block_on(drop_database(&backends.database_url, database)) {
            println!("browser test: could not drop database `{database}`: {e:#}");
        }
    }
    outcome
}

fn journeys(
    runtime: &tokio::runtime::Runtime,
    backends: &Backends,
    moto_url: &str,
    out_dir: &Path,
    id: &str,
    databases: &BTreeMap<&str, String>,
) -> anyhow::Result<bool> {
    let aws = platform::config::AwsSettings {
        region: AWS_REGION.to_owned(),
        endpoint_url: Some(moto_url.to_owned()),
    };
    let topology = platform::messaging::Topology::repository()?;
    let prefix = format!("bs{id}");
    let provisioned = runtime
        .block_on(async {
            let sdk = platform::aws::sdk_config(&aws).await;
            platform::aws::ensure_email_identity(&sdk, SENDER_DOMAIN).await?;
            platform::messaging::bootstrap(&sdk, &topology, &prefix).await
        })
        .context("creating the shop journeys' topics and queues on moto")?;
    let mut ports = BTreeMap::new();
    for service in services() {
        let mut port = net::free_port()?;
        while ports.values().any(|p| *p == port) {
            port = net::free_port()?;
        }
        ports.insert(service.name.clone(), port);
    }
    let port_of = |s: &crate::services::Service| ports[&s.name];
    let url_of = |name: &str| format!("http://127.0.0.1:{}", ports[name]);
    let signing_keys = platform::auth::keys::generate_signing_keys_json("browser-shop-1");
    let order_secret_hash = platform::auth::password::hash_blocking(ORDER_CLIENT_SECRET)?;
    let env = ServiceEnv {
        backends,
        moto_url,
        provisioned: &provisioned,
        signing_keys: &signing_keys,
        order_secret_hash: &order_secret_hash,
    };
    let bin_dir = target_dir()?.join("debug");
    let mut running = Vec::new();
    for service in services() {
        let mut cmd = Command::new(bin_dir.join(&service.crate_name));
        cmd.current_dir(repo_root())
            .envs(crate::local::aws_env(moto_url))
            .envs(env.environment(service, &port_of)?)
            .env("REDIS_KEY_PREFIX", format!("browser-{id}-{}", service.name))
            .env("LOG_FORMAT", "pretty")
            .env("RUST_LOG", "info")
            // The journeys sign up several shoppers from one address.
            .envs(RATE_LIMITS.iter().map(|name| (name, NO_LIMIT)));
        if let Some(database) = databases.get(service.name.as_str()) {
            cmd.env(
                "DATABASE_URL",
                net::with_database(&backends.database_url, database)?,
            )
            .env("DATABASE_MAX_CONNECTIONS", "4");
        }
        let log = out_dir.join(format!("{}.log", service.name));
        running.push((
            service,
            Service::start(&service.crate_name, &mut cmd, &log)?,
        ));
    }
    for (service, process) in &mut running {
        if let Err(e) = process.wait_until_ready(ports[&service.name]) {
            println!("browser test: {e:#}");
            return Ok(false);
        }
    }
    println!("browser test: the shop is on {}", url_of("web"));
    let demo = demo::DemoArgs::for_services(
        &url_of("registration"),
        &url_of("catalog"),
        &url_of("inventory"),
        &url_of("campaign"),
    );
    runtime
        .block_on(demo::load(&demo))
        .context("loading the demo shop")?;
    let passed = run_status(
        Command::new("node")
            .current_dir(repo_root().join(SCRIPT_DIR))
            .arg("shop.mjs")
            .args(["--web-url", &url_of("web")])
            .args(["--registration-url", &url_of("registration")])
            .args(["--catalog-url", &url_of("catalog")])
            .args(["--inventory-url", &url_of("inventory")])
            .args(["--order-url", &url_of("order")])
            .args(["--moto-url", moto_url])
            .args(["--admin-email", crate::services::ADMIN_EMAIL])
            .args(["--admin-password", crate::services::ADMIN_PASSWORD])
            .args(["--alert-email", &format!("ops@{SENDER_DOMAIN}")])
            .arg("--out-dir")
            .arg(out_dir)
            .args(["--chromium", CHROMIUM]),
    )
    .context("running node; install Node.js 20 or later")?;
    drop(running);
    if !passed {
        println!(
            "browser test: the shop journeys FAILED; screenshots and service logs are in {}",
            out_dir.display()
        );
    }
    Ok(passed)
}
