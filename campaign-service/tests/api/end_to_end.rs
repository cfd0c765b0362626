//! Registration-service and campaign-service together, wired through the
//! emulator's SNS topic and SQS queue as in production.

use std::time::Duration;

use platform::{
    auth::JwksSource,
    testing::{Running, TestEnv},
};
use registration_service::{config::AdminAccount, startup::Registration};
use secrecy::SecretString;
use serde_json::json;

use crate::helpers::{campaign, spawn_app_with, unique_address, Options};

const ADMIN_EMAIL: &str = "admin@e2e.test";
const ADMIN_PASSWORD: &str = "e2e-admin-password";

/// registration-service from its test kit, with an admin account.
async fn spawn_registration(env: &TestEnv) -> Running<Registration> {
    platform::testing::spawn_with_database::<Registration>(|db| {
        let mut settings = registration_service::testing::settings(env, db);
        settings.admin = Some(AdminAccount {
            email: ADMIN_EMAIL.to_owned(),
            password: SecretString::from(ADMIN_PASSWORD),
        });
        settings
    })
    .await
}

#[tokio::test]
async fn registering_through_registration_service_mails_a_welcome_listing_the_active_campaigns() {
    let env = TestEnv::new().await;
    let registration = spawn_registration(&env).await;
    let options = Options {
        jwks: Some(JwksSource::Url(registration.url("/.well-known/jwks.json"))),
        env: Some(env),
        ..Options::default()
    };
    let campaigns = spawn_app_with(options).await;
    let client = reqwest::Client::new();
    // The admin is ensured in the background at start-up.
    let admin_token = platform::testing::eventually(Duration::from_secs(10), || async {
        let response = client
            .post(registration.url("/auth/token"))
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
        .post(registration.url("/customers"))
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
        .post(registration.url("/auth/token"))
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
