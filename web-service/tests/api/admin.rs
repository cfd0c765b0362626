//! The back office: only admins see it (everyone else gets the 404 page),
//! and each form's change is visible through the owning service's API.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{email, sku, spawn_shop, Shop};

const ADMIN_PAGES: [&str; 8] = [
    "/admin",
    "/admin/products",
    "/admin/products/new",
    "/admin/products/00000000-0000-0000-0000-000000000000",
    "/admin/stock",
    "/admin/stock/ANY-SKU",
    "/admin/orders",
    "/admin/orders/00000000-0000-0000-0000-000000000000/ship",
];

async fn catalog_product(shop: &Shop, id: &str) -> reqwest::Response {
    shop.admin
        .get(shop.catalog.url(&format!("/products/{id}")))
        .bearer_auth(shop.tokens.admin())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_guest_or_a_customer_gets_the_404_page_on_every_admin_address() {
    let shop = spawn_shop().await;
    let mut guest = shop.shopper();
    let unknown = guest.get("/no-such-page").await;
    let mut customer = shop.shopper_from("198.51.100.8");
    customer.sign_up(&email(), "/").await;

    for path in ADMIN_PAGES {
        for (who, visitor) in [("a guest", &mut guest), ("a customer", &mut customer)] {
            let page = visitor.get(path).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{who} on {path}");
            assert_eq!(
                page.body, unknown.body,
                "{who} on {path}: just the 404 page"
            );
        }
    }
    // A write is refused the same way (with its CSRF token, so it is not the 403).
    let page = customer
        .submit("/admin/stock/ANY-SKU", &[("on_hand", "1")])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_admin_adds_edits_and_deactivates_a_product_with_field_errors_in_the_form() {
    let shop = spawn_shop().await;
    let mut admin = shop.admin_shopper().await;
    let page = admin.get("/admin/products/new").await;
    assert_eq!(page.headers["cache-control"], "private, no-store");
    let sku = sku();

    let refused = admin
        .submit(
            "/admin/products/new",
            &[
                ("sku", &sku),
                ("name", ""),
                ("description", "Blue."),
                ("price", "12.50"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused
        .assert_shows("id=\"name-error\"")
        .assert_shows(&format!("value=\"{sku}\""));
    let bad_price = admin
        .submit(
            "/admin/products/new",
            &[("sku", &sku), ("name", "Blue Mug"), ("price", "twelve")],
        )
        .await;
    bad_price.assert_shows("id=\"price-error\"");

    let created = admin
        .submit(
            "/admin/products/new",
            &[
                ("sku", &sku),
                ("name", "Blue Mug"),
                ("description", "Blue."),
                ("price", "12.50"),
            ],
        )
        .await;
    assert!(
        created.path.starts_with("/admin/products/"),
        "{}",
        created.path
    );
    created.assert_shows("Blue Mug is in the catalog");
    let id = created
        .path
        .trim_start_matches("/admin/products/")
        .to_owned();
    let product: Value = catalog_product(&shop, &id).await.json().await.unwrap();
    assert_eq!(product["price_cents"], 1250);
    assert_eq!(product["sku"], sku.as_str());

    let edited = admin
        .submit(
            &format!("/admin/products/{id}"),
            &[
                ("name", "Blue Mug, large"),
                ("description", "Blue and large."),
                ("price", "14"),
            ],
        )
        .await;
    edited.assert_shows("Blue Mug, large is saved");
    let product: Value = catalog_product(&shop, &id).await.json().await.unwrap();
    assert_eq!(product["price_cents"], 1400);
    assert_eq!(product["name"], "Blue Mug, large");
    admin
        .get("/admin/products?q=large")
        .await
        .assert_shows("Blue Mug, large");

    let confirm = admin.get(&format!("/admin/products/{id}/deactivate")).await;
    confirm.assert_shows("Deactivate Blue Mug, large?");
    let product: Value = catalog_product(&shop, &id).await.json().await.unwrap();
    assert_eq!(product["active"], true, "asking changed nothing");
    admin
        .submit(&format!("/admin/products/{id}/deactivate"), &[])
        .await
        .assert_shows("is no longer sold");
    let product: Value = catalog_product(&shop, &id).await.json().await.unwrap();
    assert_eq!(product["active"], false);
    let shop_page = shop.shopper().get(&format!("/shop/{id}")).await;
    assert_eq!(
        shop_page.status,
        StatusCode::NOT_FOUND,
        "gone from the shop"
    );
    admin
        .get("/admin/products?show=inactive")
        .await
        .assert_shows("Blue Mug, large");
}

#[tokio::test]
async fn an_admin_sets_and_adjusts_stock_and_sees_the_movements_and_low_stock() {
    let shop = spawn_shop().await;
    let (_, sku) = shop.product("Blue Mug", 1250, 10).await;
    let mut admin = shop.admin_shopper().await;
    let path = format!("/admin/stock/{sku}");
    admin.get(&path).await.assert_shows("Set the levels");

    let set = admin
        .submit(&path, &[("on_hand", "8"), ("low_stock_threshold", "5")])
        .await;
    set.assert_shows("The levels are saved");
    let refused = admin
        .submit(
            &format!("{path}/adjustments"),
            &[("delta", "-4"), ("reason", "")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_shows("id=\"reason-error\"");
    let adjusted = admin
        .submit(
            &format!("{path}/adjustments"),
            &[("delta", "-4"), ("reason", "dropped by the courier")],
        )
        .await;
    adjusted
        .assert_shows("The adjustment is recorded")
        .assert_shows("dropped by the courier")
        .assert_shows("Low: 4 available");
    assert_eq!(shop.available(&sku).await, 4);

    let low = admin.get("/admin/stock?low=true").await;
    low.assert_shows(&sku).assert_shows("tr class=\"low\"");
    let too_many = admin
        .submit(
            &format!("{path}/adjustments"),
            &[("delta", "-40"), ("reason", "lost")],
        )
        .await;
    assert_eq!(
        too_many.status,
        StatusCode::CONFLICT,
        "the service's own answer"
    );
    too_many.assert_shows("less stock than is reserved");
    assert_eq!(shop.available(&sku).await, 4, "nothing changed");
}

#[tokio::test]
async fn an_admin_finds_an_order_to_ship_ships_it_after_confirming_and_records_the_delivery() {
    let shop = spawn_shop().await;
    let (mug, _) = shop.product("Blue Mug", 1250, 10).await;
    let mut shopper = shop.shopper();
    shopper.sign_up(&email(), "/").await;
    shopper.add_to_cart(mug, "1").await;
    let form = shopper.get("/checkout").await;
    let key = form.input("idempotency_key").unwrap();
    let placed = shopper
        .submit(
            "/checkout",
            &[
                ("line1", "1 Main St"),
                ("city", "Toronto"),
                ("postal_code", "M5V 2T6"),
                ("country", "CA"),
                ("card_token", "tok_visa"),
                ("idempotency_key", &key),
            ],
        )
        .await;
    let id = placed
        .path
        .trim_start_matches("/account/orders/")
        .to_owned();
    let mut admin = shop.admin_shopper().await;

    let to_ship = admin
        .get("/admin/orders?status=confirmed&shipment=pending")
        .await;
    to_ship.assert_shows(&format!("/admin/orders/{id}"));
    let none_shipped = admin.get("/admin/orders?shipment=shipped").await;
    none_shipped.assert_shows("No orders match");
    let bad_day = admin.get("/admin/orders?placed_from=someday").await;
    assert_eq!(bad_day.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad_day.assert_shows("placed_from");

    // The receipt appears in the order's email log once campaign-service
    // has consumed order.confirmed.
    let mut order_page = admin.get(&format!("/admin/orders/{id}")).await;
    for _ in 0..60 {
        if order_page.body.contains("order_receipt") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        order_page = admin.get(&format!("/admin/orders/{id}")).await;
    }
    order_page
        .assert_shows("order_receipt")
        .assert_hides(">welcome<");

    let confirm = admin.get(&format!("/admin/orders/{id}/ship")).await;
    confirm.assert_shows("can no longer be cancelled");
    let shipped = admin.submit(&format!("/admin/orders/{id}/ship"), &[]).await;
    shipped
        .assert_shows("The order is shipped")
        .assert_shows("Record delivery");
    let order: Value = shop
        .admin
        .get(shop.order.url(&format!("/orders/{id}")))
        .bearer_auth(shop.tokens.admin())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(order["shipment"]["status"], "shipped");
    let delivered = admin
        .submit(&format!("/admin/orders/{id}/deliver"), &[])
        .await;
    delivered.assert_shows("The delivery is recorded");
    admin
        .get("/admin/orders?shipment=delivered")
        .await
        .assert_shows(&format!("/admin/orders/{id}"));
}

#[tokio::test]
async fn an_admin_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    let shop = spawn_shop().await;
    let (_, sku) = shop.product("Blue Mug", 1250, 10).await;
    let mut admin = shop.admin_shopper().await;
    let page = admin
        .submit_raw(
            &format!("/admin/stock/{sku}"),
            &[("on_hand", "0"), ("low_stock_threshold", "0")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(shop.available(&sku).await, 10);
}

#[tokio::test]
async fn an_admin_creates_a_campaign_with_a_code_sees_its_redemptions_and_ends_it_early() {
    let shop = spawn_shop().await;
    let mut admin = shop.admin_shopper().await;
    let form = admin.get("/admin/campaigns/new").await;
    let starts = form.input("starts_at").expect("a start filled in");
    let ends = form.input("ends_at").expect("an end filled in");
    let fields = |offer: &str| -> Vec<(&'static str, String)> {
        vec![
            ("name", "Winter Warmers".to_owned()),
            ("description", "Warm drinks, warmer prices".to_owned()),
            ("offer_kind", "percent".to_owned()),
            ("offer_value", offer.to_owned()),
            ("starts_at", starts.clone()),
            ("ends_at", ends.clone()),
            ("code", "WARM15".to_owned()),
            ("max_redemptions", "100".to_owned()),
            ("per_customer_limit", "1".to_owned()),
            ("utc_offset_minutes", "0".to_owned()),
        ]
    };
    let bad = fields("150");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = admin.submit("/admin/campaigns/new", &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_shows("value=\"Winter Warmers\"");

    let good = fields("15");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = admin.submit("/admin/campaigns/new", &good).await;
    assert_eq!(created.path, "/admin/campaigns");
    created
        .assert_shows("The campaign Winter Warmers is saved")
        .assert_shows("15% off")
        .assert_shows("WARM15 · 0 of 100 redeemed")
        .assert_shows("Running");
    let check = shop
        .admin
        .get(
            shop.campaign
                .url("/promo-codes/WARM15?subtotal_cents=10000"),
        )
        .send()
        .await
        .unwrap();
    let check: Value = check.json().await.unwrap();
    assert_eq!(check["applies"], true, "{check}");
    assert_eq!(check["discount_cents"], 1500);

    let end_link = created
        .body
        .split("href=\"/admin/campaigns/")
        .filter_map(|rest| rest.split('"').next())
        .find(|link| link.ends_with("/end"))
        .expect("an End now link")
        .to_owned();
    let confirm = admin.get(&format!("/admin/campaigns/{end_link}")).await;
    confirm.assert_shows("no longer applies");
    let ended = admin
        .submit(&format!("/admin/campaigns/{end_link}"), &[])
        .await;
    ended
        .assert_shows("Winter Warmers has ended")
        .assert_shows("Ended");
    let check: Value = shop
        .admin
        .get(
            shop.campaign
                .url("/promo-codes/WARM15?subtotal_cents=10000"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        check["applies"], false,
        "the code stopped applying: {check}"
    );
}

#[tokio::test]
async fn an_admin_creates_a_flash_sale_within_the_stock_and_watches_its_figures() {
    let shop = spawn_shop().await;
    let (_, sku) = shop.product("Blue Mug", 1250, 10).await;
    let mut admin = shop.admin_shopper().await;
    let form = admin.get(&format!("/admin/sales/new?sku={sku}")).await;
    form.assert_shows("10</strong> available to put on sale");
    let now = time::OffsetDateTime::now_utc();
    let local = |at: time::OffsetDateTime| {
        // As an admin at UTC+02:00 types it.
        let at = at.to_offset(time::UtcOffset::from_hms(2, 0, 0).unwrap());
        format!(
            "{}-{:02}-{:02}T{:02}:{:02}",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute()
        )
    };
    let (starts, ends) = (
        local(now - time::Duration::minutes(1)),
        local(now + time::Duration::minutes(30)),
    );
    let too_many = admin
        .submit(
            "/admin/sales/new",
            &[
                ("sku", &sku),
                ("quantity", "50"),
                ("price", "9.99"),
                ("per_customer_limit", "1"),
                ("starts_at", &starts),
                ("ends_at", &ends),
                ("utc_offset_minutes", "120"),
            ],
        )
        .await;
    assert!(too_many.status.is_client_error(), "{}", too_many.status);
    assert_eq!(shop.available(&sku).await, 10, "nothing carved out");

    let created = admin
        .submit(
            "/admin/sales/new",
            &[
                ("sku", &sku),
                ("quantity", "4"),
                ("price", "9.99"),
                ("per_customer_limit", "1"),
                ("starts_at", &starts),
                ("ends_at", &ends),
                ("utc_offset_minutes", "120"),
            ],
        )
        .await;
    assert!(
        created.path.starts_with("/admin/sales/"),
        "{}",
        created.path
    );
    created
        .assert_shows("data-refresh=\"2000\"")
        .assert_shows("Live")
        .assert_shows("<strong>4</strong> of 4");
    assert_eq!(shop.available(&sku).await, 6, "four units carved out");
    let id = created.path.trim_start_matches("/admin/sales/").to_owned();
    let sale: Value = shop
        .admin
        .get(shop.inventory.url(&format!("/flash-sales/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let starts_at = time::OffsetDateTime::parse(
        sale["starts_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(
        (starts_at - (now - time::Duration::minutes(1))).abs() < time::Duration::minutes(1),
        "the start was read in the admin's zone: {starts_at}"
    );

    // A shopper claims a unit; the live view counts it.
    let mut buyer = shop.shopper();
    buyer.sign_up(&email(), "/").await;
    buyer.get(&format!("/sales/{id}")).await;
    buyer.submit(&format!("/sales/{id}/claim"), &[]).await;
    let mut live = admin.get(&format!("/admin/sales/{id}")).await;
    for _ in 0..40 {
        if live.body.contains("<strong>3</strong> of 4") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        live = admin.get(&format!("/admin/sales/{id}")).await;
    }
    live.assert_shows("<strong>3</strong> of 4");
    admin
        .get("/admin/sales")
        .await
        .assert_shows(&sku)
        .assert_shows("3 of 4");
}

#[tokio::test]
async fn the_daily_report_shows_the_days_order_in_its_totals_and_charts() {
    let shop = spawn_shop().await;
    let (mug, _) = shop.product("Blue Mug", 1250, 10).await;
    let mut shopper = shop.shopper();
    shopper.sign_up(&email(), "/").await;
    shopper.add_to_cart(mug, "2").await;
    let form = shopper.get("/checkout").await;
    let key = form.input("idempotency_key").unwrap();
    shopper
        .submit(
            "/checkout",
            &[
                ("line1", "1 Main St"),
                ("city", "Toronto"),
                ("postal_code", "M5V 2T6"),
                ("country", "CA"),
                ("card_token", "tok_visa"),
                ("idempotency_key", &key),
            ],
        )
        .await
        .assert_shows("Confirmed");
    let mut admin = shop.admin_shopper().await;
    let today = time::OffsetDateTime::now_utc();
    let report = admin
        .get(&format!("/admin/reports?date={}", today.date()))
        .await;
    report
        .assert_shows("data-report-orders>1<")
        .assert_shows("data-report-revenue>$25.00<")
        .assert_shows("data-chart=\"hours\"")
        .assert_shows(&format!(
            "data-hour=\"{}\" data-revenue=\"2500\"",
            today.hour()
        ))
        .assert_shows("data-chart=\"products\"")
        .assert_shows("Blue Mug");
    let bad = admin.get("/admin/reports?date=yesterday").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_shows("date");
}
