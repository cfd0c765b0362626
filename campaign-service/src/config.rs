//! campaign-service settings (12-factor; tests build them in code).

use anyhow::Context;
use platform::{
    auth::JwksSource,
    config::{env_opt, env_or, env_parse, CommonSettings},
    service::ServiceSettings,
};
use secrecy::SecretString;

#[derive(Debug, Clone)]
pub struct EmailSettings {
    /// The verified SES sender.
    pub sender: String,
    /// Where stock alerts and daily reports go.
    pub admin_alert_address: String,
    /// Signs unsubscribe links.
    pub unsubscribe_secret: SecretString,
    /// Base of links in emails (`<base>/unsubscribe?token=`).
    pub public_base_url: String,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    pub jwks: JwksSource,
    /// Off in AWS, where the Lambda consumes the queue.
    pub consumer_enabled: bool,
    pub events_queue_url: Option<String>,
    pub email: EmailSettings,
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
        let common = CommonSettings::from_env(env!("CARGO_PKG_NAME"))?;
        let unsubscribe_secret = env_opt("UNSUBSCRIBE_SECRET")
            .context("UNSUBSCRIBE_SECRET is required (it signs unsubscribe links)")?;
        Ok(Self {
            common,
            jwks: JwksSource::from_env(),
            consumer_enabled: env_parse("CONSUMER_ENABLED", true)?,
            events_queue_url: env_opt("EVENTS_QUEUE_URL"),
            email: EmailSettings {
                sender: env_or("EMAIL_SENDER", "noreply@storefront.test"),
                admin_alert_address: env_or("ADMIN_ALERT_EMAIL", "ops@storefront.test"),
                unsubscribe_secret: SecretString::from(unsubscribe_secret),
                public_base_url: env_or("PUBLIC_BASE_URL", "http://127.0.0.1:8082"),
            },
        })
    }
}
