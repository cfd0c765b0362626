//! infra/services.yaml against the code and every deployment shape: each
//! service's `Settings::from_env` reads exactly the names the manifest lists
//! for it, and `cargo xtask dev`, docker/compose.yaml and the AWS task
//! definitions (built by Terraform from the same lists; their wiring is
//! checked by infra/tests/check_structure.py) give each service everything it
//! needs and nothing it never reads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use platform::messaging::Provisioned;
use serde_yaml::Value;
use xtask::{
    local::Backends,
    manifest::{Manifest, ServiceEntry, Shape},
    services::ServiceEnv,
};

type Environment = BTreeMap<String, String>;

/// `Settings::from_env` of the service named `name`, as `main` calls it.
fn read_settings(name: &str) -> anyhow::Result<()> {
    match name {
        "registration" => registration_service::config::Settings::from_env().map(drop),
        "campaign" => campaign_service::config::Settings::from_env().map(drop),
        "catalog" => catalog_service::config::Settings::from_env().map(drop),
        "order" => order_service::config::Settings::from_env().map(drop),
        "inventory" => inventory_service::config::Settings::from_env().map(drop),
        "web" => <web_service::config::Settings as platform::service::ServiceSettings>::from_env()
            .map(drop),
        other => panic!("no Settings known for the service {other}; add it here"),
    }
}

/// Reads the settings of `service` from exactly `environment`.
fn read_from(
    service: &ServiceEntry,
    environment: &Environment,
) -> (anyhow::Result<()>, BTreeSet<String>) {
    platform::config::reads_of(environment, || read_settings(&service.name))
}

fn manifest() -> Manifest {
    Manifest::load().expect("infra/services.yaml")
}

/// Fails naming `service`, `shape` and every name that is wrong.
fn assert_gives_what_is_read(
    manifest: &Manifest,
    service: &ServiceEntry,
    shape: &str,
    environment: &Environment,
) {
    let given: BTreeSet<String> = environment.keys().cloned().collect();
    let read = manifest.read(service);
    let runtime = manifest.runtime();
    let required = manifest.required(service);
    let missing: Vec<&String> = required.difference(&given).collect();
    let unread: Vec<&String> = given
        .iter()
        .filter(|n| !read.contains(*n) && !runtime.contains(*n))
        .collect();
    assert!(
        missing.is_empty(),
        "{shape} does not give {} {missing:?}, which infra/services.yaml says every deployment sets",
        service.name
    );
    assert!(
        unread.is_empty(),
        "{shape} gives {} {unread:?}, which it never reads",
        service.name
    );
    let (settings, _) = read_from(service, environment);
    if let Err(err) = settings {
        panic!(
            "{} cannot start with what {shape} gives it: {err:#}",
            service.name
        );
    }
}

