use futures::future::join_all;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{campaign, problem, spawn_app_with, Options, TestApp};

async fn app_with_code(code: Value, starts: i64, ends: i64) -> TestApp {
    let app = spawn_app_with(Options {
        consumer: false,
        ..Options::default()
    })
    .await;
    let created = app
        .create_campaign(&campaign("Promo", starts, ends, Some(code)))
        .await;
    assert_eq!(created.status().as_u16(), 201);
    app
}

fn order(customer: Uuid, subtotal: i64) -> Value {
    json!({"order_id": Uuid::new_v4(), "customer_id": customer, "subtotal_cents": subtotal, "currency": "USD"})
}

#[tokio::test]
async fn fifty_concurrent_redemptions_of_a_code_capped_at_ten_yield_exactly_ten() {
    let app = app_with_code(json!({"code": "TEN", "max_redemptions": 10}), -1, 60).await;
    let service = app.tokens.service("order-service");
    let bodies: Vec<Value> = (0..50).map(|_| order(Uuid::new_v4(), 10_000)).collect();

    let responses = join_all(bodies.iter().map(|b| app.redeem(&service, "TEN", b))).await;

    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        40,
        "{statuses:?}"
    );
    assert_eq!(app.count("SELECT count(*) FROM redemptions").await, 10);
    assert_eq!(
        app.count("SELECT redeemed_count::bigint FROM promo_codes")
            .await,
        10
    );
    let check: Value = app
        .client
        .get(app.url("/promo-codes/ten"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["applies"], false);
    assert_eq!(check["reason"], "exhausted");
}

#[tokio::test]
async fn a_per_customer_cap_of_one_holds_under_concurrent_requests() {
    let app = app_with_code(json!({"code": "ONCE", "per_customer_limit": 1}), -1, 60).await;
    let service = app.tokens.service("order-service");
    let customer = Uuid::new_v4();
    let bodies: Vec<Value> = (0..10).map(|_| order(customer, 5_000)).collect();

    let responses = join_all(bodies.iter().map(|b| app.redeem(&service, "ONCE", b))).await;

    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(app.count("SELECT count(*) FROM redemptions").await, 1);
}

#[tokio::test]
async fn a_replayed_redemption_returns_the_same_discount_without_counting_twice() {
    let app = app_with_code(json!({"code": "REPLAY", "max_redemptions": 5}), -1, 60).await;
    let service = app.tokens.service("order-service");
    let body = order(Uuid::new_v4(), 12_345);

    let first = app.redeem(&service, "REPLAY", &body).await;
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.unwrap();
    let again = app.redeem(&service, "replay", &body).await;
    assert_eq!(again.status().as_u16(), 200);
    let again: Value = again.json().await.unwrap();

    assert_eq!(first["discount_cents"], 2469, "20% of 12345, rounded down");
    assert_eq!(again, first);
    assert_eq!(
        app.count("SELECT redeemed_count::bigint FROM promo_codes")
            .await,
        1
    );
}

#[tokio::test]
async fn releasing_a_redemption_gives_its_unit_back_and_is_idempotent() {
    let app = app_with_code(json!({"code": "ONEONLY", "max_redemptions": 1}), -1, 60).await;
    let service = app.tokens.service("order-service");
    let body = order(Uuid::new_v4(), 1_000);
    assert_eq!(
        app.redeem(&service, "ONEONLY", &body)
            .await
            .status()
            .as_u16(),
        201
    );
    problem(
        app.redeem(&service, "ONEONLY", &order(Uuid::new_v4(), 1_000))
            .await,
        409,
    )
    .await;

    let url = app.url(&format!(
        "/promo-codes/ONEONLY/redemptions/{}",
        body["order_id"].as_str().unwrap()
    ));
    for _ in 0..2 {
        let released = app
            .client
            .delete(&url)
            .bearer_auth(&service)
            .send()
            .await
            .unwrap();
        assert_eq!(released.status().as_u16(), 204);
    }

    assert_eq!(
        app.count("SELECT redeemed_count::bigint FROM promo_codes")
            .await,
        0
    );
    assert_eq!(
        app.redeem(&service, "ONEONLY", &order(Uuid::new_v4(), 1_000))
            .await
            .status()
            .as_u16(),
        201
    );
}

