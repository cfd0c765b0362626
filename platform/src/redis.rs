//! Redis connection that connects lazily and reconnects by itself, with the
//! service's key prefix.

use std::time::Duration;

use anyhow::Context;

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
    /// `rediss://` URLs speak TLS and verify the server against the built-in
    /// roots, or against `ca_file` only when it is set.
    pub fn new(settings: &RedisSettings) -> anyhow::Result<Self> {
        crate::tls::install_crypto_provider();
        let url = settings.url.expose_secret();
        let client = match &settings.ca_file {
            None => redis::Client::open(url).context("REDIS_URL is not a valid Redis URL")?,
            Some(path) => {
                anyhow::ensure!(
                    url.starts_with("rediss://"),
                    "REDIS_CA_FILE is set but REDIS_URL is not a rediss:// (TLS) URL"
                );
                let root_cert = std::fs::read(path)
                    .with_context(|| format!("reading REDIS_CA_FILE {}", path.display()))?;
                let certificates = redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(root_cert),
                };
                redis::Client::build_with_tls(url, certificates)
                    .context("REDIS_URL with REDIS_CA_FILE")?
            }
        };
        Ok(Self {
            client,
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