/// What `cargo xtask dev` gives every service (moto's addresses are made up:
/// nothing is called).
fn dev_environment(service: &ServiceEntry) -> Environment {
    let backends = Backends {
        database_url: "postgres://postgres@127.0.0.1:5432/postgres".to_owned(),
        redis_url: "redis://127.0.0.1:6379".to_owned(),
    };
    let provisioned = Provisioned {
        topics: ["registration", "catalog", "inventory", "order"]
            .map(|s| {
                (
                    s.to_owned(),
                    format!("arn:aws:sns:us-east-1:123456789012:local-{s}-events"),
                )
            })
            .into(),
        queues: ["campaign", "inventory"]
            .map(|s| {
                (
                    s.to_owned(),
                    format!("http://127.0.0.1:4566/123456789012/local-{s}-events"),
                )
            })
            .into(),
        dead_letter_queues: BTreeMap::new(),
    };
    let signing_keys = platform::auth::keys::generate_signing_keys_json("local-test-1");
    let env = ServiceEnv {
        backends: &backends,
        moto_url: "http://127.0.0.1:4566",
        provisioned: &provisioned,
        signing_keys: &signing_keys,
        order_secret_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
    };
    let mut environment = env
        .environment(service, &|s| s.port)
        .expect("a local value for every listed setting");
    environment
        .extend(xtask::local::aws_env("http://127.0.0.1:4566").map(|(k, v)| (k.to_owned(), v)));
    environment
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// The environment docker/compose.yaml gives `service` (merge keys resolved,
/// `$$` read as `$`, `${VAR:-default}` as its default).
fn compose_environment(service: &str) -> Environment {
    let text = std::fs::read_to_string(repo_root().join("docker/compose.yaml")).unwrap();
    let mut compose: Value = serde_yaml::from_str(&text).unwrap();
    compose.apply_merge().unwrap();
    let scalar = |v: &Value| match v {
        Value::String(s) => s.replace("$$", "$"),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    };
    compose["services"][service]["environment"]
        .as_mapping()
        .unwrap_or_else(|| panic!("compose has no environment for {service}"))
        .iter()
        .map(|(k, v)| (scalar(k), scalar(v)))
        .collect()
}

#[test]
fn each_service_reads_exactly_the_settings_infra_services_yaml_lists_for_it() {
    let manifest = manifest();
    for service in &manifest.services {
        let (settings, read) = read_from(service, &dev_environment(service));
        settings.unwrap_or_else(|e| panic!("{}: {e:#}", service.name));
        let listed = manifest.read(service);
        let unlisted: Vec<&String> = read.difference(&listed).collect();
        let never_read: Vec<&String> = listed.difference(&read).collect();
        assert!(
            unlisted.is_empty(),
            "{} reads {unlisted:?}, which infra/services.yaml does not list",
            service.name
        );
        assert!(
            never_read.is_empty(),
            "infra/services.yaml lists {never_read:?} for {}, which it never reads",
            service.name
        );
    }
}

#[test]
fn cargo_xtask_dev_gives_each_service_everything_it_needs_and_nothing_it_never_reads() {
    let manifest = manifest();
    for service in &manifest.services {
        assert_gives_what_is_read(
            &manifest,
            service,
            "cargo xtask dev",
            &dev_environment(service),
        );
    }
}

#[test]
fn compose_gives_each_service_everything_it_needs_and_nothing_it_never_reads() {
    let manifest = manifest();
    for service in &manifest.services {
        let environment = compose_environment(&service.name);
        assert_gives_what_is_read(&manifest, service, "docker/compose.yaml", &environment);
    }
}

/// Values of the kind Terraform writes (infra/modules/storefront): internal
/// Service Connect addresses, TLS URLs, JSON logs behind one proxy hop.
fn aws_value(service: &ServiceEntry, name: &str, manifest: &Manifest) -> String {
    let internal = |n: &str| {
        let s = manifest.service(n).unwrap();
        format!("http://{}:{}", s.name, s.port)
    };
    match name {
        "PORT" => service.port.to_string(),
        "DATABASE_URL" => format!(
            "postgres://{0}_service:secret@db.internal:5432/{1}?sslmode=verify-full&sslrootcert=/etc/ssl/certs/rds-global-bundle.pem",
            service.name,
            service.database.as_deref().unwrap_or_default()
        ),
        "REDIS_URL" => format!("rediss://{}:secret@cache.internal:6379", service.name),
        "REDIS_KEY_PREFIX" => service.name.clone(),
        "AWS_REGION" => "eu-west-1".to_owned(),
        "JWT_ISSUER" | "PUBLIC_BASE_URL" => "https://shop.example.com".to_owned(),
        "JWT_AUDIENCE" => "storefront".to_owned(),
        "LOG_FORMAT" => "json".to_owned(),
        "TRUSTED_PROXY_HOPS" => "1".to_owned(),
        "CONSUMER_ENABLED" => "false".to_owned(),
        "SECURE_COOKIES" => "true".to_owned(),
        "SHOP_CURRENCY" => "USD".to_owned(),
        "JWKS_URL" => format!("{}/.well-known/jwks.json", internal("registration")),
        "EVENTS_TOPIC_ARN" => format!("arn:aws:sns:eu-west-1:111111111111:dev-{}-events", service.name),
        "EVENTS_QUEUE_URL" => format!("https://sqs.eu-west-1.amazonaws.com/111111111111/dev-{}-events", service.name),
        "EMAIL_SENDER" => "noreply@shop.example.com".to_owned(),
        "ADMIN_ALERT_EMAIL" | "ADMIN_EMAIL" => "ops@shop.example.com".to_owned(),
        "UNSUBSCRIBE_SECRET" | "SERVICE_CLIENT_SECRET" | "ADMIN_PASSWORD" => "a-long-generated-secret".to_owned(),
        "SERVICE_CLIENT_ID" => format!("{}-service", service.name),
        "SERVICE_CLIENTS" => "[]".to_owned(),
        "JWT_SIGNING_KEYS" => platform::auth::keys::generate_signing_keys_json("prod-1"),
        other => match other.strip_suffix("_URL") {
            Some(callee) if service.calls.iter().any(|c| c.eq_ignore_ascii_case(callee)) => {
                internal(&callee.to_ascii_lowercase())
            }
            _ => panic!("no AWS example value for {other} of {}", service.name),
        },
    }
}

#[test]
fn the_aws_task_definition_names_of_each_service_start_it_and_are_all_read() {
    let manifest = manifest();
    for service in &manifest.services {
        let environment: Environment = manifest
            .given(service, Shape::Aws)
            .into_iter()
            .map(|name| {
                let value = aws_value(service, &name, &manifest);
                (name, value)
            })
            .collect();
        assert_gives_what_is_read(&manifest, service, "the AWS task definition", &environment);
        assert!(
            !environment.contains_key("AWS_ENDPOINT_URL"),
            "{} talks to the real AWS APIs in AWS",
            service.name
        );
    }
}

#[test]
fn a_service_calls_others_only_by_the_url_settings_of_the_services_it_lists() {
    let manifest = manifest();
    for service in &manifest.services {
        for name in manifest.read(service) {
            let Some(callee) = name.strip_suffix("_URL") else {
                continue;
            };
            if [
                "DATABASE",
                "REDIS",
                "JWKS",
                "EVENTS_QUEUE",
                "PUBLIC_BASE",
                "AWS_ENDPOINT",
            ]
            .contains(&callee)
            {
                continue;
            }
            assert!(
                service.calls.iter().any(|c| c.eq_ignore_ascii_case(callee)),
                "{} reads {name} but does not list {} in `calls` (its security group would refuse it)",
                service.name,
                callee.to_ascii_lowercase()
            );
        }
    }
}
