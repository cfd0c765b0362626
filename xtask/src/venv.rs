//! The git-ignored Python venv (`.venv-tools/`) holding the tools xtask installs with pip,
//! and the separate venvs of tools whose modules would clash there (see `infra`).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};

use crate::local::{repo_root, run_status};

const DIR: &str = ".venv-tools";

/// The venv's `bin/` directory.
pub fn bin_dir() -> PathBuf {
    repo_root().join(DIR).join("bin")
}

/// `PATH` with the venv's `bin/` first, for tools that look up other tools by name.
pub fn path_with_bin_dir() -> anyhow::Result<OsString> {
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::iter::once(bin_dir()).chain(std::env::split_paths(&inherited));
    std::env::join_paths(dirs).context("building PATH with the tools venv")
}

/// The venv's `program`, installing `requirement` (a pip requirement) first when
/// the program is missing, and creating the venv first when it is missing too.
pub fn ensure_tool(program: &str, requirement: &str) -> anyhow::Result<PathBuf> {
    ensure_tool_in(DIR, program, &[requirement])
}

/// Like [`ensure_tool`], in the git-ignored venv `dir` (relative to the repo
/// root), for tools that cannot share `.venv-tools/` (conflicting modules).
pub fn ensure_tool_in(dir: &str, program: &str, requirements: &[&str]) -> anyhow::Result<PathBuf> {
    let bin = repo_root().join(dir).join("bin");
    let path = bin.join(program);
    if path.is_file() {
        return Ok(path);
    }
    let root = repo_root();
    let wanted = requirements.join(" ");
    println!("Installing {wanted} into {dir}/ (first run only)...");
    let pip = bin.join("pip");
    if !pip.is_file() {
        let created = run_status(
            Command::new("python3")
                .current_dir(&root)
                .args(["-m", "venv", dir]),
        )
        .context("running python3; install Python 3")?;
        if !created {
            bail!("`python3 -m venv {dir}` failed; install Python 3 with the venv module (e.g. the python3-venv package)");
        }
    }
    let installed = run_status(
        Command::new(pip)
            .current_dir(&root)
            .args(["install", "--quiet"])
            .args(requirements),
    )?;
    if !installed || !path.is_file() {
        bail!("`{dir}/bin/pip install {wanted}` failed; see the output above");
    }
    Ok(path)
}
