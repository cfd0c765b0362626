//! Checkout through the pages: promo codes, field errors, declined cards,
//! one order per form however often it is sent, and cancelling.

use reqwest::StatusCode;

use crate::helpers::{email, spawn_shop, Page, Shopper};

fn address_fields<'a>(card: &'a str, promo: &'a str, key: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("line1", "1 Main St"),
        ("city", "Toronto"),
        ("province", "ON"),
        ("postal_code", "M5V 2T6"),
        ("country", "ca"),
        ("card_token", card),
        ("promo_code", promo),
        ("idempotency_key", key),
    ]
}

async fn checkout(shopper: &mut Shopper, card: &str, promo: &str) -> Page {
    let form = shopper.get(&format!("/checkout?promo={promo}")).await;
    let key = form.input("idempotency_key").expect("the form has its key");
    shopper
        .submit("/checkout", &address_fields(card, promo, &key))
        .await
}

#[tokio::test]
async fn a_guest_fills_a_cart_signs_up_at_checkout_and_orders_with_a_promo_code() {
    let shop = spawn_shop().await;
    shop.promo("WELCOME10", 10).await;
    let (mug, sku) = shop.product("Blue Enamel Mug", 1250, 10).await;
    let mut shopper = shop.shopper();
    shopper.add_to_cart(mug, "2").await;

    let preview = shopper.get("/basket?promo=welcome10").await;
    preview
        .assert_shows("Discount")
        .assert_shows("-$2.50")
        .assert_shows("$22.50");

    // Checkout asks a guest to sign in; signing up comes back to it.
    let response = shopper.get_once("/checkout").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = shopper.sign_up(&email(), "/checkout").await;
    assert_eq!(page.path, "/checkout");
    page.assert_shows("Blue Enamel Mug").assert_shows("$25.00");

    let confirmation = checkout(&mut shopper, "tok_visa", "WELCOME10").await;
    assert!(
        confirmation.path.starts_with("/account/orders/"),
        "{}",
        confirmation.path
    );
    confirmation
        .assert_shows("Confirmed")
        .assert_shows("-$2.50")
        .assert_shows("data-order-total>$22.50");
    assert_eq!(shop.available(&sku).await, 8);
    shopper
        .get("/basket")
        .await
        .assert_shows("Your cart is empty");

    let orders = shopper.get("/account/orders").await;
    orders.assert_shows("$22.50").assert_shows("Confirmed");

    let cancelled = shopper
        .submit(&format!("{}/cancel", confirmation.path), &[])
        .await;
    cancelled
        .assert_shows("Your order is cancelled")
        .assert_shows("Cancelled");
    assert_eq!(shop.available(&sku).await, 10, "stock back");
}

#[tokio::test]
async fn a_declined_card_shows_the_reason_and_keeps_the_cart() {
    let shop = spawn_shop().await;
    let (mug, sku) = shop.product("Blue Enamel Mug", 1250, 10).await;
    let mut shopper = shop.shopper();
    shopper.sign_up(&email(), "/").await;
    shopper.add_to_cart(mug, "1").await;
    let page = checkout(&mut shopper, "tok_declined", "").await;
    page.assert_shows("Your order was not placed")
        .assert_shows("declined")
        .assert_shows("your cart is as it was");
    shopper.get("/basket").await.assert_shows("Blue Enamel Mug");
    assert_eq!(shop.available(&sku).await, 10);
}

#[tokio::test]
async fn address_errors_from_the_order_service_are_shown_beside_their_fields() {
    let shop = spawn_shop().await;
    let (mug, _) = shop.product("Blue Enamel Mug", 1250, 10).await;
    let mut shopper = shop.shopper();
    shopper.sign_up(&email(), "/").await;
    shopper.add_to_cart(mug, "1").await;
    let form = shopper.get("/checkout").await;
    let key = form.input("idempotency_key").unwrap();
    let mut fields = address_fields("tok_visa", "", &key);
    fields.retain(|(name, _)| *name != "city" && *name != "postal_code");
    let page = shopper.submit("/checkout", &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_shows("id=\"city-error\"")
        .assert_shows("id=\"postal_code-error\"")
        .assert_shows("value=\"1 Main St\"");
    shopper
        .get("/account/orders")
        .await
        .assert_shows("No orders yet");
}

#[tokio::test]
async fn the_same_checkout_form_sent_twice_places_one_order() {
    let shop = spawn_shop().await;
    let (mug, sku) = shop.product("Blue Enamel Mug", 1250, 10).await;
    let mut shopper = shop.shopper();
    shopper.sign_up(&email(), "/").await;
    shopper.add_to_cart(mug, "1").await;
    let form = shopper.get("/checkout").await;
    let key = form.input("idempotency_key").unwrap();
    let fields = address_fields("tok_visa", "", &key);
    let first = shopper.submit("/checkout", &fields).await;
    let second = shopper.submit("/checkout", &fields).await;
    assert_eq!(
        first.path, second.path,
        "the second send shows the same order"
    );
    assert_eq!(shop.available(&sku).await, 9);
    let orders = shopper.get("/account/orders").await;
    assert_eq!(
        orders.body.matches("/account/orders/").count(),
        1,
        "one order listed"
    );
}

#[tokio::test]
async fn a_form_sent_again_while_its_first_send_is_still_being_placed_waits_for_that_order() {
    let shop = spawn_shop().await;
    let (mug, sku) = shop.product("Blue Enamel Mug", 1250, 10).await;
    let mut shopper = shop.shopper();
    shopper.sign_up(&email(), "/").await;
    shopper.add_to_cart(mug, "1").await;
    let form = shopper.get("/checkout").await;
    let key = form.input("idempotency_key").unwrap();
    let fields = address_fields("tok_visa", "", &key);
    shopper.submit("/checkout", &fields).await;
    // As order-service sees a second send while the first is still running:
    // the key claimed, no answer stored yet.
    let claimed = sqlx::query(
        "UPDATE idempotency_keys
         SET state = 'running', resource_id = NULL, response_status = NULL,
             response_body = NULL, locked_until = now() + interval '1 hour'
         WHERE key = $1",
    )
    .bind(&key)
    .execute(&shop.order.state.pool)
    .await
    .unwrap();
    assert_eq!(claimed.rows_affected(), 1);

    let again = shopper.submit("/checkout", &fields).await;

    assert_eq!(
        again.path, "/account/orders",
        "sent to the orders, not a new form"
    );
    again.assert_shows("Your order is being placed");
    assert_eq!(
        again.body.matches("/account/orders/").count(),
        1,
        "one order"
    );
    assert_eq!(shop.available(&sku).await, 9);
}
