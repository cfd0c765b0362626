//! Failed logins block only the address that made them (docs/reliability.md):
//! nobody can lock a customer, the admin or a service out of `/auth/token`.

use serde_json::{json, Value};

use crate::helpers::{
    registration, spawn_app_with, unique_email, Options, TestApp, SERVICE_CLIENT_ID,
    SERVICE_CLIENT_SECRET,
};

const ATTACKER: &str = "203.0.113.7";
const CUSTOMER: &str = "198.51.100.9";

/// Behind one trusted proxy (the load balancer), so `X-Forwarded-For` names
/// the client; three failures per account and address, five per address.
async fn app() -> TestApp {
    let mut limits = crate::helpers::relaxed_limits();
    limits.login_per_account = "3/300".parse().unwrap();
    limits.login_per_client = "5/300".parse().unwrap();
    spawn_app_with(Options {
        rate_limits: Some(limits),
        trusted_proxy_hops: 1,
        ..Options::default()
    })
    .await
}

async fn token_from(app: &TestApp, address: &str, grant: &Value) -> u16 {
    app.client
        .post(app.url("/auth/token"))
        .header("x-forwarded-for", address)
        .json(grant)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn password(email: &str, password: &str) -> Value {
    json!({"grant_type": "password", "email": email, "password": password})
}

fn client_credentials(secret: &str) -> Value {
    json!({"grant_type": "client_credentials", "client_id": SERVICE_CLIENT_ID, "client_secret": secret})
}

#[tokio::test]
async fn wrong_passwords_from_one_address_never_refuse_the_right_password_from_another() {
    let app = app().await;
    let email = unique_email();
    assert_eq!(
        app.register(&registration(&email)).await.status().as_u16(),
        201
    );

    let mut attacker = Vec::new();
    for _ in 0..10 {
        attacker.push(token_from(&app, ATTACKER, &password(&email, "guess guess guess")).await);
    }
    let customer = token_from(&app, CUSTOMER, &password(&email, "correct horse battery")).await;
    let attacker_with_the_password =
        token_from(&app, ATTACKER, &password(&email, "correct horse battery")).await;

    assert_eq!(attacker[..3], [401, 401, 401], "{attacker:?}");
    assert!(attacker[3..].iter().all(|s| *s == 429), "{attacker:?}");
    assert_eq!(customer, 200, "the customer logs in from their own address");
    assert_eq!(
        attacker_with_the_password, 429,
        "the guessing address stays blocked"
    );
}

#[tokio::test]
async fn the_right_password_is_never_counted_as_a_failure() {
    let app = app().await;
    let email = unique_email();
    assert_eq!(
        app.register(&registration(&email)).await.status().as_u16(),
        201
    );

    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(token_from(&app, CUSTOMER, &password(&email, "correct horse battery")).await);
    }

    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
}

#[tokio::test]
async fn guesses_at_a_service_clients_public_id_never_lock_the_service_out() {
    let app = app().await;

    let mut attacker = Vec::new();
    for _ in 0..10 {
        attacker
            .push(token_from(&app, ATTACKER, &client_credentials("a guess at the secret")).await);
    }
    let service = token_from(
        &app,
        "10.0.3.25",
        &client_credentials(SERVICE_CLIENT_SECRET),
    )
    .await;

    assert!(
        attacker.iter().all(|s| [401, 429].contains(s)),
        "{attacker:?}"
    );
    assert!(
        attacker.contains(&429),
        "the guessing address is blocked: {attacker:?}"
    );
    assert_eq!(service, 200, "the service still gets its token");
}

#[tokio::test]
async fn an_address_spraying_many_accounts_is_blocked_after_its_own_failures() {
    let app = app().await;

    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(
            token_from(
                &app,
                ATTACKER,
                &password(&unique_email(), "guess guess guess"),
            )
            .await,
        );
    }

    assert_eq!(statuses[..5], [401; 5], "{statuses:?}");
    assert_eq!(statuses[5..], [429; 2], "{statuses:?}");
}
