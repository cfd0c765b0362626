//! A run as a Markdown section: machine, scenarios beside their baselines and
//! goals, baselines, start-up figures and the invariants checked.

use std::fmt::Write as _;

use super::{RunSummary, ScenarioResult, Startup};

/// Idle RSS goal per service (issue 10).
const RSS_GOAL_MIB: f64 = 30.0;
/// Spawn-to-ready goal per service (issue 10).
const READY_GOAL_MS: f64 = 500.0;

pub fn render_run(run: &RunSummary) -> String {
    let mut md = String::new();
    let m = &run.machine;
    let _ = writeln!(md, "## Run {} UTC, commit `{}`\n", run.date, m.commit);
    let _ = writeln!(md, "Machine: {}.", m.line());
    let _ = writeln!(
        md,
        "Services built with the `{}` profile; the load generator, the five services, \
         Postgres, Redis and moto all share this machine's cores. Rate limits set out of \
         the way by configuration: {}.\n",
        run.profile,
        run.rate_limits
            .iter()
            .map(|(k, v)| format!("`{k}={v}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    scenario_table(&mut md, &run.scenarios);
    figures(&mut md, &run.scenarios, m.cores);
    baseline_table(&mut md, run);
    startup_table(&mut md, &run.startup);
    checks(&mut md, &run.scenarios);
    md
}

fn scenario_table(md: &mut String, scenarios: &[ScenarioResult]) {
    if scenarios.is_empty() {
        return;
    }
    md.push_str("| scenario | load | requests | rate | p50 | p99 | errors | vs baseline (same run) | goals |\n");
    md.push_str("|---|---|--:|--:|--:|--:|--:|---|---|\n");
    for s in scenarios {
        let comparison = s.comparison.as_ref().map_or_else(
            || "—".to_owned(),
            |c| {
                format!(
                    "{} {} = **{}** of {} ({}/s)",
                    c.what,
                    rate(c.value),
                    percent(c.ratio),
                    c.baseline.title,
                    rate(c.baseline.rate)
                )
            },
        );
        let goals = if s.goals.is_empty() {
            "—".to_owned()
        } else {
            s.goals
                .iter()
                .map(|g| format!("{} ({}): {}", g.goal, g.actual, verdict(g.met)))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} {}/s | {} | {} | {} | {} | {} |",
            s.title,
            s.load,
            int(s.requests),
            rate(s.rate),
            s.unit,
            ms(s.latency.p50_ms),
            ms(s.latency.p99_ms),
            int(s.errors),
            comparison,
            goals
        );
    }
    md.push('\n');
}

fn figures(md: &mut String, scenarios: &[ScenarioResult], cores: usize) {
    let mut any = false;
    for s in scenarios {
        let mut list: Vec<String> = s
            .figures
            .iter()
            .map(|f| format!("{} {}", f.name, f.value).trim().to_owned())
            .collect();
        if !s.cpu.is_empty() {
            list.push(format!(
                "CPU during the load, in cores: {}",
                crate::cpu::describe(&s.cpu, cores)
            ));
        }
        if !list.is_empty() {
            let _ = writeln!(md, "- {}: {}.", s.title, list.join("; "));
            any = true;
        }
    }
    if any {
        md.push('\n');
    }
}

fn baseline_table(md: &mut String, run: &RunSummary) {
    if run.baselines.is_empty() {
        return;
    }
    md.push_str("| baseline | rate | how |\n|---|--:|---|\n");
    for b in run.baselines.values() {
        let _ = writeln!(md, "| {} | {}/s | `{}` |", b.title, rate(b.rate), b.how);
    }
    md.push('\n');
}

fn startup_table(md: &mut String, startup: &[Startup]) {
    if startup.is_empty() {
        return;
    }
    md.push_str("| service | spawn → ready | idle RSS | goals (ready < 500 ms, RSS < 30 MiB) |\n");
    md.push_str("|---|--:|--:|---|\n");
    for s in startup {
        let mib = s.idle_rss_kib as f64 / 1024.0;
        let _ = writeln!(
            md,
            "| {} | {} | {mib:.1} MiB | ready {}, RSS {} |",
            s.service,
            ms(s.ready_ms),
            verdict(s.ready_ms < READY_GOAL_MS),
            verdict(mib < RSS_GOAL_MIB)
        );
    }
    md.push('\n');
}

fn checks(md: &mut String, scenarios: &[ScenarioResult]) {
    let all: Vec<_> = scenarios
        .iter()
        .flat_map(|s| s.checks.iter().map(move |c| (s, c)))
        .collect();
    let failed: Vec<_> = all.iter().filter(|(_, c)| !c.ok).collect();
    let _ = writeln!(
        md,
        "Invariants: {} of {} checks held{}",
        all.len() - failed.len(),
        all.len(),
        if failed.is_empty() {
            "."
        } else {
            "; **failed**:"
        }
    );
    for (s, c) in failed {
        let _ = writeln!(md, "- {}: {}: {}", s.title, c.name, c.detail);
    }
    md.push('\n');
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "**missed**"
    }
}

/// 81234 → `81,234`.
pub fn int(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Whole numbers from 100 up, one decimal below.
pub fn rate(value: f64) -> String {
    if value >= 100.0 {
        int(value.round() as u64)
    } else {
        format!("{value:.1}")
    }
}

pub fn ms(value: f64) -> String {
    if value >= 100.0 {
        format!("{} ms", int(value.round() as u64))
    } else {
        format!("{value:.2} ms")
    }
}

pub fn percent(ratio: f64) -> String {
    format!("{:.1} %", ratio * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Baseline, Check, Comparison, Goal};
    use crate::stats::Latency;

    #[test]
    fn numbers_read_like_a_person_writes_them() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1000), "1,000");
        assert_eq!(int(81_234_567), "81,234,567");
        assert_eq!(rate(8123.4), "8,123");
        assert_eq!(rate(38.25), "38.2");
        assert_eq!(ms(4.613), "4.61 ms");
        assert_eq!(ms(1234.4), "1,234 ms");
        assert_eq!(percent(0.1164), "11.6 %");
    }

    fn scenario(checks: Vec<Check>) -> ScenarioResult {
        let baseline = Baseline {
            title: "Redis EVALSHA decrement".to_owned(),
            rate: 70_000.0,
            how: "redis-benchmark".to_owned(),
        };
        let mut baselines = crate::report::Baselines::new();
        baselines.insert("redis-evalsha".to_owned(), baseline);
        ScenarioResult {
            scenario: "flash-sale-gate-on".to_owned(),
            title: "flash-sale claims, gate on".to_owned(),
            load: "256 connections, 10 s".to_owned(),
            unit: "attempts".to_owned(),
            requests: 81_234,
            ok: 81_234,
            errors: 0,
            elapsed_s: 10.0,
            rate: 8123.4,
            latency: Latency {
                p50_ms: 25.1,
                p99_ms: 62.0,
                ..Latency::default()
            },
            outcomes: Default::default(),
            comparison: Comparison::new("attempts/s", 8123.4, &baselines, "redis-evalsha"),
            figures: Vec::new(),
            values: Default::default(),
            goals: vec![Goal::new("≥ 10,000 attempts/s", "8,123/s", false)],
            checks,
            cpu: Vec::new(),
            timeline: Vec::new(),
        }
    }

    fn run(scenarios: Vec<ScenarioResult>) -> RunSummary {
        RunSummary {
            date: "2026-11-22 02:40".to_owned(),
            machine: crate::machine::Machine::default(),
            profile: "bench".to_owned(),
            rate_limits: Default::default(),
            startup: vec![Startup {
                service: "catalog".to_owned(),
                ready_ms: 120.0,
                idle_rss_kib: 40 * 1024,
            }],
            baselines: Default::default(),
            scenarios,
        }
    }

    #[test]
    fn a_scenario_row_shows_its_ratio_to_its_baseline_and_its_goals() {
        let md = render_run(&run(vec![scenario(vec![Check::new("oversell", true, "")])]));
        assert!(
            md.contains("| flash-sale claims, gate on | 256 connections, 10 s | 81,234 | 8,123 attempts/s | 25.10 ms | 62.00 ms | 0 |"),
            "{md}"
        );
        assert!(
            md.contains("**11.6 %** of Redis EVALSHA decrement (70,000/s)"),
            "{md}"
        );
        assert!(
            md.contains("≥ 10,000 attempts/s (8,123/s): **missed**"),
            "{md}"
        );
        assert!(md.contains("Invariants: 1 of 1 checks held."), "{md}");
    }

    #[test]
    fn failed_checks_and_missed_start_up_goals_are_spelled_out() {
        let md = render_run(&run(vec![scenario(vec![Check::new(
            "units sold ≤ stock",
            false,
            "1,001 reservations for 1,000 units",
        )])]));
        assert!(
            md.contains("Invariants: 0 of 1 checks held; **failed**:"),
            "{md}"
        );
        assert!(
            md.contains("units sold ≤ stock: 1,001 reservations"),
            "{md}"
        );
        assert!(
            md.contains("| catalog | 120 ms | 40.0 MiB | ready met, RSS **missed** |"),
            "{md}"
        );
    }
}
