//! order-service in a test (feature `testing`): its settings in a
//! [`TestEnv`], calling the services at `upstreams` (docs/architecture.md,
//! "Testing rules"). It signs in with the test service account that
//! registration-service's `testing::settings` knows.

use std::time::Duration;

use platform::{
    client::ClientSettings,
    testing::{db::TestDatabase, TestEnv, SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET},
};
use secrecy::SecretString;

use crate::{config::Settings, saga::SagaSettings};

/// Where the services order-service calls listen.
pub struct Upstreams {
    pub registration: String,
    pub catalog: String,
    pub inventory: String,
    pub campaign: String,
}

pub fn settings(env: &TestEnv, db: &TestDatabase, upstreams: Upstreams) -> Settings {
    Settings {
        common: env.common("order-service", &db.url),
        jwks: env.jwks(),
        registration_url: upstreams.registration,
        catalog_url: upstreams.catalog,
        inventory_url: upstreams.inventory,
        campaign_url: upstreams.campaign,
        service_client_id: SERVICE_CLIENT_ID.to_owned(),
        service_client_secret: SecretString::from(SERVICE_CLIENT_SECRET),
        client: client(),
        saga: saga(),
        checkout_budget: Duration::from_secs(5),
        resume_interval: RESUME_INTERVAL,
    }
}

/// How often a test's resumer looks for orders left mid-saga.
pub const RESUME_INTERVAL: Duration = Duration::from_millis(200);

/// Calls that give up quickly, so a fault shows within a test's time.
pub fn client() -> ClientSettings {
    ClientSettings {
        timeout: Duration::from_secs(2),
        max_retries: 1,
        backoff_base: Duration::from_millis(20),
        breaker_failure_threshold: 5,
        breaker_open_for: Duration::from_secs(1),
    }
}

/// A saga that retries quickly and gives up after two minutes.
pub fn saga() -> SagaSettings {
    SagaSettings {
        lease: Duration::from_secs(10),
        give_up_after: Duration::from_secs(120),
        reservation_ttl: Duration::from_secs(600),
        max_backoff: Duration::from_millis(500),
    }
}
