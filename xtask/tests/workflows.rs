//! The GitHub Actions workflows keep up with the workspace: every service crate
//! has a pipeline that runs when it or the shared code changes, and every
//! workflow keeps to the rules for permissions, deploys and action versions.
//! The names the pipelines use (workflow, crate, ECR repository, ECS service
//! and container, task definition family, Lambda) come from the service
//! manifest `infra/services.yaml`, which Terraform reads too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::Value;

const REUSABLE_SERVICE_WORKFLOW: &str = "./.github/workflows/service.yml";

/// `infra/services.yaml`, the fields the pipelines use.
#[derive(Deserialize)]
struct Manifest {
    services: Vec<ManifestService>,
}

#[derive(Deserialize)]
struct ManifestService {
    name: String,
    #[serde(rename = "crate")]
    krate: String,
    queue_consumer: Option<String>,
}

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
    env: BTreeMap<String, Value>,
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

    /// The inputs this workflow passes to the reusable service workflow, if it calls it.
    fn service_inputs(&self) -> Option<&BTreeMap<String, Value>> {
        self.jobs
            .values()
            .find(|job| job.uses.as_deref() == Some(REUSABLE_SERVICE_WORKFLOW))
            .map(|job| &job.with)
    }

    /// One input (`name`, `crate`, `lambda`) passed to the reusable service workflow.
    fn service_input(&self, input: &str) -> Option<&str> {
        self.service_inputs()?.get(input).and_then(Value::as_str)
    }

    /// The `crate` this workflow passes to the reusable service workflow, if it calls it.
    fn service(&self) -> Option<&str> {
        self.service_input("crate")
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

fn manifest() -> Manifest {
    let path = repo_root().join("infra/services.yaml");
    let text = std::fs::read_to_string(&path).expect("reading infra/services.yaml");
    serde_yaml::from_str(&text).expect("infra/services.yaml has `services` with name and crate")
}

/// The crates a package depends on by `path = "../<crate>"` (its tests start
/// them, or its code uses them), read from its Cargo.toml.
fn path_dependencies(krate: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo_root().join(krate).join("Cargo.toml"))
        .unwrap_or_else(|e| panic!("reading {krate}/Cargo.toml: {e}"));
    text.lines()
        .filter_map(|line| line.split_once("path = \"../"))
        .filter_map(|(_, rest)| rest.split_once('"'))
        .map(|(dependency, _)| dependency.to_owned())
        .collect()
}

/// A step's `key` as text (`run`, `uses`, `if`, `name`), empty when it has none.
fn step_str<'a>(step: &'a Value, key: &str) -> &'a str {
    step.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A step's `with.<key>` or `env.<key>`, as text.
fn step_setting<'a>(step: &'a Value, table: &str, key: &str) -> Option<&'a str> {
    step.get(table)?.get(key)?.as_str()
}

/// The steps of one job of service.yml that use an action (`name@version`).
fn steps_using<'a>(job: &'a Job, action: &str) -> Vec<&'a Value> {
    job.steps
        .iter()
        .filter(|step| step_str(step, "uses").split('@').next() == Some(action))
        .collect()
}

