//! Test support, following DESIGN.md's testing rules: a database, a Redis key
//! prefix and topics/queues of its own for every test, a fault proxy, and
//! tokens for many customers without hashing a password for each.

pub mod aws;
pub mod db;
pub mod fault_proxy;
pub mod private;
pub mod tls;
pub mod tokens;

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
