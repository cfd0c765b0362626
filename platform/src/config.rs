//! Settings shared by every service, read from the environment by `main` and
//! built in code by tests.

use std::{
    cell::RefCell,
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    str::FromStr,
    time::Duration,
};

use anyhow::Context;
use secrecy::SecretString;

/// Reads an optional variable; empty counts as unset. Every setting of every
/// service is read through here, so [`reads_of`] can tell what a service reads.
pub fn env_opt(name: &str) -> Option<String> {
    let given = GIVEN.with(|given| {
        given.borrow_mut().as_mut().map(|given| {
            given.read.insert(name.to_owned());
            given.values.get(name).cloned()
        })
    });
    given
        .unwrap_or_else(|| std::env::var(name).ok())
        .filter(|v| !v.trim().is_empty())
}

/// An environment given in code instead of the process's, and the names read.
struct Given {
    values: BTreeMap<String, String>,
    read: BTreeSet<String>,
}

thread_local! {
    static GIVEN: RefCell<Option<Given>> = const { RefCell::new(None) };
}

/// Runs `read` (a `Settings::from_env`) as if the process environment were
/// exactly `environment`, and returns its result with every name it read:
/// the deployment checks compare them with infra/services.yaml.
pub fn reads_of<T>(
    environment: &BTreeMap<String, String>,
    read: impl FnOnce() -> T,
) -> (T, BTreeSet<String>) {
    GIVEN.with(|given| {
        *given.borrow_mut() = Some(Given {
            values: environment.clone(),
            read: BTreeSet::new(),
        });
    });
    let result = read();
    let names = GIVEN
        .with(|given| given.borrow_mut().take())
        .map(|given| given.read)
        .unwrap_or_default();
    (result, names)
}

/// Reads a variable or falls back to a local default.
pub fn env_or(name: &str, default: &str) -> String {
    env_opt(name).unwrap_or_else(|| default.to_owned())
}

