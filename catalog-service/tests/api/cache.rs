//! `GET /products/{id}` from Redis: real hits, read-after-write, one rebuild per key.

use catalog_service::cache::Cached;
use futures::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{
    id_of, parse_id, problem, product, spawn_app, spawn_app_with, unique_sku, Options,
};

#[tokio::test]
async fn a_product_read_once_is_served_while_postgres_is_cut_off() {
    let app = spawn_app_with(Options {
        proxy_postgres: true,
        ..Options::default()
    })
    .await;
    let read_before = id_of(&app.created(&product(&unique_sku())).await);
    let never_read = id_of(&app.created(&product(&unique_sku())).await);
    app.evict(&read_before).await;
    app.evict(&never_read).await;
    assert_eq!(
        app.get_product(&read_before).await.status().as_u16(),
        200,
        "the read that fills the cache"
    );
    let hits = app.hits();

    app.postgres_proxy.as_ref().unwrap().cut();
    let cached = app.get_product(&read_before).await;
    let uncached = app.get_product(&never_read).await;

    assert_eq!(cached.status().as_u16(), 200, "served from Redis");
    let body: Value = cached.json().await.unwrap();
    assert_eq!(body["id"], read_before.as_str());
    assert_eq!(app.hits(), hits + 1);
    problem(uncached, 503).await;
    app.postgres_proxy.as_ref().unwrap().restore();
}

#[tokio::test]
async fn after_a_patch_the_next_read_shows_the_new_price_even_when_the_old_entry_was_cached() {
    let app = spawn_app().await;
    let id = id_of(&app.created(&product(&unique_sku())).await);
    app.evict(&id).await;
    let first: Value = app.get_product(&id).await.json().await.unwrap();
    assert_eq!(first["price_cents"], 1250);
    assert!(
        app.cache_entry(&id).await.unwrap().starts_with("1:"),
        "version 1 is cached"
    );

    let patched = app.patch_product(&id, &json!({"price_cents": 990})).await;
    assert_eq!(patched.status().as_u16(), 200);
    let hits = app.hits();
    let next: Value = app.get_product(&id).await.json().await.unwrap();

    assert_eq!(next["price_cents"], 990, "read-after-write");
    assert_eq!(
        app.hits(),
        hits + 1,
        "and it came from the cache, already replaced"
    );
    app.evict(&id).await;
    let rebuilt: Value = app.get_product(&id).await.json().await.unwrap();
    assert_eq!(rebuilt["price_cents"], 990);
}

#[tokio::test]
async fn a_slow_reader_cannot_put_back_an_entry_older_than_the_last_write() {
    let app = spawn_app().await;
    let created = app.created(&product(&unique_sku())).await;
    let id = parse_id(&created);
    // What a reader that fetched the row before the PATCH would try to store after it.
    let stale = Cached::Present {
        version: 1,
        active: true,
        json: created.to_string(),
    };
    app.patch_product(&id.to_string(), &json!({"price_cents": 700}))
        .await;

    let stored = app.state.cache.fill(id, &stale).await.unwrap();
    let read: Value = app.get_product(&id.to_string()).await.json().await.unwrap();

    assert!(!stored, "the compare-and-set refuses the older version");
    assert_eq!(read["price_cents"], 700);
    assert_eq!(read["version"], 2);
}

/// Counted at a Postgres-protocol proxy in front of the app's database
/// (`query_counter`): each `Bind` of the product-by-id statement is one
/// execution that reached Postgres, whatever the app believes it did.
#[tokio::test]
async fn two_hundred_concurrent_reads_of_an_uncached_product_reach_postgres_once() {
    let app = spawn_app_with(Options {
        count_queries: true,
        ..Options::default()
    })
    .await;
    let counter = app.query_counter.as_ref().unwrap();
    let id = id_of(&app.created(&product(&unique_sku())).await);
    // The counter sees queries at all: one uncached read is one execution.
    app.evict(&id).await;
    let before = counter.count();
    assert_eq!(app.get_product(&id).await.status().as_u16(), 200);
    assert_eq!(counter.count(), before + 1, "the proxy counts a miss");
    app.evict(&id).await;
    let before = counter.count();

    let responses = join_all((0..200).map(|_| async {
        let response = app.get_product(&id).await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        (status, body)
    }))
    .await;

    assert!(
        responses
            .iter()
            .all(|(status, body)| *status == 200 && body["id"] == id.as_str()),
        "every read answers the product"
    );
    assert_eq!(counter.count() - before, 1, "one query reached Postgres");
}