#[tokio::test]
async fn only_services_may_redeem_or_release() {
    let app = app_with_code(json!({"code": "SERVICES"}), -1, 60).await;
    let (customer_id, customer) = app.tokens.customer();
    let body = order(customer_id, 1_000);

    problem(app.redeem(&customer, "SERVICES", &body).await, 403).await;
    problem(
        app.redeem(&app.tokens.admin(), "SERVICES", &body).await,
        403,
    )
    .await;
    let anonymous = app
        .client
        .post(app.url("/promo-codes/SERVICES/redemptions"))
        .json(&body)
        .send()
        .await
        .unwrap();
    problem(anonymous, 401).await;
    let release = app
        .client
        .delete(app.url(&format!(
            "/promo-codes/SERVICES/redemptions/{}",
            Uuid::new_v4()
        )))
        .bearer_auth(&customer)
        .send()
        .await
        .unwrap();
    problem(release, 403).await;
    assert_eq!(app.count("SELECT count(*) FROM redemptions").await, 0);
}

#[tokio::test]
async fn codes_that_do_not_apply_get_a_422_saying_why() {
    let service_for = |app: &TestApp| app.tokens.service("order-service");
    let expired = app_with_code(json!({"code": "OLD"}), -120, -60).await;
    let body = problem(
        expired
            .redeem(&service_for(&expired), "OLD", &order(Uuid::new_v4(), 1_000))
            .await,
        422,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("expired"),
        "{body}"
    );

    let future = app_with_code(json!({"code": "SOON"}), 60, 120).await;
    let body = problem(
        future
            .redeem(&service_for(&future), "SOON", &order(Uuid::new_v4(), 1_000))
            .await,
        422,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("not active yet"),
        "{body}"
    );
    let check: Value = future
        .client
        .get(future.url("/promo-codes/SOON"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["reason"], "not_started");

    let minimum = app_with_code(
        json!({"code": "BIGORDER", "min_order_cents": 5_000}),
        -1,
        60,
    )
    .await;
    let body = problem(
        minimum
            .redeem(
                &service_for(&minimum),
                "BIGORDER",
                &order(Uuid::new_v4(), 4_999),
            )
            .await,
        422,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("at least 5000"),
        "{body}"
    );
    let mut other_currency = order(Uuid::new_v4(), 9_000);
    other_currency["currency"] = json!("EUR");
    let body = problem(
        minimum
            .redeem(&service_for(&minimum), "BIGORDER", &other_currency)
            .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "currency");
    for app in [&expired, &future, &minimum] {
        assert_eq!(app.count("SELECT count(*) FROM redemptions").await, 0);
    }
}

#[tokio::test]
async fn checking_an_unknown_code_is_a_404_and_a_known_one_shows_the_offer() {
    let app = app_with_code(json!({"code": "SHOWME", "min_order_cents": 100}), -1, 60).await;
    problem(
        app.client
            .get(app.url("/promo-codes/NOSUCH"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let check: Value = app
        .client
        .get(app.url("/promo-codes/showme"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["applies"], true);
    assert_eq!(
        check["offer"],
        json!({"kind": "percent", "percent_off": 20})
    );
    assert_eq!(check["min_order_cents"], 100);
}

#[tokio::test]
async fn checking_a_code_with_a_subtotal_says_the_discount_it_would_give() {
    let app = app_with_code(json!({"code": "PREVIEW", "min_order_cents": 1000}), -1, 60).await;
    let check = |subtotal: &str| {
        app.client
            .get(app.url(&format!("/promo-codes/PREVIEW?subtotal_cents={subtotal}")))
            .send()
    };
    let above: Value = check("2550").await.unwrap().json().await.unwrap();
    assert_eq!(above["discount_cents"], 510, "20 % of 25.50");
    let below: Value = check("999").await.unwrap().json().await.unwrap();
    assert_eq!(below["discount_cents"], 0, "under the minimum");
    let plain: Value = app
        .client
        .get(app.url("/promo-codes/PREVIEW"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plain["discount_cents"], Value::Null);
    problem(check("-1").await.unwrap(), 422).await;
    problem(check("lots").await.unwrap(), 422).await;
}
