//! `cargo xtask browser-test`, also a step of `cargo xtask test`, in headless
//! Chromium (Debian's package, driven by `playwright-core` from `e2e/browser/`):
//! registration's Swagger UI against a real registration-service with its own
//! database, Redis key prefix, topic and signing key; then the shop journeys
//! against all six services (`shop.rs`).

mod shop;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use sqlx::{Connection, PgConnection};

use crate::local::{aws_env, cargo, repo_root, run_status, target_dir, Backends, AWS_REGION};
use crate::services::JWT_AUDIENCE;
use crate::{backing, moto, net};

/// Where Debian's `chromium` package puts the browser.
const CHROMIUM: &str = "/usr/bin/chromium";
const SCRIPT_DIR: &str = "e2e/browser";
const PACKAGE: &str = "registration-service";
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// `cargo xtask browser-test`: the step alone, with a private moto like `cargo xtask test`'s.
pub fn standalone() -> anyhow::Result<()> {
    let backends = Backends::from_env();
    backing::ensure_reachable(&backends)?;
    moto::ensure_installed()?;
    let moto = moto::Moto::start(net::free_port()?)?;
    let passed = run(&backends, &moto.endpoint_url())?;
    drop(moto);
    if !passed {
        bail!("the browser test failed");
    }
    Ok(())
}

/// Installs what is missing, runs the service and the browser script; true when it passed.
pub fn run(backends: &Backends, moto_url: &str) -> anyhow::Result<bool> {
    ensure_chromium()?;
    ensure_node_modules()?;
    // The workspace with every feature, as the test run builds it, so the
    // services' binaries come from the same artifacts and nothing is
    // compiled a second time with other features.
    let mut build = cargo()?;
    build.args(["build", "--workspace", "--all-features", "--bins"]);
    if !run_status(&mut build)? {
        println!("browser test: building the services failed");
        return Ok(false);
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the tokio runtime")?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let database = format!("browser_{id}");
    runtime
        .block_on(platform::db::ensure_database(
            &backends.database_url,
            &database,
        ))
        .with_context(|| format!("creating database `{database}`"))?;
    let swagger = test_against_service(&runtime, backends, moto_url, &database, &id);
    if let Err(e) = runtime.block_on(drop_database(&backends.database_url, &database)) {
        println!("browser test: could not drop database `{database}`: {e:#}");
    }
    let out_dir = target_dir()?.join("browser");
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let shop = shop::run(&runtime, backends, moto_url, &out_dir);
    Ok(swagger? & shop?)
}

fn test_against_service(
    runtime: &tokio::runtime::Runtime,
    backends: &Backends,
    moto_url: &str,
    database: &str,
    id: &str,
) -> anyhow::Result<bool> {
    // A topic of its own, from the bootstrap the tests use, so the outbox
    // relay publishes `customer.registered` as it does everywhere else.
    let aws = platform::config::AwsSettings {
        region: AWS_REGION.to_owned(),
        endpoint_url: Some(moto_url.to_owned()),
    };
    let topology = platform::messaging::Topology::repository()?;
    let prefix = format!("br{}", &id[..8]);
    let provisioned = runtime
        .block_on(async {
            let sdk = platform::aws::sdk_config(&aws).await;
            platform::messaging::bootstrap(&sdk, &topology, &prefix).await
        })
        .context("creating the browser test's topics on moto")?;
    let topic = provisioned
        .topic_arn("registration")
        .context("infra/messaging.yaml has no registration topic")?;

    let out_dir = target_dir()?.join("browser");
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let log_path = out_dir.join("registration-service.log");
    let port = net::free_port()?;
    let base_url = format!("http://127.0.0.1:{port}");
    let mut service = Service::start(
        PACKAGE,
        Command::new(target_dir()?.join("debug").join(PACKAGE))
            .current_dir(repo_root())
            .env("PORT", port.to_string())
            .env(
                "DATABASE_URL",
                net::with_database(&backends.database_url, database)?,
            )
            .env("DATABASE_MAX_CONNECTIONS", "3")
            .env("REDIS_URL", &backends.redis_url)
            .env("REDIS_KEY_PREFIX", format!("browser-{id}"))
            .envs(aws_env(moto_url))
            .env("EVENTS_TOPIC_ARN", topic)
            .env("JWT_ISSUER", &base_url)
            .env("JWT_AUDIENCE", JWT_AUDIENCE)
            .env(
                "JWT_SIGNING_KEYS",
                platform::auth::keys::generate_signing_keys_json("browser-1"),
            )
            .env("LOG_FORMAT", "pretty")
            .env("RUST_LOG", "info"),
        &log_path,
    )?;
    println!(
        "browser test: {PACKAGE} on {base_url} (log: {})",
        log_path.display()
    );
    if let Err(e) = service.wait_until_ready(port) {
        println!("browser test: {e:#}");
        return Ok(false);
    }

    let screenshot = out_dir.join("swagger.png");
    let passed = run_status(
        Command::new("node")
            .current_dir(repo_root().join(SCRIPT_DIR))
            .arg("swagger.mjs")
            .args(["--base-url", &base_url])
            .arg("--screenshot")
            .arg(&screenshot)
            .args(["--chromium", CHROMIUM]),
    )
    .context("running node; install Node.js 20 or later")?;
    drop(service);
    if !passed {
        println!(
            "browser test: FAILED; see the screenshot {} and the log {}",
            screenshot.display(),
            log_path.display()
        );
    }
    Ok(passed)
}

async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(admin_url).await?;
    // The name is ours (`browser_` and hex), so it needs no quoting beyond this.
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await?;
    conn.close().await.ok();
    Ok(())
}

