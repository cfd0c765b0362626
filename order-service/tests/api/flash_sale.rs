//! Checking out a flash-sale claim (docs/architecture.md, "Flash sales", "Checkout saga").

use std::time::Duration;

use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::helpers::{
    address, problem, spawn_platform, spawn_platform_with, Customer, Options, Platform,
};

fn at(minutes: i64) -> String {
    (OffsetDateTime::now_utc() + time::Duration::minutes(minutes))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// A sale of `quantity` units of `sku` at `price_cents`, open now.
async fn open_sale(p: &Platform, sku: &str, quantity: i64, price_cents: i64) -> String {
    let response = p
        .client
        .post(format!("{}/flash-sales", p.inventory.address))
        .bearer_auth(p.tokens.admin())
        .json(&json!({
            "sku": sku, "quantity": quantity, "price_cents": price_cents,
            "starts_at": at(-1), "ends_at": at(30), "per_customer_limit": 1,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201, "creating the sale");
    let sale: Value = response.json().await.unwrap();
    sale["id"].as_str().unwrap().to_owned()
}

async fn claim(p: &Platform, sale: &str, customer: &Customer) -> String {
    let response = p
        .client
        .post(format!("{}/flash-sales/{sale}/claims", p.inventory.address))
        .bearer_auth(&customer.token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201, "claiming");
    let claim: Value = response.json().await.unwrap();
    claim["reservation_id"].as_str().unwrap().to_owned()
}

fn reservation_order(reservation: &str, card: &str) -> Value {
    json!({"reservation_id": reservation, "payment": {"card_token": card}, "shipping_address": address()})
}

#[tokio::test]
async fn the_owner_checks_out_a_claim_at_the_sale_price_and_nobody_else_can() {
    let p = spawn_platform().await;
    let (_, sku) = p.product(5000, 10).await;
    let sale = open_sale(&p, &sku, 3, 1999).await;
    let owner = p.customer();
    let other = p.customer();
    let reservation = claim(&p, &sale, &owner).await;

    let refused = p
        .place(
            &other,
            "theirs",
            &reservation_order(&reservation, "tok_visa"),
        )
        .await;
    let body = problem(refused, 404).await;
    assert_eq!(body["title"], "Unknown reservation");
    assert_eq!(p.count("SELECT count(*) FROM orders").await, 0);

    let response = p
        .place(&owner, "mine", &reservation_order(&reservation, "tok_visa"))
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let order: Value = response.json().await.unwrap();
    assert_eq!(order["status"], "confirmed", "{order}");
    assert_eq!(order["items"][0]["unit_price_cents"], 1999);
    assert_eq!(order["items"][0]["sku"], sku.as_str());
    assert_eq!(order["items"][0]["name"], format!("Product {sku}"));
    assert_eq!(order["total_cents"], 1999);
    assert_eq!(order["reservation_id"], reservation.as_str());

    // The unit is sold: the SKU's books still balance.
    let stock = p.stock(&sku).await;
    let n = |k: &str| stock[k].as_i64().unwrap();
    assert_eq!(n("on_hand"), 9, "{stock}");
    assert_eq!(
        n("on_hand"),
        n("available") + n("reserved") + n("allocated_to_sales")
    );

    // A second order for the same claim is refused.
    let again = p
        .place(
            &owner,
            "mine-again",
            &reservation_order(&reservation, "tok_visa"),
        )
        .await;
    problem(again, 409).await;
}

#[tokio::test]
async fn a_flash_sale_order_line_names_its_catalog_product_found_by_its_exact_sku() {
    // The SKU appears nowhere in the name or description: a text search for
    // it finds nothing (it once left `product_id` null).
    let p = spawn_platform().await;
    let (product_id, sku) = p
        .product_named(Some("Noise-cancelling headphones"), 5000, 10)
        .await;
    let sale = open_sale(&p, &sku, 3, 1999).await;
    let owner = p.customer();
    let reservation = claim(&p, &sale, &owner).await;

    let response = p
        .place(&owner, "mine", &reservation_order(&reservation, "tok_visa"))
        .await;

    assert_eq!(response.status().as_u16(), 201);
    let order: Value = response.json().await.unwrap();
    assert_eq!(
        order["items"][0]["product_id"],
        product_id.to_string(),
        "{order}"
    );
    assert_eq!(order["items"][0]["name"], "Noise-cancelling headphones");
}

#[tokio::test]
async fn a_claim_that_expired_before_checkout_fails_the_order_and_voids_the_payment() {
    // Claims hold for 1 s and the sweeper does not run, so the expired hold
    // is still `held` when the order starts, and inventory refuses the commit.
    let p = spawn_platform_with(Options {
        claim_ttl: Duration::from_secs(1),
        inventory_sweep: Duration::from_secs(3600),
        ..Options::default()
    })
    .await;
    let (_, sku) = p.product(5000, 10).await;
    let sale = open_sale(&p, &sku, 3, 1999).await;
    let owner = p.customer();
    let reservation = claim(&p, &sale, &owner).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let response = p
        .place(&owner, "late", &reservation_order(&reservation, "tok_visa"))
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let order: Value = response.json().await.unwrap();
    assert_eq!(order["status"], "failed", "{order}");
    assert!(
        order["reason"].as_str().unwrap().contains("hold ended"),
        "{order}"
    );
    let payment: String = sqlx::query_scalar("SELECT status FROM payments")
        .fetch_one(&p.order_db.pool)
        .await
        .unwrap();
    assert_eq!(payment, "voided");
    let stock = p.stock(&sku).await;
    assert_eq!(stock["on_hand"], 10, "nothing was sold: {stock}");
}

#[tokio::test]
async fn a_claim_committed_by_a_call_whose_reply_was_lost_is_returned_when_the_order_fails() {
    // inventory commits the claim but its answer never arrives: the order
    // gives up, voids the payment, and must not leave the unit sold to a
    // failed order.
    let mut options = Options {
        proxy_inventory: true,
        ..Options::default()
    };
    options.saga.give_up_after = Duration::from_secs(2);
    let p = spawn_platform_with(options).await;
    let (_, sku) = p.product(5000, 10).await;
    let sale = open_sale(&p, &sku, 3, 1999).await;
    let owner = p.customer();
    let reservation = claim(&p, &sale, &owner).await;
    let proxy = p.inventory_proxy.as_ref().unwrap();
    proxy.lose_replies_to(Some(&format!("POST /reservations/{reservation}/commit")));

    let placed = p
        .place(
            &owner,
            "lost-commit",
            &reservation_order(&reservation, "tok_visa"),
        )
        .await;
    let placed: Value = placed.json().await.unwrap();
    // Every such reply stays lost until the order has given up.
    let failed = p
        .settled(
            &owner.token,
            placed["id"].as_str().unwrap(),
            Duration::from_secs(30),
        )
        .await;
    proxy.restore();

    assert_eq!(failed["status"], "failed", "{failed}");
    let stock = p.stock(&sku).await;
    let n = |k: &str| stock[k].as_i64().unwrap();
    assert_eq!(n("on_hand"), 10, "nothing was sold: {stock}");
    assert_eq!(
        n("on_hand"),
        n("available") + n("reserved") + n("allocated_to_sales")
    );
    let held: Value = p
        .client
        .get(format!(
            "{}/reservations/{reservation}",
            p.inventory.address
        ))
        .bearer_auth(&owner.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(held["status"], "returned", "{held}");
}
