use std::time::Duration;

use platform::testing::aws::{emails_to, VISIBILITY_TIMEOUT};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{campaign, envelope, registered, spawn_app, unique_address};

const WAIT: Duration = Duration::from_secs(15);

fn body_of(email: &Value) -> String {
    email["body"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_opted_in_customer_is_welcomed_with_the_active_campaigns_only() {
    let app = spawn_app().await;
    app.create_campaign(&campaign(
        "Winter Warmers",
        -10,
        60,
        Some(json!({"code": "WARM15"})),
    ))
    .await;
    app.create_campaign(&campaign("Last Summer", -200, -100, None))
        .await;
    let to = unique_address();

    app.messaging
        .publish("registration", &registered(&to, "Ada", true))
        .await;

    let emails = app.wait_for_emails(&to, 1, WAIT).await;
    let body = body_of(&emails[0]);
    assert!(
        emails[0]["subject"].as_str().unwrap().contains("Ada"),
        "{}",
        emails[0]
    );
    assert!(body.contains("Winter Warmers"), "{body}");
    assert!(body.contains("WARM15"), "{body}");
    assert!(
        !body.contains("Last Summer"),
        "expired campaigns are not offered: {body}"
    );
    assert!(body.contains("/emails/unsubscribe?token="), "{body}");
    let row: (String, Option<String>) =
        sqlx::query_as("SELECT status, list_unsubscribe FROM emails WHERE recipient = $1")
            .bind(&to)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(row.0, "sent");
    assert!(row
        .1
        .unwrap()
        .starts_with("http://campaign.test/emails/unsubscribe?token="));
}

#[tokio::test]
async fn a_customer_who_did_not_opt_in_is_welcomed_without_campaigns_and_an_unsubscribed_one_too() {
    let app = spawn_app().await;
    app.create_campaign(&campaign("Winter Warmers", -10, 60, None))
        .await;
    let quiet = unique_address();
    app.messaging
        .publish("registration", &registered(&quiet, "Quiet", false))
        .await;
    let emails = app.wait_for_emails(&quiet, 1, WAIT).await;
    assert!(!body_of(&emails[0]).contains("Winter Warmers"));
    assert!(!body_of(&emails[0]).contains("unsubscribe"));

    let keen = unique_address();
    let first = registered(&keen, "Keen", true);
    app.messaging.publish("registration", &first).await;
    let emails = app.wait_for_emails(&keen, 1, WAIT).await;
    let body = body_of(&emails[0]);
    let token = unsubscribe_token(&body);
    let page = app
        .client
        .post(app.url(&format!("/emails/unsubscribe?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let forged = app
        .client
        .get(app.url("/emails/unsubscribe?token=abc.def"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 422);

    let mut again = registered(&keen, "Keen", true);
    again.data["customer_id"] = first.data["customer_id"].clone();
    app.messaging.publish("registration", &again).await;
    let emails = app.wait_for_emails(&keen, 2, WAIT).await;
    let latest: Vec<String> = emails
        .iter()
        .map(body_of)
        .filter(|b| !b.contains("Winter Warmers"))
        .collect();
    assert_eq!(
        latest.len(),
        1,
        "after unsubscribing, the welcome lists no campaigns"
    );
}

#[tokio::test]
async fn the_same_message_delivered_twice_sends_one_email() {
    let app = spawn_app().await;
    let to = unique_address();
    let event = registered(&to, "Twice", false);

    app.messaging.publish("registration", &event).await;
    app.wait_for_emails(&to, 1, WAIT).await;
    app.messaging.publish("registration", &event).await;
    tokio::time::sleep(VISIBILITY_TIMEOUT + Duration::from_secs(3)).await;

    assert_eq!(emails_to(&to).await.len(), 1);
    assert_eq!(app.count("SELECT count(*) FROM emails").await, 1);
    let duplicates = app.state.metrics.encode();
    assert!(
        duplicates.contains("storefront_consumer_duplicates_total 1"),
        "{duplicates}"
    );
}

fn order_confirmed(to: &str, name: &str) -> Value {
    json!({
        "order_id": Uuid::new_v4(), "customer_id": Uuid::new_v4(), "email": to, "name": name,
        "items": [{"sku": "MUG-1", "name": "Enamel mug", "quantity": 2, "unit_price_cents": 1250}],
        "subtotal_cents": 2500, "discount_cents": 500, "total_cents": 2000, "currency": "USD",
        "shipping_address": {"line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"},
        "confirmed_at": "2026-11-21T10:00:00Z"
    })
}

/// An order's event is about the order: its id is the aggregate.
fn about(order_id: Uuid, mut event: platform::events::Envelope) -> platform::events::Envelope {
    event.aggregate_id = order_id.to_string();
    event
}

#[tokio::test]
async fn every_order_and_admin_event_becomes_its_email() {
    let app = spawn_app().await;
    let buyer = unique_address();
    let admin = format!("ops@{}", app.sender_domain);
    let order_id = Uuid::new_v4();
    let events = [
        (
            "order",
            envelope("order.confirmed", order_confirmed(&buyer, "<b>Ada</b>")),
        ),
        (
            "order",
            about(
                order_id,
                envelope(
                    "order.shipped",
                    json!({"order_id": order_id, "customer_id": Uuid::new_v4(), "email": buyer, "name": "Ada", "carrier": "UPS", "tracking_number": "1Z999", "shipped_at": "2026-11-21T11:00:00Z"}),
                ),
            ),
        ),
        (
            "order",
            about(
                order_id,
                envelope(
                    "order.cancelled",
                    json!({"order_id": order_id, "customer_id": Uuid::new_v4(), "email": buyer, "name": "Ada", "refunded_cents": 2000, "currency": "USD", "cancelled_at": "2026-11-21T12:00:00Z"}),
                ),
            ),
        ),
        (
            "inventory",
            envelope(
                "inventory.stock_low",
                json!({"sku": "MUG-1", "available": 3, "low_stock_threshold": 5}),
            ),
        ),
        (
            "order",
            envelope(
                "report.daily_sales",
                json!({"date": "2026-11-20", "orders": 4, "units": 9, "revenue_cents": 45000, "discount_cents": 1000, "currency": "USD", "top_products": [{"sku": "MUG-1", "name": "Enamel mug", "units": 5, "revenue_cents": 6250}]}),
            ),
        ),
    ];
    for (topic, event) in &events {
        app.messaging.publish(topic, event).await;
    }

    let to_buyer = app.wait_for_emails(&buyer, 3, WAIT).await;
    let to_admin = app.wait_for_emails(&admin, 2, WAIT).await;
    let bodies: String = to_buyer
        .iter()
        .chain(&to_admin)
        .map(|e| body_of(e) + "\n")
        .collect();
    for fact in [
        "$20.00",
        "1Z999",
        "UPS",
        "MUG-1",
        "2026-11-20",
        "&lt;b&gt;Ada&lt;/b&gt;",
    ] {
        assert!(bodies.contains(fact), "{fact} missing from:\n{bodies}");
    }
    assert!(
        !bodies.contains("<b>Ada</b>"),
        "user-supplied HTML is escaped"
    );
    let kinds: Vec<String> = sqlx::query_scalar("SELECT kind FROM emails ORDER BY kind")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        kinds,
        [
            "daily_sales",
            "order_cancelled",
            "order_receipt",
            "order_shipped",
            "stock_low"
        ]
    );

    let log: Value = app
        .client
        .get(app.url(&format!("/emails?to={buyer}&kind=order_shipped")))
        .bearer_auth(app.tokens.admin())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log["items"].as_array().unwrap().len(), 1);
    assert_eq!(log["items"][0]["status"], "sent");
    let of_the_order: Value = app
        .client
        .get(app.url(&format!("/emails?about={order_id}")))
        .bearer_auth(app.tokens.admin())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut kinds: Vec<&str> = of_the_order["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    // Handled concurrently within a batch: written in either order.
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        ["order_cancelled", "order_shipped"],
        "only the order's emails"
    );
    assert_eq!(of_the_order["items"][0]["about"], order_id.to_string());
    let (_, customer) = app.tokens.customer();
    let forbidden = app
        .client
        .get(app.url("/emails"))
        .bearer_auth(customer)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status().as_u16(), 403);
}

#[tokio::test]
async fn following_the_unsubscribe_link_only_asks_and_its_button_unsubscribes() {
    // Mail scanners follow every link: a GET must change nothing.
    let app = spawn_app().await;
    let keen = unique_address();
    let event = registered(&keen, "Keen", true);
    let customer_id = event.data["customer_id"].as_str().unwrap().to_owned();
    app.messaging.publish("registration", &event).await;
    let emails = app.wait_for_emails(&keen, 1, WAIT).await;
    let body = body_of(&emails[0]);
    let token = unsubscribe_token(&body);
    let opted_in = || async {
        sqlx::query_scalar::<_, bool>(
            "SELECT marketing_opt_in FROM marketing_preferences WHERE customer_id = $1::uuid",
        )
        .bind(&customer_id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
    };
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let page = app
        .client
        .get(app.url(&format!("/emails/unsubscribe?token={token}")))
        .send()
        .await
        .unwrap();
    let page_status = page.status().as_u16();
    let page_body = page.text().await.unwrap();
    let legacy = no_redirects
        .get(app.url(&format!("/unsubscribe?token={token}")))
        .send()
        .await
        .unwrap();
    let after_the_gets = opted_in().await;
    let clicked = app
        .client
        .post(app.url(&format!("/emails/unsubscribe?token={token}")))
        .send()
        .await
        .unwrap();

    assert_eq!(page_status, 200);
    assert!(
        page_body.contains(&format!(
            "<form method=\"post\" action=\"/emails/unsubscribe?token={token}\">"
        )),
        "{page_body}"
    );
    assert_eq!(legacy.status().as_u16(), 308);
    assert_eq!(
        legacy.headers()["location"],
        format!("/emails/unsubscribe?token={token}").as_str()
    );
    assert!(after_the_gets, "following the links changed nothing");
    assert_eq!(clicked.status().as_u16(), 200);
    assert!(!opted_in().await, "the button unsubscribed");
}

/// The signed token of the unsubscribe link in an email's body.
fn unsubscribe_token(body: &str) -> String {
    let start =
        body.find("/emails/unsubscribe?token=").unwrap() + "/emails/unsubscribe?token=".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-' || *c == '_')
        .collect()
}

#[tokio::test]
async fn a_customer_turns_marketing_off_and_on_again_from_their_account() {
    let app = spawn_app().await;
    let keen = unique_address();
    let event = registered(&keen, "Keen", true);
    let customer_id = event.data["customer_id"].as_str().unwrap().to_owned();
    app.messaging.publish("registration", &event).await;
    app.wait_for_emails(&keen, 1, WAIT).await;
    let claims = app
        .tokens
        .claims(platform::auth::Role::Customer, &customer_id);
    let token = app.tokens.sign(&claims);
    let preference = || async {
        let response = app
            .client
            .get(app.url("/emails/preferences/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        response.json::<Value>().await.unwrap()["marketing_opt_in"].clone()
    };
    let set = |opt_in: Value| {
        app.client
            .put(app.url("/emails/preferences/me"))
            .bearer_auth(&token)
            .json(&json!({ "marketing_opt_in": opt_in }))
            .send()
    };

    assert_eq!(preference().await, json!(true), "as registered");
    let off = set(json!(false)).await.unwrap();
    assert_eq!(off.status().as_u16(), 200);
    assert_eq!(preference().await, json!(false));
    let unsubscribed: Option<time::OffsetDateTime> = sqlx::query_scalar(
        "SELECT unsubscribed_at FROM marketing_preferences WHERE customer_id = $1::uuid",
    )
    .bind(&customer_id)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(unsubscribed.is_some(), "an unsubscribe, as the link makes");
    set(json!(true)).await.unwrap();
    assert_eq!(preference().await, json!(true));
    let email: String =
        sqlx::query_scalar("SELECT email FROM marketing_preferences WHERE customer_id = $1::uuid")
            .bind(&customer_id)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(email, keen, "the address from the registration is kept");

    let not_a_choice = set(json!("yes")).await.unwrap();
    assert_eq!(not_a_choice.status().as_u16(), 422);
    let an_array = app
        .client
        .put(app.url("/emails/preferences/me"))
        .bearer_auth(&token)
        .json(&json!([true]))
        .send()
        .await
        .unwrap();
    assert_eq!(an_array.status().as_u16(), 422, "an object only");
    let anonymous = app
        .client
        .get(app.url("/emails/preferences/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let service = app
        .client
        .get(app.url("/emails/preferences/me"))
        .bearer_auth(app.tokens.service("order-service"))
        .send()
        .await
        .unwrap();
    assert_eq!(service.status().as_u16(), 404);
}
