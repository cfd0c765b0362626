//! Product CRUD, who may do what, and conditional reads.

use serde_json::json;

use crate::helpers::{id_of, problem, product, spawn_app, unique_sku};

#[tokio::test]
async fn an_admin_creates_reads_updates_and_deletes_a_product() {
    let app = spawn_app().await;
    let sku = unique_sku();

    let created = app.created(&product(&sku.to_lowercase())).await;
    assert_eq!(created["sku"], sku.as_str(), "the SKU is stored upper case");
    assert_eq!(created["price_cents"], 1250);
    assert_eq!(created["currency"], "USD");
    assert_eq!(created["active"], true);
    assert_eq!(created["version"], 1);
    assert_eq!(created["attributes"]["volume_ml"], 350);
    let id = id_of(&created);

    let read = app.get_product(&id).await;
    assert_eq!(read.status().as_u16(), 200);
    assert_eq!(read.headers()["etag"], "\"v1\"");
    let read: serde_json::Value = read.json().await.unwrap();
    assert_eq!(read, created, "the read is the created product");

    let patched = app
        .patch_product(&id, &json!({"price_cents": 1100, "name": "Blue mug"}))
        .await;
    assert_eq!(patched.status().as_u16(), 200);
    let patched: serde_json::Value = patched.json().await.unwrap();
    assert_eq!(patched["price_cents"], 1100);
    assert_eq!(patched["name"], "Blue mug");
    assert_eq!(
        patched["description"], created["description"],
        "untouched fields stay"
    );
    assert_eq!(patched["version"], 2);

    assert_eq!(app.delete_product(&id).await.status().as_u16(), 204);
    let row: (bool, i64) = sqlx::query_as("SELECT active, version FROM products")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        row,
        (false, 3),
        "deleting deactivates and bumps the version"
    );
    assert_eq!(
        app.delete_product(&id).await.status().as_u16(),
        204,
        "idempotent"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM outbox").await,
        3,
        "one event per change"
    );
}

#[tokio::test]
async fn customers_get_403_and_anonymous_callers_401_on_every_write() {
    let app = spawn_app().await;
    let id = id_of(&app.created(&product(&unique_sku())).await);
    let (_, customer) = app.tokens.customer();
    let body = product(&unique_sku());
    let writes = |token: Option<&str>| {
        let mut requests = vec![
            app.client.post(app.url("/products")).json(&body),
            app.client
                .patch(app.url(&format!("/products/{id}")))
                .json(&json!({"price_cents": 1})),
            app.client.delete(app.url(&format!("/products/{id}"))),
            app.client
                .post(app.url("/categories"))
                .json(&json!({"name": "X"})),
        ];
        if let Some(token) = token {
            requests = requests.into_iter().map(|r| r.bearer_auth(token)).collect();
        }
        requests
    };

    for request in writes(Some(&customer)) {
        problem(request.send().await.unwrap(), 403).await;
    }
    for request in writes(None) {
        let response = request.send().await.unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        problem(response, 401).await;
    }

    let row: (i64, i64, bool) =
        sqlx::query_as("SELECT count(*), max(price_cents), bool_and(active) FROM products")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(row, (1, 1250, true), "nothing changed");
    assert_eq!(app.count("SELECT count(*) FROM categories").await, 0);
}

#[tokio::test]
async fn a_deleted_product_is_404_to_customers_and_anonymous_callers_but_visible_to_admins() {
    let app = spawn_app().await;
    let id = id_of(&app.created(&product(&unique_sku())).await);
    assert_eq!(app.delete_product(&id).await.status().as_u16(), 204);
    let (_, customer) = app.tokens.customer();

    problem(app.get_product(&id).await, 404).await;
    let as_customer = app
        .client
        .get(app.url(&format!("/products/{id}")))
        .bearer_auth(customer)
        .send()
        .await
        .unwrap();
    problem(as_customer, 404).await;
    let as_admin = app
        .client
        .get(app.url(&format!("/products/{id}")))
        .bearer_auth(app.tokens.admin())
        .send()
        .await
        .unwrap();
    assert_eq!(as_admin.status().as_u16(), 200);
    let body: serde_json::Value = as_admin.json().await.unwrap();
    assert_eq!(body["active"], false);
    problem(
        app.get_product(&uuid::Uuid::now_v7().to_string()).await,
        404,
    )
    .await;
}

#[tokio::test]
async fn if_none_match_answers_304_until_the_product_changes() {
    let app = spawn_app().await;
    let id = id_of(&app.created(&product(&unique_sku())).await);
    let conditional = |etag: &str| {
        app.client
            .get(app.url(&format!("/products/{id}")))
            .header("if-none-match", etag)
            .send()
    };

    let unchanged = conditional("\"v1\"").await.unwrap();
    assert_eq!(unchanged.status().as_u16(), 304);
    assert_eq!(unchanged.headers()["etag"], "\"v1\"");
    assert!(unchanged.bytes().await.unwrap().is_empty());

    app.patch_product(&id, &json!({"price_cents": 999})).await;
    let changed = conditional("\"v1\"").await.unwrap();
    assert_eq!(changed.status().as_u16(), 200);
    assert_eq!(changed.headers()["etag"], "\"v2\"");
    let body: serde_json::Value = changed.json().await.unwrap();
    assert_eq!(body["price_cents"], 999);
}

#[tokio::test]
async fn a_product_can_move_between_categories_and_leave_them() {
    let app = spawn_app().await;
    let category = app
        .client
        .post(app.url("/categories"))
        .bearer_auth(app.tokens.admin())
        .json(&json!({"name": "Kitchen"}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let mut body = product(&unique_sku());
    body["category_id"] = category["id"].clone();
    let id = id_of(&app.created(&body).await);

    let cleared: serde_json::Value = app
        .patch_product(&id, &json!({"category_id": null, "image_url": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["category_id"], serde_json::Value::Null);
    assert_eq!(cleared["image_url"], serde_json::Value::Null);

    let unknown = app
        .patch_product(&id, &json!({"category_id": uuid::Uuid::now_v7()}))
        .await;
    let body = problem(unknown, 422).await;
    assert_eq!(body["errors"][0]["field"], "category_id");
}
