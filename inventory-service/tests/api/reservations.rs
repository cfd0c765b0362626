use futures::{stream, StreamExt};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{new_reference, problem, spawn_app};

#[tokio::test]
async fn a_reservation_holds_every_line_or_none_and_lists_the_shortages() {
    let app = spawn_app().await;
    app.set_stock("MUG", 5, 0).await;
    app.set_stock("TEA", 1, 0).await;
    let owner = Uuid::new_v4();

    let short = app
        .reserve(&json!({"reference": new_reference(), "owner_id": owner, "items": [{"sku": "MUG", "quantity": 2}, {"sku": "TEA", "quantity": 3}]}))
        .await;

    let body = problem(short, 409).await;
    assert_eq!(
        body["shortages"],
        json!([{"sku": "TEA", "requested": 3, "available": 1}])
    );
    assert_eq!(app.stock("MUG").await["reserved"], 0, "nothing was held");
    let ok = app
        .reserve(&json!({"reference": new_reference(), "owner_id": owner, "items": [{"sku": "mug", "quantity": 2}, {"sku": "TEA", "quantity": 1}]}))
        .await;
    assert_eq!(ok.status().as_u16(), 201);
    let ok: Value = ok.json().await.unwrap();
    assert_eq!(ok["status"], "held");
    assert_eq!(app.stock("MUG").await["available"], 3);
    app.assert_balanced("MUG").await;
}

