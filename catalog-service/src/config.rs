//! catalog-service settings (12-factor; tests build them in code).

use platform::{auth::JwksSource, config::CommonSettings, service::ServiceSettings};

use crate::cache::CacheSettings;

#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    pub jwks: JwksSource,
    pub cache: CacheSettings,
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
        Ok(Self {
            common: CommonSettings::from_env(env!("CARGO_PKG_NAME"))?,
            jwks: JwksSource::from_env(),
            cache: CacheSettings::default(),
        })
    }
}