/// Debian's `chromium`, installed with apt-get when missing (through sudo unless root).
fn ensure_chromium() -> anyhow::Result<()> {
    if Path::new(CHROMIUM).is_file() {
        return Ok(());
    }
    println!("Installing Debian's chromium package (first run only)...");
    let apt = |args: &[&str]| -> anyhow::Result<bool> {
        // Through env(1): sudo resets the environment.
        let mut cmd = if is_root() {
            Command::new("env")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.arg("env");
            sudo
        };
        cmd.args(["DEBIAN_FRONTEND=noninteractive", "apt-get"])
            .args(["-o", "DPkg::Lock::Timeout=120"])
            .args(args);
        run_status(&mut cmd)
    };
    if !apt(&["update"])? || !apt(&["install", "-y", "chromium"])? {
        bail!("`apt-get install -y chromium` failed; install Debian's chromium package");
    }
    if !Path::new(CHROMIUM).is_file() {
        bail!("the chromium package did not provide {CHROMIUM}");
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// `npm ci` in `e2e/browser/` when `node_modules/` is missing or older than the lockfile.
fn ensure_node_modules() -> anyhow::Result<()> {
    let dir = repo_root().join(SCRIPT_DIR);
    let modified = |path: PathBuf| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let lock = modified(dir.join("package-lock.json"));
    let installed = modified(dir.join("node_modules").join(".package-lock.json"));
    if matches!((lock, installed), (Some(lock), Some(installed)) if installed >= lock) {
        return Ok(());
    }
    println!("Installing {SCRIPT_DIR}'s npm packages (npm ci)...");
    let mut npm = Command::new("npm");
    npm.current_dir(&dir)
        .args(["ci", "--no-audit", "--no-fund"]);
    let ok = run_status(&mut npm).context("running npm; install Node.js 20 or later with npm")?;
    if !ok {
        bail!("`npm ci` in {SCRIPT_DIR} failed; see the output above");
    }
    Ok(())
}

/// A service process; dropping it stops it (SIGTERM, then SIGKILL).
struct Service {
    name: String,
    child: Child,
    log_path: PathBuf,
}

impl Service {
    fn start(name: &str, cmd: &mut Command, log_path: &Path) -> anyhow::Result<Self> {
        let log =
            File::create(log_path).with_context(|| format!("creating {}", log_path.display()))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        Ok(Self {
            name: name.to_owned(),
            child,
            log_path: log_path.to_owned(),
        })
    }

    fn wait_until_ready(&mut self, port: u16) -> anyhow::Result<()> {
        let addr = net::HostPort::localhost(port);
        let deadline = Instant::now() + READY_TIMEOUT;
        while !addr.http_ok("/health/ready") {
            let log = self.log_path.display();
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited ({status}) before it was ready; see {log}",
                    self.name
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "{} was not ready within {}s; see {log}",
                    self.name,
                    READY_TIMEOUT.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        Ok(())
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // Through `kill(1)` because the workspace forbids the unsafe code libc::kill needs.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_)) | Err(_)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
