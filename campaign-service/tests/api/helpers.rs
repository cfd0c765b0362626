//! `spawn_app`: campaign-service on a free port with its own database, key
//! prefix, topics/queues and SES sender domain; the consumer runs in-process.

use std::time::Duration;

use campaign_service::{
    config::Settings,
    startup::{Campaign, MIGRATOR},
    state::AppState,
};
use platform::{
    auth::JwksSource,
    events::Envelope,
    testing::{
        aws::TestMessaging, db::TestDatabase, tokens::TestTokens, unique_prefix, Running, TestEnv,
    },
};
use serde_json::{json, Value};
use time::OffsetDateTime;
use uuid::Uuid;

pub use platform::testing::problem;

pub struct Options {
    pub consumer: bool,
    /// Whether SES knows the sender (an unverified one is refused).
    pub sender_verified: bool,
    /// Keys to trust instead of the environment's (the end-to-end test
    /// passes registration-service's JWKS URL).
    pub jwks: Option<JwksSource>,
    /// An environment other services of the test already run in.
    pub env: Option<TestEnv>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            consumer: true,
            sender_verified: true,
            jwks: None,
            env: None,
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
    _app: Running<Campaign>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    // Boxed: building the app is a large future.
    Box::pin(spawn(options)).await
}

async fn spawn(options: Options) -> TestApp {
    let env = match options.env {
        Some(env) => env,
        None => TestEnv::new().await,
    };
    let db = TestDatabase::create(&MIGRATOR).await;
    if options.sender_verified {
        campaign_service::testing::verify_sender(&env).await;
    }
    let mut settings = campaign_service::testing::settings(&env, &db);
    settings.common.database.acquire_timeout = Duration::from_secs(2);
    settings.consumer_enabled = options.consumer;
    if let Some(jwks) = options.jwks {
        settings.jwks = jwks;
    }
    let app = platform::testing::spawn::<Campaign>(settings.clone()).await;
    let sender_domain = campaign_service::testing::sender_domain(&env);
    let TestEnv {
        messaging, tokens, ..
    } = env;
    TestApp {
        address: app.address.clone(),
        db,
        messaging,
        tokens,
        state: app.state.clone(),
        settings,
        client: reqwest::Client::new(),
        sender_domain,
        _app: app,
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
