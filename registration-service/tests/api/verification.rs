use serde_json::{json, Value};

use crate::helpers::{problem, registration, spawn_app, spawn_app_with, unique_email, Options};

#[tokio::test]
async fn verification_tells_registered_from_unknown_emails() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&registration(&email)).await;

    let known: Value = app
        .post_json(
            "/customers/verification",
            &json!({"email": email.to_uppercase()}),
        )
        .await
        .json()
        .await
        .unwrap();
    let unknown: Value = app
        .post_json("/customers/verification", &json!({"email": unique_email()}))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(known, json!({"registered": true}));
    assert_eq!(unknown, json!({"registered": false}));
}

#[tokio::test]
async fn verification_beyond_the_limit_returns_429_with_retry_after() {
    let mut limits = crate::helpers::relaxed_limits();
    limits.verification = "3/60".parse().unwrap();
    let app = spawn_app_with(Options {
        rate_limits: Some(limits),
        ..Options::default()
    })
    .await;
    let body = json!({"email": unique_email()});

    for attempt in 0..3 {
        let status = app
            .post_json("/customers/verification", &body)
            .await
            .status();
        assert_eq!(
            status.as_u16(),
            200,
            "attempt {attempt} is within the limit"
        );
    }
    let response = app.post_json("/customers/verification", &body).await;

    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "retry-after {retry_after}");
    problem(response, 429).await;
}

#[tokio::test]
async fn a_malformed_email_to_verify_is_a_422() {
    let app = spawn_app().await;
    let body = problem(
        app.post_json("/customers/verification", &json!({"email": "x"}))
            .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "email");
}
