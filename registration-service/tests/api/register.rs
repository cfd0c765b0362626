use std::time::Duration;

use futures::future::join_all;
use platform::events::Envelope;
use serde_json::Value;

use crate::helpers::{problem, registration, spawn_app, unique_email};

#[tokio::test]
async fn registering_returns_201_stores_an_argon2id_hash_and_publishes_one_event() {
    let app = spawn_app().await;
    let email = unique_email();

    let response = app.register(&registration(&email)).await;

    assert_eq!(response.status().as_u16(), 201);
    let text = response.text().await.unwrap();
    assert!(!text.contains("password"), "no password material in {text}");
    assert!(!text.contains("argon2"), "no password material in {text}");
    let customer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(customer["email"], email.as_str());
    assert_eq!(customer["role"], "customer");

    let hash: String = sqlx::query_scalar("SELECT password_hash FROM customers WHERE email = $1")
        .bind(&email)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 1);

    let queue = app.messaging.queue_url("campaign");
    let messages = app.messaging.drain(&queue, Duration::from_secs(5)).await;
    assert_eq!(messages.len(), 1, "one event reaches the subscribed queue");
    let message = &messages[0];
    let envelope: Envelope = serde_json::from_str(message.body().unwrap()).unwrap();
    assert_eq!(envelope.event_type, "customer.registered");
    assert_eq!(envelope.id.get_version_num(), 7, "event ids are UUID v7");
    assert_eq!(envelope.source, "registration-service");
    assert_eq!(envelope.sequence, 1);
    assert_eq!(envelope.aggregate_id, customer["id"].as_str().unwrap());
    assert_eq!(envelope.data["customer_id"], customer["id"]);
    assert_eq!(envelope.data["email"], email.as_str());
    assert_eq!(envelope.data["marketing_opt_in"], true);
    assert!(envelope.correlation_id.is_some_and(|id| !id.is_empty()));
    let attribute = message
        .message_attributes()
        .and_then(|a| a.get("event_type"))
        .and_then(|v| v.string_value())
        .map(str::to_owned);
    assert_eq!(attribute.as_deref(), Some("customer.registered"));
    let unpublished = app
        .count("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        .await;
    assert_eq!(unpublished, 0, "the relay marked the row published");
}

#[tokio::test]
async fn registering_the_same_email_in_another_case_with_spaces_returns_409() {
    let app = spawn_app().await;
    let email = unique_email();
    assert_eq!(
        app.register(&registration(&email)).await.status().as_u16(),
        201
    );

    let shouted = format!("  {}  ", email.to_uppercase());
    let body = problem(app.register(&registration(&shouted)).await, 409).await;

    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("already registered"));
    assert_eq!(app.count("SELECT count(*) FROM customers").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM outbox").await,
        1,
        "no second event"
    );
}

#[tokio::test]
async fn twenty_concurrent_registrations_of_one_email_yield_exactly_one_201() {
    let app = spawn_app().await;
    let email = unique_email();

    let body = registration(&email);
    let attempts = (0..20).map(|_| app.register(&body));
    let statuses: Vec<u16> = join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();

    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
    assert_eq!(app.count("SELECT count(*) FROM customers").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 1);
}

#[tokio::test]
async fn the_profile_of_the_logged_in_customer_is_returned_without_the_hash() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&registration(&email)).await;
    let token: Value = app
        .token_for(&email, "correct horse battery")
        .await
        .json()
        .await
        .unwrap();

    let response = app
        .client
        .get(app.url("/customers/me"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["email"], email.as_str());
    assert_eq!(me["city"], "London");
    assert!(me.get("password_hash").is_none());
}
