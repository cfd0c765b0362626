//! Running the Schemathesis CLI against one service and reading the
//! service's request counters.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use serde_json::Value;

/// Test cases per operation and phase: enough to find the usual suspects,
/// few enough to keep the whole test around a minute and a half on two
/// cores. `SCHEMATHESIS_MAX_EXAMPLES` asks for a deeper run.
const MAX_EXAMPLES: &str = "15";
/// A fixed seed: a failure is reproducible with the same command.
const SEED: &str = "20261122";
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_headers_conformance,response_schema_conformance,negative_data_rejection,\
use_after_free,ensure_resource_availability,ignored_auth";
/// A bounded run that takes longer than this is killed and fails (a deeper
/// run gets proportionally longer).
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// `SCHEMATHESIS_BIN` (set by `cargo xtask test`), else the tools venv's copy.
pub fn schemathesis_bin() -> PathBuf {
    let bin = std::env::var_os("SCHEMATHESIS_BIN").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv-tools/bin/schemathesis"),
        PathBuf::from,
    );
    assert!(
        bin.is_file(),
        "Schemathesis not found at {}: run `cargo xtask test` once (it installs it into .venv-tools/), \
         or set SCHEMATHESIS_BIN",
        bin.display()
    );
    bin
}

fn max_examples() -> String {
    std::env::var("SCHEMATHESIS_MAX_EXAMPLES").unwrap_or_else(|_| MAX_EXAMPLES.to_owned())
}

fn run_timeout() -> Duration {
    let bounded: u32 = MAX_EXAMPLES.parse().unwrap();
    let asked: u32 = max_examples()
        .parse()
        .expect("SCHEMATHESIS_MAX_EXAMPLES is a number");
    RUN_TIMEOUT * asked.div_ceil(bounded).max(1)
}

/// Where each run's full output is kept: `target/schemathesis/<service>-<role>.txt`.
fn log_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/schemathesis");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct Target {
    pub name: &'static str,
    pub address: String,
    pub has_service_operations: bool,
}

/// An operation as the metrics label it: (method, route).
pub type Operation = (String, String);

impl Target {
    pub fn spec_url(&self) -> String {
        format!("{}/docs/{}/openapi.json", self.address, self.name)
    }

    /// Every operation of the served document.
    pub async fn operations(&self, client: &reqwest::Client) -> Vec<Operation> {
        let spec: Value = client
            .get(self.spec_url())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut operations = Vec::new();
        for (path, item) in spec["paths"].as_object().expect("paths") {
            for method in ["get", "put", "post", "delete", "patch"] {
                if item.get(method).is_some() {
                    operations.push((method.to_ascii_uppercase(), path.clone()));
                }
            }
        }
        operations
    }
}

/// 2xx responses so far per operation, from the service's `/metrics`.
pub async fn two_xx_counts(client: &reqwest::Client, target: &Target) -> BTreeMap<Operation, u64> {
    let text = client
        .get(format!("{}/metrics", target.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        let Some(labels) = line.strip_prefix("storefront_http_requests_total{") else {
            continue;
        };
        let Some((labels, value)) = labels.split_once("} ") else {
            continue;
        };
        let label = |name: &str| {
            labels
                .split(',')
                .find_map(|pair| pair.strip_prefix(&format!("{name}=\"")))
                .map(|v| v.trim_end_matches('"').to_owned())
                .unwrap_or_default()
        };
        if label("status").starts_with('2') {
            let count: u64 = value.trim().parse().unwrap_or(0);
            *counts.entry((label("method"), label("route"))).or_default() += count;
        }
    }
    counts
}

/// The run's `schemathesis.toml`: no example database, no cache, and the
/// fixed parameter values of `overrides`.
pub fn config(overrides: &[(&str, Vec<(&str, String)>)]) -> String {
    let quote = |s: &str| serde_json::to_string(s).unwrap();
    let mut toml = String::from("[generation]\ndatabase = \"none\"\n\n[cache]\nenabled = false\n");
    for (operation, parameters) in overrides {
        let values: Vec<String> = parameters
            .iter()
            .map(|(name, value)| format!("{} = {}", quote(name), quote(value)))
            .collect();
        toml.push_str(&format!(
            "\n[[operations]]\ninclude-name = {}\nparameters = {{ {} }}\n",
            quote(operation),
            values.join(", ")
        ));
    }
    toml
}

pub struct Run<'a> {
    pub bin: &'a Path,
    pub target: &'a Target,
    pub role: &'a str,
    pub token: &'a str,
    pub config: &'a str,
}

pub struct Outcome {
    pub passed: bool,
    pub summary: String,
    pub output: String,
}

impl Run<'_> {
    pub async fn execute(&self) -> Outcome {
        let dir = std::env::temp_dir().join(format!("schemathesis-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let config_path = dir.join("schemathesis.toml");
        std::fs::write(&config_path, self.config).unwrap();
        let started = Instant::now();
        let child = tokio::process::Command::new(self.bin)
            .current_dir(&dir)
            .arg("--config-file")
            .arg(&config_path)
            .arg("run")
            .arg(self.target.spec_url())
            .args(["--url", &self.target.address])
            .args(["--header", &format!("Authorization: Bearer {}", self.token)])
            .args(["--checks", CHECKS])
            .args(["--max-examples", &max_examples(), "--seed", SEED])
            .args(["--workers", "1", "--no-color", "--request-timeout", "10"])
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let result = tokio::time::timeout(run_timeout(), child).await;
        let _ = std::fs::remove_dir_all(&dir);
        let elapsed = started.elapsed().as_secs_f32();
        let label = format!("schemathesis {} as {}", self.target.name, self.role);
        match result {
            Ok(Ok(out)) => {
                let output = String::from_utf8_lossy(&out.stdout).into_owned()
                    + &String::from_utf8_lossy(&out.stderr);
                let log = log_dir().join(format!("{}-{}.txt", self.target.name, self.role));
                std::fs::write(&log, &output).unwrap();
                let last = output
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                Outcome {
                    passed: out.status.success(),
                    summary: format!(
                        "{label}: {} in {elapsed:.1}s ({})",
                        out.status,
                        last.trim_matches('=').trim()
                    ),
                    output,
                }
            }
            Ok(Err(err)) => Outcome {
                passed: false,
                summary: format!("{label}: could not start {}: {err}", self.bin.display()),
                output: String::new(),
            },
            Err(_) => Outcome {
                passed: false,
                summary: format!(
                    "{label}: still running after {}s; killed",
                    run_timeout().as_secs()
                ),
                output: String::new(),
            },
        }
    }
}
