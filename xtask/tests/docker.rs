//! The Docker setup keeps up with the design, read from the files themselves
//! (there is no Docker engine here):
//! - `gateway::` the gateway (docker/gateway.conf) routes exactly the public
//!   path prefixes of infra/services.yaml, each with everything below it, to its service's
//!   port, and answers every other path (each service's /metrics and
//!   /health/*, lookalike prefixes) with the load balancer's 404, as the ALB
//!   rules in infra/ do;
//! - `compose::` docker/compose.yaml gives each service its package, port,
//!   database, topic and queue (the names the bootstrap creates from
//!   infra/messaging.yaml) and local secrets that fit together;
//! - `dockerfile::` the image keeps the contract docs/deploy.md relies on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_yaml::Value;
use xtask::manifest::ServiceEntry;

/// The services of infra/services.yaml (the one list; Terraform builds the
/// load balancer's rules from it, infra/tests/check_structure.py checks that).
fn design() -> &'static [ServiceEntry] {
    xtask::services::services()
}

/// What every service answers on its own port and the ALB does not route.
const PRIVATE_PATHS: &[&str] = &["/metrics", "/health/live", "/health/ready"];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

fn read(relative: &str) -> String {
    let path = repo_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A small reader for the nginx configuration language: directives with
/// arguments, ended by `;` or by a `{ ... }` block.
mod nginx {
    #[derive(Debug)]
    pub struct Directive {
        pub name: String,
        pub args: Vec<String>,
        pub block: Option<Vec<Directive>>,
    }

    fn tokens(text: &str) -> Vec<String> {
        let mut tokens = Vec::new();
        let mut chars = text.chars().peekable();
        let mut word = String::new();
        while let Some(c) = chars.next() {
            match c {
                '#' if word.is_empty() => {
                    for c in chars.by_ref() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                '\'' | '"' if word.is_empty() => {
                    let mut quoted = String::new();
                    while let Some(q) = chars.next() {
                        match q {
                            '\\' => quoted.extend(chars.next()),
                            q if q == c => break,
                            q => quoted.push(q),
                        }
                    }
                    tokens.push(quoted);
                }
                '{' | '}' | ';' => {
                    if !word.is_empty() {
                        tokens.push(std::mem::take(&mut word));
                    }
                    tokens.push(c.to_string());
                }
                c if c.is_whitespace() => {
                    if !word.is_empty() {
                        tokens.push(std::mem::take(&mut word));
                    }
                }
                c => word.push(c),
            }
        }
        assert!(word.is_empty(), "the configuration ends inside `{word}`");
        tokens
    }

    fn block(tokens: &mut std::vec::IntoIter<String>, top: bool) -> Vec<Directive> {
        let mut directives = Vec::new();
        let mut words: Vec<String> = Vec::new();
        while let Some(token) = tokens.next() {
            match token.as_str() {
                ";" | "{" => {
                    assert!(!words.is_empty(), "`{token}` without a directive");
                    let name = words.remove(0);
                    let inner = (token == "{").then(|| block(tokens, false));
                    directives.push(Directive {
                        name,
                        args: std::mem::take(&mut words),
                        block: inner,
                    });
                }
                "}" => {
                    assert!(!top, "unbalanced `}}`");
                    assert!(words.is_empty(), "unterminated directive {words:?}");
                    return directives;
                }
                _ => words.push(token),
            }
        }
        assert!(top, "a `{{` block is never closed");
        assert!(words.is_empty(), "unterminated directive {words:?}");
        directives
    }

    pub fn parse(text: &str) -> Vec<Directive> {
        block(&mut tokens(text).into_iter(), true)
    }

    #[test]
    fn blocks_quotes_and_comments_are_read() {
        let parsed = parse("# c\nupstream a { server b:1 resolve; }\nserver { location = /x { return 404 '{\"a\": 1}'; } }");
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].name, "upstream");
        assert_eq!(parsed[0].args, ["a"]);
        let server = &parsed[0].block.as_ref().unwrap()[0];
        assert_eq!(
            (server.name.as_str(), &server.args[..]),
            ("server", &["b:1".to_owned(), "resolve".to_owned()][..])
        );
        let location = &parsed[1].block.as_ref().unwrap()[0];
        assert_eq!(location.args, ["=", "/x"]);
        let ret = &location.block.as_ref().unwrap()[0];
        assert_eq!(ret.args, ["404", "{\"a\": 1}"]);
    }
}