/// Both deploy jobs of service.yml, by id.
fn deploy_jobs(service: &Workflow) -> [(&'static str, &Job); 2] {
    [
        ("deploy-dev", service.job("deploy-dev")),
        ("deploy-production", service.job("deploy-production")),
    ]
}

/// `1.12.2` as numbers.
fn version_numbers(version: &str) -> Vec<u64> {
    version
        .split('.')
        .map(|part| {
            part.trim()
                .parse()
                .unwrap_or_else(|_| panic!("`{version}` is not a version"))
        })
        .collect()
}

/// Whether `version` meets a Terraform version constraint such as `>= 1.10`
/// or `>= 1.10, < 2.0` (operators `>=`, `>`, `<=`, `<`, `=`, `!=`, `~>`).
fn satisfies(version: &str, constraint: &str) -> bool {
    let pad = |mut numbers: Vec<u64>| {
        numbers.resize(3, 0);
        numbers
    };
    let have = pad(version_numbers(version));
    constraint.split(',').all(|part| {
        let part = part.trim();
        let operator_len = part
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or_else(|| panic!("`{constraint}` has no version"));
        let (operator, wanted) = part.split_at(operator_len);
        let want = pad(version_numbers(wanted));
        match operator.trim() {
            ">=" => have >= want,
            ">" => have > want,
            "<=" => have <= want,
            "<" => have < want,
            "" | "=" => have == want,
            "!=" => have != want,
            "~>" => {
                // Only the rightmost given number may grow: ~> 1.10 means >= 1.10, < 2.0.
                let mut upper = version_numbers(wanted);
                if upper.len() > 1 {
                    upper.pop();
                    *upper.last_mut().expect("two numbers or more") += 1;
                    have >= want && have < pad(upper)
                } else {
                    have >= want
                }
            }
            other => panic!("`{constraint}`: unknown operator `{other}`"),
        }
    })
}

/// Every `required_version` under infra/, with the file it is in.
fn required_versions() -> Vec<(String, String)> {
    fn walk(dir: &Path, found: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("listing infra/") {
            let path = entry.expect("listing infra/").path();
            let hidden = path
                .file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "tf") {
                let text = std::fs::read_to_string(&path).expect("reading a .tf file");
                for line in text.lines() {
                    let Some((key, value)) = line.split_once('=') else {
                        continue;
                    };
                    if key.trim() == "required_version" {
                        let constraint = value.trim().trim_matches('"').to_owned();
                        found.push((path.display().to_string(), constraint));
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(&repo_root().join("infra"), &mut found);
    found
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
            "{service}: expected one workflow calling {REUSABLE_SERVICE_WORKFLOW} with `crate: {service}`, found {}",
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
                "{file} passes `crate: {service}`"
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

#[test]
fn each_service_workflow_passes_the_name_and_crate_of_infra_services_yaml() {
    let workflows = workflows();
    let manifest = manifest();
    assert!(
        !manifest.services.is_empty(),
        "infra/services.yaml lists no service"
    );

    for service in &manifest.services {
        let file = format!("{}.yml", service.krate);
        let workflow = workflows.get(&file).unwrap_or_else(|| {
            panic!(
                "{}: infra/services.yaml lists it, but .github/workflows/{file} is missing",
                service.krate
            )
        });
        assert_eq!(
            workflow.service_input("crate"),
            Some(service.krate.as_str()),
            "{file}: `crate` passed to service.yml differs from infra/services.yaml"
        );
        assert_eq!(
            workflow.service_input("name"),
            Some(service.name.as_str()),
            "{file}: `name` passed to service.yml differs from infra/services.yaml \
             (the ECR repository, ECS service and container are named after it)"
        );
    }
    for (file, workflow) in &workflows {
        if let Some(krate) = workflow.service() {
            assert!(
                manifest.services.iter().any(|s| s.krate == krate),
                "{file} deploys `{krate}`, which infra/services.yaml does not list"
            );
        }
    }
    for krate in service_crates() {
        assert!(
            manifest.services.iter().any(|s| s.krate == krate),
            "{krate} is a workspace member that infra/services.yaml does not list"
        );
    }
}

#[test]
fn every_service_workflow_runs_when_the_manifests_or_the_crates_its_tests_start_change() {
    let workflows = workflows();

    for service in manifest().services {
        let file = format!("{}.yml", service.krate);
        let Some(workflow) = workflows.get(&file) else {
            panic!("no .github/workflows/{file}");
        };
        // order-service's tests start the other four services: they are its
        // dev-dependencies, so a change to any of them can break its tests.
        let mut required = vec![
            "infra/services.yaml".to_owned(),
            "infra/messaging.yaml".to_owned(),
        ];
        required.extend(
            path_dependencies(&service.krate)
                .into_iter()
                .filter(|dependency| dependency != "platform")
                .map(|dependency| format!("{dependency}/**")),
        );
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
fn the_deploys_name_the_repository_service_and_container_after_the_manifest_name() {
    let workflows = workflows();
    let service = &workflows["service.yml"];

    for (id, job) in deploy_jobs(service) {
        let naming = job
            .steps
            .iter()
            .find(|step| step_str(step, "name") == "Name the image")
            .unwrap_or_else(|| panic!("service.yml {id}: no `Name the image` step"));
        assert_eq!(
            step_setting(naming, "env", "PREFIX"),
            Some("${{ vars.ECR_REPOSITORY_PREFIX }}"),
            "service.yml {id}: the repository prefix must be the ECR_REPOSITORY_PREFIX variable"
        );
        assert!(
            step_str(naming, "run").contains("$PREFIX/$NAME:$GITHUB_SHA"),
            "service.yml {id}: images must go to <ECR_REPOSITORY_PREFIX>/<name>:<commit>"
        );
        assert_eq!(
            job.env.get("NAME").and_then(Value::as_str),
            Some("${{ inputs.name }}"),
            "service.yml {id}: NAME must be the manifest name passed in"
        );
        for step in steps_using(job, "docker/build-push-action") {
            assert_eq!(
                step_setting(step, "with", "build-args"),
                Some("SERVICE=${{ inputs.crate }}"),
                "service.yml {id}: the image is built from the manifest's crate"
            );
        }
        let render = steps_using(job, "aws-actions/amazon-ecs-render-task-definition");
        assert_eq!(render.len(), 1, "service.yml {id}: one render step");
        assert_eq!(
            step_setting(render[0], "with", "container-name"),
            Some("${{ inputs.name }}"),
            "service.yml {id}: the container is named after the manifest name"
        );
        let deploy = steps_using(job, "aws-actions/amazon-ecs-deploy-task-definition");
        assert_eq!(deploy.len(), 1, "service.yml {id}: one deploy step");
        assert_eq!(
            step_setting(deploy[0], "with", "service"),
            Some("${{ inputs.name }}"),
            "service.yml {id}: the ECS service is named after the manifest name"
        );
        assert_eq!(
            step_setting(deploy[0], "with", "cluster"),
            Some("${{ vars.ECS_CLUSTER }}"),
            "service.yml {id}: the ECS cluster is the ECS_CLUSTER variable"
        );
    }
}

#[test]
fn the_deploys_start_from_the_latest_revision_of_the_task_definition_family() {
    let workflows = workflows();
    let service = &workflows["service.yml"];

    for (id, job) in deploy_jobs(service) {
        for step in &job.steps {
            assert!(
                !step_str(step, "run").contains("describe-services"),
                "service.yml {id}: the task definition must not be copied from what runs now \
                 (describe-services): Terraform's settings would never reach the tasks"
            );
        }
        let fetch = job
            .steps
            .iter()
            .find(|step| step_str(step, "run").contains("aws ecs describe-task-definition"))
            .unwrap_or_else(|| panic!("service.yml {id}: no step fetches the task definition"));
        assert!(
            step_str(fetch, "run").contains("--task-definition \"$FAMILY\""),
            "service.yml {id}: describe the family (its latest revision), not a revision"
        );
        assert_eq!(
            step_setting(fetch, "env", "FAMILY"),
            Some("${{ vars.ECS_CLUSTER }}-${{ inputs.name }}"),
            "service.yml {id}: the family is Terraform's <cluster>-<name>"
        );
    }
}

#[test]
fn images_are_built_with_provenance_and_sbom_off_so_lambda_accepts_them() {
    let workflows = workflows();
    let builds: Vec<_> = workflows
        .iter()
        .flat_map(|(file, workflow)| {
            workflow.jobs.iter().flat_map(move |(id, job)| {
                steps_using(job, "docker/build-push-action")
                    .into_iter()
                    .map(move |step| (format!("{file}, job {id}"), step))
            })
        })
        .collect();
    assert!(!builds.is_empty(), "no docker/build-push-action step found");

    for (place, step) in builds {
        let with = step.get("with");
        for key in ["provenance", "sbom"] {
            assert_eq!(
                with.and_then(|w| w.get(key)).and_then(Value::as_bool),
                Some(false),
                "{place}: build-push-action needs `{key}: false` (Lambda rejects image indexes)"
            );
        }
        let platforms = with
            .and_then(|w| w.get("platforms"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        assert!(
            !platforms.is_empty() && !platforms.contains(','),
            "{place}: build one platform (got `{platforms}`)"
        );
    }
}

#[test]
fn the_workflow_of_a_lambda_consumer_also_deploys_its_lambda() {
    let workflows = workflows();
    let manifest = manifest();
    let service = &workflows["service.yml"];

    for entry in &manifest.services {
        let file = format!("{}.yml", entry.krate);
        let lambda = workflows.get(&file).and_then(|w| w.service_input("lambda"));
        if entry.queue_consumer.as_deref() == Some("lambda") {
            assert_eq!(
                lambda,
                Some(format!("{}-emailer", entry.name).as_str()),
                "{file}: its queue is consumed by the Lambda `<ECS_CLUSTER>-{}-emailer` \
                 (Terraform's name); pass `lambda: {}-emailer`",
                entry.name,
                entry.name
            );
        } else {
            assert_eq!(lambda, None, "{file}: deploys no Lambda");
        }
    }
    for (id, job) in deploy_jobs(service) {
        let step = job
            .steps
            .iter()
            .find(|step| step_str(step, "run").contains("aws lambda update-function-code"))
            .unwrap_or_else(|| panic!("service.yml {id}: no step updates the Lambda"));
        let run = step_str(step, "run");
        assert!(
            step_str(step, "if").contains("inputs.lambda"),
            "service.yml {id}: the Lambda step runs only when `lambda` is given"
        );
        assert!(
            run.contains("--image-uri \"$IMAGE\"")
                && run.contains("aws lambda wait function-updated"),
            "service.yml {id}: update the function's image, then wait for the update"
        );
        assert_eq!(
            step_setting(step, "env", "FUNCTION"),
            Some("${{ vars.ECS_CLUSTER }}-${{ inputs.lambda }}"),
            "service.yml {id}: the function is Terraform's <cluster>-<lambda>"
        );
        assert_eq!(
            step_setting(step, "env", "IMAGE"),
            Some("${{ steps.image.outputs.ref }}"),
            "service.yml {id}: the Lambda gets the image just deployed"
        );
    }
}

#[test]
fn the_terraform_version_pinned_in_infra_yml_satisfies_every_required_version() {
    let text = std::fs::read_to_string(repo_root().join(".github/workflows/infra.yml"))
        .expect("reading infra.yml");
    let workflow: Value = serde_yaml::from_str(&text).expect("infra.yml is YAML");
    let version = workflow
        .get("env")
        .and_then(|env| env.get("TF_VERSION"))
        .and_then(Value::as_str)
        .expect("infra.yml sets env.TF_VERSION as a string");
    let constraints = required_versions();
    assert!(!constraints.is_empty(), "no required_version under infra/");

    for (file, constraint) in constraints {
        assert!(
            satisfies(version, &constraint),
            "infra.yml pins Terraform {version}, but {file} requires {constraint}"
        );
    }
}

#[test]
fn terraform_version_constraints_are_read_as_terraform_reads_them() {
    assert!(satisfies("1.12.2", ">= 1.10"));
    assert!(!satisfies("1.9.8", ">= 1.10"));
    assert!(satisfies("1.12.2", ">= 1.10, < 2.0"));
    assert!(satisfies("1.12.2", "~> 1.10"));
    assert!(!satisfies("2.0.0", "~> 1.10"));
    assert!(satisfies("1.10.7", "~> 1.10.3"));
    assert!(!satisfies("1.11.0", "~> 1.10.3"));
    assert!(satisfies("1.10.0", "1.10"));
}

#[test]
fn rust_cache_is_a_release_that_works_with_the_current_cache_service() {
    for (place, uses) in step_actions(&workflows()) {
        let Some(version) = uses.strip_prefix("Swatinem/rust-cache@v") else {
            continue;
        };
        // Releases before 2.8 talk to the retired cache service (no cache at all).
        let numbers = version_numbers(version);
        assert!(
            numbers.as_slice() >= [2, 8, 0].as_slice(),
            "{place}: `{uses}` predates the current cache service; use v2.8.0 or later"
        );
    }
}
