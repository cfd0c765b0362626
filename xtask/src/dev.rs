//! `cargo xtask dev`: run every service locally against Postgres, Redis and moto.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::local::{cargo, repo_root, run_status, Backends, AWS_REGION};
use crate::services::{services, ServiceEnv, ADMIN_EMAIL, ADMIN_PASSWORD, SENDER_DOMAIN};
use crate::supervise::Supervisor;
use crate::{backing, moto, net};

/// The emulator's well-known local port (docs/architecture.md, local defaults).
const MOTO_PORT: u16 = 4566;
const MESSAGING_FILE: &str = "infra/messaging.yaml";
const MESSAGING_PREFIX: &str = "local";
const SIGNING_KEYS_FILE: &str = ".dev/jwt-signing-keys.json";
const READY_TIMEOUT: Duration = Duration::from_secs(90);

pub fn run() -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()
        .context("starting the tokio runtime")?
        .block_on(dev())
}

async fn dev() -> anyhow::Result<()> {
    let backends = Backends::from_env();
    backing::ensure_reachable(&backends)?;
    let moto = start_or_reuse_moto()?;
    let moto_url = moto::endpoint_url(MOTO_PORT);

    for database in services().iter().filter_map(|s| s.database.as_deref()) {
        platform::db::ensure_database(&backends.database_url, database)
            .await
            .with_context(|| format!("creating database `{database}`"))?;
    }
    let aws = platform::config::AwsSettings {
        region: AWS_REGION.to_owned(),
        endpoint_url: Some(moto_url.clone()),
    };
    let sdk_config = platform::aws::sdk_config(&aws).await;
    let topology = platform::messaging::Topology::load(&repo_root().join(MESSAGING_FILE))
        .with_context(|| format!("loading {MESSAGING_FILE}"))?;
    let provisioned = platform::messaging::bootstrap(&sdk_config, &topology, MESSAGING_PREFIX)
        .await
        .context("creating topics and queues on moto")?;
    platform::aws::ensure_email_identity(&sdk_config, SENDER_DOMAIN)
        .await
        .context("creating the SES sender identity on moto")?;
    let signing_keys = local_signing_keys()?;
    let order_secret_hash =
        platform::auth::password::hash_blocking(crate::services::ORDER_CLIENT_SECRET)
            .context("hashing the local order-service client secret")?;

    let mut build = cargo()?;
    build.arg("build");
    for service in services() {
        build.args(["-p", &service.crate_name]);
    }
    if !run_status(&mut build)? {
        bail!("building the services failed");
    }

    // Handlers go in before the children start, so no Ctrl-C slips past them.
    let mut stop = StopSignals::new()?;
    let mut children = Supervisor::default();
    let env = ServiceEnv {
        backends: &backends,
        moto_url: &moto_url,
        provisioned: &provisioned,
        signing_keys: &signing_keys,
        order_secret_hash: &order_secret_hash,
    };
    for service in services() {
        children.spawn(&service.name, env.command(service)?)?;
    }
    let outcome = supervise(&mut children, &mut stop, &moto_url, moto.is_none()).await;
    println!("Stopping services...");
    children.shutdown().await;
    drop(moto);
    outcome
}

/// Serves until Ctrl-C or SIGTERM; a failed start or a child exiting on its own is an error.
async fn supervise(
    children: &mut Supervisor,
    stop: &mut StopSignals,
    moto_url: &str,
    reused_moto: bool,
) -> anyhow::Result<()> {
    tokio::select! {
        ready = wait_until_ready() => ready?,
        () = stop.recv() => return Ok(()),
        (name, status) = children.next_exit() => bail!("{name} exited during startup ({status})"),
    }
    print_summary(moto_url, reused_moto);
    tokio::select! {
        () = stop.recv() => Ok(()),
        (name, status) = children.next_exit() => bail!("{name} exited unexpectedly ({status})"),
    }
}

struct StopSignals {
    interrupt: Signal,
    terminate: Signal,
}

impl StopSignals {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).context("installing the Ctrl-C handler")?,
            terminate: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

/// Reuses an emulator already on the well-known port (e.g. another checkout's `dev`).
fn start_or_reuse_moto() -> anyhow::Result<Option<moto::Moto>> {
    if moto::answers_on(MOTO_PORT) {
        println!("Reusing the moto already answering on 127.0.0.1:{MOTO_PORT}.");
        return Ok(None);
    }
    if net::HostPort::localhost(MOTO_PORT).is_reachable() {
        bail!("127.0.0.1:{MOTO_PORT} is taken by something that is not moto; stop it and retry");
    }
    moto::ensure_installed()?;
    Ok(Some(moto::Moto::start(MOTO_PORT)?))
}

/// The local-only signing key, generated once into the git-ignored `.dev/`.
fn local_signing_keys() -> anyhow::Result<String> {
    let path = repo_root().join(SIGNING_KEYS_FILE);
    if !path.is_file() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let json = platform::auth::keys::generate_signing_keys_json("local-1");
        // Owner-only: it is a private key, even if a local one.
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut file| file.write_all(json.as_bytes()))
            .with_context(|| format!("writing {SIGNING_KEYS_FILE}"))?;
        println!("Generated a local JWT signing key in {SIGNING_KEYS_FILE}.");
    }
    let keys =
        std::fs::read_to_string(&path).with_context(|| format!("reading {SIGNING_KEYS_FILE}"))?;
    serde_json::from_str::<serde_json::Value>(&keys).with_context(|| {
        format!("{SIGNING_KEYS_FILE} is not JSON; delete it to generate a new key")
    })?;
    Ok(keys)
}

async fn wait_until_ready() -> anyhow::Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    for service in services() {
        let addr = net::HostPort::localhost(service.port);
        loop {
            let probe = addr.clone();
            if tokio::task::spawn_blocking(move || probe.http_ok("/health/ready")).await? {
                break;
            }
            if Instant::now() > deadline {
                bail!(
                    "{} was not ready on {} within {}s",
                    service.name,
                    service.url(),
                    READY_TIMEOUT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    Ok(())
}

fn print_summary(moto_url: &str, reused_moto: bool) {
    println!();
    println!("{:<14} {:<24} Swagger UI", "service", "URL");
    for service in services() {
        let url = service.url();
        println!(
            "{:<14} {url:<24} {url}{}",
            service.name,
            service.docs_path()
        );
    }
    println!();
    println!("admin:        {ADMIN_EMAIL} / {ADMIN_PASSWORD}");
    let note = if reused_moto { " (reused)" } else { "" };
    println!("AWS emulator: {moto_url}{note}");
    println!("Press Ctrl-C to stop.");
}
