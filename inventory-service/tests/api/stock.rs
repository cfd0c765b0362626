use serde_json::json;

use crate::helpers::{at, problem, spawn_app, spawn_app_with, sweeping_by_hand};

#[tokio::test]
async fn admins_set_and_adjust_stock_with_a_movement_history() {
    let app = spawn_app().await;
    let set = app.set_stock("sku-1", 100, 10).await;
    assert_eq!(set.status().as_u16(), 200);

    let adjusted = app
        .client
        .post(app.url("/inventory/SKU-1/adjustments"))
        .bearer_auth(app.tokens.admin())
        .json(&json!({"delta": -7, "reason": "damaged"}))
        .send()
        .await
        .unwrap();

    assert_eq!(adjusted.status().as_u16(), 200);
    let stock = app.stock("SKU-1").await;
    assert_eq!(stock["on_hand"], 93);
    assert_eq!(stock["available"], 93);
    let reasons: Vec<String> =
        sqlx::query_scalar("SELECT reason FROM stock_movements ORDER BY created_at")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(reasons, ["stock level set", "damaged"]);
}

#[tokio::test]
async fn availability_never_goes_below_zero_whatever_the_request() {
    let app = spawn_app().await;
    app.set_stock("SKU-2", 5, 0).await;
    let body = problem(
        app.client
            .post(app.url("/inventory/SKU-2/adjustments"))
            .bearer_auth(app.tokens.admin())
            .json(&json!({"delta": -6, "reason": "count"}))
            .send()
            .await
            .unwrap(),
        409,
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("less stock"));
    app.open_sale("SKU-2", 4, 1).await;
    problem(app.set_stock("SKU-2", 3, 0).await, 409).await;

    // Even bypassing the API, the database refuses.
    let direct = sqlx::query("UPDATE stock SET reserved = 100 WHERE sku = 'SKU-2'")
        .execute(&app.db.pool)
        .await;
    assert!(direct.is_err(), "the CHECK constraint holds");
    assert_eq!(app.stock("SKU-2").await["on_hand"], 5);
}

#[tokio::test]
async fn out_of_range_adjustments_get_422_and_change_nothing() {
    // i64::MIN once overflowed `abs()`: a panic in debug, a zero-unit
    // adjustment in release (found by Schemathesis).
    let app = spawn_app().await;
    app.set_stock("SKU-5", 10, 0).await;
    for delta in [i64::MIN, i64::MAX, 1_000_001, -1_000_001, 0] {
        let response = app
            .client
            .post(app.url("/inventory/SKU-5/adjustments"))
            .bearer_auth(app.tokens.admin())
            .json(&json!({"delta": delta, "reason": "count"}))
            .send()
            .await
            .unwrap();
        let body = problem(response, 422).await;
        assert_eq!(body["errors"][0]["field"], "delta", "delta {delta}");
    }
    assert_eq!(app.stock("SKU-5").await["on_hand"], 10);
}

