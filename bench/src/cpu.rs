//! Where the CPU went while a load ran: every process's user + system time
//! from /proc, grouped (each service, Postgres, Redis, moto, the load
//! generator, everything else), as cores used on average.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// A group's average use of the machine's cores over a window.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CpuShare {
    pub group: String,
    pub cores: f64,
}

pub struct Snapshot {
    at: Instant,
    ticks: BTreeMap<String, u64>,
    /// Busy ticks of the whole machine (/proc/stat), all processes included.
    machine_busy: u64,
}

impl Snapshot {
    pub fn take(moto_pid: Option<u32>) -> Self {
        let mut ticks = BTreeMap::new();
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let Some(pid) = entry
                    .file_name()
                    .to_str()
                    .and_then(|s| s.parse::<u32>().ok())
                else {
                    continue;
                };
                let Some((comm, used)) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .ok()
                    .and_then(|stat| parse_stat(&stat))
                else {
                    continue;
                };
                let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
                let group = group_of(pid, &comm, exe.as_deref(), moto_pid);
                *ticks.entry(group).or_default() += used;
            }
        }
        let machine_busy = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| machine_busy(&s))
            .unwrap_or(0);
        Self {
            at: Instant::now(),
            ticks,
            machine_busy,
        }
    }

    /// Cores each group used from `self` to `later`, busiest first, with the
    /// machine's total (`machine`) last.
    pub fn shares_until(&self, later: &Self) -> Vec<CpuShare> {
        let seconds = later.at.duration_since(self.at).as_secs_f64();
        let per_second = clock_ticks() as f64 * seconds;
        if per_second <= 0.0 {
            return Vec::new();
        }
        let mut shares: Vec<CpuShare> = later
            .ticks
            .iter()
            .map(|(group, after)| CpuShare {
                group: group.clone(),
                cores: after.saturating_sub(self.ticks.get(group).copied().unwrap_or(0)) as f64
                    / per_second,
            })
            .filter(|s| s.cores >= 0.01)
            .collect();
        shares.sort_by(|a, b| b.cores.total_cmp(&a.cores));
        shares.push(CpuShare {
            group: "machine".to_owned(),
            cores: later.machine_busy.saturating_sub(self.machine_busy) as f64 / per_second,
        });
        shares
    }
}

/// `comm` and utime + stime (ticks) from a /proc/<pid>/stat line.
fn parse_stat(stat: &str) -> Option<(String, u64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_owned();
    let fields: Vec<&str> = stat.get(close + 2..)?.split_whitespace().collect();
    // After the comm: state is field 3, utime 14 and stime 15 (1-based).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((comm, utime + stime))
}

fn group_of(pid: u32, comm: &str, exe: Option<&std::path::Path>, moto_pid: Option<u32>) -> String {
    if Some(pid) == moto_pid {
        return "moto".to_owned();
    }
    let exe_name = exe
        .and_then(|e| e.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    // Only the bench profile's binaries are this run's services.
    let in_release = exe.is_some_and(|e| e.parent().is_some_and(|d| d.ends_with("release")));
    match (exe_name, comm) {
        ("storefront-bench", _) => "load generator".to_owned(),
        (name, _) if in_release && name.ends_with("-service") => {
            name.trim_end_matches("-service").to_owned()
        }
        (_, "postgres") => "postgres".to_owned(),
        (_, "redis-server") => "redis".to_owned(),
        _ => "other".to_owned(),
    }
}

/// user + nice + system + irq + softirq + steal of the `cpu` line.
fn machine_busy(proc_stat: &str) -> Option<u64> {
    let line = proc_stat.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let at = |i: usize| values.get(i).copied().unwrap_or(0);
    Some(at(0) + at(1) + at(2) + at(5) + at(6) + at(7))
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux almost always).
fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100)
    })
}

/// `inventory 0.82, postgres 0.45, ...; machine 1.95 of 2 cores`.
pub fn describe(shares: &[CpuShare], cores: usize) -> String {
    let (machine, groups): (Vec<_>, Vec<_>) = shares.iter().partition(|s| s.group == "machine");
    let groups: Vec<String> = groups
        .iter()
        .map(|s| format!("{} {:.2}", s.group, s.cores))
        .collect();
    let machine = machine.first().map_or(0.0, |m| m.cores);
    format!("{}; machine {machine:.2} of {cores}", groups.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn stat_lines_give_comm_and_cpu_ticks_even_with_spaces_in_comm() {
        let stat = "4242 (tokio-rt worker) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 100 0 0";
        assert_eq!(parse_stat(stat), Some(("tokio-rt worker".to_owned(), 300)));
    }

    #[test]
    fn processes_are_grouped_by_what_they_are() {
        let release = Path::new("/x/target/release/inventory-service");
        let debug = Path::new("/x/target/debug/inventory-service");
        assert_eq!(
            group_of(1, "inventory-servi", Some(release), None),
            "inventory"
        );
        assert_eq!(group_of(1, "inventory-servi", Some(debug), None), "other");
        assert_eq!(group_of(7, "python3", None, Some(7)), "moto");
        assert_eq!(
            group_of(
                2,
                "postgres",
                Some(Path::new("/usr/lib/postgresql/15/bin/postgres")),
                None
            ),
            "postgres"
        );
        assert_eq!(
            group_of(
                3,
                "storefront-benc",
                Some(Path::new("/x/target/release/storefront-bench")),
                None
            ),
            "load generator"
        );
    }

    #[test]
    fn the_machine_line_counts_busy_time_only() {
        let stat = "cpu  100 5 50 1000 20 1 2 3 0 0\ncpu0 1 2 3 4\n";
        assert_eq!(machine_busy(stat), Some(161));
    }
}
