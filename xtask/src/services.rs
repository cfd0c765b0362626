//! The services `cargo xtask dev` runs (infra/services.yaml) and the
//! environment each one gets: the names the manifest lists, local values.

use std::{collections::BTreeMap, path::Path};

use anyhow::Context;
use platform::messaging::Provisioned;

use crate::manifest::{Manifest, ServiceEntry, Shape};

use crate::local::{aws_env, repo_root, target_dir, Backends};
use crate::net;

pub const JWT_AUDIENCE: &str = "storefront";
pub const ADMIN_EMAIL: &str = "admin@storefront.test";
pub const ADMIN_PASSWORD: &str = "storefront-admin";
/// The SES identity the local emails come from (`noreply@storefront.test`).
pub const SENDER_DOMAIN: &str = "storefront.test";
/// order-service's client-credentials account, local only.
pub const ORDER_CLIENT_ID: &str = "order-service";
pub const ORDER_CLIENT_SECRET: &str = "local-order-service-secret";

/// A service of `infra/services.yaml`.
pub type Service = ServiceEntry;

/// infra/services.yaml, read once (compiled in; xtask's tests check it).
pub fn manifest() -> &'static Manifest {
    platform::manifest::manifest().expect("infra/services.yaml is valid")
}

/// The services, in the manifest's order.
pub fn services() -> &'static [Service] {
    &manifest().services
}

/// The one service that issues tokens; every other service verifies against it.
fn token_issuer() -> &'static Service {
    services()
        .iter()
        .find(|s| s.issues_tokens())
        .expect("the manifest has a token issuer")
}

/// What every service process gets from the local platform.
pub struct ServiceEnv<'a> {
    pub backends: &'a Backends,
    pub moto_url: &'a str,
    pub provisioned: &'a Provisioned,
    pub signing_keys: &'a str,
    /// The argon2 hash of `ORDER_CLIENT_SECRET`, made at start-up.
    pub order_secret_hash: &'a str,
}

impl ServiceEnv<'_> {
    /// The debug build of `service` on its standard port (`cargo xtask dev`).
    pub fn command(&self, service: &Service) -> anyhow::Result<tokio::process::Command> {
        self.command_at(service, &target_dir()?.join("debug"), &|s| s.port)
    }

    /// The binary of `service` in `bin_dir`, every service on `port_of(service)`
    /// (`cargo xtask bench` runs release builds on free ports).
    pub fn command_at(
        &self,
        service: &Service,
        bin_dir: &Path,
        port_of: &dyn Fn(&Service) -> u16,
    ) -> anyhow::Result<tokio::process::Command> {
        let mut cmd = tokio::process::Command::new(bin_dir.join(&service.crate_name));
        cmd.current_dir(repo_root())
            // The emulator's credentials too (runtime names, read by the SDK).
            .envs(aws_env(self.moto_url))
            .envs(self.environment(service, port_of)?)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned()),
            );
        Ok(cmd)
    }

    /// Exactly the settings infra/services.yaml lists for `service` in a
    /// local shape, with their local values.
    pub fn environment(
        &self,
        service: &Service,
        port_of: &dyn Fn(&Service) -> u16,
    ) -> anyhow::Result<BTreeMap<String, String>> {
        manifest()
            .given(service, Shape::Local)
            .into_iter()
            .map(|name| {
                let value = self.local_value(service, &name, port_of)?.with_context(|| {
                    format!(
                        "infra/services.yaml gives {} the setting {name}, which `cargo xtask dev` has no local value for",
                        service.name
                    )
                })?;
                Ok((name, value))
            })
            .collect()
    }

    /// The local value of the setting `name` of `service`, if it has one.
    fn local_value(
        &self,
        service: &Service,
        name: &str,
        port_of: &dyn Fn(&Service) -> u16,
    ) -> anyhow::Result<Option<String>> {
        let url = |s: &Service| format!("http://127.0.0.1:{}", port_of(s));
        let issuer = url(token_issuer());
        let aws = aws_env(self.moto_url);
        let aws_value = |key: &str| aws.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone());
        let called_url = |callee: &str| {
            service
                .calls
                .iter()
                .find(|c| c.eq_ignore_ascii_case(callee))
                .and_then(|c| services().iter().find(|s| &s.name == c))
                .map(url)
        };
        Ok(match name {
            "PORT" => Some(port_of(service).to_string()),
            "DATABASE_URL" => match &service.database {
                Some(database) => Some(net::with_database(&self.backends.database_url, database)?),
                None => None,
            },
            "REDIS_URL" => Some(self.backends.redis_url.clone()),
            "REDIS_KEY_PREFIX" => Some(service.name.clone()),
            "AWS_REGION" | "AWS_ENDPOINT_URL" => aws_value(name),
            "JWT_ISSUER" => Some(issuer),
            "JWT_AUDIENCE" => Some(JWT_AUDIENCE.to_owned()),
            "JWKS_URL" => Some(format!("{issuer}/.well-known/jwks.json")),
            "LOG_FORMAT" => Some("pretty".to_owned()),
            "SHOP_CURRENCY" => Some("USD".to_owned()),
            "EVENTS_TOPIC_ARN" => self.provisioned.topic_arn(&service.name).map(str::to_owned),
            "EVENTS_QUEUE_URL" => self.provisioned.queue_url(&service.name).map(str::to_owned),
            // Local only: links in local emails are signed with a fixed secret.
            "UNSUBSCRIBE_SECRET" => Some("local-unsubscribe-secret".to_owned()),
            "EMAIL_SENDER" => Some(format!("noreply@{SENDER_DOMAIN}")),
            "ADMIN_ALERT_EMAIL" => Some(format!("ops@{SENDER_DOMAIN}")),
            "PUBLIC_BASE_URL" => Some(url(service)),
            "SERVICE_CLIENT_ID" => Some(ORDER_CLIENT_ID.to_owned()),
            "SERVICE_CLIENT_SECRET" => Some(ORDER_CLIENT_SECRET.to_owned()),
            "SERVICE_CLIENTS" => Some(
                serde_json::json!([
                    {"client_id": ORDER_CLIENT_ID, "secret_hash": self.order_secret_hash},
                ])
                .to_string(),
            ),
            "JWT_SIGNING_KEYS" => Some(self.signing_keys.to_owned()),
            "ADMIN_EMAIL" => Some(ADMIN_EMAIL.to_owned()),
            "ADMIN_PASSWORD" => Some(ADMIN_PASSWORD.to_owned()),
            other => other.strip_suffix("_URL").and_then(called_url),
        })
    }
}
