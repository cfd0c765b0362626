//! Checkout from the cart: the saga's happy path, its compensations, and bad input.

use std::time::Duration;

use platform::testing::{aws::emails_to, eventually};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{cart_order, problem, spawn_platform, spawn_platform_with, Options};

#[tokio::test]
async fn a_cart_checkout_confirms_commits_stock_redeems_the_promo_ships_and_emails_a_receipt() {
    let p = spawn_platform().await;
    let (mug, mug_sku) = p.product(1250, 10).await;
    let (tea, tea_sku) = p.product(899, 5).await;
    p.promo("TENOFF", 10, None).await;
    let customer = p.customer();
    assert_eq!(
        p.add_to_cart(&customer, mug, 2).await.status().as_u16(),
        200
    );
    let cart: Value = p.add_to_cart(&customer, tea, 1).await.json().await.unwrap();
    assert_eq!(cart["subtotal_cents"], 2 * 1250 + 899);

    let response = p
        .place(
            &customer,
            "order-1",
            &cart_order("tok_visa", Some("tenoff")),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let order: Value = response.json().await.unwrap();
    assert_eq!(order["status"], "confirmed", "{order}");
    assert_eq!(order["subtotal_cents"], 3399);
    assert_eq!(order["discount_cents"], 339);
    assert_eq!(order["total_cents"], 3399 - 339);
    assert_eq!(order["currency"], "USD");
    assert_eq!(order["promo_code"], "TENOFF");
    assert_eq!(order["items"].as_array().unwrap().len(), 2);
    assert_eq!(order["shipment"]["status"], "pending");
    assert!(order["shipment"]["tracking_number"]
        .as_str()
        .unwrap()
        .starts_with("SP"));

    // Stock is sold, not merely held.
    let stock = p.stock(&mug_sku).await;
    assert_eq!(
        (stock["on_hand"].as_i64(), stock["reserved"].as_i64()),
        (Some(8), Some(0))
    );
    assert_eq!(p.available(&tea_sku).await, 4);
    assert_eq!(p.redemptions("TENOFF").await, 1);
    assert_eq!(
        p.count("SELECT count(*) FROM payments WHERE status = 'captured'")
            .await,
        1
    );
    // The ordered lines left the cart.
    let cart: Value = p
        .client
        .get(p.order_url("/cart"))
        .bearer_auth(&customer.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cart["items"], json!([]));

    let receipt = eventually(Duration::from_secs(20), || async {
        let emails = emails_to(&customer.email).await;
        (!emails.is_empty()).then_some(emails)
    })
    .await
    .expect("a receipt email reached the emulator");
    assert_eq!(receipt.len(), 1);
    let subject = receipt[0]["subject"].as_str().unwrap_or_default();
    assert!(
        subject.contains(order["id"].as_str().unwrap()) || subject.to_lowercase().contains("order"),
        "{subject}"
    );
}

#[tokio::test]
async fn a_declined_card_fails_the_order_and_releases_stock_and_promo() {
    let p = spawn_platform().await;
    let (mug, sku) = p.product(1000, 3).await;
    p.promo("DECLINE5", 5, Some(1)).await;
    let customer = p.customer();
    p.add_to_cart(&customer, mug, 2).await;
    let before = p.available(&sku).await;

    let response = p
        .place(
            &customer,
            "k1",
            &cart_order("tok_declined", Some("DECLINE5")),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let order: Value = response.json().await.unwrap();
    assert_eq!(order["status"], "failed");
    assert!(
        order["reason"].as_str().unwrap().contains("declined"),
        "{order}"
    );
    assert_eq!(p.available(&sku).await, before, "the hold was released");
    assert_eq!(p.stock(&sku).await["reserved"], 0);
    assert_eq!(
        p.redemptions("DECLINE5").await,
        0,
        "the redemption was released"
    );
    assert_eq!(
        p.count("SELECT count(*) FROM payments").await,
        0,
        "nothing was authorised"
    );

    // The promo code (capped at one use) is usable again by a good card.
    let response = p
        .place(&customer, "k2", &cart_order("tok_visa", Some("DECLINE5")))
        .await;
    let order: Value = response.json().await.unwrap();
    assert_eq!(order["status"], "confirmed", "{order}");
    assert_eq!(p.redemptions("DECLINE5").await, 1);
}

#[tokio::test]
async fn not_enough_stock_fails_the_order_and_names_the_short_sku() {
    let p = spawn_platform().await;
    let (mug, sku) = p.product(1000, 1).await;
    let customer = p.customer();
    p.add_to_cart(&customer, mug, 3).await;
    let order: Value = p
        .place(&customer, "k", &cart_order("tok_visa", None))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(order["status"], "failed");
    assert!(order["reason"].as_str().unwrap().contains(&sku), "{order}");
    assert_eq!(p.available(&sku).await, 1);
}

#[tokio::test]
async fn a_card_that_times_out_once_is_asked_again_and_charged_once() {
    let p = spawn_platform().await;
    let (mug, _) = p.product(500, 5).await;
    let customer = p.customer();
    p.add_to_cart(&customer, mug, 1).await;
    let order: Value = p
        .place(&customer, "k", &cart_order("tok_timeout", None))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(order["status"], "confirmed", "{order}");
    assert_eq!(p.count("SELECT count(*) FROM payments").await, 1);
    assert_eq!(p.count("SELECT count(*) FROM payment_timeouts").await, 1);
}

#[tokio::test]
async fn bad_orders_get_a_problem_naming_it_and_leave_nothing_behind() {
    let p = spawn_platform().await;
    let (mug, _) = p.product(500, 5).await;
    let customer = p.customer();

    // Empty cart.
    let body = problem(
        p.place(&customer, "empty", &cart_order("tok_visa", None))
            .await,
        422,
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("cart"), "{body}");

    p.add_to_cart(&customer, mug, 1).await;
    let cases: Vec<(Value, &str)> = vec![
        (cart_order("4242424242424242", None), "payment.card_token"),
        (
            cart_order("tok_visa", Some("no spaces allowed")),
            "promo_code",
        ),
        (
            json!({"from": "cart", "payment": {"card_token": "tok_visa"}, "shipping_address": {"line1": "", "city": "X", "postal_code": "1", "country": "CA"}}),
            "shipping_address.line1",
        ),
        (
            json!({"from": "wishlist", "payment": {"card_token": "tok_visa"}, "shipping_address": crate::helpers::address()}),
            "from",
        ),
        (
            {
                let mut b = cart_order("tok_visa", None);
                b["total_cents"] = json!(1);
                b
            },
            "total_cents",
        ),
        (
            {
                let mut b = cart_order("tok_visa", None);
                b["customer_id"] = json!(Uuid::new_v4());
                b
            },
            "customer_id",
        ),
    ];
    for (i, (body, field)) in cases.into_iter().enumerate() {
        let response = p.place(&customer, &format!("bad-{i}"), &body).await;
        let problem = problem(response, 422).await;
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|f| f["field"].as_str()).collect())
            .unwrap_or_default();
        assert!(fields.contains(&field), "{field}: {problem}");
    }

    // Missing key.
    let response = p
        .client
        .post(p.order_url("/orders"))
        .bearer_auth(&customer.token)
        .json(&cart_order("tok_visa", None))
        .send()
        .await
        .unwrap();
    let body = problem(response, 400).await;
    assert!(body["detail"].as_str().unwrap().contains("Idempotency-Key"));

    // Cart lines: quantity 0, huge, unknown product.
    for quantity in [0, 101, 1_000_000_000_000] {
        let body = problem(p.add_to_cart(&customer, mug, quantity).await, 422).await;
        assert_eq!(body["errors"][0]["field"], "quantity");
    }
    problem(p.add_to_cart(&customer, Uuid::new_v4(), 1).await, 404).await;

    assert_eq!(
        p.count("SELECT count(*) FROM orders").await,
        0,
        "no order was made"
    );
    assert_eq!(p.count("SELECT count(*) FROM order_items").await, 0);
}

