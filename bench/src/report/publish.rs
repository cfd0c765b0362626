//! Turns a run directory into `bench/results/<date>-<scenario>.json` files and
//! a section appended to `bench/RESULTS.md`.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use time::macros::format_description;

use super::{render_run, write_json, RunDir, RunSummary, ScenarioResult, Startup};
use crate::env::RunEnv;
use crate::machine::Machine;
use crate::scenarios;

const RESULTS_HEADER: &str = "# Benchmark results\n\n\
Appended by `cargo xtask bench` (one section per run; the JSON of each scenario is in \
`bench/results/`). Ratios compare with baselines measured in the same run on the same machine.\n\n";

/// One scenario's JSON file: the result with what it ran on.
#[derive(Serialize)]
struct ResultFile<'a> {
    date: &'a str,
    machine: &'a Machine,
    profile: &'a str,
    rate_limits: &'a std::collections::BTreeMap<String, String>,
    #[serde(flatten)]
    result: &'a ScenarioResult,
}

/// Writes the run's files and returns the summary (for the caller to judge).
pub fn publish(
    env: &RunEnv,
    dir: &RunDir,
    results_dir: &Path,
    markdown: &Path,
) -> anyhow::Result<RunSummary> {
    let now = time::OffsetDateTime::now_utc();
    let date = now.format(format_description!("[year]-[month]-[day] [hour]:[minute]"))?;
    // Seconds too: two short runs within a minute must not overwrite each other.
    let stamp = now.format(format_description!(
        "[year]-[month]-[day]-[hour][minute][second]"
    ))?;
    let summary = RunSummary {
        date,
        machine: Machine::describe(),
        profile: env.profile.clone(),
        rate_limits: env.rate_limits.clone(),
        startup: env
            .services
            .iter()
            .map(|(name, s)| Startup {
                service: name.clone(),
                ready_ms: s.ready_ms,
                idle_rss_kib: s.idle_rss_kib,
            })
            .collect(),
        baselines: dir.read_baselines(),
        scenarios: scenarios::ALL
            .iter()
            .filter_map(|spec| dir.read_scenario(spec.name))
            .collect(),
    };
    std::fs::create_dir_all(results_dir)
        .with_context(|| format!("creating {}", results_dir.display()))?;
    for result in &summary.scenarios {
        let file = ResultFile {
            date: &summary.date,
            machine: &summary.machine,
            profile: &summary.profile,
            rate_limits: &summary.rate_limits,
            result,
        };
        write_json(
            &results_dir.join(format!("{stamp}-{}.json", result.scenario)),
            &file,
        )?;
    }
    write_json(
        &results_dir.join(format!("{stamp}-platform.json")),
        &serde_json::json!({
            "date": summary.date, "machine": summary.machine, "profile": summary.profile,
            "startup": summary.startup, "baselines": summary.baselines,
        }),
    )?;
    let fresh = !markdown.exists();
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(markdown)
        .with_context(|| format!("opening {}", markdown.display()))?;
    if fresh {
        out.write_all(RESULTS_HEADER.as_bytes())?;
    }
    out.write_all(render_run(&summary).as_bytes())?;
    Ok(summary)
}
