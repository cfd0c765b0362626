//! registration-service in a test (feature `testing`): its settings in a
//! [`TestEnv`] and one call to start it (docs/architecture.md, "Testing rules").
//! It signs with the environment's key, so the tokens it issues and those the
//! test mints verify alike, and it knows order-service's test account.

use platform::{
    ratelimit::RateLimit,
    testing::{db::TestDatabase, Running, TestEnv, SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET},
};
use secrecy::SecretString;

use crate::{
    config::{RateLimits, ServiceClient, Settings},
    startup::Registration,
};

/// Limits generous enough that tests not about rate limiting never meet one.
pub fn relaxed_limits() -> RateLimits {
    let lots = RateLimit::per_minute(100_000);
    RateLimits {
        verification: lots,
        registration: lots,
        login_per_account: lots,
        login_per_client: lots,
    }
}

pub fn settings(env: &TestEnv, db: &TestDatabase) -> Settings {
    let secret_hash =
        platform::auth::password::hash_blocking(SERVICE_CLIENT_SECRET).expect("hashing");
    Settings {
        common: env.common("registration-service", &db.url),
        signing_keys: SecretString::from(env.tokens.keys_json.clone()),
        service_clients: vec![ServiceClient {
            client_id: SERVICE_CLIENT_ID.to_owned(),
            secret_hash,
        }],
        admin: None,
        rate_limits: relaxed_limits(),
        refresh_token_ttl: std::time::Duration::from_secs(
            crate::config::DEFAULT_REFRESH_TOKEN_TTL_DAYS * 86_400,
        ),
    }
}

/// registration-service on a database of its own.
pub async fn spawn(env: &TestEnv) -> Running<Registration> {
    platform::testing::spawn_with_database::<Registration>(|db| settings(env, db)).await
}
