use serde_json::{json, Value};

use crate::helpers::{campaign, problem, spawn_app_with, Options};

fn no_consumer() -> Options {
    Options {
        consumer: false,
        ..Options::default()
    }
}

#[tokio::test]
async fn admins_create_read_update_and_delete_campaigns() {
    let app = spawn_app_with(no_consumer()).await;
    let code = json!({"code": "spring10", "max_redemptions": 100, "per_customer_limit": 1, "min_order_cents": 2000});

    let created = app
        .create_campaign(&campaign("Spring", -5, 60, Some(code)))
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["promo_code"]["code"], "SPRING10");
    assert_eq!(created["active"], true);
    assert_eq!(
        created["offer"],
        json!({"kind": "percent", "percent_off": 20})
    );
    let id = created["id"].as_str().unwrap();

    let admin = app.tokens.admin();
    let patched: Value = app
        .client
        .patch(app.url(&format!("/campaigns/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"name": "Spring sale", "offer": {"kind": "fixed", "amount_off_cents": 500}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["name"], "Spring sale");
    assert_eq!(
        patched["offer"],
        json!({"kind": "fixed", "amount_off_cents": 500})
    );

    let read: Value = app
        .client
        .get(app.url(&format!("/campaigns/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["name"], "Spring sale");

    let deleted = app
        .client
        .delete(app.url(&format!("/campaigns/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let gone = app
        .client
        .get(app.url(&format!("/campaigns/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    problem(gone, 404).await;
    problem(
        app.client
            .get(app.url("/promo-codes/SPRING10"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
}

#[tokio::test]
async fn writes_need_an_admin_token() {
    let app = spawn_app_with(no_consumer()).await;
    let body = campaign("Nope", 0, 60, None);
    let (_, customer) = app.tokens.customer();

    let anonymous = app
        .client
        .post(app.url("/campaigns"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let as_customer = app
        .client
        .post(app.url("/campaigns"))
        .bearer_auth(&customer)
        .json(&body)
        .send()
        .await
        .unwrap();
    let list_all_as_customer = app
        .client
        .get(app.url("/campaigns"))
        .bearer_auth(&customer)
        .send()
        .await
        .unwrap();
    let list_all_anonymous = app.client.get(app.url("/campaigns")).send().await.unwrap();

    problem(anonymous, 401).await;
    problem(as_customer, 403).await;
    problem(list_all_as_customer, 403).await;
    problem(list_all_anonymous, 401).await;
    assert_eq!(app.count("SELECT count(*) FROM campaigns").await, 0);
}

#[tokio::test]
async fn anyone_lists_active_campaigns_and_never_expired_or_future_ones() {
    let app = spawn_app_with(no_consumer()).await;
    for (name, starts, ends) in [
        ("Running", -10, 60),
        ("Expired", -120, -60),
        ("Future", 60, 120),
        ("Running too", -1, 5),
    ] {
        assert_eq!(
            app.create_campaign(&campaign(name, starts, ends, None))
                .await
                .status()
                .as_u16(),
            201
        );
    }

    let page: Value = app
        .client
        .get(app.url("/campaigns?active=true"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Running", "Running too"]);
    assert_eq!(page["next_cursor"], Value::Null);
}

#[tokio::test]
async fn paging_returns_every_campaign_once_and_a_tampered_cursor_is_a_400() {
    let app = spawn_app_with(no_consumer()).await;
    for i in 0..5 {
        app.create_campaign(&campaign(&format!("C{i}"), -1, 60, None))
            .await;
    }
    let admin = app.tokens.admin();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => app.url(&format!("/campaigns?limit=2&cursor={c}")),
            None => app.url("/campaigns?limit=2"),
        };
        let page: Value = app
            .client
            .get(url)
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["C0", "C1", "C2", "C3", "C4"]);
    let tampered = app
        .client
        .get(app.url("/campaigns?cursor=abc"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    problem(tampered, 400).await;
    let bad_limit = app
        .client
        .get(app.url("/campaigns?active=true&limit=1000"))
        .send()
        .await
        .unwrap();
    problem(bad_limit, 422).await;
}

#[tokio::test]
async fn invalid_campaigns_get_422_naming_the_field_and_store_nothing() {
    let app = spawn_app_with(no_consumer()).await;
    let with = |f: &dyn Fn(&mut Value)| {
        let mut body = campaign("Bad", 0, 60, None);
        f(&mut body);
        body
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "end before start",
            with(&|b| b["ends_at"] = b["starts_at"].clone()),
            "ends_at",
        ),
        (
            "percent over 100",
            with(&|b| b["offer"] = json!({"kind": "percent", "percent_off": 101})),
            "offer.percent_off",
        ),
        (
            "zero percent",
            with(&|b| b["offer"] = json!({"kind": "percent", "percent_off": 0})),
            "offer.percent_off",
        ),
        (
            "negative amount",
            with(&|b| b["offer"] = json!({"kind": "fixed", "amount_off_cents": -100})),
            "offer.amount_off_cents",
        ),
        (
            "unknown offer kind",
            with(&|b| b["offer"] = json!({"kind": "bogo"})),
            "offer",
        ),
        (
            "negative minimum",
            with(&|b| b["promo_code"] = json!({"code": "OKCODE", "min_order_cents": -1})),
            "promo_code.min_order_cents",
        ),
        (
            "zero cap",
            with(&|b| b["promo_code"] = json!({"code": "OKCODE", "max_redemptions": 0})),
            "promo_code.max_redemptions",
        ),
        (
            "bad code",
            with(&|b| b["promo_code"] = json!({"code": "no spaces"})),
            "promo_code.code",
        ),
        (
            "unknown field",
            with(&|b| b["redeemed_count"] = json!(0)),
            "redeemed_count",
        ),
        ("empty name", with(&|b| b["name"] = json!("  ")), "name"),
        (
            "not a date",
            with(&|b| b["starts_at"] = json!("tomorrow")),
            "starts_at",
        ),
    ];
    for (case, body, field) in cases {
        let body = problem(app.create_campaign(&body).await, 422).await;
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert!(
            fields.iter().any(|f| f.starts_with(field)),
            "case {case}: expected {field} in {fields:?}"
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM campaigns").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM promo_codes").await, 0);
}

#[tokio::test]
async fn a_promo_code_used_by_another_campaign_is_a_409() {
    let app = spawn_app_with(no_consumer()).await;
    let code = json!({"code": "TAKEN"});
    assert_eq!(
        app.create_campaign(&campaign("A", 0, 60, Some(code.clone())))
            .await
            .status()
            .as_u16(),
        201
    );
    problem(
        app.create_campaign(&campaign("B", 0, 60, Some(code))).await,
        409,
    )
    .await;
    assert_eq!(
        app.count("SELECT count(*) FROM campaigns").await,
        1,
        "the second campaign is not half-written"
    );
}
