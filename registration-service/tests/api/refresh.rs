//! Refresh tokens: rotated on every use, stored hashed, revoked by logout
//! and by the reuse of a rotated one.

use futures::future::join_all;
use platform::auth::Role;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{
    problem, registration, spawn_app, unique_email, TestApp, SERVICE_CLIENT_ID,
    SERVICE_CLIENT_SECRET,
};

/// A registered customer's first token answer.
async fn signed_in(app: &TestApp) -> Value {
    let email = unique_email();
    assert_eq!(
        app.register(&registration(&email)).await.status().as_u16(),
        201
    );
    let response = app.token_for(&email, "correct horse battery").await;
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

async fn refresh(app: &TestApp, token: &Value) -> reqwest::Response {
    app.post_json(
        "/auth/token",
        &json!({"grant_type": "refresh_token", "refresh_token": token}),
    )
    .await
}

async fn revoke(app: &TestApp, token: &Value) -> u16 {
    app.post_json("/auth/revoke", &json!({"token": token}))
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_refresh_token_rotates_into_a_new_access_token_and_a_new_refresh_token() {
    let app = spawn_app().await;
    let first = signed_in(&app).await;
    let first_refresh = &first["refresh_token"];
    assert!(first_refresh.is_string(), "a sign-in gets a refresh token");

    let response = refresh(&app, first_refresh).await;

    assert_eq!(response.status().as_u16(), 200);
    let second: Value = response.json().await.unwrap();
    assert_eq!(second["token_type"], "Bearer");
    assert_eq!(second["expires_in"], 900);
    assert_ne!(second["refresh_token"], *first_refresh, "rotated");
    let verifier = app.verifier();
    let renewed = verifier
        .verify(second["access_token"].as_str().unwrap())
        .await
        .unwrap();
    let original = verifier
        .verify(first["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(renewed.sub, original.sub);
    assert_eq!(renewed.role, Role::Customer);
    assert_eq!(renewed.email, original.email);
    assert_eq!(
        refresh(&app, &second["refresh_token"])
            .await
            .status()
            .as_u16(),
        200,
        "the new one works in turn"
    );
}

#[tokio::test]
async fn a_rotated_refresh_token_used_again_revokes_its_whole_family() {
    let app = spawn_app().await;
    let stolen = signed_in(&app).await["refresh_token"].clone();
    let rightful: Value = refresh(&app, &stolen).await.json().await.unwrap();
    let other_sign_in = signed_in(&app).await["refresh_token"].clone();

    problem(refresh(&app, &stolen).await, 401).await;

    problem(refresh(&app, &rightful["refresh_token"]).await, 401).await;
    assert_eq!(
        app.count("SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NOT NULL")
            .await,
        2,
        "both tokens of the family, and nothing else, are revoked"
    );
    assert_eq!(
        refresh(&app, &other_sign_in).await.status().as_u16(),
        200,
        "another sign-in is another family"
    );
}

#[tokio::test]
async fn ten_simultaneous_uses_of_one_refresh_token_rotate_it_at_most_once() {
    let app = spawn_app().await;
    let token = signed_in(&app).await["refresh_token"].clone();

    let statuses: Vec<u16> = join_all((0..10).map(|_| refresh(&app, &token)))
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();

    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        9,
        "{statuses:?}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL")
            .await,
        0,
        "the reuse revoked the family, the winner's new token included"
    );
}

#[tokio::test]
async fn logging_out_revokes_the_sign_in_and_an_unknown_token_is_answered_alike() {
    let app = spawn_app().await;
    let first = signed_in(&app).await["refresh_token"].clone();
    let current: Value = refresh(&app, &first).await.json().await.unwrap();

    assert_eq!(revoke(&app, &current["refresh_token"]).await, 200);

    problem(refresh(&app, &current["refresh_token"]).await, 401).await;
    assert_eq!(revoke(&app, &json!("not-a-token")).await, 200);
    assert_eq!(revoke(&app, &current["refresh_token"]).await, 200);
    let missing = app.post_json("/auth/revoke", &json!({})).await;
    problem(missing, 422).await;
}

#[tokio::test]
async fn an_expired_refresh_token_is_refused() {
    let app = spawn_app().await;
    let token = signed_in(&app).await["refresh_token"].clone();
    sqlx::query(
        "UPDATE refresh_tokens SET created_at = now() - interval '31 days',
             expires_at = now() - interval '1 second'",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();

    let body = problem(refresh(&app, &token).await, 401).await;

    assert!(
        body["detail"].as_str().unwrap().contains("sign in again"),
        "{body}"
    );
}

#[tokio::test]
async fn only_the_hash_of_a_refresh_token_is_stored_and_it_expires_in_thirty_days() {
    let app = spawn_app().await;
    let token = signed_in(&app).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let (hash, days): (Vec<u8>, f64) = sqlx::query_as(
        "SELECT token_hash, extract(epoch FROM expires_at - created_at)::float8 / 86400
         FROM refresh_tokens",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();

    assert_eq!(hash, Sha256::digest(token.as_bytes()).to_vec());
    assert!((days - 30.0).abs() < 0.01, "{days}");
    let text_columns = app
        .count(
            "SELECT count(*) FROM information_schema.columns
             WHERE table_name = 'refresh_tokens' AND data_type IN ('text', 'character varying')",
        )
        .await;
    assert_eq!(text_columns, 0, "no column could hold the token itself");
}

#[tokio::test]
async fn a_service_gets_no_refresh_token_and_a_bad_one_is_a_401_problem() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/auth/token",
            &json!({"grant_type": "client_credentials", "client_id": SERVICE_CLIENT_ID, "client_secret": SERVICE_CLIENT_SECRET}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");

    problem(refresh(&app, &json!("made-up")).await, 401).await;
    let missing = app
        .post_json("/auth/token", &json!({"grant_type": "refresh_token"}))
        .await;
    problem(missing, 422).await;
}