/// Reads and parses a variable, falling back to `default` when unset.
pub fn env_parse<T>(name: &str, default: T) -> anyhow::Result<T>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match env_opt(name) {
        None => Ok(default),
        Some(raw) => raw
            .parse()
            .map_err(|e| anyhow::anyhow!("{name} is not valid ({raw:?}): {e}")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Self::Json),
            "pretty" => Ok(Self::Pretty),
            other => Err(format!("expected json or pretty, got {other}")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl DatabaseSettings {
    /// A service with no database (its manifest entry has none) never connects.
    pub fn none() -> Self {
        Self {
            url: SecretString::from(String::new()),
            max_connections: 0,
            acquire_timeout: Duration::ZERO,
        }
    }

    pub fn from_env(default_database: &str) -> anyhow::Result<Self> {
        let default_url = format!("postgres://postgres@127.0.0.1:5432/{default_database}");
        Ok(Self {
            url: SecretString::from(env_or("DATABASE_URL", &default_url)),
            max_connections: env_parse("DATABASE_MAX_CONNECTIONS", 10)?,
            acquire_timeout: Duration::from_secs(env_parse("DATABASE_ACQUIRE_TIMEOUT_SECS", 3)?),
        })
    }
}

#[derive(Debug, Clone)]
pub struct RedisSettings {
    pub url: SecretString,
    /// Every key this service writes starts with this prefix (tests use a
    /// random one so they can share one Redis).
    pub key_prefix: String,
    /// `REDIS_CA_FILE`: the CA that signed a `rediss://` server's certificate,
    /// when it is a private one (ElastiCache's are in the built-in roots).
    pub ca_file: Option<PathBuf>,
}

impl RedisSettings {
    pub fn from_env(service: &str) -> Self {
        Self {
            url: SecretString::from(env_or("REDIS_URL", "redis://127.0.0.1:6379")),
            key_prefix: env_or("REDIS_KEY_PREFIX", service),
            ca_file: env_opt("REDIS_CA_FILE").map(PathBuf::from),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AwsSettings {
    pub region: String,
    /// Set locally (the emulator); unset in AWS.
    pub endpoint_url: Option<String>,
}

impl AwsSettings {
    pub fn from_env() -> Self {
        Self {
            region: env_or("AWS_REGION", "us-east-1"),
            endpoint_url: env_opt("AWS_ENDPOINT_URL"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub port: u16,
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
    /// How many proxies in front of us append to `X-Forwarded-For` (the ALB is one).
    pub trusted_proxy_hops: usize,
    /// How long in-flight requests get to finish after SIGTERM.
    pub shutdown_grace: Duration,
}

impl HttpSettings {
    pub fn from_env(default_port: u16) -> anyhow::Result<Self> {
        Ok(Self {
            port: env_parse("PORT", default_port)?,
            request_timeout: Duration::from_secs(env_parse("REQUEST_TIMEOUT_SECS", 10)?),
            body_limit_bytes: env_parse("BODY_LIMIT_BYTES", 64 * 1024)?,
            trusted_proxy_hops: env_parse("TRUSTED_PROXY_HOPS", 0)?,
            shutdown_grace: Duration::from_secs(25),
        })
    }

    /// Port 0 and short timeouts, for tests.
    pub fn for_tests() -> Self {
        Self {
            port: 0,
            request_timeout: Duration::from_secs(10),
            body_limit_bytes: 64 * 1024,
            trusted_proxy_hops: 0,
            shutdown_grace: Duration::from_secs(25),
        }
    }
}

#[derive(Debug, Clone)]
pub struct JwtSettings {
    pub issuer: String,
    pub audience: String,
}

impl JwtSettings {
    pub fn from_env(default_issuer: &str) -> Self {
        Self {
            issuer: env_or("JWT_ISSUER", default_issuer),
            audience: env_or("JWT_AUDIENCE", "storefront"),
        }
    }
}

/// Settings every service has. A new one is added here and nowhere else:
/// tests start from [`CommonSettings::defaults`] and change what they need.
#[derive(Debug, Clone)]
pub struct CommonSettings {
    /// The crate, `order-service`; its entry in infra/services.yaml gives
    /// the default port and database.
    pub service_name: &'static str,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub aws: AwsSettings,
    pub jwt: JwtSettings,
    /// The service's own SNS topic; `None` disables the outbox relay.
    pub events_topic_arn: Option<String>,
    /// `SHOP_CURRENCY`: the shop's one currency, upper case (`USD`).
    pub shop_currency: String,
    pub log_format: LogFormat,
}

impl CommonSettings {
    /// `storefront-<service>/<version>`, sent by every outgoing HTTP client
    /// (the AWS managed WAF rules refuse requests without one).
    pub fn user_agent(&self) -> String {
        user_agent(self.service_name)
    }

    pub fn from_env(service_name: &'static str) -> anyhow::Result<Self> {
        let entry = crate::manifest::entry_of_crate(service_name)?;
        Ok(Self {
            service_name,
            http: HttpSettings::from_env(entry.port).context("reading HTTP settings")?,
            database: match &entry.database {
                Some(database) => DatabaseSettings::from_env(database)?,
                None => DatabaseSettings::none(),
            },
            redis: RedisSettings::from_env(service_name),
            aws: AwsSettings::from_env(),
            jwt: JwtSettings::from_env("http://127.0.0.1:8081"),
            events_topic_arn: env_opt("EVENTS_TOPIC_ARN"),
            shop_currency: currency(&env_or("SHOP_CURRENCY", "USD"))
                .context("SHOP_CURRENCY is not a currency code")?,
            log_format: env_parse("LOG_FORMAT", LogFormat::Json)?,
        })
    }

    /// What `from_env` reads from an empty environment: the local defaults.
    pub fn defaults(service_name: &'static str) -> anyhow::Result<Self> {
        reads_of(&BTreeMap::new(), || Self::from_env(service_name)).0
    }
}

impl crate::auth::JwksSource {
    /// `JWKS_URL`: where the services that verify tokens fetch the keys
    /// (registration-service, the issuer, uses its own).
    pub fn from_env() -> Self {
        Self::Url(env_or(
            "JWKS_URL",
            "http://127.0.0.1:8081/.well-known/jwks.json",
        ))
    }
}

/// A currency code as every service compares it: three ASCII letters, upper
/// case, whatever case and spacing it was configured with.
pub fn currency(raw: &str) -> anyhow::Result<String> {
    let code = raw.trim().to_ascii_uppercase();
    anyhow::ensure!(
        code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()),
        "expected three letters (ISO 4217), got {raw:?}"
    );
    Ok(code)
}

/// `storefront-order/0.1.0` for `order-service`: every crate shares the
/// workspace's version.
pub fn user_agent(service_name: &str) -> String {
    let short = service_name
        .strip_suffix("-service")
        .unwrap_or(service_name);
    format!("storefront-{short}/{}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn a_currency_is_compared_in_upper_case_whatever_its_spelling() {
        assert_eq!(currency(" usd ").unwrap(), "USD");
        assert_eq!(currency("Eur").unwrap(), "EUR");
        assert!(currency("dollars").is_err());
        assert!(currency("u5d").is_err());
    }

    #[test]
    fn the_defaults_take_port_and_database_from_the_manifest() {
        let order = CommonSettings::defaults("order-service").unwrap();
        assert_eq!(order.http.port, 8084);
        assert!(
            order.database.url.expose_secret().ends_with("/orders"),
            "the order database"
        );
        assert_eq!(order.redis.key_prefix, "order-service");
        assert!(CommonSettings::defaults("no-such-service").is_err());
    }
}
