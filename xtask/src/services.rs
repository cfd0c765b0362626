//! The services `cargo xtask dev` runs, one row each, and the environment each one gets.

use platform::messaging::Provisioned;

use std::path::Path;

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

pub struct Service {
    /// Also the key in `infra/messaging.yaml` and the Redis key prefix.
    pub name: &'static str,
    pub package: &'static str,
    pub port: u16,
    pub database: &'static str,
    pub docs_path: &'static str,
    /// The token issuer gets the signing keys and seeds the admin account.
    pub issues_tokens: bool,
}

impl Service {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// The five services (DESIGN.md "Services, ports and public paths").
pub const SERVICES: &[Service] = &[
    Service {
        name: "registration",
        package: "registration-service",
        port: 8081,
        database: "registration",
        docs_path: "/docs/registration/",
        issues_tokens: true,
    },
    Service {
        name: "campaign",
        package: "campaign-service",
        port: 8082,
        database: "campaign",
        docs_path: "/docs/campaign/",
        issues_tokens: false,
    },
    Service {
        name: "catalog",
        package: "catalog-service",
        port: 8083,
        database: "catalog",
        docs_path: "/docs/catalog/",
        issues_tokens: false,
    },
    Service {
        name: "order",
        package: "order-service",
        port: 8084,
        database: "orders",
        docs_path: "/docs/order/",
        issues_tokens: false,
    },
    Service {
        name: "inventory",
        package: "inventory-service",
        port: 8085,
        database: "inventory",
        docs_path: "/docs/inventory/",
        issues_tokens: false,
    },
];

/// The one service that issues tokens; every other service verifies against it.
fn token_issuer() -> &'static Service {
    SERVICES
        .iter()
        .find(|s| s.issues_tokens)
        .expect("the services table has a token issuer")
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
        let url = |s: &Service| format!("http://127.0.0.1:{}", port_of(s));
        let url_of = |name: &str| {
            SERVICES
                .iter()
                .find(|s| s.name == name)
                .map(url)
                .unwrap_or_default()
        };
        let issuer = url(token_issuer());
        let mut cmd = tokio::process::Command::new(bin_dir.join(service.package));
        cmd.current_dir(repo_root())
            .env("PORT", port_of(service).to_string())
            .env(
                "DATABASE_URL",
                net::with_database(&self.backends.database_url, service.database)?,
            )
            .env("REDIS_URL", &self.backends.redis_url)
            .env("REDIS_KEY_PREFIX", service.name)
            .envs(aws_env(self.moto_url))
            .env("JWT_ISSUER", &issuer)
            .env("JWT_AUDIENCE", JWT_AUDIENCE)
            .env("JWKS_URL", format!("{issuer}/.well-known/jwks.json"))
            .env("LOG_FORMAT", "pretty")
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned()),
            );
        if let Some(arn) = self.provisioned.topic_arn(service.name) {
            cmd.env("EVENTS_TOPIC_ARN", arn);
        }
        if let Some(url) = self.provisioned.queue_url(service.name) {
            cmd.env("EVENTS_QUEUE_URL", url);
        }
        if service.name == "campaign" {
            // Local only: links in local emails are signed with a fixed secret.
            cmd.env("UNSUBSCRIBE_SECRET", "local-unsubscribe-secret")
                .env("EMAIL_SENDER", format!("noreply@{SENDER_DOMAIN}"))
                .env("ADMIN_ALERT_EMAIL", format!("ops@{SENDER_DOMAIN}"))
                .env("PUBLIC_BASE_URL", url(service));
        }
        if service.name == "order" {
            cmd.env("REGISTRATION_URL", url_of("registration"))
                .env("CATALOG_URL", url_of("catalog"))
                .env("INVENTORY_URL", url_of("inventory"))
                .env("CAMPAIGN_URL", url_of("campaign"))
                .env("SERVICE_CLIENT_ID", ORDER_CLIENT_ID)
                .env("SERVICE_CLIENT_SECRET", ORDER_CLIENT_SECRET);
        }
        if service.issues_tokens {
            let clients = serde_json::json!([
                {"client_id": ORDER_CLIENT_ID, "secret_hash": self.order_secret_hash},
            ]);
            cmd.env("SERVICE_CLIENTS", clients.to_string())
                .env("JWT_SIGNING_KEYS", self.signing_keys)
                .env("ADMIN_EMAIL", ADMIN_EMAIL)
                .env("ADMIN_PASSWORD", ADMIN_PASSWORD);
        }
        Ok(cmd)
    }
}
