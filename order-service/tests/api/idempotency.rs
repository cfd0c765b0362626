//! `Idempotency-Key` on `POST /orders` (docs/architecture.md, "Errors and input").

use futures::future::join_all;
use serde_json::Value;

use crate::helpers::{cart_order, problem, spawn_platform};

#[tokio::test]
async fn ten_concurrent_requests_with_one_key_make_exactly_one_order() {
    let p = spawn_platform().await;
    let (mug, sku) = p.product(700, 20).await;
    let customer = p.customer();
    p.add_to_cart(&customer, mug, 2).await;
    let body = cart_order("tok_visa", None);

    let responses = join_all((0..10).map(|_| p.place(&customer, "same-key", &body))).await;
    let mut order_ids = Vec::new();
    let mut in_progress = 0;
    for response in responses {
        match response.status().as_u16() {
            201 => {
                let order: Value = response.json().await.unwrap();
                order_ids.push(order["id"].as_str().unwrap().to_owned());
            }
            409 => {
                let problem = problem(response, 409).await;
                assert!(
                    problem["detail"]
                        .as_str()
                        .unwrap()
                        .contains("still running"),
                    "{problem}"
                );
                in_progress += 1;
            }
            other => panic!(
                "unexpected status {other}: {}",
                response.text().await.unwrap()
            ),
        }
    }
    assert!(
        !order_ids.is_empty(),
        "at least the first request got its order"
    );
    assert!(
        order_ids.iter().all(|id| *id == order_ids[0]),
        "{order_ids:?}"
    );
    assert_eq!(order_ids.len() + in_progress, 10);
    assert_eq!(p.count("SELECT count(*) FROM orders").await, 1);
    assert_eq!(p.available(&sku).await, 18, "stock was taken once");
}

#[tokio::test]
async fn a_replay_returns_the_stored_response_byte_for_byte_and_another_payload_is_422() {
    let p = spawn_platform().await;
    let (mug, _) = p.product(700, 20).await;
    let customer = p.customer();
    p.add_to_cart(&customer, mug, 1).await;
    let body = cart_order("tok_visa", None);

    let first = p.place(&customer, "key-1", &body).await;
    assert_eq!(first.status().as_u16(), 201);
    let first_bytes = first.bytes().await.unwrap();
    // The cart is empty now, so a second run would fail: only a replay gives 201.
    let replay = p.place(&customer, "key-1", &body).await;
    assert_eq!(replay.status().as_u16(), 201);
    assert_eq!(replay.headers()["content-type"], "application/json");
    assert_eq!(replay.bytes().await.unwrap(), first_bytes);

    let other = cart_order("tok_mastercard", None);
    let problem = problem(p.place(&customer, "key-1", &other).await, 422).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("another request body"),
        "{problem}"
    );
    assert_eq!(p.count("SELECT count(*) FROM orders").await, 1);
}

#[tokio::test]
async fn a_final_refusal_is_replayed_too_and_keys_belong_to_one_customer() {
    let p = spawn_platform().await;
    let (mug, _) = p.product(700, 20).await;
    let alice = p.customer();
    let bob = p.customer();
    let body = cart_order("tok_visa", None);

    // Alice's cart is empty: a 422 about the order, stored for her key.
    let refused = p.place(&alice, "shared-key", &body).await;
    assert_eq!(refused.status().as_u16(), 422);
    let refused_bytes = refused.bytes().await.unwrap();
    p.add_to_cart(&alice, mug, 1).await;
    let replay = p.place(&alice, "shared-key", &body).await;
    assert_eq!(replay.status().as_u16(), 422);
    assert_eq!(replay.bytes().await.unwrap(), refused_bytes);

    // Bob's identical key is his own.
    p.add_to_cart(&bob, mug, 1).await;
    let bobs = p.place(&bob, "shared-key", &body).await;
    assert_eq!(bobs.status().as_u16(), 201);
    assert_eq!(p.count("SELECT count(*) FROM orders").await, 1);
    assert_eq!(
        p.count("SELECT count(*) FROM idempotency_keys WHERE key = 'shared-key'")
            .await,
        2
    );
}

#[tokio::test]
async fn keys_older_than_a_day_are_cleaned_up_and_newer_ones_kept() {
    let p = spawn_platform().await;
    let (mug, _) = p.product(700, 20).await;
    let customer = p.customer();
    p.add_to_cart(&customer, mug, 1).await;
    p.place(&customer, "old", &cart_order("tok_visa", None))
        .await;
    p.add_to_cart(&customer, mug, 1).await;
    p.place(&customer, "new", &cart_order("tok_visa", None))
        .await;
    sqlx::query(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old'",
    )
    .execute(&p.order_db.pool)
    .await
    .unwrap();
    let deleted =
        platform::idempotency::clean_up(&p.order_db.pool, platform::idempotency::RETENTION)
            .await
            .unwrap();
    assert_eq!(deleted, 1);
    assert_eq!(
        p.count("SELECT count(*) FROM idempotency_keys WHERE key = 'new'")
            .await,
        1
    );
}

#[tokio::test]
async fn keys_left_running_by_a_crash_are_cleaned_up_after_a_day_and_live_ones_kept() {
    let p = spawn_platform().await;
    // As a process that died mid-request leaves them: `running`, no answer.
    for (key, lock) in [("crashed", "-1 hour"), ("still-running", "1 hour")] {
        sqlx::query(
            "INSERT INTO idempotency_keys (scope, key, request_hash, state, locked_until, created_at) \
             VALUES ('someone', $1, 'h', 'running', now() + $2::interval, now() - interval '25 hours')",
        )
        .bind(key)
        .bind(lock)
        .execute(&p.order_db.pool)
        .await
        .unwrap();
    }

    // The resumer's clean-up may get there first; either way one goes.
    platform::idempotency::clean_up(&p.order_db.pool, platform::idempotency::RETENTION)
        .await
        .unwrap();

    let left: Vec<String> = sqlx::query_scalar("SELECT key FROM idempotency_keys")
        .fetch_all(&p.order_db.pool)
        .await
        .unwrap();
    assert_eq!(left, ["still-running"]);
}
