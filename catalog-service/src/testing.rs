//! catalog-service in a test (feature `testing`): its settings in a
//! [`TestEnv`] and one call to start it (docs/architecture.md, "Testing rules").

use platform::testing::{db::TestDatabase, Running, TestEnv};

use crate::{config::Settings, startup::Catalog};

pub fn settings(env: &TestEnv, db: &TestDatabase) -> Settings {
    Settings {
        common: env.common("catalog-service", &db.url),
        jwks: env.jwks(),
        cache: Default::default(),
    }
}

/// catalog-service on a database of its own.
pub async fn spawn(env: &TestEnv) -> Running<Catalog> {
    platform::testing::spawn_with_database::<Catalog>(|db| settings(env, db)).await
}
