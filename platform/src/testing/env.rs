//! [`TestEnv`]: what the services of one test share (docs/architecture.md,
//! "Testing rules"): a key prefix, topics and queues of its own on the
//! emulator, and tokens signed by a key of its own.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;

use super::{aws::TestMessaging, tokens::TestTokens, unique_prefix};
use crate::{
    auth::JwksSource,
    config::{CommonSettings, HttpSettings, LogFormat},
};

/// The issuer and audience of the tokens tests mint (registration-service
/// in a test issues them too).
pub const ISSUER: &str = "http://registration.test";
pub const AUDIENCE: &str = "storefront";

/// The service account order-service signs in with at registration-service
/// in a test.
pub const SERVICE_CLIENT_ID: &str = "order-service";
pub const SERVICE_CLIENT_SECRET: &str = "order-service-secret-for-tests";

/// The Redis every test shares (`REDIS_URL`), each under its own prefix.
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// One test's world: every service it starts shares its messaging and trusts
/// its tokens; each has its own database and its own key prefix.
pub struct TestEnv {
    pub prefix: String,
    pub messaging: TestMessaging,
    pub tokens: TestTokens,
}

impl TestEnv {
    /// A fresh prefix with its topics and queues on the emulator.
    pub async fn new() -> Self {
        let prefix = unique_prefix();
        let messaging = TestMessaging::bootstrap(&prefix).await;
        Self::with_messaging(messaging)
    }

    /// An environment on topics and queues already bootstrapped.
    pub fn with_messaging(messaging: TestMessaging) -> Self {
        Self {
            prefix: messaging.prefix.clone(),
            messaging,
            tokens: TestTokens::new(ISSUER, AUDIENCE),
        }
    }

    /// The keys this environment's tokens verify with, given in code.
    pub fn jwks(&self) -> JwksSource {
        JwksSource::Static(self.tokens.jwks())
    }

    /// `service`'s common settings in this environment: the local defaults,
    /// a free port, `database_url`, a key prefix of its own, the emulator,
    /// this environment's issuer and the service's own topic (if it has one).
    pub fn common(&self, service: &'static str, database_url: &str) -> CommonSettings {
        let mut common = CommonSettings::defaults(service)
            .unwrap_or_else(|e| panic!("{service} is not in infra/services.yaml: {e:#}"));
        let name = &crate::manifest::entry_of_crate(service)
            .expect("the entry defaults() read")
            .name;
        common.http = HttpSettings::for_tests();
        common.database.url = SecretString::from(database_url.to_owned());
        common.database.max_connections = 8;
        common.database.acquire_timeout = Duration::from_secs(5);
        common.redis.url = SecretString::from(redis_url());
        common.redis.key_prefix = format!("{}:{name}", self.prefix);
        common.aws = super::aws::settings();
        common.jwt.issuer = self.tokens.issuer.clone();
        common.jwt.audience = self.tokens.audience.clone();
        common.events_topic_arn = self
            .messaging
            .provisioned
            .topic_arn(name)
            .map(str::to_owned);
        common.log_format = LogFormat::Pretty;
        common
    }
}

/// Reads a problem+json response, checking its status and content type.
pub async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status);
    body
}
