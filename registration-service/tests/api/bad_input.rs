use serde_json::{json, Value};

use crate::helpers::{problem, registration, spawn_app, unique_email};

fn with(field: &str, value: Value) -> Value {
    let mut body = registration(&unique_email());
    body[field] = value;
    body
}

fn without(field: &str) -> Value {
    let mut body = registration(&unique_email());
    body.as_object_mut().unwrap().remove(field);
    body
}

#[tokio::test]
async fn invalid_registrations_get_a_422_naming_the_field_and_store_nothing() {
    let app = spawn_app().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("missing email", without("email"), "email"),
        ("missing password", without("password"), "password"),
        ("missing first name", without("first_name"), "first_name"),
        (
            "malformed email",
            with("email", json!("not-an-email")),
            "email",
        ),
        (
            "email without domain dot",
            with("email", json!("ada@localhost")),
            "email",
        ),
        (
            "password too short",
            with("password", json!("short")),
            "password",
        ),
        (
            "password too long",
            with("password", json!("p".repeat(129))),
            "password",
        ),
        (
            "overlong first name",
            with("first_name", json!("A".repeat(101))),
            "first_name",
        ),
        (
            "overlong last name",
            with("last_name", json!("L".repeat(101))),
            "last_name",
        ),
        (
            "blank last name",
            with("last_name", json!("   ")),
            "last_name",
        ),
        (
            "overlong postal code",
            with("postal_code", json!("1".repeat(17))),
            "postal_code",
        ),
        ("email of the wrong type", with("email", json!(42)), "email"),
        (
            "opt-in of the wrong type",
            with("marketing_opt_in", json!("yes")),
            "marketing_opt_in",
        ),
        (
            "a field the client may not set",
            with("role", json!("admin")),
            "role",
        ),
    ];

    for (case, body, field) in cases {
        let response = app.register(&body).await;
        assert_eq!(response.status().as_u16(), 422, "case: {case}");
        let body = problem(response, 422).await;
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("case {case}: no errors list in {body}"))
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert!(
            fields.contains(&field),
            "case {case}: expected {field} in {fields:?}"
        );
    }

    assert_eq!(app.count("SELECT count(*) FROM customers").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 0);
}

#[tokio::test]
async fn every_invalid_field_is_reported_at_once() {
    let app = spawn_app().await;
    let body = json!({"email": "nope", "password": "short", "first_name": "", "last_name": "Ok"});

    let body = problem(app.register(&body).await, 422).await;

    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["email", "password", "first_name"]);
}

#[tokio::test]
async fn bodies_that_are_not_json_or_too_large_get_a_4xx_problem_and_store_nothing() {
    let app = spawn_app().await;

    let not_json = app
        .client
        .post(app.url("/customers"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    let body = problem(not_json, 400).await;
    assert!(body["detail"].as_str().unwrap().contains("not valid JSON"));

    let wrong_type = app
        .client
        .post(app.url("/customers"))
        .header("content-type", "text/plain")
        .body("email=ada@example.com")
        .send()
        .await
        .unwrap();
    problem(wrong_type, 415).await;

    let huge = with("first_name", json!("A".repeat(100 * 1024)));
    problem(app.register(&huge).await, 413).await;

    assert_eq!(app.count("SELECT count(*) FROM customers").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 0);
}

#[tokio::test]
async fn sql_metacharacters_are_stored_verbatim() {
    let app = spawn_app().await;
    let mut body = registration(&unique_email());
    body["last_name"] = json!("O'Brien\"; DROP TABLE customers; --");

    let response = app.register(&body).await;

    assert_eq!(response.status().as_u16(), 201);
    let stored: String = sqlx::query_scalar("SELECT last_name FROM customers")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, "O'Brien\"; DROP TABLE customers; --");
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_problem_json() {
    let app = spawn_app().await;
    let missing = app.client.get(app.url("/nope")).send().await.unwrap();
    problem(missing, 404).await;
    let wrong_method = app
        .client
        .delete(app.url("/customers"))
        .send()
        .await
        .unwrap();
    problem(wrong_method, 405).await;
}
