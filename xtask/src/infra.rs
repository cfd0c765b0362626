//! Offline checks of the Terraform under `infra/` (there is no terraform
//! binary here): checkov with zero failed checks, and the structural test
//! `infra/tests/check_structure.py` (module wiring, references, the ALB path
//! table, queues, DLQs and alarms from `infra/messaging.yaml`).
//!
//! Each tool gets its own git-ignored venv: checkov depends on a fork of
//! python-hcl2 that installs a module of the same name (`hcl2`).

use std::process::Command;

use crate::local::{repo_root, run_status};
use crate::venv;

// Pinned, so a new release's new checks (or a new parse-tree format) cannot
// fail a run that changed nothing.
const CHECKOV_VENV: &str = ".venv-checkov";
const CHECKOV: &str = "checkov==3.3.30";
const HCL2_VENV: &str = ".venv-hcl2";
const HCL2: [&str; 2] = ["python-hcl2==8.1.4", "PyYAML==6.0.3"];

/// Runs both checks (the second even when the first fails); true when both pass.
pub fn run() -> anyhow::Result<bool> {
    let checkov = venv::ensure_tool_in(CHECKOV_VENV, "checkov", &[CHECKOV])?;
    // python-hcl2 installs `hcl2tojson`: its presence means the install completed.
    venv::ensure_tool_in(HCL2_VENV, "hcl2tojson", &HCL2)?;
    let root = repo_root();

    println!("checkov over infra/ ...");
    let checkov_clean = run_status(
        Command::new(checkov)
            .current_dir(&root)
            .args(["--directory", "infra", "--framework", "terraform"])
            .args(["--quiet", "--compact", "--skip-download"])
            // No external modules, no policy or guideline downloads, no version
            // check: it runs offline and never waits on the network.
            .args(["--download-external-modules", "false"])
            .env("BC_SKIP_MAPPING", "TRUE")
            .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true"),
    )?;

    println!("infra structural checks ...");
    let structure_clean = run_status(
        Command::new(root.join(HCL2_VENV).join("bin").join("python"))
            .current_dir(&root)
            .arg("infra/tests/check_structure.py"),
    )?;

    Ok(checkov_clean && structure_clean)
}
