//! API security across the platform (issue 11): roles on every privileged
//! endpoint, tokens that must not pass, hostile text stored verbatim, body
//! limits, and logs that never hold a secret.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use platform::{auth::claims::Role, testing::tokens::TestTokens};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{address, cart_order, problem, spawn_platform, AUDIENCE, ISSUER};

const HOSTILE: &str = "Robert'); DROP TABLE orders; -- \" \\ % _ ' OR '1'='1";

#[tokio::test]
async fn every_admin_and_service_endpoint_refuses_a_customer_token() {
    let p = spawn_platform().await;
    let customer = p.customer();
    let id = Uuid::new_v4();
    let cases: Vec<(&str, String, Value)> = vec![
        ("POST", format!("{}/products", p.catalog.address), json!({})),
        (
            "PATCH",
            format!("{}/products/{id}", p.catalog.address),
            json!({}),
        ),
        (
            "DELETE",
            format!("{}/products/{id}", p.catalog.address),
            json!({}),
        ),
        (
            "POST",
            format!("{}/categories", p.catalog.address),
            json!({}),
        ),
        (
            "PUT",
            format!("{}/inventory/MUG", p.inventory.address),
            json!({"on_hand": 1, "low_stock_threshold": 0}),
        ),
        (
            "POST",
            format!("{}/inventory/MUG/adjustments", p.inventory.address),
            json!({"delta": 1, "reason": "x"}),
        ),
        (
            "POST",
            format!("{}/flash-sales", p.inventory.address),
            json!({}),
        ),
        (
            "POST",
            format!("{}/reservations", p.inventory.address),
            json!({}),
        ),
        (
            "POST",
            format!("{}/reservations/{id}/commit", p.inventory.address),
            json!({}),
        ),
        (
            "POST",
            format!("{}/reservations/{id}/release", p.inventory.address),
            json!({}),
        ),
        (
            "POST",
            format!("{}/reservations/{id}/return", p.inventory.address),
            json!({}),
        ),
        (
            "POST",
            format!("{}/campaigns", p.campaign.address),
            json!({}),
        ),
        (
            "PATCH",
            format!("{}/campaigns/{id}", p.campaign.address),
            json!({}),
        ),
        (
            "DELETE",
            format!("{}/campaigns/{id}", p.campaign.address),
            json!({}),
        ),
        ("GET", format!("{}/emails", p.campaign.address), json!({})),
        (
            "POST",
            format!("{}/promo-codes/CODE/redemptions", p.campaign.address),
            json!({}),
        ),
        (
            "DELETE",
            format!("{}/promo-codes/CODE/redemptions/{id}", p.campaign.address),
            json!({}),
        ),
        (
            "POST",
            p.order_url(&format!("/orders/{id}/ship")),
            json!({}),
        ),
        (
            "POST",
            p.order_url(&format!("/orders/{id}/deliver")),
            json!({}),
        ),
        (
            "GET",
            p.order_url("/reports/daily-sales?date=2026-11-22"),
            json!({}),
        ),
    ];
    for (method, url, body) in cases {
        let request = p
            .client
            .request(method.parse().unwrap(), &url)
            .bearer_auth(&customer.token);
        let request = if method == "GET" || method == "DELETE" {
            request
        } else {
            request.json(&body)
        };
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 403, "{method} {url}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

#[tokio::test]
async fn forged_tokens_and_tokens_from_unknown_keys_are_401_at_order_service() {
    let p = spawn_platform().await;
    let customer = p.customer();
    let valid = p
        .client
        .get(p.order_url("/orders"))
        .bearer_auth(&customer.token)
        .send()
        .await
        .unwrap();
    assert_eq!(valid.status().as_u16(), 200, "a real token passes");

    let claims =
        serde_json::to_value(p.tokens.claims(Role::Admin, &Uuid::new_v4().to_string())).unwrap();
    let kid = p.tokens.jwks().keys[0].kid.clone();
    let alg_none = format!(
        "{}.{}.",
        encode(&json!({"alg": "none", "typ": "JWT", "kid": kid})),
        encode(&claims)
    );
    // Same issuer and audience, signed by a key the platform never published.
    let stranger = TestTokens::new(ISSUER, AUDIENCE);
    let unknown_kid = stranger.admin();
    // A valid signature whose header names our kid but whose key is not ours.
    let (header, rest) = unknown_kid.split_once('.').unwrap();
    let mut forged_header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    forged_header["kid"] = json!(kid);
    let kid_swapped = format!("{}.{rest}", encode(&forged_header));
    let mut wrong_audience = p.tokens.claims(Role::Admin, "x");
    wrong_audience.aud = "someone-else".to_owned();
    let mut expired = p.tokens.claims(Role::Admin, "x");
    expired.exp = expired.iat - 60;

    for (case, token) in [
        ("alg none", alg_none),
        ("unknown kid", unknown_kid),
        ("kid swapped", kid_swapped),
        ("wrong audience", p.tokens.sign(&wrong_audience)),
        ("expired", p.tokens.sign(&expired)),
    ] {
        let response = p
            .client
            .get(p.order_url("/reports/daily-sales?date=2026-11-22"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401, "{case}");
    }
}

#[tokio::test]
async fn sql_metacharacters_in_text_fields_are_stored_verbatim() {
    let p = spawn_platform().await;
    // registration: names of a real customer.
    let email = format!("o'brien+{}@example.test", Uuid::new_v4().simple());
    let response = p
        .client
        .post(format!("{}/customers", p._registration.address))
        .json(&json!({"email": email, "password": "correct horse battery", "first_name": HOSTILE, "last_name": HOSTILE, "city": HOSTILE}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let customer: Value = response.json().await.unwrap();
    assert_eq!(customer["first_name"], HOSTILE);
    assert_eq!(customer["city"], HOSTILE);

    // catalog: a product's name and description, found again by search.
    let sku = format!("SQL-{}", &Uuid::new_v4().simple().to_string()[..8]).to_ascii_uppercase();
    let response = p
        .client
        .post(format!("{}/products", p.catalog.address))
        .bearer_auth(p.tokens.admin())
        .json(&json!({"sku": sku, "name": HOSTILE, "description": HOSTILE, "price_cents": 100, "currency": "USD", "active": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let product: Value = response.json().await.unwrap();
    assert_eq!(product["name"], HOSTILE);
    let search: Value = p
        .client
        .get(format!("{}/products", p.catalog.address))
        .query(&[("q", HOSTILE)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(search["items"].is_array(), "{search}");

    // campaign: name and description.
    let now = time::OffsetDateTime::now_utc();
    let fmt = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let response = p
        .client
        .post(format!("{}/campaigns", p.campaign.address))
        .bearer_auth(p.tokens.admin())
        .json(&json!({"name": HOSTILE, "description": HOSTILE, "offer": {"kind": "percent", "percent_off": 5},
            "starts_at": fmt(now), "ends_at": fmt(now + time::Duration::hours(1))}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(
        response.json::<Value>().await.unwrap()["description"],
        HOSTILE
    );

    // order: the shipping address, and a stock adjustment's reason.
    let buyer = p.customer();
    let (mug, mug_sku) = p.product(500, 5).await;
    p.add_to_cart(&buyer, mug, 1).await;
    let mut body = cart_order("tok_visa", None);
    body["shipping_address"]["line1"] = json!(HOSTILE);
    body["shipping_address"]["city"] = json!(HOSTILE);
    let order: Value = p
        .place(&buyer, HOSTILE.replace(' ', "").as_str(), &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(order["status"], "confirmed", "{order}");
    assert_eq!(order["shipping_address"]["line1"], HOSTILE);
    let response = p
        .client
        .post(format!(
            "{}/inventory/{mug_sku}/adjustments",
            p.inventory.address
        ))
        .bearer_auth(p.tokens.admin())
        .json(&json!({"delta": 1, "reason": HOSTILE}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        p.count("SELECT count(*) FROM orders").await,
        1,
        "the orders table is still there"
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_problem_and_makes_nothing() {
    let p = spawn_platform().await;
    let customer = p.customer();
    let mut body = json!({"from": "cart", "payment": {"card_token": "tok_visa"}, "shipping_address": address()});
    body["shipping_address"]["line2"] = json!("x".repeat(100 * 1024));
    let response = p.place(&customer, "big", &body).await;
    problem(response, 413).await;
    assert_eq!(p.count("SELECT count(*) FROM idempotency_keys").await, 0);
}

#[tokio::test]
async fn another_customers_reservation_is_a_404_at_inventory() {
    let p = spawn_platform().await;
    let (mug, _) = p.product(500, 5).await;
    let owner = p.customer();
    p.add_to_cart(&owner, mug, 1).await;
    // The hold of a confirmed order, which inventory keeps as committed.
    let order: Value = p
        .place(&owner, "k", &cart_order("tok_visa", None))
        .await
        .json()
        .await
        .unwrap();
    let reservation = order["reservation_id"].as_str().unwrap();
    let url = format!("{}/reservations/{reservation}", p.inventory.address);
    let mine = p
        .client
        .get(&url)
        .bearer_auth(&owner.token)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status().as_u16(), 200);
    let stranger = p.customer();
    let theirs = p
        .client
        .get(&url)
        .bearer_auth(&stranger.token)
        .send()
        .await
        .unwrap();
    problem(theirs, 404).await;
}

/// A `MakeWriter` that keeps everything written in memory.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn debug_logs_never_hold_a_password_a_token_or_a_secret() {
    let capture = Capture::default();
    // Each test runs in its own process under nextest: this subscriber sees
    // every service of this platform, at debug level with SQL and HTTP tracing.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("debug,sqlx=debug,tower_http=debug,hyper=info,h2=info,aws=info,aws_smithy_runtime=info,aws_config=info"))
        .with_writer(capture.clone())
        .with_ansi(false)
        .json()
        .init();
    let p = spawn_platform().await;
    let request_id = format!("security-{}", Uuid::new_v4());
    let password = format!("pw-{}-horse-battery", Uuid::new_v4().simple());
    let email = format!("logs+{}@example.test", Uuid::new_v4().simple());
    let registration = &p._registration.address;
    let registered = p
        .client
        .post(format!("{registration}/customers"))
        .header("x-request-id", &request_id)
        .json(&json!({"email": email, "password": password, "first_name": "Log", "last_name": "Test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status().as_u16(), 201);
    let token: Value = p
        .client
        .post(format!("{registration}/auth/token"))
        .header("x-request-id", &request_id)
        .json(&json!({"grant_type": "password", "email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access_token = token["access_token"].as_str().unwrap().to_owned();
    // An order makes order-service fetch its service token (client secret).
    let (mug, _) = p.product(500, 5).await;
    let buyer = p.customer();
    p.add_to_cart(&buyer, mug, 1).await;
    let order = p
        .client
        .post(p.order_url("/orders"))
        .bearer_auth(&buyer.token)
        .header("Idempotency-Key", "logs")
        .header("x-request-id", &request_id)
        .json(&cart_order("tok_visa", None))
        .send()
        .await
        .unwrap();
    assert_eq!(order.status().as_u16(), 201);

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains(&request_id),
        "the capture holds this test's requests"
    );
    assert!(logs.contains("sqlx"), "SQL tracing was captured");
    // The base64 body of the signing key's PEM (what a leak would show).
    let pem_body = serde_json::from_str::<Value>(&p.tokens.keys_json).unwrap()[0]
        ["private_key_pem"]
        .as_str()
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>();
    assert!(pem_body.len() > 20);
    for (what, secret) in [
        ("the password", password.as_str()),
        ("the access token", access_token.as_str()),
        ("the customer's bearer token", buyer.token.as_str()),
        ("the service client secret", "order-service-test-secret"),
        ("the signing key", "PRIVATE KEY"),
        ("the signing key material", pem_body.as_str()),
    ] {
        assert!(!logs.contains(secret), "{what} appeared in the logs");
    }
}
