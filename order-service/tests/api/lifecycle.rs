//! After checkout: who may see an order, history pages, cancellation,
//! fulfilment, and the daily sales report.

use std::{collections::BTreeMap, time::Duration};

use platform::testing::{
    aws::{emails_to, VISIBILITY_TIMEOUT},
    eventually,
};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{cart_order, problem, spawn_platform, Customer, Platform};

/// Puts `lines` (product, quantity) in the customer's cart and orders them.
async fn order_of(
    p: &Platform,
    customer: &Customer,
    lines: &[(Uuid, i64)],
    card: &str,
    promo: Option<&str>,
) -> Value {
    for &(product, quantity) in lines {
        let response = p.add_to_cart(customer, product, quantity).await;
        assert_eq!(response.status().as_u16(), 200, "filling the cart");
    }
    let key = Uuid::new_v4().to_string();
    let response = p.place(customer, &key, &cart_order(card, promo)).await;
    assert_eq!(response.status().as_u16(), 201, "placing the order");
    response.json().await.unwrap()
}

async fn confirmed_order(
    p: &Platform,
    customer: &Customer,
    lines: &[(Uuid, i64)],
    promo: Option<&str>,
) -> Value {
    let order = order_of(p, customer, lines, "tok_visa", promo).await;
    assert_eq!(order["status"], "confirmed", "{order}");
    order
}

fn id(order: &Value) -> &str {
    order["id"].as_str().unwrap()
}

async fn list(p: &Platform, token: &str, query: &[(&str, &str)]) -> Value {
    let response = p
        .client
        .get(p.order_url("/orders"))
        .bearer_auth(token)
        .query(query)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "listing orders");
    response.json().await.unwrap()
}

fn listed_ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| id(o).to_owned())
        .collect()
}

