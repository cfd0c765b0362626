//! Registration-service and campaign-service together, wired through the
//! emulator's SNS topic and SQS queue as in production.

use std::time::Duration;

use platform::{
    auth::JwksSource,
    config::{
        AwsSettings, CommonSettings, DatabaseSettings, HttpSettings, JwtSettings, LogFormat,
        RedisSettings,
    },
    testing::{aws::TestMessaging, db::TestDatabase, unique_prefix},
};
use registration_service::{
    config::{AdminAccount, RateLimits, Settings},
    startup::{Application, MIGRATOR},
};
use secrecy::SecretString;
use serde_json::json;

use crate::helpers::{campaign, spawn_app_with, unique_address, Options};

const ADMIN_EMAIL: &str = "admin@e2e.test";
const ADMIN_PASSWORD: &str = "e2e-admin-password";

struct Registration {
    url: String,
    _db: TestDatabase,
    stop: tokio_util::sync::CancellationToken,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn spawn_registration(messaging: &TestMessaging) -> Registration {
    let db = TestDatabase::create(&MIGRATOR).await;
    let lots = platform::ratelimit::RateLimit::per_minute(100_000);
    let settings = Settings {
        common: CommonSettings {
            service_name: "registration-service",
            http: HttpSettings::for_tests(),
            database: DatabaseSettings {
                url: SecretString::from(db.url.clone()),
                max_connections: 5,
                acquire_timeout: Duration::from_secs(2),
            },
            redis: RedisSettings {
                url: SecretString::from(
                    std::env::var("REDIS_URL")
                        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned()),
                ),
                key_prefix: format!("{}-registration", messaging.prefix),
                ca_file: None,
            },
            aws: AwsSettings {
                region: "us-east-1".to_owned(),
                endpoint_url: Some(platform::testing::aws::emulator_endpoint()),
            },
            jwt: JwtSettings {
                issuer: "http://registration.test".to_owned(),
                audience: "storefront".to_owned(),
            },
            events_topic_arn: Some(messaging.topic_arn("registration")),
        },
        signing_keys: SecretString::from(platform::auth::keys::generate_signing_keys_json("e2e-1")),
        service_clients: Vec::new(),
        admin: Some(AdminAccount {
            email: ADMIN_EMAIL.to_owned(),
            password: SecretString::from(ADMIN_PASSWORD),
        }),
        rate_limits: RateLimits {
            verification: lots,
            registration: lots,
            login_per_account: lots,
            login_per_client: lots,
        },
        log_format: LogFormat::Pretty,
    };
    let app = Application::build(settings)
        .await
        .expect("building registration-service");
    let url = format!("http://127.0.0.1:{}", app.port());
    let stop = app.stop_token();
    tokio::spawn(app.run_until_stopped());
    Registration { url, _db: db, stop }
}

#[tokio::test]
async fn registering_through_registration_service_mails_a_welcome_listing_the_active_campaigns() {
    let messaging = TestMessaging::bootstrap(&unique_prefix()).await;
    let registration = spawn_registration(&messaging).await;
    let jwks = JwksSource::Url(format!("{}/.well-known/jwks.json", registration.url));
    let options = Options {
        jwks: Some((
            jwks,
            "http://registration.test".to_owned(),
            "storefront".to_owned(),
        )),
        messaging: Some(messaging),
        ..Options::default()
    };
    let campaigns = spawn_app_with(options).await;
    let client = reqwest::Client::new();
    // The admin is ensured in the background at start-up.
    let admin_token = platform::testing::eventually(Duration::from_secs(10), || async {
        let response = client
            .post(format!("{}/auth/token", registration.url))
            .json(&json!({"grant_type": "password", "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .ok()?;
        let body: serde_json::Value = response.json().await.ok()?;
        body["access_token"].as_str().map(str::to_owned)
    })
    .await
    .expect("an admin token from registration-service");
    for body in [
        campaign("Cyber Monday", -5, 600, Some(json!({"code": "CYBER25"}))),
        campaign("Old News", -600, -300, None),
    ] {
        let created = client
            .post(campaigns.url("/campaigns"))
            .bearer_auth(&admin_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            created.status().as_u16(),
            201,
            "an admin token of registration-service is accepted"
        );
    }
    let email = unique_address();

    let registered = client
        .post(format!("{}/customers", registration.url))
        .json(&json!({"email": email, "password": "correct horse battery", "first_name": "Grace", "last_name": "Hopper", "marketing_opt_in": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status().as_u16(), 201);

    let emails = campaigns
        .wait_for_emails(&email, 1, Duration::from_secs(10))
        .await;
    assert_eq!(emails.len(), 1);
    let body = emails[0]["body"].as_str().unwrap();
    assert!(body.contains("Grace"), "{body}");
    assert!(
        body.contains("Cyber Monday") && body.contains("CYBER25"),
        "{body}"
    );
    assert!(!body.contains("Old News"), "{body}");

    // A token from registration-service works here: verified through its JWKS.
    let token: serde_json::Value = client
        .post(format!("{}/auth/token", registration.url))
        .json(
            &json!({"grant_type": "password", "email": email, "password": "correct horse battery"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let as_customer = client
        .get(campaigns.url("/emails"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        as_customer.status().as_u16(),
        403,
        "a real customer token is authenticated, then refused"
    );
}