#[tokio::test]
async fn a_service_token_has_no_cart_and_a_missing_token_is_401() {
    let p = spawn_platform().await;
    let response = p
        .client
        .get(p.order_url("/cart"))
        .bearer_auth(p.tokens.service("campaign-service"))
        .send()
        .await
        .unwrap();
    problem(response, 403).await;
    let response = p.client.get(p.order_url("/cart")).send().await.unwrap();
    problem(response, 401).await;
}

#[tokio::test]
async fn a_new_order_is_not_due_to_the_resumer_before_the_checkout_budget_so_no_spurious_202() {
    // A resumer that looks all the time: were a new order due at once, it
    // could take the lease from the request placing the order (a 202).
    let p = spawn_platform_with(Options {
        resume_interval: Duration::from_millis(1),
        ..Options::default()
    })
    .await;
    let (mug, _) = p.product(700, 100).await;
    let customer = p.customer();

    let mut statuses = Vec::new();
    for n in 0..20 {
        p.add_to_cart(&customer, mug, 1).await;
        let response = p
            .place(
                &customer,
                &format!("order-{n}"),
                &cart_order("tok_visa", None),
            )
            .await;
        statuses.push(response.status().as_u16());
    }
    let due_at_once: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM orders WHERE next_attempt_at < created_at + interval '4 seconds'",
    )
    .fetch_one(&p.order_db.pool)
    .await
    .unwrap();

    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    assert_eq!(
        due_at_once, 0,
        "every order was first due after the checkout budget"
    );
}