#[tokio::test]
async fn the_same_reference_twice_gives_the_same_reservation_and_commit_after_release_is_409() {
    let app = spawn_app().await;
    app.set_stock("PEN", 10, 0).await;
    let body = json!({"reference": new_reference(), "owner_id": Uuid::new_v4(), "items": [{"sku": "PEN", "quantity": 4}]});

    let first: Value = app.reserve(&body).await.json().await.unwrap();
    let again = app.reserve(&body).await;
    assert_eq!(again.status().as_u16(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(app.stock("PEN").await["reserved"], 4, "held once");

    let id = first["id"].as_str().unwrap();
    assert_eq!(app.act(id, "release").await.status().as_u16(), 200);
    assert_eq!(
        app.act(id, "release").await.status().as_u16(),
        200,
        "release is idempotent"
    );
    problem(app.act(id, "commit").await, 409).await;
    assert_eq!(app.stock("PEN").await["available"], 10);
}

#[tokio::test]
async fn committing_sells_the_units_and_is_idempotent() {
    let app = spawn_app().await;
    app.set_stock("CUP", 10, 0).await;
    let r: Value = app
        .reserve(&json!({"reference": new_reference(), "owner_id": Uuid::new_v4(), "items": [{"sku": "CUP", "quantity": 3}]}))
        .await
        .json()
        .await
        .unwrap();
    let id = r["id"].as_str().unwrap();

    for _ in 0..2 {
        let committed: Value = app.act(id, "commit").await.json().await.unwrap();
        assert_eq!(committed["status"], "committed");
    }

    let stock = app.stock("CUP").await;
    assert_eq!(
        (stock["on_hand"].as_i64(), stock["reserved"].as_i64()),
        (Some(7), Some(0))
    );
    problem(app.act(id, "release").await, 409).await;
}

#[tokio::test]
async fn many_concurrent_multi_sku_reservations_never_take_availability_below_zero() {
    let app = spawn_app().await;
    let skus = ["R-A", "R-B", "R-C", "R-D"];
    for sku in skus {
        app.set_stock(sku, 20, 0).await;
    }
    let mut rng = StdRng::seed_from_u64(7);
    let bodies: Vec<Value> = (0..120)
        .map(|_| {
            let mut lines: Vec<Value> = Vec::new();
            for sku in skus {
                if rng.gen_bool(0.5) {
                    lines.push(json!({"sku": sku, "quantity": rng.gen_range(1..=4)}));
                }
            }
            if lines.is_empty() {
                lines.push(json!({"sku": "R-A", "quantity": 1}));
            }
            json!({"reference": new_reference(), "owner_id": Uuid::new_v4(), "items": lines})
        })
        .collect();

    let outcomes: Vec<(u16, Value)> = stream::iter(&bodies)
        .map(|b| {
            let app = &app;
            async move {
                let r = app.reserve(b).await;
                (r.status().as_u16(), r.json().await.unwrap_or_default())
            }
        })
        .buffer_unordered(40)
        .collect()
        .await;

    assert!(
        outcomes.iter().all(|(s, _)| *s == 201 || *s == 409),
        "only holds or shortages"
    );
    assert!(
        outcomes.iter().any(|(s, _)| *s == 409),
        "the stock was contended"
    );
    for sku in skus {
        let held: i64 = sqlx::query_scalar(
            "SELECT COALESCE(sum(quantity), 0) FROM reservation_items WHERE sku = $1",
        )
        .bind(sku)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        let stock = app.stock(sku).await;
        assert!(stock["available"].as_i64().unwrap() >= 0);
        assert_eq!(
            stock["reserved"].as_i64().unwrap(),
            held,
            "{sku}: reserved equals the held lines"
        );
        app.assert_balanced(sku).await;
    }
    let partial: i64 = app
        .count(
            "SELECT count(*) FROM reservations r WHERE NOT EXISTS (SELECT 1 FROM reservation_items i WHERE i.reservation_id = r.id)",
        )
        .await;
    assert_eq!(partial, 0, "no reservation without its lines");
}

#[tokio::test]
async fn reservations_are_for_services_and_bad_ones_get_422() {
    let app = spawn_app().await;
    app.set_stock("BAD", 5, 0).await;
    let (_, customer) = app.tokens.customer();
    let body = json!({"reference": new_reference(), "owner_id": Uuid::new_v4(), "items": [{"sku": "BAD", "quantity": 1}]});
    let as_customer = app
        .client
        .post(app.url("/reservations"))
        .bearer_auth(customer)
        .json(&body)
        .send()
        .await
        .unwrap();
    problem(as_customer, 403).await;

    for (case, items, field) in [
        (
            "zero quantity",
            json!([{"sku": "BAD", "quantity": 0}]),
            "items[0].quantity",
        ),
        (
            "negative quantity",
            json!([{"sku": "BAD", "quantity": -2}]),
            "items[0].quantity",
        ),
        ("no lines", json!([]), "items"),
        (
            "same sku twice",
            json!([{"sku": "BAD", "quantity": 1}, {"sku": "bad", "quantity": 1}]),
            "items[1].sku",
        ),
    ] {
        let body =
            json!({"reference": new_reference(), "owner_id": Uuid::new_v4(), "items": items});
        let body = problem(app.reserve(&body).await, 422).await;
        assert_eq!(body["errors"][0]["field"], field, "case {case}");
    }
    let unknown = json!({"reference": new_reference(), "owner_id": Uuid::new_v4(), "items": [{"sku": "NOPE", "quantity": 1}]});
    problem(app.reserve(&unknown).await, 404).await;
    assert_eq!(app.count("SELECT count(*) FROM reservations").await, 0);
}

#[tokio::test]
async fn a_committed_reservation_returned_for_a_cancelled_order_gives_its_units_back_once() {
    let app = spawn_app().await;
    app.set_stock("CUP", 10, 0).await;
    let held = app
        .reserve(&json!({"reference": new_reference(), "owner_id": Uuid::new_v4(), "items": [{"sku": "CUP", "quantity": 3}]}))
        .await;
    let id = held.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Only a committed reservation can be returned.
    problem(app.act(&id, "return").await, 409).await;
    assert_eq!(app.act(&id, "commit").await.status().as_u16(), 200);
    assert_eq!(app.stock("CUP").await["on_hand"], 7);

    for _ in 0..2 {
        let returned = app.act(&id, "return").await;
        assert_eq!(returned.status().as_u16(), 200);
        assert_eq!(
            returned.json::<Value>().await.unwrap()["status"],
            "returned"
        );
    }
    let stock = app.stock("CUP").await;
    assert_eq!(
        (stock["on_hand"].as_i64(), stock["available"].as_i64()),
        (Some(10), Some(10))
    );
    app.assert_balanced("CUP").await;
    assert_eq!(
        app.count("SELECT count(*) FROM stock_movements WHERE kind = 'return'")
            .await,
        1
    );
    problem(app.act(&id, "release").await, 409).await;
}
