//! order-service settings (12-factor; tests build them in code).

use std::time::Duration;

use platform::{
    auth::JwksSource,
    client::ClientSettings,
    config::{env_opt, env_or, env_parse, CommonSettings},
    service::ServiceSettings,
};
use secrecy::SecretString;

use crate::saga::SagaSettings;

#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    pub jwks: JwksSource,
    /// Base URLs of the services order-service calls.
    pub registration_url: String,
    pub catalog_url: String,
    pub inventory_url: String,
    pub campaign_url: String,
    /// This service's client-credentials account at registration-service.
    pub service_client_id: String,
    pub service_client_secret: SecretString,
    pub client: ClientSettings,
    pub saga: SagaSettings,
    /// How long `POST /orders` drives the saga before it answers 202.
    pub checkout_budget: Duration,
    /// How often the resumer looks for orders left mid-saga.
    pub resume_interval: Duration,
}

impl ServiceSettings for Settings {
    fn from_env() -> anyhow::Result<Self> {
        Settings::from_env()
    }

    fn common(&self) -> &CommonSettings {
        &self.common
    }
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        let common = CommonSettings::from_env(env!("CARGO_PKG_NAME"))?;
        let defaults = SagaSettings::default();
        Ok(Self {
            jwks: JwksSource::from_env(),
            registration_url: env_or("REGISTRATION_URL", "http://127.0.0.1:8081"),
            catalog_url: env_or("CATALOG_URL", "http://127.0.0.1:8083"),
            inventory_url: env_or("INVENTORY_URL", "http://127.0.0.1:8085"),
            campaign_url: env_or("CAMPAIGN_URL", "http://127.0.0.1:8082"),
            service_client_id: env_or("SERVICE_CLIENT_ID", "order-service"),
            service_client_secret: SecretString::from(
                env_opt("SERVICE_CLIENT_SECRET").unwrap_or_default(),
            ),
            client: ClientSettings::default(),
            saga: SagaSettings {
                lease: Duration::from_secs(env_parse("SAGA_LEASE_SECS", defaults.lease.as_secs())?),
                give_up_after: Duration::from_secs(env_parse(
                    "SAGA_GIVE_UP_SECS",
                    defaults.give_up_after.as_secs(),
                )?),
                reservation_ttl: Duration::from_secs(env_parse(
                    "ORDER_RESERVATION_TTL_SECS",
                    defaults.reservation_ttl.as_secs(),
                )?),
                max_backoff: defaults.max_backoff,
            },
            checkout_budget: Duration::from_millis(env_parse("CHECKOUT_BUDGET_MS", 5000)?),
            resume_interval: Duration::from_millis(env_parse("RESUME_INTERVAL_MS", 1000)?),
            common,
        })
    }
}