async fn cancel(p: &Platform, token: &str, order_id: &str) -> reqwest::Response {
    p.client
        .post(p.order_url(&format!("/orders/{order_id}/cancel")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn emails_about(recipient: &str, subject_part: &str) -> Vec<Value> {
    emails_to(recipient)
        .await
        .into_iter()
        .filter(|m| {
            m["subject"]
                .as_str()
                .is_some_and(|s| s.contains(subject_part))
        })
        .collect()
}

/// Waits for the first email to `recipient` whose subject contains
/// `subject_part`, then one visibility timeout and a relay cycle more (so a
/// redelivered or republished event would have shown), and returns them all.
async fn settled_emails(recipient: &str, subject_part: &str) -> Vec<Value> {
    eventually(Duration::from_secs(20), || async {
        (!emails_about(recipient, subject_part).await.is_empty()).then_some(())
    })
    .await
    .unwrap_or_else(|| {
        panic!("no email to {recipient} about {subject_part:?} reached the emulator")
    });
    tokio::time::sleep(VISIBILITY_TIMEOUT + Duration::from_secs(1)).await;
    emails_about(recipient, subject_part).await
}

async fn outbox_rows(p: &Platform, event_type: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE event_type = $1")
        .bind(event_type)
        .fetch_one(&p.order_db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn another_customers_order_is_a_404_and_lists_show_only_your_own_orders() {
    let p = spawn_platform().await;
    let (mug, _) = p.product(1000, 20).await;
    let (a, b) = (p.customer(), p.customer());
    let a_first = confirmed_order(&p, &a, &[(mug, 1)], None).await;
    let a_second = confirmed_order(&p, &a, &[(mug, 2)], None).await;
    let b_order = confirmed_order(&p, &b, &[(mug, 3)], None).await;

    // Reading one order.
    let not_yours = problem(p.order(&b.token, id(&a_first)).await, 404).await;
    let unknown = problem(p.order(&b.token, &Uuid::now_v7().to_string()).await, 404).await;
    assert_eq!(
        not_yours, unknown,
        "someone else's order looks exactly like one that does not exist"
    );
    for (who, token) in [
        ("the owner", a.token.clone()),
        ("an admin", p.tokens.admin()),
    ] {
        let response = p.order(&token, id(&a_first)).await;
        assert_eq!(response.status().as_u16(), 200, "{who}");
        let order: Value = response.json().await.unwrap();
        assert_eq!(order["id"], a_first["id"], "{who}");
    }

    // Lists.
    let mine = list(&p, &a.token, &[]).await;
    assert_eq!(
        listed_ids(&mine),
        [id(&a_second), id(&a_first)],
        "A's orders, newest first, without B's"
    );
    assert_eq!(mine["next_cursor"], Value::Null);
    assert_eq!(listed_ids(&list(&p, &b.token, &[]).await), [id(&b_order)]);
    let everyone = listed_ids(&list(&p, &p.tokens.admin(), &[]).await);
    assert_eq!(
        everyone,
        [id(&b_order), id(&a_second), id(&a_first)],
        "an admin lists everyone's orders"
    );
    let b_id = b.id.to_string();
    let only_b = list(&p, &p.tokens.admin(), &[("customer_id", b_id.as_str())]).await;
    assert_eq!(
        listed_ids(&only_b),
        [id(&b_order)],
        "an admin filters by customer"
    );

    // Pages of one.
    let first = list(&p, &a.token, &[("limit", "1")]).await;
    assert_eq!(listed_ids(&first), [id(&a_second)]);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a first page of one has a next_cursor");
    let second = list(&p, &a.token, &[("limit", "1"), ("cursor", cursor)]).await;
    assert_eq!(listed_ids(&second), [id(&a_first)]);
    assert_eq!(second["next_cursor"], Value::Null, "the last page");

    // Cancelling someone else's order.
    problem(cancel(&p, &b.token, id(&a_first)).await, 404).await;
    let order: Value = p.order(&a.token, id(&a_first)).await.json().await.unwrap();
    assert_eq!(order["status"], "confirmed", "B's attempt changed nothing");
}

#[tokio::test]
async fn an_admin_filters_orders_by_status_shipment_and_the_day_they_were_placed() {
    let p = spawn_platform().await;
    let (mug, _) = p.product(1000, 20).await;
    let customer = p.customer();
    let shipped = confirmed_order(&p, &customer, &[(mug, 1)], None).await;
    let cancelled = confirmed_order(&p, &customer, &[(mug, 1)], None).await;
    let waiting = confirmed_order(&p, &customer, &[(mug, 1)], None).await;
    let ship = p
        .post_admin(&format!("/orders/{}/ship", id(&shipped)))
        .await;
    assert_eq!(ship.status().as_u16(), 200);
    assert_eq!(
        cancel(&p, &customer.token, id(&cancelled))
            .await
            .status()
            .as_u16(),
        200
    );
    // One order placed two days ago, as if it were older.
    sqlx::query("UPDATE orders SET created_at = now() - interval '2 days' WHERE id = $1::uuid")
        .bind(id(&waiting))
        .execute(&p.order_db.pool)
        .await
        .unwrap();
    let admin = p.tokens.admin();
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let two_days_ago = (time::OffsetDateTime::now_utc() - time::Duration::days(2))
        .date()
        .to_string();

    let confirmed = list(&p, &admin, &[("status", "confirmed")]).await;
    assert_eq!(listed_ids(&confirmed), [id(&waiting), id(&shipped)]);
    let to_ship = list(
        &p,
        &admin,
        &[("status", "confirmed"), ("shipment", "pending")],
    )
    .await;
    assert_eq!(
        listed_ids(&to_ship),
        [id(&waiting)],
        "confirmed and not shipped"
    );
    let on_the_way = list(&p, &admin, &[("shipment", "shipped")]).await;
    assert_eq!(listed_ids(&on_the_way), [id(&shipped)]);
    let placed_today = list(
        &p,
        &admin,
        &[("placed_from", &today), ("placed_to", &today)],
    )
    .await;
    assert_eq!(listed_ids(&placed_today), [id(&cancelled), id(&shipped)]);
    let that_day = list(&p, &admin, &[("placed_to", &two_days_ago)]).await;
    assert_eq!(
        listed_ids(&that_day),
        [id(&waiting)],
        "to the end of that UTC day"
    );
    let cancelled_today = list(
        &p,
        &admin,
        &[("status", "cancelled"), ("placed_from", &today)],
    )
    .await;
    assert_eq!(listed_ids(&cancelled_today), [id(&cancelled)]);

    for (query, field) in [
        (vec![("status", "lost")], "status"),
        (vec![("placed_from", "yesterday")], "placed_from"),
        (
            vec![
                ("placed_from", today.as_str()),
                ("placed_to", two_days_ago.as_str()),
            ],
            "placed_to",
        ),
    ] {
        let response = p
            .client
            .get(p.order_url("/orders"))
            .bearer_auth(&admin)
            .query(&query)
            .send()
            .await
            .unwrap();
        let body = problem(response, 422).await;
        assert!(body.to_string().contains(field), "{query:?}: {body}");
    }
}

#[tokio::test]
async fn cancelling_before_shipping_refunds_returns_stock_and_emails_once_however_often_asked() {
    let p = spawn_platform().await;
    let (mug, sku) = p.product(1250, 10).await;
    p.promo("CANCEL10", 10, None).await;
    let customer = p.customer();
    let before = p.stock(&sku).await;
    let order = confirmed_order(&p, &customer, &[(mug, 3)], Some("CANCEL10")).await;
    assert_eq!(p.stock(&sku).await["on_hand"], 7, "the stock was sold");
    assert_eq!(p.redemptions("CANCEL10").await, 1);

    let response = cancel(&p, &customer.token, id(&order)).await;
    assert_eq!(response.status().as_u16(), 200);
    let cancelled: Value = response.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert_eq!(cancelled["refunded_cents"], order["total_cents"]);
    assert_eq!(cancelled["total_cents"], 3750 - 375);
    assert!(cancelled["shipment"].is_null(), "{cancelled}");
    assert!(cancelled["cancelled_at"].is_string(), "{cancelled}");

    let after = p.stock(&sku).await;
    for field in ["on_hand", "available", "reserved"] {
        assert_eq!(after[field], before[field], "{field} is back");
    }
    assert_eq!(p.redemptions("CANCEL10").await, 0, "the promo use is back");
    let (status, refunded): (String, i64) =
        sqlx::query_as("SELECT status, refunded_cents FROM payments")
            .fetch_one(&p.order_db.pool)
            .await
            .unwrap();
    assert_eq!(status, "refunded");
    assert_eq!(json!(refunded), order["total_cents"]);
    let read: Value = p
        .order(&customer.token, id(&order))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read, cancelled, "GET shows the cancelled order");

    // Asking again changes nothing and sends nothing.
    let response = cancel(&p, &customer.token, id(&order)).await;
    assert_eq!(response.status().as_u16(), 200);
    let again: Value = response.json().await.unwrap();
    assert_eq!(again, cancelled);
    let notices = settled_emails(&customer.email, "has been cancelled").await;
    assert_eq!(notices.len(), 1, "one cancellation notice: {notices:?}");
    assert!(
        notices[0]["subject"].as_str().unwrap().contains(id(&order)),
        "{notices:?}"
    );
    assert!(
        notices[0]["body"]
            .as_str()
            .unwrap()
            .contains("refunded $33.75"),
        "the notice names the refund: {notices:?}"
    );
    assert_eq!(outbox_rows(&p, "order.cancelled").await, 1);
    assert_eq!(p.stock(&sku).await["on_hand"], before["on_hand"]);
    assert_eq!(
        p.count("SELECT count(*) FROM payments WHERE status = 'refunded'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_admin_ships_and_delivers_once_and_a_shipped_order_can_no_longer_be_cancelled() {
    let p = spawn_platform().await;
    let (mug, sku) = p.product(900, 5).await;
    let customer = p.customer();
    let order = confirmed_order(&p, &customer, &[(mug, 2)], None).await;
    let order_id = id(&order);
    let ship_path = format!("/orders/{order_id}/ship");
    let deliver_path = format!("/orders/{order_id}/deliver");

    // Only admins fulfil, and only in order.
    for path in [&ship_path, &deliver_path] {
        let response = p
            .client
            .post(p.order_url(path))
            .bearer_auth(&customer.token)
            .send()
            .await
            .unwrap();
        problem(response, 403).await;
    }
    problem(p.post_admin(&deliver_path).await, 409).await;
    problem(
        p.post_admin(&format!("/orders/{}/ship", Uuid::now_v7()))
            .await,
        404,
    )
    .await;

    let response = p.post_admin(&ship_path).await;
    assert_eq!(response.status().as_u16(), 200);
    let shipped: Value = response.json().await.unwrap();
    assert_eq!(shipped["status"], "confirmed");
    assert_eq!(shipped["shipment"]["status"], "shipped");
    assert_eq!(
        shipped["shipment"]["tracking_number"],
        order["shipment"]["tracking_number"]
    );
    let response = p.post_admin(&ship_path).await;
    assert_eq!(response.status().as_u16(), 200, "shipping again is fine");
    let again: Value = response.json().await.unwrap();
    assert_eq!(again, shipped, "and changes nothing");
    assert_eq!(outbox_rows(&p, "order.shipped").await, 1);
    let notices = settled_emails(&customer.email, "has shipped").await;
    assert_eq!(notices.len(), 1, "one shipping notice: {notices:?}");
    assert!(notices[0]["subject"].as_str().unwrap().contains(order_id));

    // Too late to cancel: nothing is refunded or returned.
    let refused = problem(cancel(&p, &customer.token, order_id).await, 409).await;
    assert!(
        refused["detail"].as_str().unwrap().contains("shipped"),
        "{refused}"
    );
    assert_eq!(p.stock(&sku).await["on_hand"], 3);
    assert_eq!(
        p.count("SELECT count(*) FROM payments WHERE status = 'captured'")
            .await,
        1
    );
    assert_eq!(outbox_rows(&p, "order.cancelled").await, 0);

    let response = p.post_admin(&deliver_path).await;
    assert_eq!(response.status().as_u16(), 200);
    let delivered: Value = response.json().await.unwrap();
    assert_eq!(delivered["shipment"]["status"], "delivered");
    assert_eq!(delivered["status"], "confirmed");
    let response = p.post_admin(&deliver_path).await;
    assert_eq!(response.status().as_u16(), 200, "delivering again is fine");
    problem(cancel(&p, &p.tokens.admin(), order_id).await, 409).await;
    let response = p.post_admin(&ship_path).await;
    assert_eq!(
        response.status().as_u16(),
        200,
        "shipping a delivered order"
    );
    let still: Value = response.json().await.unwrap();
    assert_eq!(still["shipment"]["status"], "delivered", "stays delivered");
    assert_eq!(outbox_rows(&p, "order.shipped").await, 1);
}

/// The report's figures computed from the orders' own responses.
fn expected_report(day: &str, orders: &[&Value]) -> Value {
    let mut products: BTreeMap<String, (String, i64, i64)> = BTreeMap::new();
    for order in orders {
        for item in order["items"].as_array().unwrap() {
            let quantity = item["quantity"].as_i64().unwrap();
            let entry = products
                .entry(item["sku"].as_str().unwrap().to_owned())
                .or_insert_with(|| (item["name"].as_str().unwrap().to_owned(), 0, 0));
            entry.1 += quantity;
            entry.2 += quantity * item["unit_price_cents"].as_i64().unwrap();
        }
    }
    let mut top: Vec<(String, (String, i64, i64))> = products.into_iter().collect();
    top.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then_with(|| a.0.cmp(&b.0)));
    let sum = |field: &str| -> i64 { orders.iter().map(|o| o[field].as_i64().unwrap()).sum() };
    json!({
        "date": day,
        "orders": orders.len(),
        "units": top.iter().map(|(_, (_, units, _))| units).sum::<i64>(),
        "revenue_cents": sum("total_cents"),
        "discount_cents": sum("discount_cents"),
        "currency": "USD",
        "top_products": top
            .into_iter()
            .take(5)
            .map(|(sku, (name, units, revenue_cents))| {
                json!({"sku": sku, "name": name, "units": units, "revenue_cents": revenue_cents})
            })
            .collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn the_daily_report_counts_the_days_confirmed_orders_and_is_published_and_emailed_once() {
    let p = spawn_platform().await;
    let (mug, _) = p.product(1250, 50).await;
    let (tea, _) = p.product(899, 50).await;
    p.promo("REPORT10", 10, None).await;
    let with_promo =
        confirmed_order(&p, &p.customer(), &[(mug, 3), (tea, 1)], Some("REPORT10")).await;
    assert!(with_promo["discount_cents"].as_i64().unwrap() > 0);
    let plain = confirmed_order(&p, &p.customer(), &[(tea, 1)], None).await;
    let declined = order_of(&p, &p.customer(), &[(mug, 1)], "tok_declined", None).await;
    assert_eq!(declined["status"], "failed", "{declined}");
    let regretful = p.customer();
    let cancelled = confirmed_order(&p, &regretful, &[(mug, 4)], None).await;
    assert_eq!(
        cancel(&p, &regretful.token, id(&cancelled))
            .await
            .status()
            .as_u16(),
        200
    );

    let confirmed_at = |o: &Value| {
        time::OffsetDateTime::parse(
            o["confirmed_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
        .date()
    };
    let day = confirmed_at(&with_promo);
    assert_eq!(
        confirmed_at(&plain),
        day,
        "the test ran across midnight UTC"
    );
    let expected = expected_report(&day.to_string(), &[&with_promo, &plain]);
    assert_eq!(expected["top_products"][0]["units"], 3, "{expected}");

    let report_url = p.order_url("/reports/daily-sales");
    let response = p
        .client
        .get(&report_url)
        .bearer_auth(p.tokens.admin())
        .query(&[("date", day.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let mut report: Value = response.json().await.unwrap();
    let hours = report
        .as_object_mut()
        .and_then(|r| r.remove("hours"))
        .expect("the report has its hours");
    assert_eq!(
        report, expected,
        "the failed and the cancelled orders are left out"
    );
    // The day's orders in the hours they were confirmed, and none elsewhere.
    let hours = hours.as_array().unwrap();
    assert_eq!(hours.len(), 24);
    let hour_of = |o: &Value| {
        i64::from(
            time::OffsetDateTime::parse(
                o["confirmed_at"].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap()
            .hour(),
        )
    };
    let mut confirmed_hours = vec![hour_of(&with_promo), hour_of(&plain)];
    confirmed_hours.dedup();
    let busy: Vec<i64> = hours
        .iter()
        .filter(|h| h["orders"] != 0)
        .map(|h| h["hour"].as_i64().unwrap())
        .collect();
    assert_eq!(busy, confirmed_hours, "{hours:?}");
    let orders: i64 = hours.iter().map(|h| h["orders"].as_i64().unwrap()).sum();
    let revenue: i64 = hours
        .iter()
        .map(|h| h["revenue_cents"].as_i64().unwrap())
        .sum();
    assert_eq!(orders, 2);
    assert_eq!(Value::from(revenue), expected["revenue_cents"]);

    let as_customer = p
        .client
        .get(&report_url)
        .bearer_auth(&p.customer().token)
        .query(&[("date", day.to_string())])
        .send()
        .await
        .unwrap();
    problem(as_customer, 403).await;
    for bad in ["2026-02-30", "yesterday", "22/11/2026"] {
        let response = p
            .client
            .get(&report_url)
            .bearer_auth(p.tokens.admin())
            .query(&[("date", bad)])
            .send()
            .await
            .unwrap();
        let body = problem(response, 422).await;
        assert_eq!(body["errors"][0]["field"], "date", "{bad}: {body}");
    }

    // Publishing: once per day, however often the command runs.
    assert!(order_service::reports::publish(&p.order_settings, day)
        .await
        .expect("publishing the report"));
    assert!(!order_service::reports::publish(&p.order_settings, day)
        .await
        .expect("publishing the report again"));
    assert_eq!(outbox_rows(&p, "report.daily_sales").await, 1);
    let published: Value =
        sqlx::query_scalar("SELECT data FROM outbox WHERE event_type = 'report.daily_sales'")
            .fetch_one(&p.order_db.pool)
            .await
            .unwrap();
    assert_eq!(published, expected);

    let admin_address = format!("ops@{}.storefront.test", p.messaging.prefix);
    let reports = settled_emails(&admin_address, &format!("Daily sales for {day}")).await;
    assert_eq!(reports.len(), 1, "one report email: {reports:?}");
    assert!(
        reports[0]["subject"].as_str().unwrap().contains("2 orders"),
        "{reports:?}"
    );
}
