//! The test kit, following docs/architecture.md's testing rules: a
//! [`TestEnv`] per test (key prefix, topics/queues, tokens), a database per
//! service, services started in the test process ([`spawn`]), the shared
//! contract checks, a fault proxy and private Postgres/Redis instances.
//! Each service crate's `testing` module (feature `testing`) builds its
//! settings in a [`TestEnv`].

pub mod aws;
pub mod contract;
pub mod db;
mod env;
pub mod fault_proxy;
pub mod private;
mod running;
pub mod tls;
pub mod tokens;

pub use env::{
    problem, redis_url, TestEnv, AUDIENCE, ISSUER, SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET,
};
pub use running::{spawn, spawn_with_database, Running};

/// A short random lowercase prefix, unique per test.
pub fn unique_prefix() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("t{}", &id[..10])
}

/// Polls `check` every 100 ms until it returns `Some` or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: std::time::Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
