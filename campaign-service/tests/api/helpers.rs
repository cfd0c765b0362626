//! `spawn_app`: campaign-service on a free port with its own database, key
//! prefix, topics/queues and SES sender domain; the consumer runs in-process.

use std::time::Duration;

use campaign_service::{
    config::{EmailSettings, Settings},
    startup::{AppState, Application, MIGRATOR},
};
use platform::{
    auth::JwksSource,
    config::{
        AwsSettings, CommonSettings, DatabaseSettings, HttpSettings, JwtSettings, LogFormat,
        RedisSettings,
    },
    events::Envelope,
    testing::{aws::TestMessaging, db::TestDatabase, tokens::TestTokens, unique_prefix},
};
use secrecy::SecretString;
use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub struct Options {
    pub consumer: bool,
    /// Whether SES knows the sender (an unverified one is refused).
    pub sender_verified: bool,
    /// Tokens to trust (the end-to-end test passes registration-service's JWKS).
    pub jwks: Option<(JwksSource, String, String)>,
    pub messaging: Option<TestMessaging>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            consumer: true,
            sender_verified: true,
            jwks: None,
            messaging: None,
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub db: TestDatabase,
    pub messaging: TestMessaging,
    pub tokens: TestTokens,
    pub state: AppState,
    pub settings: Settings,
    pub client: reqwest::Client,
    pub sender_domain: String,
    stop: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    // Boxed: building the app is a large future.
    Box::pin(spawn(options)).await
}

async fn spawn(options: Options) -> TestApp {
    let db = TestDatabase::create(&MIGRATOR).await;
    let prefix = unique_prefix();
    let messaging = match options.messaging {
        Some(m) => m,
        None => TestMessaging::bootstrap(&prefix).await,
    };
    let sender_domain = format!("{prefix}.storefront.test");
    if options.sender_verified {
        platform::aws::ensure_email_identity(&messaging.sdk, &sender_domain)
            .await
            .expect("verifying the sender");
    }
    let tokens = TestTokens::new("http://registration.test", "storefront");
    let (jwks, issuer, audience) = options.jwks.unwrap_or_else(|| {
        (
            JwksSource::Static(tokens.jwks()),
            tokens.issuer.clone(),
            tokens.audience.clone(),
        )
    });
    let settings = Settings {
        common: CommonSettings {
            service_name: "campaign-service",
            http: HttpSettings::for_tests(),
            database: DatabaseSettings {
                url: SecretString::from(db.url.clone()),
                max_connections: 8,
                acquire_timeout: Duration::from_secs(2),
            },
            redis: RedisSettings {
                url: SecretString::from(
                    std::env::var("REDIS_URL")
                        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned()),
                ),
                key_prefix: messaging.prefix.clone(),
                ca_file: None,
            },
            aws: AwsSettings {
                region: "us-east-1".to_owned(),
                endpoint_url: Some(platform::testing::aws::emulator_endpoint()),
            },
            jwt: JwtSettings { issuer, audience },
            events_topic_arn: None,
        },
        jwks,
        consumer_enabled: options.consumer,
        events_queue_url: Some(messaging.queue_url("campaign")),
        email: EmailSettings {
            sender: format!("noreply@{sender_domain}"),
            admin_alert_address: format!("ops@{sender_domain}"),
            unsubscribe_secret: SecretString::from(format!("secret-{prefix}")),
            public_base_url: "http://campaign.test".to_owned(),
        },
        shop_currency: "USD".to_owned(),
        log_format: LogFormat::Pretty,
    };
    let app = Application::build(settings.clone())
        .await
        .expect("building the app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let stop = app.stop_token();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        db,
        messaging,
        tokens,
        state,
        settings,
        client: reqwest::Client::new(),
        sender_domain,
        stop,
    }
}

/// A campaign body running from `starts` to `ends` minutes from now.
pub fn campaign(name: &str, starts: i64, ends: i64, code: Option<Value>) -> Value {
    let now = OffsetDateTime::now_utc();
    let at = |m: i64| {
        (now + time::Duration::minutes(m))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let mut body = json!({
        "name": name,
        "description": format!("{name} description"),
        "offer": {"kind": "percent", "percent_off": 20},
        "starts_at": at(starts),
        "ends_at": at(ends),
    });
    if let Some(code) = code {
        body["promo_code"] = code;
    }
    body
}

pub fn envelope(event_type: &str, data: Value) -> Envelope {
    Envelope {
        id: Uuid::now_v7(),
        event_type: event_type.to_owned(),
        version: 1,
        source: "test".to_owned(),
        occurred_at: OffsetDateTime::now_utc(),
        aggregate_id: Uuid::new_v4().to_string(),
        sequence: 1,
        correlation_id: None,
        data,
    }
}

pub fn registered(email: &str, first_name: &str, opt_in: bool) -> Envelope {
    envelope(
        "customer.registered",
        json!({
            "customer_id": Uuid::new_v4(),
            "email": email,
            "first_name": first_name,
            "last_name": "Lovelace",
            "marketing_opt_in": opt_in,
            "registered_at": "2026-11-21T10:00:00Z",
        }),
    )
}

/// An address no other test uses.
pub fn unique_address() -> String {
    format!("{}@example.com", unique_prefix())
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn create_campaign(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/campaigns"))
            .bearer_auth(self.tokens.admin())
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn redeem(&self, token: &str, code: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/promo-codes/{code}/redemptions")))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    /// Emails the emulator accepted for `to`, waiting up to `wait` for `n`.
    pub async fn wait_for_emails(&self, to: &str, n: usize, wait: Duration) -> Vec<Value> {
        platform::testing::eventually(wait, || async {
            let emails = platform::testing::aws::emails_to(to).await;
            (emails.len() >= n).then_some(emails)
        })
        .await
        .unwrap_or_else(|| panic!("expected {n} email(s) to {to} within {wait:?}"))
    }
}

pub async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    response.json().await.unwrap()
}
