//! `GET /products`: full-text search, filters and keyset pagination.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};

use crate::helpers::{id_of, problem, spawn_app, unique_sku, TestApp};

async fn add(app: &TestApp, name: &str, description: &str, price_cents: i64) -> String {
    id_of(
        &app.created(&json!({
            "sku": unique_sku(),
            "name": name,
            "description": description,
            "price_cents": price_cents,
            "currency": "USD",
        }))
        .await,
    )
}

async fn page(app: &TestApp, query: &str) -> Value {
    let response = app.list(query).await;
    assert_eq!(response.status().as_u16(), 200, "GET /products?{query}");
    response.json().await.unwrap()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn search_finds_words_in_names_and_descriptions_and_ranks_name_matches_first() {
    let app = spawn_app().await;
    add(
        &app,
        "Walnut serving tray",
        "A tray for breakfast in bed.",
        4500,
    )
    .await;
    add(
        &app,
        "Stoneware mug",
        "Pairs well with our walnut coasters.",
        1200,
    )
    .await;
    add(&app, "Linen napkins", "Set of four, natural colour.", 1800).await;

    let found = page(&app, "q=walnut").await;
    assert_eq!(
        names(&found),
        ["Walnut serving tray", "Stoneware mug"],
        "the name match ranks above the description match"
    );

    let stemmed = page(&app, "q=napkin").await;
    assert_eq!(names(&stemmed), ["Linen napkins"], "English stemming");
    let phrase = page(&app, "q=%22natural+colour%22").await;
    assert_eq!(names(&phrase), ["Linen napkins"], "a quoted phrase");
    let excluded = page(&app, "q=walnut+-tray").await;
    assert_eq!(names(&excluded), ["Stoneware mug"], "-word excludes");
    let nothing = page(&app, "q=submarine").await;
    assert!(nothing["items"].as_array().unwrap().is_empty());
    assert!(nothing["next_cursor"].is_null());
}

#[tokio::test]
async fn search_and_browsing_respect_category_price_and_active_filters() {
    let app = spawn_app().await;
    let kitchen: Value = app
        .client
        .post(app.url("/categories"))
        .bearer_auth(app.tokens.admin())
        .json(&json!({"name": "Kitchen"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kitchen_id = kitchen["id"].as_str().unwrap();
    for (name, price, in_kitchen) in [
        ("Cheap lamp", 500, false),
        ("Lamp oil", 900, true),
        ("Grand lamp", 25000, true),
    ] {
        let mut body =
            json!({"sku": unique_sku(), "name": name, "price_cents": price, "currency": "USD"});
        if in_kitchen {
            body["category_id"] = json!(kitchen_id);
        }
        app.created(&body).await;
    }
    let hidden = add(&app, "Retired lamp", "", 700).await;
    app.delete_product(&hidden).await;

    let sorted = |page: Value| {
        let mut n = names(&page);
        n.sort();
        n
    };
    assert_eq!(
        sorted(page(&app, "q=lamp").await),
        ["Cheap lamp", "Grand lamp", "Lamp oil"],
        "inactive hidden"
    );
    assert_eq!(
        sorted(page(&app, &format!("q=lamp&category={kitchen_id}")).await),
        ["Grand lamp", "Lamp oil"]
    );
    assert_eq!(
        sorted(page(&app, "q=lamp&min_price=600&max_price=1000").await),
        ["Lamp oil"]
    );
    assert_eq!(
        names(&page(&app, "max_price=800").await),
        ["Cheap lamp"],
        "browsing filters too"
    );
    assert_eq!(
        names(&page(&app, &format!("category={kitchen_id}&min_price=1000")).await),
        ["Grand lamp"]
    );

    let admin_inactive: Value = app
        .client
        .get(app.url("/products?active=false"))
        .bearer_auth(app.tokens.admin())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(names(&admin_inactive), ["Retired lamp"]);
    problem(app.list("active=false").await, 401).await;
    let (_, customer) = app.tokens.customer();
    let as_customer = app
        .client
        .get(app.url("/products?active=false"))
        .bearer_auth(customer)
        .send()
        .await
        .unwrap();
    problem(as_customer, 403).await;
}

#[tokio::test]
async fn bad_parameters_are_422() {
    let app = spawn_app().await;
    for query in [
        "limit=0",
        "limit=101",
        "min_price=-1",
        "min_price=10&max_price=5",
        "category=nope",
        "colour=red",
        "min_price=1.5",
        "sku=has%20space",
        "sku=semi;colon",
    ] {
        problem(app.list(query).await, 422).await;
    }
}

/// Pages through `query` with `limit`, inserting a product (found by the
/// same query) after each page; returns every id seen, in order.
async fn walk(
    app: &TestApp,
    query: &str,
    limit: usize,
    insert: &(dyn Fn(usize) -> Value + Sync),
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for round in 0.. {
        let url = match &cursor {
            Some(c) => format!("{query}&limit={limit}&cursor={c}"),
            None => format!("{query}&limit={limit}"),
        };
        let page = page(app, &url).await;
        seen.extend(page["items"].as_array().unwrap().iter().map(id_of));
        app.created(&insert(round)).await;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(round < 100, "paging does not end");
    }
    seen
}

#[tokio::test]
async fn paging_returns_every_product_exactly_once_even_with_inserts_between_pages() {
    let app = spawn_app().await;
    let mut originals = HashSet::new();
    for i in 0..23 {
        // Names repeat so browsing must break ties by id; descriptions vary the rank.
        let name = format!("Garden chair {}", i % 4);
        let description = "garden ".repeat(i % 5) + "seat";
        originals.insert(add(&app, &name, &description, 1000 + i as i64).await);
    }
    let newcomer = |round: usize| {
        json!({"sku": unique_sku(), "name": format!("Garden chair {}", round % 4),
               "description": "garden seat, new", "price_cents": 999, "currency": "USD"})
    };

    for query in ["q=garden+chair", "min_price=1"] {
        let seen = walk(&app, query, 5, &newcomer).await;
        let mut counts: HashMap<&String, usize> = HashMap::new();
        for id in &seen {
            *counts.entry(id).or_default() += 1;
        }
        assert!(
            counts.values().all(|n| *n == 1),
            "{query}: no product twice: {counts:?}"
        );
        for id in &originals {
            assert_eq!(
                counts.get(id),
                Some(&1),
                "{query}: every original product once"
            );
        }
    }
}

#[tokio::test]
async fn a_tampered_or_foreign_cursor_is_a_400() {
    let app = spawn_app().await;
    for i in 0..3 {
        add(&app, &format!("Desk lamp {i}"), "", 1000).await;
    }
    let searched = page(&app, "q=lamp&limit=1").await;
    let cursor = searched["next_cursor"].as_str().unwrap().to_owned();
    let browsed = page(&app, "limit=1").await;
    let browse_cursor = browsed["next_cursor"].as_str().unwrap().to_owned();

    let mut tampered = cursor.clone().into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [
        tampered.as_str(),
        "bm90LWEtY3Vyc29y",
        "%%%",
        browse_cursor.as_str(),
    ] {
        let body = problem(app.list(&format!("q=lamp&cursor={bad}")).await, 400).await;
        assert!(body["detail"].as_str().unwrap().contains("cursor"), "{bad}");
    }
    problem(app.list(&format!("cursor={cursor}")).await, 400).await;
}

#[tokio::test]
async fn the_sku_filter_finds_exactly_that_product_in_any_case_and_nothing_else() {
    let app = spawn_app().await;
    let sku = unique_sku();
    let wanted = id_of(
        &app.created(&json!({
            "sku": sku, "name": "Noise-cancelling headphones",
            "description": "Over-ear", "price_cents": 9900, "currency": "USD",
        }))
        .await,
    );
    add(
        &app,
        &format!("Case for {sku}"),
        &format!("Fits {sku}"),
        1500,
    )
    .await;

    let exact = page(&app, &format!("sku={}", sku.to_lowercase())).await;
    let unknown = page(&app, &format!("sku={sku}-NOPE")).await;

    let ids: Vec<&str> = exact["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [wanted.as_str()], "{exact}");
    assert_eq!(unknown["items"].as_array().unwrap().len(), 0, "{unknown}");
}