#[tokio::test]
async fn admin_endpoints_refuse_customers_and_bad_input_gets_422() {
    let app = spawn_app().await;
    let (_, customer) = app.tokens.customer();
    let as_customer = app
        .client
        .put(app.url("/inventory/SKU-3"))
        .bearer_auth(&customer)
        .json(&json!({"on_hand": 1, "low_stock_threshold": 0}))
        .send()
        .await
        .unwrap();
    problem(as_customer, 403).await;
    let sale_as_customer = app
        .client
        .post(app.url("/flash-sales"))
        .bearer_auth(&customer)
        .json(&json!({"sku": "SKU-3", "quantity": 1, "price_cents": 1, "starts_at": at(0), "ends_at": at(5), "per_customer_limit": 1}))
        .send()
        .await
        .unwrap();
    problem(sale_as_customer, 403).await;

    problem(app.set_stock("SKU-3", -1, 0).await, 422).await;
    problem(app.set_stock("bad sku", 1, 0).await, 422).await;
    app.set_stock("SKU-3", 10, 0).await;
    for (case, body, field) in [
        (
            "zero quantity",
            json!({"sku": "SKU-3", "quantity": 0, "price_cents": 100, "starts_at": at(0), "ends_at": at(5), "per_customer_limit": 1}),
            "quantity",
        ),
        (
            "negative price",
            json!({"sku": "SKU-3", "quantity": 1, "price_cents": -1, "starts_at": at(0), "ends_at": at(5), "per_customer_limit": 1}),
            "price_cents",
        ),
        (
            "end before start",
            json!({"sku": "SKU-3", "quantity": 1, "price_cents": 100, "starts_at": at(5), "ends_at": at(1), "per_customer_limit": 1}),
            "ends_at",
        ),
        (
            "zero limit",
            json!({"sku": "SKU-3", "quantity": 1, "price_cents": 100, "starts_at": at(0), "ends_at": at(5), "per_customer_limit": 0}),
            "per_customer_limit",
        ),
    ] {
        let body = problem(app.create_sale(&body).await, 422).await;
        assert_eq!(body["errors"][0]["field"], field, "case {case}");
    }
    let unknown = json!({"sku": "NOPE", "quantity": 1, "price_cents": 100, "starts_at": at(0), "ends_at": at(5), "per_customer_limit": 1});
    problem(app.create_sale(&unknown).await, 404).await;
    let too_many = json!({"sku": "SKU-3", "quantity": 11, "price_cents": 100, "starts_at": at(0), "ends_at": at(5), "per_customer_limit": 1});
    problem(app.create_sale(&too_many).await, 409).await;
    problem(
        app.client
            .get(app.url("/inventory/NOPE"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_eq!(app.count("SELECT count(*) FROM flash_sales").await, 0);
}

#[tokio::test]
async fn an_ended_sale_returns_its_unsold_units_to_available_stock() {
    let app = spawn_app_with(sweeping_by_hand()).await;
    app.set_stock("SKU-4", 10, 0).await;
    let response = app
        .create_sale(&json!({"sku": "SKU-4", "quantity": 6, "price_cents": 100, "starts_at": at(-2), "ends_at": at(30), "per_customer_limit": 1}))
        .await;
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(app.stock("SKU-4").await["available"], 4);
    app.sweep().await;
    assert_eq!(
        app.stock("SKU-4").await["available"],
        4,
        "an open sale keeps its units"
    );
    sqlx::query("UPDATE flash_sales SET ends_at = now() - interval '1 second'")
        .execute(&app.db.pool)
        .await
        .unwrap();

    app.sweep().await;

    assert_eq!(
        app.stock("SKU-4").await["available"],
        10,
        "unsold units are available again after the sale"
    );
    app.assert_balanced("SKU-4").await;
}

#[tokio::test]
async fn adjustments_that_would_pass_the_largest_stock_level_get_422_and_change_nothing() {
    // Repeated +1000000 adjustments once overflowed the integer column: a 500.
    let app = spawn_app().await;
    let max = i64::from(i32::MAX / 2);
    assert_eq!(
        app.set_stock("SKU-6", max - 1, 0).await.status().as_u16(),
        200
    );
    let adjust = |delta: i64| {
        app.client
            .post(app.url("/inventory/SKU-6/adjustments"))
            .bearer_auth(app.tokens.admin())
            .json(&json!({"delta": delta, "reason": "count"}))
            .send()
    };

    let to_the_maximum = adjust(1).await.unwrap();
    let past_it = adjust(1).await.unwrap();
    let far_past_it = adjust(1_000_000).await.unwrap();
    let back_down = adjust(-1).await.unwrap();

    assert_eq!(to_the_maximum.status().as_u16(), 200);
    let body = problem(past_it, 422).await;
    assert_eq!(body["errors"][0]["field"], "delta");
    problem(far_past_it, 422).await;
    assert_eq!(back_down.status().as_u16(), 200);
    assert_eq!(app.stock("SKU-6").await["on_hand"], max - 1);
}

#[tokio::test]
async fn admins_list_stock_in_sku_order_by_page_and_only_the_low_ones_when_asked() {
    let app = spawn_app().await;
    for (sku, on_hand, threshold) in [
        ("MUG-A", 50, 10),
        ("MUG-B", 3, 10),
        ("TEE-A", 0, 5),
        ("MUG-C", 20, 0),
    ] {
        assert_eq!(
            app.set_stock(sku, on_hand, threshold)
                .await
                .status()
                .as_u16(),
            200
        );
    }
    let admin = app.tokens.admin();
    let get = |path: String| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let response = app
                .client
                .get(app.url(&path))
                .bearer_auth(admin)
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let skus = |page: &serde_json::Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["sku"].as_str().unwrap().to_owned())
            .collect()
    };

    let (status, first) = get("/inventory?limit=2".to_owned()).await;
    assert_eq!(status, 200);
    assert_eq!(skus(&first), ["MUG-A", "MUG-B"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = get(format!("/inventory?limit=2&cursor={cursor}")).await;
    assert_eq!(skus(&second), ["MUG-C", "TEE-A"]);
    assert!(second["next_cursor"].is_null());
    assert_eq!(first["items"][1]["available"], 3);
    assert_eq!(first["items"][1]["low_stock_threshold"], 10);

    let (_, low) = get("/inventory?low=true".to_owned()).await;
    assert_eq!(
        skus(&low),
        ["MUG-B", "TEE-A"],
        "available under the threshold"
    );
    let (_, mugs) = get("/inventory?sku_prefix=mug-".to_owned()).await;
    assert_eq!(skus(&mugs), ["MUG-A", "MUG-B", "MUG-C"]);

    let (status, _) = get("/inventory?cursor=not-ours".to_owned()).await;
    assert_eq!(status, 400);
    let customer = app
        .client
        .get(app.url("/inventory"))
        .bearer_auth(app.tokens.customer().1)
        .send()
        .await
        .unwrap();
    assert_eq!(customer.status().as_u16(), 403);
}

#[tokio::test]
async fn a_skus_movements_are_listed_newest_first_with_their_reasons() {
    let app = spawn_app().await;
    app.set_stock("MUG-A", 100, 10).await;
    for (delta, reason) in [
        (-7, "damaged in the warehouse"),
        (12, "returned by a supplier"),
    ] {
        let adjusted = app
            .client
            .post(app.url("/inventory/MUG-A/adjustments"))
            .bearer_auth(app.tokens.admin())
            .json(&json!({"delta": delta, "reason": reason}))
            .send()
            .await
            .unwrap();
        assert_eq!(adjusted.status().as_u16(), 200);
    }
    let admin = app.tokens.admin();
    let page = |path: String| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let response = app
                .client
                .get(app.url(&path))
                .bearer_auth(admin)
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };

    let (status, first) = page("/inventory/MUG-A/movements?limit=2".to_owned()).await;
    assert_eq!(status, 200);
    let rows = first["items"].as_array().unwrap();
    assert_eq!(rows[0]["delta"], 12);
    assert_eq!(rows[0]["kind"], "adjustment");
    assert_eq!(rows[0]["reason"], "returned by a supplier");
    assert_eq!(rows[1]["delta"], -7);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, rest) = page(format!(
        "/inventory/MUG-A/movements?limit=2&cursor={cursor}"
    ))
    .await;
    assert_eq!(rest["items"][0]["kind"], "set");
    assert_eq!(rest["items"][0]["delta"], 100);
    assert!(rest["next_cursor"].is_null());

    let (unknown, body) = page("/inventory/NO-SUCH/movements".to_owned()).await;
    assert_eq!(unknown, 404, "{body}");
}
