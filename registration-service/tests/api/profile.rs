//! A customer changes their own name and password.

use serde_json::{json, Value};

use crate::helpers::{problem, registration, spawn_app, unique_email, TestApp};

/// A registered customer's email and first token answer.
async fn signed_in(app: &TestApp) -> (String, Value) {
    let email = unique_email();
    assert_eq!(
        app.register(&registration(&email)).await.status().as_u16(),
        201
    );
    let response = app.token_for(&email, "correct horse battery").await;
    assert_eq!(response.status().as_u16(), 200);
    (email, response.json().await.unwrap())
}

fn bearer(tokens: &Value) -> String {
    format!("Bearer {}", tokens["access_token"].as_str().unwrap())
}

#[tokio::test]
async fn a_customer_changes_their_name_and_fields_left_out_keep_their_value() {
    let app = spawn_app().await;
    let (_, tokens) = signed_in(&app).await;
    let changed: Value = app
        .client
        .patch(app.url("/customers/me"))
        .header("authorization", bearer(&tokens))
        .json(&json!({"first_name": "  Augusta "}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(changed["first_name"], "Augusta");
    assert_eq!(
        changed["last_name"],
        registration("x@example.test")["last_name"]
    );
    let me: Value = app
        .client
        .get(app.url("/customers/me"))
        .header("authorization", bearer(&tokens))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["first_name"], "Augusta");
}

#[tokio::test]
async fn a_blank_name_or_an_unknown_field_is_refused_and_nothing_changes() {
    let app = spawn_app().await;
    let (_, tokens) = signed_in(&app).await;
    let patch = |body: Value| {
        app.client
            .patch(app.url("/customers/me"))
            .header("authorization", bearer(&tokens))
            .json(&body)
            .send()
    };
    let blank = problem(patch(json!({"first_name": " "})).await.unwrap(), 422).await;
    assert_eq!(blank["errors"][0]["field"], "first_name");
    problem(
        patch(json!({"email": "new@example.test"})).await.unwrap(),
        422,
    )
    .await;
    let unchanged = app
        .count("SELECT count(*) FROM customers WHERE first_name = 'Ada' AND version = 1")
        .await;
    assert_eq!(unchanged, 1);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_every_sign_in() {
    let app = spawn_app().await;
    let (email, tokens) = signed_in(&app).await;
    let other = app.token_for(&email, "correct horse battery").await;
    let other: Value = other.json().await.unwrap();
    let change = |current: &str, new: &str| {
        app.client
            .post(app.url("/customers/me/password"))
            .header("authorization", bearer(&tokens))
            .json(&json!({"current_password": current, "new_password": new}))
            .send()
    };

    let wrong = problem(
        change("not it at all", "a brand new passphrase")
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(wrong["errors"][0]["field"], "current_password");
    let short = problem(change("correct horse battery", "short").await.unwrap(), 422).await;
    assert_eq!(short["errors"][0]["field"], "new_password");

    let done = change("correct horse battery", "a brand new passphrase")
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 204);
    for session in [&tokens, &other] {
        let refreshed = app
            .post_json(
                "/auth/token",
                &json!({"grant_type": "refresh_token", "refresh_token": session["refresh_token"]}),
            )
            .await;
        assert_eq!(refreshed.status().as_u16(), 401, "every sign-in ended");
    }
    assert_eq!(
        app.token_for(&email, "correct horse battery")
            .await
            .status()
            .as_u16(),
        401
    );
    assert_eq!(
        app.token_for(&email, "a brand new passphrase")
            .await
            .status()
            .as_u16(),
        200
    );
}
