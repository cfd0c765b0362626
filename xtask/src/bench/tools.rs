//! The command-line tools the baselines run (`pgbench`, `redis-benchmark`),
//! installed with apt-get when they are missing.

use std::process::Command;

use anyhow::bail;

use crate::local::run_status;

/// Tools the baselines run, and the Debian package of each.
const TOOLS: &[(&str, &str)] = &[
    ("pgbench", "postgresql-client"),
    ("redis-benchmark", "redis-tools"),
];

/// The baseline tools, installed with apt-get when missing and we are root.
pub(super) fn ensure_tools() -> anyhow::Result<()> {
    let missing: Vec<_> = TOOLS.iter().filter(|(tool, _)| !on_path(tool)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let packages: Vec<&str> = missing.iter().map(|(_, package)| *package).collect();
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !is_root {
        bail!(
            "the baselines need {}: apt-get install {}",
            missing
                .iter()
                .map(|(t, _)| *t)
                .collect::<Vec<_>>()
                .join(", "),
            packages.join(" ")
        );
    }
    println!("Installing {} for the baselines...", packages.join(" "));
    let updated = run_status(Command::new("apt-get").args(["update", "-qq"]))?;
    let installed = updated
        && run_status(
            Command::new("apt-get")
                .args(["install", "-y", "-qq"])
                .args(&packages),
        )?;
    if !installed {
        bail!("apt-get install {} failed", packages.join(" "));
    }
    Ok(())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}
