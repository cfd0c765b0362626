//! Where things are on a developer machine and the local defaults every command shares.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";
pub const AWS_REGION: &str = "us-east-1";

/// The workspace root: xtask lives one level below it.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// Cargo's target directory, honouring `CARGO_TARGET_DIR` the way cargo does
/// (a relative value is relative to where the command was started).
pub fn target_dir() -> anyhow::Result<PathBuf> {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => Ok(std::env::current_dir()
            .context("reading the current directory")?
            .join(dir)),
        _ => Ok(repo_root().join("target")),
    }
}

/// The admin (maintenance) Postgres URL and the Redis URL, from the environment or the defaults.
pub struct Backends {
    pub database_url: String,
    pub redis_url: String,
}

impl Backends {
    pub fn from_env() -> Self {
        let var = |name, default: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        Self {
            database_url: var("DATABASE_URL", DEFAULT_DATABASE_URL),
            redis_url: var("REDIS_URL", DEFAULT_REDIS_URL),
        }
    }
}

/// The variables that point an AWS SDK at the emulator. The credentials are
/// dummies: moto accepts anything, and real ones must never reach it.
pub fn aws_env(endpoint_url: &str) -> [(&'static str, String); 4] {
    [
        ("AWS_ENDPOINT_URL", endpoint_url.to_owned()),
        ("AWS_REGION", AWS_REGION.to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
    ]
}

/// A `cargo` command run from the repo root with the toolchain that runs xtask.
pub fn cargo() -> anyhow::Result<Command> {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(repo_root())
        // sqlx macros go online whenever DATABASE_URL is set, and ours points at
        // the admin database, which has no service tables.
        .env("SQLX_OFFLINE", "true");
    if std::env::var_os("CARGO_TARGET_DIR").is_some() {
        // Made absolute, since the command runs from the repo root.
        cmd.env("CARGO_TARGET_DIR", target_dir()?);
    }
    Ok(cmd)
}

/// Runs `cmd` with inherited stdio; true when it exited with success.
pub fn run_status(cmd: &mut Command) -> anyhow::Result<bool> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let status = cmd
        .status()
        .with_context(|| format!("starting `{program}`"))?;
    Ok(status.success())
}
