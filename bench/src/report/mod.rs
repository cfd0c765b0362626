//! What a run leaves behind: one JSON file per scenario in the run directory
//! (then in `bench/results/`), and a Markdown section appended to `bench/RESULTS.md`.

mod markdown;
mod publish;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

pub use markdown::{int, ms, percent, rate, render_run};
pub use publish::publish;

use crate::load::{Report, Tick};
use crate::stats::{self, Latency};

/// A baseline measured in the same run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    /// e.g. `Redis EVALSHA decrement`.
    pub title: String,
    /// Operations per second.
    pub rate: f64,
    /// e.g. `redis-benchmark -c 64 -n 200000 EVALSHA <sha> 1 <key>`.
    pub how: String,
}

/// The baselines of a run, by key (`redis-get`, `redis-evalsha`, `pg-hot-row`,
/// `pg-checkout`, `argon2id`, `health-live`).
pub type Baselines = BTreeMap<String, Baseline>;

/// A scenario's figure set beside one baseline: `value / baseline.rate`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    /// What is compared, e.g. `successful claims/s`.
    pub what: String,
    pub value: f64,
    pub baseline_key: String,
    pub baseline: Baseline,
    pub ratio: f64,
}

impl Comparison {
    pub fn new(what: &str, value: f64, baselines: &Baselines, key: &str) -> Option<Self> {
        let baseline = baselines.get(key)?.clone();
        Some(Self {
            what: what.to_owned(),
            value,
            baseline_key: key.to_owned(),
            ratio: stats::ratio(value, baseline.rate),
            baseline,
        })
    }
}

/// A goal from issue 10's table, and whether this run met it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Goal {
    pub goal: String,
    pub actual: String,
    pub met: bool,
}

impl Goal {
    pub fn new(goal: impl Into<String>, actual: impl Into<String>, met: bool) -> Self {
        Self {
            goal: goal.into(),
            actual: actual.into(),
            met,
        }
    }
}

/// An invariant checked after the scenario; a failed one fails the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

impl Check {
    pub fn new(name: impl Into<String>, ok: bool, detail: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ok,
            detail: detail.into(),
        }
    }
}

/// A named extra figure (`sold out after`, `cache hit ratio`, ...).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figure {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub scenario: String,
    pub title: String,
    /// How it was loaded: mode, connections or rate, duration, data.
    pub load: String,
    /// What one request is (`attempts`, `orders`, ...), for the rate's unit.
    pub unit: String,
    pub requests: u64,
    pub ok: u64,
    pub errors: u64,
    pub elapsed_s: f64,
    /// Requests per second over the run.
    pub rate: f64,
    pub latency: Latency,
    pub outcomes: BTreeMap<String, u64>,
    pub comparison: Option<Comparison>,
    pub figures: Vec<Figure>,
    /// The figures as numbers, by key, for later scenarios and tools.
    #[serde(default)]
    pub values: BTreeMap<String, f64>,
    pub goals: Vec<Goal>,
    pub checks: Vec<Check>,
    /// Cores each process group used while the load ran.
    #[serde(default)]
    pub cpu: Vec<crate::cpu::CpuShare>,
    pub timeline: Vec<Tick>,
}

impl ScenarioResult {
    /// The load figures of `report`; the scenario adds the rest.
    pub fn from_report(
        scenario: &str,
        title: &str,
        load: String,
        unit: &str,
        report: &Report,
    ) -> Self {
        Self {
            scenario: scenario.to_owned(),
            title: title.to_owned(),
            load,
            unit: unit.to_owned(),
            requests: report.requests,
            ok: report.ok,
            errors: report.errors,
            elapsed_s: report.elapsed.as_secs_f64(),
            rate: report.rate(),
            latency: Latency::of(&report.latency),
            outcomes: report.outcomes.clone(),
            comparison: None,
            figures: Vec::new(),
            values: BTreeMap::new(),
            goals: Vec::new(),
            checks: Vec::new(),
            cpu: Vec::new(),
            timeline: report.timeline.clone(),
        }
    }

    pub fn figure(&mut self, name: &str, value: impl Into<String>) {
        self.figures.push(Figure {
            name: name.to_owned(),
            value: value.into(),
        });
    }

    /// A figure that is also kept as a number under `key`.
    pub fn value(&mut self, key: &str, value: f64, shown: impl Into<String>) {
        self.values.insert(key.to_owned(), value);
        self.figures.push(Figure {
            name: String::new(),
            value: shown.into(),
        });
    }

    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

/// Where a run keeps its files until the report.
pub struct RunDir(pub PathBuf);

impl RunDir {
    pub fn scenario_path(&self, scenario: &str) -> PathBuf {
        self.0.join(format!("{scenario}.json"))
    }

    pub fn baselines_path(&self) -> PathBuf {
        self.0.join("baselines.json")
    }

    pub fn read_baselines(&self) -> Baselines {
        read_json(&self.baselines_path()).unwrap_or_default()
    }

    pub fn read_scenario(&self, scenario: &str) -> Option<ScenarioResult> {
        read_json(&self.scenario_path(scenario)).ok()
    }
}

pub fn read_json<T: DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
}

/// Service start-up figures, for the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Startup {
    pub service: String,
    pub ready_ms: f64,
    pub idle_rss_kib: u64,
}

/// Everything one section of `bench/RESULTS.md` says about a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSummary {
    /// UTC, `YYYY-MM-DD HH:MM`.
    pub date: String,
    pub machine: crate::machine::Machine,
    pub profile: String,
    pub rate_limits: BTreeMap<String, String>,
    pub startup: Vec<Startup>,
    pub baselines: Baselines,
    pub scenarios: Vec<ScenarioResult>,
}
