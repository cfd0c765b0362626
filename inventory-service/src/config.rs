//! inventory-service settings (12-factor; tests build them in code).

use std::time::Duration;

use platform::{
    auth::JwksSource,
    config::{env_opt, env_parse, CommonSettings},
    ratelimit::RateLimit,
    service::ServiceSettings,
};

#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    pub jwks: JwksSource,
    /// `catalog.product_created` arrives here.
    pub events_queue_url: Option<String>,
    pub consumer_enabled: bool,
    /// The Redis admission gate in front of flash-sale claims (off: every
    /// claim goes to Postgres; for benchmarks and emergencies).
    pub flash_sale_gate: bool,
    /// Default lifetime of a held reservation.
    pub reservation_ttl: Duration,
    /// How often expired holds are returned and ended sales closed.
    pub sweep_interval: Duration,
    /// How often every open sale's gate is set to what Postgres holds.
    pub gate_resync_interval: Duration,
    /// How long after its end a sale closes and returns its unsold units:
    /// longer than any claim can run (the request timeout), so closing never
    /// races a claim in flight.
    pub sale_close_grace: Duration,
    /// Claims per customer and client address.
    pub claim_rate_limit: RateLimit,
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
            events_queue_url: env_opt("EVENTS_QUEUE_URL"),
            consumer_enabled: env_parse("CONSUMER_ENABLED", true)?,
            flash_sale_gate: env_parse("FLASH_SALE_GATE", true)?,
            reservation_ttl: Duration::from_secs(env_parse("RESERVATION_TTL_SECS", 600)?),
            sweep_interval: Duration::from_millis(env_parse("SWEEP_INTERVAL_MS", 1000)?),
            gate_resync_interval: Duration::from_secs(env_parse("GATE_RESYNC_SECS", 15)?),
            sale_close_grace: Duration::from_secs(env_parse("SALE_CLOSE_GRACE_SECS", 30)?),
            claim_rate_limit: env_parse("RATE_LIMIT_CLAIMS", RateLimit::per_minute(60))?,
        })
    }
}