mod gateway {
    use super::nginx::{self, Directive};
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum Match {
        /// `location = /p`
        Exact,
        /// `location ^~ /p`
        PrefixNoRegex,
        /// `location /p`
        Prefix,
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Action {
        /// Proxied to the upstream's `host:port`.
        Proxy {
            host: String,
            port: u16,
        },
        Return {
            status: u16,
            body: String,
        },
    }

    struct Location {
        kind: Match,
        path: String,
        action: Action,
    }

    pub(super) struct Gateway {
        pub(super) listen: String,
        /// Upstream name → (host, port).
        pub(super) upstreams: BTreeMap<String, (String, u16)>,
        locations: Vec<Location>,
    }

    fn only<'a>(block: &'a [Directive], name: &str) -> Vec<&'a Directive> {
        block.iter().filter(|d| d.name == name).collect()
    }

    impl Gateway {
        pub(super) fn load() -> Self {
            Self::parse(&read("docker/gateway.conf"))
        }

        fn parse(text: &str) -> Self {
            let http = nginx::parse(text);
            let upstreams = only(&http, "upstream")
                .into_iter()
                .map(|upstream| {
                    let block = upstream.block.as_ref().expect("an upstream block");
                    let servers = only(block, "server");
                    assert_eq!(servers.len(), 1, "upstream {:?}: one server", upstream.args);
                    let (host, port) = servers[0].args[0]
                        .rsplit_once(':')
                        .expect("upstream servers are host:port");
                    let port = port.parse().expect("a numeric port");
                    (upstream.args[0].clone(), (host.to_owned(), port))
                })
                .collect::<BTreeMap<_, _>>();
            let servers = only(&http, "server");
            assert_eq!(servers.len(), 1, "one server block");
            let server = servers[0].block.as_ref().unwrap();
            let listens = only(server, "listen");
            assert_eq!(listens.len(), 1, "one listen directive");
            let locations = only(server, "location")
                .into_iter()
                .map(|location| {
                    let (kind, path) = match &location.args[..] {
                        [m, path] if m == "=" => (Match::Exact, path),
                        [m, path] if m == "^~" => (Match::PrefixNoRegex, path),
                        [path] => (Match::Prefix, path),
                        // Regex locations would need nginx's regex semantics
                        // to model; the ALB rules need none.
                        other => panic!("location {other:?} is not an exact or prefix rule"),
                    };
                    let block = location.block.as_ref().expect("a location block");
                    let action = Self::action(block, &upstreams);
                    Location {
                        kind,
                        path: path.clone(),
                        action,
                    }
                })
                .collect();
            Self {
                listen: listens[0].args.join(" "),
                upstreams,
                locations,
            }
        }

        fn action(block: &[Directive], upstreams: &BTreeMap<String, (String, u16)>) -> Action {
            let proxies = only(block, "proxy_pass");
            let returns = only(block, "return");
            match (&proxies[..], &returns[..]) {
                ([proxy], []) => {
                    let name = proxy.args[0]
                        .strip_prefix("http://")
                        .expect("proxy_pass http://<upstream>");
                    let (host, port) = upstreams
                        .get(name)
                        .unwrap_or_else(|| panic!("proxy_pass to unknown upstream {name}"));
                    Action::Proxy {
                        host: host.clone(),
                        port: *port,
                    }
                }
                ([], [ret]) => Action::Return {
                    status: ret.args[0].parse().expect("a status"),
                    body: ret.args.get(1).cloned().unwrap_or_default(),
                },
                _ => panic!("each location either proxies or returns"),
            }
        }

        /// nginx's choice for a (normalised) request path: an exact match,
        /// else the longest matching prefix (no regex locations exist).
        fn route(&self, path: &str) -> &Action {
            if let Some(exact) = self
                .locations
                .iter()
                .find(|l| l.kind == Match::Exact && l.path == path)
            {
                return &exact.action;
            }
            self.locations
                .iter()
                .filter(|l| l.kind != Match::Exact && path.starts_with(&l.path))
                .max_by_key(|l| l.path.len())
                .map(|l| &l.action)
                .unwrap_or_else(|| panic!("no location matches {path}"))
        }
    }

    fn assert_not_found(gateway: &Gateway, path: &str) {
        match gateway.route(path) {
            Action::Return { status: 404, body } => {
                let problem: serde_json::Value = serde_json::from_str(body)
                    .unwrap_or_else(|e| panic!("the 404 body is not JSON ({e}): {body}"));
                assert_eq!(problem["status"], 404, "{body}");
            }
            other => panic!("{path} must not be exposed, but gets {other:?}"),
        }
    }

    #[test]
    fn every_public_prefix_and_everything_below_it_reaches_its_service_port() {
        let gateway = Gateway::load();
        for service in design() {
            let expected = Action::Proxy {
                host: service.name.clone(),
                port: service.port,
            };
            for prefix in &service.paths {
                for path in [
                    prefix.clone(),
                    format!("{prefix}/"),
                    format!("{prefix}/some/thing.json"),
                ] {
                    assert_eq!(gateway.route(&path), &expected, "{path}");
                }
            }
        }
    }

    #[test]
    fn metrics_and_health_get_the_load_balancers_404() {
        let gateway = Gateway::load();
        let mut paths: Vec<String> = PRIVATE_PATHS.iter().map(|p| (*p).to_owned()).collect();
        for unrouted in platform::manifest::UNROUTED_PATHS {
            paths.push(unrouted.to_owned());
            paths.push(format!("{unrouted}/"));
            paths.push(format!("{unrouted}/anything"));
        }
        for path in &paths {
            assert_not_found(&gateway, path);
        }
    }

    #[test]
    fn every_other_path_goes_to_the_web_shop_the_default_route() {
        let gateway = Gateway::load();
        let web = design()
            .iter()
            .find(|s| s.default_route)
            .expect("infra/services.yaml has a default route");
        let expected = Action::Proxy {
            host: web.name.clone(),
            port: web.port,
        };
        let mut paths: Vec<String> = [
            "/",
            "/docs",
            "/docs/",
            "/unsubscribe",
            "/openapi.json",
            "/.well-known/",
            "/shop/some-product",
            "/metricsx",
            "/healthy",
        ]
        .map(str::to_owned)
        .into();
        for service in design() {
            for prefix in &service.paths {
                // Lookalikes: a prefix is a path segment, not a string prefix.
                paths.push(format!("{prefix}x"));
                paths.push(format!("{prefix}-admin"));
                paths.push(prefix.to_uppercase());
            }
        }
        for path in &paths {
            assert_eq!(gateway.route(path), &expected, "{path}");
        }
    }

    #[test]
    fn the_gateway_has_the_two_rules_of_each_design_prefix_and_no_other_route() {
        let gateway = Gateway::load();
        let actual: BTreeSet<(Match, &str)> = gateway
            .locations
            .iter()
            .map(|l| (l.kind, l.path.as_str()))
            .collect();
        let mut expected: BTreeSet<(Match, String)> = design()
            .iter()
            .flat_map(|s| s.paths.iter())
            .flat_map(|p| {
                [
                    (Match::Exact, p.clone()),
                    (Match::PrefixNoRegex, format!("{p}/")),
                ]
            })
            .collect();
        for unrouted in platform::manifest::UNROUTED_PATHS {
            expected.insert((Match::Exact, unrouted.to_owned()));
            expected.insert((Match::PrefixNoRegex, format!("{unrouted}/")));
        }
        expected.insert((Match::Prefix, "/".to_owned()));
        let expected: BTreeSet<(Match, &str)> =
            expected.iter().map(|(m, p)| (*m, p.as_str())).collect();
        assert_eq!(actual, expected);
        assert_eq!(gateway.locations.len(), actual.len(), "no duplicate rules");
        assert_eq!(gateway.listen, "8080");
    }

    #[test]
    fn the_route_model_prefers_exact_then_longest_prefix() {
        let gateway = Gateway::parse(
            "upstream a { server a:1; } upstream b { server b:2; }
             server { listen 1;
               location = /x { proxy_pass http://a; }
               location ^~ /x/ { proxy_pass http://a; }
               location ^~ /x/y/ { proxy_pass http://b; }
               location / { return 404 '{\"status\":404}'; } }",
        );
        let a = Action::Proxy {
            host: "a".to_owned(),
            port: 1,
        };
        let b = Action::Proxy {
            host: "b".to_owned(),
            port: 2,
        };
        assert_eq!(gateway.route("/x"), &a);
        assert_eq!(gateway.route("/x/z"), &a);
        assert_eq!(gateway.route("/x/y/z"), &b);
        assert_not_found(&gateway, "/xy");
    }
}

mod compose {
    use platform::messaging::{queue_name, topic_name, Topology};

    use super::gateway::Gateway;
    use super::*;

    /// The account moto puts in every ARN and queue URL (its default).
    const MOTO_ACCOUNT: &str = "123456789012";

    fn compose() -> Value {
        let mut compose: Value =
            serde_yaml::from_str(&read("docker/compose.yaml")).expect("compose.yaml is YAML");
        compose
            .apply_merge()
            .expect("resolving the `<<` merge keys");
        compose
    }

    fn service<'a>(compose: &'a Value, name: &str) -> &'a Value {
        let service = &compose["services"][name];
        assert!(service.is_mapping(), "compose has no service {name}");
        service
    }

    /// A scalar as compose reads it; `$$` is compose's escape for `$`.
    fn text(value: &Value) -> Option<String> {
        let raw = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        };
        Some(raw.replace("$$", "$"))
    }

    fn env(service: &Value) -> BTreeMap<String, String> {
        service["environment"]
            .as_mapping()
            .expect("environment is a mapping")
            .iter()
            .map(|(k, v)| {
                (
                    text(k).unwrap(),
                    text(v).expect("scalar environment values"),
                )
            })
            .collect()
    }

    fn strings(value: &Value) -> Vec<String> {
        value
            .as_sequence()
            .map(|items| items.iter().filter_map(text).collect())
            .unwrap_or_default()
    }

    #[test]
    fn each_service_is_built_from_its_package_and_published_on_its_design_port() {
        let compose = compose();
        for s in design() {
            let service = service(&compose, &s.name);
            let build = &service["build"];
            assert_eq!(text(&build["context"]).as_deref(), Some(".."), "{}", s.name);
            assert_eq!(
                text(&build["dockerfile"]).as_deref(),
                Some("docker/Dockerfile")
            );
            assert_eq!(text(&build["args"]["SERVICE"]), Some(s.crate_name.clone()));
            assert_eq!(text(&build["args"]["PORT"]), Some(s.port.to_string()));
            assert_eq!(env(service).get("PORT"), Some(&s.port.to_string()));
            let published = format!("127.0.0.1:{0}:{0}", s.port);
            assert!(
                strings(&service["ports"]).contains(&published),
                "{} publishes {published}",
                s.name
            );
        }
    }

    #[test]
    fn each_service_uses_its_own_database_and_redis_key_prefix() {
        let compose = compose();
        for s in design() {
            let env = env(service(&compose, &s.name));
            assert_eq!(
                env.get("DATABASE_URL"),
                s.database
                    .as_ref()
                    .map(|db| format!("postgres://postgres@postgres:5432/{db}"))
                    .as_ref(),
            );
            assert_eq!(
                env.get("REDIS_KEY_PREFIX").map(String::as_str),
                Some(s.name.as_str())
            );
            assert_eq!(
                env.get("REDIS_URL").map(String::as_str),
                Some("redis://redis:6379")
            );
        }
        let init = read("docker/postgres/init-databases.sql");
        for database in design().iter().filter_map(|s| s.database.as_ref()) {
            let statement = format!("CREATE DATABASE {database};");
            assert!(
                init.contains(&statement),
                "the init script creates {database}"
            );
        }
    }

    #[test]
    fn each_service_gets_the_topic_and_queue_the_bootstrap_creates_for_it() {
        let compose = compose();
        let bootstrap = service(&compose, "bootstrap");
        assert_eq!(
            text(&bootstrap["build"]["args"]["SERVICE"]).as_deref(),
            Some("xtask")
        );
        let command = strings(&bootstrap["command"]);
        assert_eq!(command[..2], ["xtask", "bootstrap-aws"]);
        let prefix = command
            .windows(2)
            .find(|w| w[0] == "--prefix")
            .map_or("local", |w| w[1].as_str());
        let bootstrap_env = env(bootstrap);
        let endpoint = &bootstrap_env["AWS_ENDPOINT_URL"];
        let region = &bootstrap_env["AWS_REGION"];

        let topology = Topology::repository().expect("infra/messaging.yaml");
        for s in design() {
            let env = env(service(&compose, &s.name));
            assert_eq!(
                &env["AWS_ENDPOINT_URL"], endpoint,
                "{} and the bootstrap share moto",
                s.name
            );
            assert_eq!(&env["AWS_REGION"], region);
            let topic = topology
                .topics
                .iter()
                .any(|t| t.service == s.name)
                .then(|| {
                    format!(
                        "arn:aws:sns:{region}:{MOTO_ACCOUNT}:{}",
                        topic_name(prefix, &s.name)
                    )
                });
            assert_eq!(env.get("EVENTS_TOPIC_ARN"), topic.as_ref(), "{}", s.name);
            // moto builds a queue URL from the address it was called at.
            let queue = topology
                .queues
                .iter()
                .any(|q| q.service == s.name)
                .then(|| format!("{endpoint}/{MOTO_ACCOUNT}/{}", queue_name(prefix, &s.name)));
            assert_eq!(env.get("EVENTS_QUEUE_URL"), queue.as_ref(), "{}", s.name);
            if queue.is_some() {
                assert_ne!(
                    env.get("CONSUMER_ENABLED").map(String::as_str),
                    Some("false")
                );
            }
        }
        let known: BTreeSet<&str> = design().iter().map(|s| s.name.as_str()).collect();
        let declared = topology
            .topics
            .iter()
            .map(|t| &t.service)
            .chain(topology.queues.iter().map(|q| &q.service));
        for service in declared {
            assert!(
                known.contains(service.as_str()),
                "{service} of messaging.yaml runs in compose"
            );
        }
    }

    #[test]
    fn services_start_once_backends_are_healthy_and_the_bootstrap_has_finished() {
        let compose = compose();
        let condition = |service: &Value, on: &str| text(&service["depends_on"][on]["condition"]);
        for s in design() {
            let service = service(&compose, &s.name);
            assert_eq!(
                condition(service, "postgres").as_deref(),
                Some("service_healthy")
            );
            assert_eq!(
                condition(service, "redis").as_deref(),
                Some("service_healthy")
            );
            assert_eq!(
                condition(service, "bootstrap").as_deref(),
                Some("service_completed_successfully")
            );
            assert_eq!(
                strings(&service["healthcheck"]["test"]),
                ["CMD", "healthcheck"]
            );
        }
        for backend in ["postgres", "redis", "moto"] {
            let check = &service(&compose, backend)["healthcheck"]["test"];
            assert!(!strings(check).is_empty(), "{backend} has a health check");
        }
        let gateway = service(&compose, "gateway");
        for s in design() {
            assert_eq!(
                condition(gateway, &s.name).as_deref(),
                Some("service_healthy")
            );
        }
    }

    #[test]
    fn the_gateway_container_serves_gateway_conf_on_8080_with_compose_service_upstreams() {
        let compose = compose();
        let container = service(&compose, "gateway");
        assert!(strings(&container["volumes"])
            .contains(&"./gateway.conf:/etc/nginx/conf.d/default.conf:ro".to_owned()));
        assert!(strings(&container["ports"]).contains(&"127.0.0.1:8080:8080".to_owned()));
        let gateway = Gateway::load();
        assert_eq!(gateway.upstreams.len(), design().len());
        for (host, port) in gateway.upstreams.values() {
            let env = env(service(&compose, host));
            assert_eq!(
                env.get("PORT"),
                Some(&port.to_string()),
                "upstream {host}:{port}"
            );
        }
    }

    #[test]
    fn services_verify_tokens_against_registration_and_call_the_services_they_list_by_compose_name()
    {
        let compose = compose();
        for s in design() {
            let env = env(service(&compose, &s.name));
            let verifies = s.settings.environment.iter().any(|n| n == "JWKS_URL");
            assert_eq!(
                env.get("JWKS_URL").map(String::as_str),
                verifies.then_some("http://registration:8081/.well-known/jwks.json"),
                "{}",
                s.name
            );
            for other in design() {
                let var = format!("{}_URL", other.name.to_uppercase());
                let url = format!("http://{}:{}", other.name, other.port);
                // Only a service that takes client-credentials tokens calls others by URL.
                let listed = s.settings.environment.contains(&var);
                assert_eq!(env.get(&var), listed.then_some(&url), "{} {var}", s.name);
            }
        }
    }

    #[test]
    fn the_order_service_secret_matches_the_hash_registration_is_configured_with() {
        let compose = compose();
        let registration = env(service(&compose, "registration"));
        let order = env(service(&compose, "order"));
        let clients: Vec<serde_json::Value> =
            serde_json::from_str(&registration["SERVICE_CLIENTS"])
                .expect("SERVICE_CLIENTS is JSON");
        let client_id = &order["SERVICE_CLIENT_ID"];
        let hash = clients
            .iter()
            .find(|c| c["client_id"] == client_id.as_str())
            .and_then(|c| c["secret_hash"].as_str())
            .unwrap_or_else(|| panic!("registration knows no client {client_id}"));
        let hasher = platform::auth::password::PasswordHasher::new(1);
        let verify = |secret: &str| {
            let secret = secrecy::SecretString::from(secret.to_owned());
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(hasher.verify(&secret, Some(hash)))
                .expect("a well-formed hash")
        };
        assert!(
            verify(&order["SERVICE_CLIENT_SECRET"]),
            "the secret matches its hash"
        );
        assert!(
            !verify("another-secret-entirely"),
            "the hash is not a pushover"
        );
    }

    #[test]
    fn the_committed_signing_key_is_a_valid_local_only_key() {
        let compose = compose();
        let registration = env(service(&compose, "registration"));
        let json = &registration["JWT_SIGNING_KEYS"];
        platform::auth::SigningKeys::from_json(json).expect("JWT_SIGNING_KEYS parses");
        let keys: Vec<serde_json::Value> = serde_json::from_str(json).unwrap();
        for key in keys {
            let kid = key["kid"].as_str().unwrap();
            assert!(kid.starts_with("local-"), "{kid} is labelled local");
        }
        assert!(read("docker/compose.yaml").contains("LOCAL ONLY"));
    }
}

