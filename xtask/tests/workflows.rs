//! The GitHub Actions workflows keep up with the workspace: every service crate
//! has a pipeline that runs when it or the shared code changes, and every
//! workflow keeps to the rules for permissions, deploys and action versions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::Value;

const REUSABLE_SERVICE_WORKFLOW: &str = "./.github/workflows/service.yml";

#[derive(Deserialize)]
struct Workflow {
    #[serde(rename = "on")]
    triggers: Value,
    permissions: Option<Value>,
    concurrency: Option<Value>,
    jobs: BTreeMap<String, Job>,
}

#[derive(Deserialize)]
struct Job {
    permissions: Option<Value>,
    concurrency: Option<Value>,
    environment: Option<Value>,
    needs: Option<Value>,
    uses: Option<String>,
    #[serde(default)]
    with: BTreeMap<String, Value>,
    #[serde(default)]
    steps: Vec<Value>,
}

impl Workflow {
    /// The `paths` filter of one trigger (`push`, `pull_request`), empty when it has none.
    fn paths(&self, event: &str) -> Vec<&str> {
        self.triggers
            .get(event)
            .and_then(|trigger| trigger.get("paths"))
            .and_then(Value::as_sequence)
            .map(|paths| paths.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// The `service` this workflow passes to the reusable service workflow, if it calls it.
    fn service(&self) -> Option<&str> {
        self.jobs
            .values()
            .filter(|job| job.uses.as_deref() == Some(REUSABLE_SERVICE_WORKFLOW))
            .find_map(|job| job.with.get("service").and_then(Value::as_str))
    }

    fn job(&self, id: &str) -> &Job {
        self.jobs.get(id).unwrap_or_else(|| panic!("no job `{id}`"))
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// Every workflow file, by file name.
fn workflows() -> BTreeMap<String, Workflow> {
    let dir = repo_root().join(".github/workflows");
    let entries = std::fs::read_dir(&dir).expect("reading .github/workflows/");
    let workflows: BTreeMap<_, _> = entries
        .map(|entry| entry.expect("listing .github/workflows/").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "yml" || ext == "yaml")
        })
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).expect("reading a workflow");
            let workflow = serde_yaml::from_str(&text)
                .unwrap_or_else(|e| panic!("{name} is not a workflow: {e}"));
            (name, workflow)
        })
        .collect();
    assert!(!workflows.is_empty(), "no workflow in .github/workflows/");
    workflows
}

/// The `members` array of the root manifest's `[workspace]` table.
fn workspace_members() -> Vec<String> {
    let manifest =
        std::fs::read_to_string(repo_root().join("Cargo.toml")).expect("reading Cargo.toml");
    members_of(&manifest)
}

