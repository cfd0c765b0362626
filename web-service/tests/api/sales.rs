//! A flash sale through the pages: claim, sold out, checkout at the sale price.

use crate::helpers::{email, spawn_shop};

#[tokio::test]
async fn of_two_shoppers_claiming_the_last_unit_one_gets_it_and_checks_out_at_the_sale_price() {
    let shop = spawn_shop().await;
    let (_, sku) = shop.product("Noise-cancelling Headphones", 19900, 5).await;
    let sale = shop.flash_sale(&sku, 1, 4900, 1).await;
    let mut first = shop.shopper_from("198.51.100.1");
    let mut second = shop.shopper_from("198.51.100.2");
    first.sign_up(&email(), "/").await;
    second.sign_up(&email(), "/").await;

    let page = first.get(&format!("/sales/{sale}")).await;
    page.assert_shows("Noise-cancelling Headphones")
        .assert_shows("$49.00")
        .assert_shows("Claim one");
    second.get(&format!("/sales/{sale}")).await;

    let got = first.submit(&format!("/sales/{sale}/claim"), &[]).await;
    got.assert_shows("data-claim-result=\"reserved\"")
        .assert_shows("reserved for you until");
    let missed = second.submit(&format!("/sales/{sale}/claim"), &[]).await;
    missed.assert_shows("data-claim-result=\"sold-out\"");

    let start = got.body.find("/checkout?reservation=").unwrap();
    let end = got.body[start..].find('"').unwrap() + start;
    let form = first.get(&got.body[start..end]).await;
    let key = form.input("idempotency_key").unwrap();
    let reservation = form.input("reservation_id").unwrap();
    let order = first
        .submit(
            "/checkout",
            &[
                ("line1", "1 Main St"),
                ("city", "Toronto"),
                ("postal_code", "M5V 2T6"),
                ("country", "CA"),
                ("card_token", "tok_visa"),
                ("reservation_id", &reservation),
                ("idempotency_key", &key),
            ],
        )
        .await;
    order
        .assert_shows("Confirmed")
        .assert_shows("data-order-total>$49.00");
}

#[tokio::test]
async fn a_guest_is_asked_to_sign_in_to_claim() {
    let shop = spawn_shop().await;
    let (_, sku) = shop.product("Headphones", 19900, 5).await;
    let sale = shop.flash_sale(&sku, 2, 4900, 1).await;
    let page = shop.shopper().get(&format!("/sales/{sale}")).await;
    page.assert_shows("Sign in to claim")
        .assert_hides("Claim one");
}
