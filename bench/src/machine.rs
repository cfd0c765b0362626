//! The machine and the code a run measured: cores, CPU model, memory, OS,
//! rustc and the git commit.

use std::process::Command;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub memory_gib: f64,
    pub os: String,
    pub kernel: String,
    pub rustc: String,
    /// Short hash, with `-dirty` when the work tree had changes.
    pub commit: String,
}

impl Machine {
    pub fn describe() -> Self {
        Self {
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu: proc_field("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown".to_owned()),
            memory_gib: proc_field("/proc/meminfo", "MemTotal")
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
                .map_or(0.0, |kib| kib / (1024.0 * 1024.0)),
            os: os_release().unwrap_or_else(|| std::env::consts::OS.to_owned()),
            kernel: output("uname", &["-r"]).unwrap_or_default(),
            rustc: output("rustc", &["-V"]).unwrap_or_default(),
            commit: commit().unwrap_or_else(|| "unknown".to_owned()),
        }
    }

    /// One line for the report.
    pub fn line(&self) -> String {
        format!(
            "{} cores, {}, {:.1} GiB, {} (Linux {}), {}",
            self.cores, self.cpu, self.memory_gib, self.os, self.kernel, self.rustc
        )
    }
}

/// The value of the first `key: value` line of a /proc file.
fn proc_field(path: &str, key: &str) -> Option<String> {
    parse_field(&std::fs::read_to_string(path).ok()?, key)
}

fn parse_field(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim().to_owned())
    })
}

fn os_release() -> Option<String> {
    let text = std::fs::read_to_string("/etc/os-release").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_owned())
}

fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn commit() -> Option<String> {
    let hash = output("git", &["rev-parse", "--short", "HEAD"])?;
    let dirty = output("git", &["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{hash}-dirty") } else { hash })
}

#[cfg(test)]
mod tests {
    use super::parse_field;

    #[test]
    fn proc_fields_are_read_by_key() {
        let cpuinfo = "processor\t: 0\nmodel name\t: Some CPU @ 2.0GHz\nflags\t\t: fpu\n";
        assert_eq!(
            parse_field(cpuinfo, "model name").as_deref(),
            Some("Some CPU @ 2.0GHz")
        );
        assert_eq!(parse_field(cpuinfo, "missing"), None);
    }
}