mod dockerfile {
    use super::*;

    /// The instructions of docker/Dockerfile, continuation lines joined.
    fn instructions() -> Vec<String> {
        read("docker/Dockerfile")
            .replace("\\\n", " ")
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_owned)
            .collect()
    }

    fn runtime_stage(instructions: &[String]) -> &[String] {
        let last_from = instructions
            .iter()
            .rposition(|i| i.starts_with("FROM "))
            .expect("a FROM");
        &instructions[last_from..]
    }

    #[test]
    fn dependencies_are_cooked_in_their_own_layer_before_the_sources_are_copied() {
        let instructions = instructions();
        let position = |needle: &str| {
            instructions
                .iter()
                .rposition(|i| i.contains(needle))
                .unwrap_or_else(|| panic!("no `{needle}`"))
        };
        assert!(position("cargo chef cook") < position("COPY . ."));
        assert!(position("COPY . .") < position("cargo build --release"));
        assert!(
            position("cargo chef cook") < position("ARG SERVICE"),
            "the layer is shared by every SERVICE"
        );
    }

    #[test]
    fn the_runtime_image_runs_the_service_unprivileged_by_default_and_stops_on_sigterm() {
        let instructions = instructions();
        let runtime = runtime_stage(&instructions);
        assert!(runtime.contains(&"STOPSIGNAL SIGTERM".to_owned()));
        assert!(runtime.contains(&"EXPOSE ${PORT}".to_owned()));
        let user = runtime
            .iter()
            .rfind(|i| i.starts_with("USER "))
            .expect("a USER");
        assert!(!user.contains("root") && !user.contains(" 0"), "{user}");
        // docs/deploy.md: ECS, the schedule and Lambda override the command,
        // so the image has no ENTRYPOINT and runs SERVICE by default.
        assert!(runtime.iter().all(|i| !i.starts_with("ENTRYPOINT")));
        let cmd = runtime
            .iter()
            .rfind(|i| i.starts_with("CMD "))
            .expect("a CMD");
        assert!(cmd.contains("$SERVICE"), "{cmd}");
    }

    /// The path every Postgres URL Terraform writes names in `sslrootcert`.
    const RDS_BUNDLE: &str = "/etc/ssl/certs/rds-global-bundle.pem";

    #[test]
    fn the_runtime_image_holds_the_rds_ca_bundle_the_terraform_database_urls_verify_against() {
        let instructions = instructions();
        let runtime = runtime_stage(&instructions);
        let bundle = runtime
            .iter()
            .find(|i| i.ends_with(&format!(" {RDS_BUNDLE}")))
            .unwrap_or_else(|| panic!("the runtime stage puts the RDS bundle at {RDS_BUNDLE}"));
        assert!(
            bundle.contains("https://truststore.pki.rds.amazonaws.com/"),
            "fetched from AWS's trust store at build time: {bundle}"
        );
        assert!(
            bundle.contains("--chmod=0444"),
            "readable by the unprivileged user: {bundle}"
        );
        assert!(
            read("infra/modules/rds/main.tf").contains("?sslmode=verify-full&sslrootcert="),
            "the database URLs of infra/modules/rds verify the server"
        );
        let terraform = walk_tf(&repo_root().join("infra"));
        assert!(
            terraform.contains(&format!("\"{RDS_BUNDLE}\"")),
            "the Terraform names {RDS_BUNDLE} as the CA bundle path"
        );
    }

    /// Every `.tf` file under `dir`, concatenated.
    fn walk_tf(dir: &Path) -> String {
        let mut text = String::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                text.push_str(&walk_tf(&path));
            } else if path.extension().is_some_and(|e| e == "tf") {
                text.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
        text
    }
}
