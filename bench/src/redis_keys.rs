//! Deleting a run's keys from the shared Redis, by pattern.

use redis::aio::MultiplexedConnection;

/// UNLINKs every key matching `pattern` (SCAN MATCH, so Redis keeps serving).
pub async fn delete_matching(
    redis: &mut MultiplexedConnection,
    pattern: &str,
) -> anyhow::Result<usize> {
    let keys: Vec<String> = {
        let mut iter = redis::AsyncCommands::scan_match::<_, String>(redis, pattern).await?;
        let mut keys = Vec::new();
        while let Some(key) = iter.next_item().await {
            keys.push(key);
        }
        keys
    };
    for chunk in keys.chunks(500) {
        let _: () = redis::cmd("UNLINK").arg(chunk).query_async(redis).await?;
    }
    Ok(keys.len())
}

pub async fn connect(redis_url: &str) -> anyhow::Result<MultiplexedConnection> {
    Ok(redis::Client::open(redis_url)?
        .get_multiplexed_async_connection()
        .await?)
}
