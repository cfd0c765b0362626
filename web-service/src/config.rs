//! web-service settings (12-factor; tests build them in code).

use std::time::Duration;

use platform::{
    client::ClientSettings,
    config::{env_or, env_parse, CommonSettings},
    service::ServiceSettings,
};

/// How long a session lasts without a visit: a shopper stays signed in for
/// 30 days of activity, as long as registration's refresh tokens.
pub const DEFAULT_SESSION_TTL_DAYS: u64 = 30;

#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    /// Where the five services listen (Service Connect addresses in AWS).
    pub upstreams: Upstreams,
    pub client: ClientSettings,
    /// `SESSION_TTL_DAYS`: a session not seen for this long is forgotten.
    pub session_ttl: Duration,
    /// `SECURE_COOKIES`: the session cookie is `Secure` and HSTS is sent;
    /// true in AWS (HTTPS at the load balancer), false on plain-HTTP localhost.
    pub secure_cookies: bool,
}

#[derive(Debug, Clone)]
pub struct Upstreams {
    pub registration: String,
    pub campaign: String,
    pub catalog: String,
    pub inventory: String,
    pub order: String,
}

impl ServiceSettings for Settings {
    fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            common: CommonSettings::from_env(env!("CARGO_PKG_NAME"))?,
            upstreams: Upstreams {
                registration: env_or("REGISTRATION_URL", "http://127.0.0.1:8081"),
                campaign: env_or("CAMPAIGN_URL", "http://127.0.0.1:8082"),
                catalog: env_or("CATALOG_URL", "http://127.0.0.1:8083"),
                order: env_or("ORDER_URL", "http://127.0.0.1:8084"),
                inventory: env_or("INVENTORY_URL", "http://127.0.0.1:8085"),
            },
            client: ClientSettings::default(),
            session_ttl: Duration::from_secs(
                env_parse("SESSION_TTL_DAYS", DEFAULT_SESSION_TTL_DAYS)? * 86_400,
            ),
            secure_cookies: env_parse("SECURE_COOKIES", false)?,
        })
    }

    fn common(&self) -> &CommonSettings {
        &self.common
    }
}
