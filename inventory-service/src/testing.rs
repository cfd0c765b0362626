//! inventory-service in a test (feature `testing`): its settings in a
//! [`TestEnv`] and one call to start it (docs/architecture.md, "Testing rules").

use std::time::Duration;

use platform::{
    ratelimit::RateLimit,
    testing::{db::TestDatabase, Running, TestEnv},
};

use crate::{config::Settings, startup::Inventory};

pub fn settings(env: &TestEnv, db: &TestDatabase) -> Settings {
    let mut common = env.common("inventory-service", &db.url);
    common.database.max_connections = 16;
    common.database.acquire_timeout = Duration::from_secs(10);
    Settings {
        common,
        jwks: env.jwks(),
        events_queue_url: env
            .messaging
            .provisioned
            .queue_url("inventory")
            .map(str::to_owned),
        consumer_enabled: true,
        flash_sale_gate: true,
        reservation_ttl: Duration::from_secs(600),
        sweep_interval: Duration::from_millis(200),
        gate_resync_interval: Duration::from_secs(15),
        // The tests' claims finish long before their sales end.
        sale_close_grace: Duration::from_secs(1),
        claim_rate_limit: RateLimit::per_minute(1_000_000),
    }
}

/// inventory-service on a database of its own.
pub async fn spawn(env: &TestEnv) -> Running<Inventory> {
    platform::testing::spawn_with_database::<Inventory>(|db| settings(env, db)).await
}