/// Reads `members = [...]` (one or several lines, `#` comments allowed) from
/// the `[workspace]` table of a manifest.
fn members_of(manifest: &str) -> Vec<String> {
    let workspace = manifest
        .split("\n[")
        .find(|table| table.trim_start_matches('[').starts_with("workspace]"))
        .expect("the manifest has a [workspace] table");
    let after_key = workspace
        .lines()
        .skip_while(|line| {
            let line = line.trim_start();
            !(line.starts_with("members") && line["members".len()..].trim_start().starts_with('='))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let array = after_key
        .split_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(array, _)| array)
        .expect("[workspace] has `members = [...]`");
    array
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .flat_map(|line| line.split(','))
        .map(|member| member.trim().trim_matches('"').to_owned())
        .filter(|member| !member.is_empty())
        .collect()
}

fn service_crates() -> Vec<String> {
    workspace_members()
        .into_iter()
        .filter(|member| member.ends_with("-service"))
        .collect()
}

/// Every `uses:` of a step, with the workflow and job it is in.
fn step_actions(workflows: &BTreeMap<String, Workflow>) -> Vec<(String, String)> {
    workflows
        .iter()
        .flat_map(|(file, workflow)| {
            workflow.jobs.iter().flat_map(move |(job_id, job)| {
                job.steps.iter().filter_map(move |step| {
                    let uses = step.get("uses")?.as_str()?;
                    Some((format!("{file}, job {job_id}"), uses.to_owned()))
                })
            })
        })
        .collect()
}

/// `v` and three dot-separated numbers, e.g. `v4.2.2`.
fn is_full_release_version(version: &str) -> bool {
    let Some(numbers) = version.strip_prefix('v') else {
        return false;
    };
    let parts: Vec<_> = numbers.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
fn the_workspace_members_are_read_from_the_root_manifest() {
    let members = workspace_members();

    for expected in ["platform", "registration-service", "xtask"] {
        assert!(
            members.iter().any(|m| m == expected),
            "{expected} missing from the members read: {members:?}"
        );
    }
}

#[test]
fn workspace_members_are_read_from_a_multi_line_array_with_comments() {
    let manifest = r#"
[package]
name = "not-a-member"

[workspace]
resolver = "2"
members = [
    "platform", # shared plumbing
    "order-service",
]
default-members = ["platform"]

[workspace.dependencies]
members = ["not-this-either"]
"#;

    assert_eq!(members_of(manifest), ["platform", "order-service"]);
}

#[test]
fn every_service_crate_has_a_workflow_whose_path_filter_covers_its_directory_and_platform() {
    let workflows = workflows();
    let crates = service_crates();
    assert!(!crates.is_empty(), "no `-service` member in Cargo.toml");

    for service in &crates {
        let callers: Vec<_> = workflows
            .iter()
            .filter(|(_, workflow)| workflow.service() == Some(service.as_str()))
            .collect();
        assert_eq!(
            callers.len(),
            1,
            "{service}: expected one workflow calling {REUSABLE_SERVICE_WORKFLOW} with `service: {service}`, found {}",
            callers.len()
        );
        let (file, workflow) = callers[0];
        let required = [
            format!("{service}/**"),
            "platform/**".to_owned(),
            "Cargo.toml".to_owned(),
            "Cargo.lock".to_owned(),
            "docker/**".to_owned(),
            format!(".github/workflows/{file}"),
            ".github/workflows/service.yml".to_owned(),
        ];
        for event in ["push", "pull_request"] {
            let paths = workflow.paths(event);
            let missing: Vec<_> = required
                .iter()
                .filter(|path| !paths.contains(&path.as_str()))
                .collect();
            assert!(
                missing.is_empty(),
                "{file}: on.{event}.paths lacks {missing:?} (has {paths:?})"
            );
        }
    }
}

#[test]
fn each_service_workflow_is_named_after_the_service_it_deploys() {
    for (file, workflow) in workflows() {
        if let Some(service) = workflow.service() {
            assert_eq!(
                file,
                format!("{service}.yml"),
                "{file} passes `service: {service}`"
            );
        }
    }
}

#[test]
fn every_job_declares_its_permissions_or_the_workflow_does() {
    for (file, workflow) in workflows() {
        if workflow.permissions.is_some() {
            continue;
        }
        for (job_id, job) in &workflow.jobs {
            assert!(
                job.permissions.is_some(),
                "{file}: job {job_id} has no `permissions` and neither has the workflow"
            );
        }
    }
}

#[test]
fn no_deploy_or_apply_can_be_cancelled_by_a_newer_run() {
    let cancels = |concurrency: &Value| {
        concurrency
            .get("cancel-in-progress")
            .and_then(Value::as_bool)
            == Some(true)
    };
    for (file, workflow) in workflows() {
        let has_rollouts = workflow
            .jobs
            .keys()
            .any(|id| id.starts_with("deploy") || id.starts_with("apply"));
        if has_rollouts {
            assert!(
                !workflow.concurrency.as_ref().is_some_and(cancels),
                "{file}: a workflow-level cancel-in-progress would cancel its deploys"
            );
        }
        for (job_id, job) in &workflow.jobs {
            if job_id.starts_with("deploy") || job_id.starts_with("apply") {
                let concurrency = job.concurrency.as_ref().unwrap_or_else(|| {
                    panic!("{file}: job {job_id} needs a concurrency group so rollouts queue")
                });
                assert!(
                    !cancels(concurrency),
                    "{file}: job {job_id} must not cancel a rollout in progress"
                );
            }
        }
    }
}

#[test]
fn the_dev_and_production_deploys_run_the_same_steps() {
    let workflows = workflows();
    let service = &workflows["service.yml"];

    assert_eq!(
        service.job("deploy-dev").steps,
        service.job("deploy-production").steps,
        "service.yml: deploy-dev and deploy-production differ; change both alike"
    );
}

#[test]
fn production_rollouts_follow_dev_and_wait_for_the_production_environment() {
    let workflows = workflows();
    let cases = [
        ("service.yml", "deploy-production", "deploy-dev"),
        ("infra.yml", "apply-production", "apply-dev"),
    ];

    for (file, production, dev) in cases {
        let job = workflows[file].job(production);
        assert_eq!(
            job.environment.as_ref().and_then(Value::as_str),
            Some("production"),
            "{file}: {production} must run in the `production` environment"
        );
        assert_eq!(
            job.needs.as_ref().and_then(Value::as_str),
            Some(dev),
            "{file}: {production} must wait for {dev}"
        );
    }
}

#[test]
fn every_action_is_pinned_to_a_full_release_version() {
    let actions = step_actions(&workflows());
    assert!(!actions.is_empty(), "no action found in any workflow");

    for (place, uses) in actions {
        if uses.starts_with("./") {
            continue;
        }
        let version = uses.rsplit_once('@').map(|(_, v)| v).unwrap_or_default();
        assert!(
            is_full_release_version(version),
            "{place}: `{uses}` is not pinned to a full release version like @v4.2.2"
        );
    }
}
