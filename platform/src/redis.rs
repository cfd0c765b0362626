//! Redis connection that connects lazily and reconnects by itself, with the
//! service's key prefix.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::ExposeSecret;
use tokio::sync::OnceCell;

use crate::config::RedisSettings;

pub struct RedisHandle {
    client: redis::Client,
    manager: OnceCell<ConnectionManager>,
    prefix: String,
}

impl RedisHandle {
    pub fn new(settings: &RedisSettings) -> anyhow::Result<Self> {
        Ok(Self {
            client: redis::Client::open(settings.url.expose_secret())?,
            manager: OnceCell::new(),
            prefix: settings.key_prefix.clone(),
        })
    }

    /// A connection; fails fast when Redis is unreachable so callers can degrade.
    pub async fn conn(&self) -> redis::RedisResult<ConnectionManager> {
        let manager = self
            .manager
            .get_or_try_init(|| {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Duration::from_millis(500))
                    .set_response_timeout(Duration::from_millis(500))
                    .set_number_of_retries(1);
                ConnectionManager::new_with_config(self.client.clone(), config)
            })
            .await?;
        Ok(manager.clone())
    }

    /// `<prefix>:<suffix>`.
    pub fn key(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.prefix)
    }

    pub async fn ping(&self) -> redis::RedisResult<()> {
        let mut conn = self.conn().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await?;
        Ok(())
    }
}
