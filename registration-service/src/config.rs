//! registration-service settings (12-factor; tests build them in code).

use anyhow::Context;
use platform::{
    config::{env_opt, env_parse, CommonSettings},
    ratelimit::RateLimit,
    service::ServiceSettings,
};
use secrecy::SecretString;
use serde::Deserialize;

/// A service allowed the client-credentials grant; only the argon2 hash of
/// its secret is configured.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceClient {
    pub client_id: String,
    pub secret_hash: String,
}

impl std::fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceClient")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct AdminAccount {
    pub email: String,
    pub password: SecretString,
}

#[derive(Debug, Clone)]
pub struct RateLimits {
    /// `POST /customers/verification` per client address.
    pub verification: RateLimit,
    /// `POST /customers` per client address.
    pub registration: RateLimit,
    /// Failed `POST /auth/token` attempts per account (email or client id)
    /// and client address.
    pub login_per_account: RateLimit,
    /// Failed `POST /auth/token` attempts per client address, any account.
    pub login_per_client: RateLimit,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            verification: RateLimit::per_minute(30),
            registration: RateLimit::per_minute(10),
            login_per_account: RateLimit {
                max: 10,
                window: std::time::Duration::from_secs(300),
            },
            login_per_client: RateLimit {
                max: 50,
                window: std::time::Duration::from_secs(300),
            },
        }
    }
}

/// A shopper stays signed in for 30 days of activity.
pub const DEFAULT_REFRESH_TOKEN_TTL_DAYS: u64 = 30;

#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    /// `JWT_SIGNING_KEYS`: the first key signs, all are published.
    pub signing_keys: SecretString,
    pub service_clients: Vec<ServiceClient>,
    pub admin: Option<AdminAccount>,
    pub rate_limits: RateLimits,
    /// `REFRESH_TOKEN_TTL_DAYS` (default 30): how long a refresh token may
    /// wait to be used, so how long a shopper stays signed in without a visit.
    pub refresh_token_ttl: std::time::Duration,
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
        let signing_keys = env_opt("JWT_SIGNING_KEYS")
            .context("JWT_SIGNING_KEYS is required (locally `cargo xtask dev` generates one)")?;
        let service_clients = match env_opt("SERVICE_CLIENTS") {
            Some(json) => serde_json::from_str(&json)
                .context("SERVICE_CLIENTS is not a JSON array of {client_id, secret_hash}")?,
            None => Vec::new(),
        };
        let admin = match (env_opt("ADMIN_EMAIL"), env_opt("ADMIN_PASSWORD")) {
            (Some(email), Some(password)) => Some(AdminAccount {
                email,
                password: SecretString::from(password),
            }),
            _ => None,
        };
        let defaults = RateLimits::default();
        Ok(Self {
            common,
            signing_keys: SecretString::from(signing_keys),
            service_clients,
            admin,
            rate_limits: RateLimits {
                verification: env_parse("RATE_LIMIT_VERIFICATION", defaults.verification)?,
                registration: env_parse("RATE_LIMIT_REGISTRATION", defaults.registration)?,
                login_per_account: env_parse("RATE_LIMIT_LOGIN", defaults.login_per_account)?,
                login_per_client: env_parse(
                    "RATE_LIMIT_LOGIN_PER_CLIENT",
                    defaults.login_per_client,
                )?,
            },
            refresh_token_ttl: std::time::Duration::from_secs(
                env_parse::<u64>("REFRESH_TOKEN_TTL_DAYS", DEFAULT_REFRESH_TOKEN_TTL_DAYS)?
                    * 86_400,
            ),
        })
    }
}
