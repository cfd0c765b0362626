//! catalog-service settings (12-factor; tests build them in code).

use platform::{
    auth::JwksSource,
    config::{env_or, env_parse, CommonSettings, LogFormat},
};

use crate::cache::CacheSettings;

#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    pub jwks: JwksSource,
    /// The shop's one currency; any other is a 422.
    pub shop_currency: String,
    pub cache: CacheSettings,
    pub log_format: LogFormat,
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            common: CommonSettings::from_env("catalog-service", 8083, "catalog")?,
            jwks: JwksSource::Url(env_or(
                "JWKS_URL",
                "http://127.0.0.1:8081/.well-known/jwks.json",
            )),
            shop_currency: env_or("SHOP_CURRENCY", "USD").trim().to_ascii_uppercase(),
            cache: CacheSettings::default(),
            log_format: env_parse("LOG_FORMAT", LogFormat::Json)?,
        })
    }
}
