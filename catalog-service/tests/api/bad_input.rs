//! Bad input is a 4xx problem+json, and nothing is stored or emitted.

use serde_json::{json, Value};

use crate::helpers::{id_of, problem, product, spawn_app, unique_sku};

#[tokio::test]
async fn invalid_products_are_refused_with_the_field_named_and_nothing_stored() {
    let app = spawn_app().await;
    let with = |field: &str, value: Value| {
        let mut body = product(&unique_sku());
        body[field] = value;
        body
    };
    let cases = [
        (
            with("price_cents", json!(-100)),
            "price_cents",
            "a negative price",
        ),
        (with("price_cents", json!(0)), "price_cents", "a zero price"),
        (
            with("price_cents", json!(12.5)),
            "price_cents",
            "a fractional price",
        ),
        (
            with("price_cents", json!("1250")),
            "price_cents",
            "a price as text",
        ),
        (
            with("currency", json!("EUR")),
            "currency",
            "another currency",
        ),
        (
            with("currency", json!("XYZ")),
            "currency",
            "an unknown currency",
        ),
        (with("name", json!("")), "name", "an empty name"),
        (
            with("name", json!("n".repeat(201))),
            "name",
            "an overlong name",
        ),
        (
            with("description", json!("d".repeat(5001))),
            "description",
            "an overlong description",
        ),
        (with("sku", json!("S".repeat(65))), "sku", "an overlong SKU"),
        (with("sku", json!("no spaces")), "sku", "a SKU with a space"),
        (
            with("image_url", json!("javascript:alert(1)")),
            "image_url",
            "a script URL",
        ),
        (
            with("attributes", json!(["a"])),
            "attributes",
            "attributes that are not an object",
        ),
        (
            with("attributes", json!({"k": "v".repeat(5000)})),
            "attributes",
            "oversized attributes",
        ),
        (with("active", json!("yes")), "active", "a non-boolean flag"),
        (
            with("category_id", json!(uuid::Uuid::now_v7())),
            "category_id",
            "an unknown category",
        ),
        (with("version", json!(7)), "version", "an unknown field"),
    ];

    for (body, field, case) in cases {
        let body = problem(app.create_product(&body).await, 422).await;
        assert_eq!(body["errors"][0]["field"], field, "{case}: {body}");
    }

    assert_eq!(app.count("SELECT count(*) FROM products").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 0);
}

#[tokio::test]
async fn a_duplicate_sku_is_a_409_whatever_its_case() {
    let app = spawn_app().await;
    let sku = unique_sku();
    app.created(&product(&sku)).await;

    let body = problem(app.create_product(&product(&sku.to_lowercase())).await, 409).await;

    assert!(body["detail"].as_str().unwrap().contains("SKU"));
    assert_eq!(app.count("SELECT count(*) FROM products").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM outbox").await,
        1,
        "only the first product's event"
    );
}

#[tokio::test]
async fn an_invalid_patch_changes_nothing() {
    let app = spawn_app().await;
    let id = id_of(&app.created(&product(&unique_sku())).await);

    for (patch, case) in [
        (json!({"price_cents": -1}), "a negative price"),
        (json!({"currency": "GBP"}), "another currency"),
        (json!({"name": " "}), "a blank name"),
        (json!({"sku": "NEW-SKU"}), "the SKU"),
        (
            json!({"price_cents": 10, "description": "d".repeat(5001)}),
            "one bad field among good ones",
        ),
    ] {
        let response = app.patch_product(&id, &patch).await;
        assert_eq!(response.status().as_u16(), 422, "{case}");
    }

    let row: (i64, i64) = sqlx::query_as("SELECT price_cents, version FROM products")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(row, (1250, 1));
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 1);
}

#[tokio::test]
async fn bodies_that_are_not_json_are_refused_cleanly() {
    let app = spawn_app().await;
    let broken = app
        .client
        .post(app.url("/products"))
        .bearer_auth(app.tokens.admin())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    problem(broken, 400).await;
    let not_json = app
        .client
        .post(app.url("/products"))
        .bearer_auth(app.tokens.admin())
        .body("sku=X")
        .send()
        .await
        .unwrap();
    problem(not_json, 415).await;
    problem(app.get_product("not-a-uuid").await, 400).await;
    assert_eq!(app.count("SELECT count(*) FROM products").await, 0);
}
