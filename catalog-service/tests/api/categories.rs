//! Categories: admins create, anyone lists.

use serde_json::{json, Value};

use crate::helpers::{problem, spawn_app};

#[tokio::test]
async fn an_admin_creates_categories_and_anyone_pages_through_them() {
    let app = spawn_app().await;
    for name in ["Kitchen", "Garden", "Toys"] {
        let response = app
            .client
            .post(app.url("/categories"))
            .bearer_auth(app.tokens.admin())
            .json(&json!({"name": name, "description": format!("All things {name}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201, "{name}");
    }

    let first: Value = app
        .client
        .get(app.url("/categories?limit=2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second: Value = app
        .client
        .get(app.url(&format!("/categories?limit=2&cursor={cursor}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let names: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Kitchen", "Garden", "Toys"]);
    assert!(second["next_cursor"].is_null());
}

#[tokio::test]
async fn a_category_name_is_unique_ignoring_case_and_must_not_be_blank() {
    let app = spawn_app().await;
    let create = |name: &str| {
        app.client
            .post(app.url("/categories"))
            .bearer_auth(app.tokens.admin())
            .json(&json!({"name": name}))
            .send()
    };
    assert_eq!(create("Kitchen").await.unwrap().status().as_u16(), 201);
    problem(create("kitchen").await.unwrap(), 409).await;
    problem(create("   ").await.unwrap(), 422).await;
    assert_eq!(app.count("SELECT count(*) FROM categories").await, 1);
}
