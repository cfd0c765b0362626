//! Dependencies that fail during checkout: the order waits and finishes, or
//! fails cleanly with everything released (docs/architecture.md, "Checkout saga").

use std::time::Duration;

use platform::client::BreakerState;
use serde_json::Value;

use crate::helpers::{cart_order, problem, spawn_platform_with, start_order, Killable, Options};

#[tokio::test]
async fn with_the_inventory_cut_off_an_order_is_accepted_and_completes_when_it_returns() {
    let p = spawn_platform_with(Options {
        proxy_inventory: true,
        ..Options::default()
    })
    .await;
    let (mug, sku) = p.product(1500, 5).await;
    let customer = p.customer();
    p.add_to_cart(&customer, mug, 2).await;
    let proxy = p.inventory_proxy.as_ref().unwrap();
    proxy.cut();

    let response = p.place(&customer, "k", &cart_order("tok_visa", None)).await;
    assert_eq!(response.status().as_u16(), 202);
    let order: Value = response.json().await.unwrap();
    assert_eq!(order["status"], "pending");
    let id = order["id"].as_str().unwrap().to_owned();
    let failures = p.order_state.client_metrics.requests("inventory", "error")
        + p.order_state.client_metrics.requests("inventory", "retry");
    assert!(failures > 0, "the cut was seen by the client");
    // A replay while it waits shows the pending order, not a second one.
    let replay = p.place(&customer, "k", &cart_order("tok_visa", None)).await;
    assert_eq!(replay.status().as_u16(), 202);

    proxy.restore();
    let order = p
        .settled(&customer.token, &id, Duration::from_secs(30))
        .await;
    assert_eq!(order["status"], "confirmed", "{order}");
    let stock = p.stock(&sku).await;
    assert_eq!(
        (stock["on_hand"].as_i64(), stock["reserved"].as_i64()),
        (Some(3), Some(0))
    );
    let replay = p.place(&customer, "k", &cart_order("tok_visa", None)).await;
    assert_eq!(replay.status().as_u16(), 200);
    let replayed: Value = replay.json().await.unwrap();
    assert_eq!(replayed["status"], "confirmed");
    assert_eq!(p.count("SELECT count(*) FROM orders").await, 1);
}

#[tokio::test]
async fn with_the_catalog_cut_off_checkout_is_a_clean_503_and_the_breaker_opens_and_closes() {
    let p = spawn_platform_with(Options {
        proxy_catalog: true,
        ..Options::default()
    })
    .await;
    let (mug, _) = p.product(1500, 5).await;
    let customer = p.customer();
    assert_eq!(
        p.add_to_cart(&customer, mug, 1).await.status().as_u16(),
        200
    );
    let proxy = p.catalog_proxy.as_ref().unwrap();
    proxy.cut();

    for _ in 0..7 {
        let response = p.place(&customer, "k", &cart_order("tok_visa", None)).await;
        let body = problem(response, 503).await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("catalog"),
            "{body}"
        );
    }
    let metrics = &p.order_state.client_metrics;
    assert!(
        metrics.fast_failures("catalog") > 0,
        "the breaker opened and failed fast"
    );
    assert_eq!(
        p.order_state.deps.catalog.0.breaker_state(),
        BreakerState::Open
    );
    assert_eq!(
        p.count("SELECT count(*) FROM orders").await,
        0,
        "no half-made order"
    );
    assert_eq!(
        p.count("SELECT count(*) FROM idempotency_keys").await,
        0,
        "the key was freed"
    );

    proxy.restore();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let response = p.place(&customer, "k", &cart_order("tok_visa", None)).await;
    // Priced and made now; on a busy machine the saga may finish after the
    // checkout budget (202), so wait for its end.
    assert!(
        matches!(response.status().as_u16(), 201 | 202),
        "{}",
        response.status()
    );
    let order: Value = response.json().await.unwrap();
    let order = p
        .settled(
            &customer.token,
            order["id"].as_str().unwrap(),
            Duration::from_secs(30),
        )
        .await;
    assert_eq!(order["status"], "confirmed");
    assert_eq!(
        p.order_state.deps.catalog.0.breaker_state(),
        BreakerState::Closed
    );
}

/// A socket that accepts connections and never answers: a hung dependency.
async fn black_hole() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (address, task)
}

#[tokio::test]
async fn an_order_service_killed_mid_saga_is_finished_by_a_fresh_instance() {
    let p = spawn_platform_with(Options::default()).await;
    let (mug, sku) = p.product(1500, 5).await;
    p.promo("CRASH10", 10, None).await;
    let customer = p.customer();
    p.add_to_cart(&customer, mug, 1).await;

    // Instance A: its campaign calls hang, so its saga sits inside the
    // redeem step (stock already held) when the whole process dies.
    let (hole, _hole_task) = black_hole().await;
    let mut doomed = p.order_settings.clone();
    doomed.campaign_url = hole;
    doomed.saga.lease = Duration::from_secs(2);
    doomed.client.timeout = Duration::from_secs(30);
    let mut instance_a = Killable::start(doomed);
    let url = format!("{}/orders", instance_a.address);
    let client = p.client.clone();
    let token = customer.token.clone();
    let request = tokio::spawn(async move {
        client
            .post(url)
            .bearer_auth(token)
            .header("Idempotency-Key", "crash")
            .json(&cart_order("tok_visa", Some("CRASH10")))
            .send()
            .await
    });
    let in_redeem = platform::testing::eventually(Duration::from_secs(10), || async {
        let n = p
            .count("SELECT count(*) FROM orders WHERE step = 'redeem' AND stock_status = 'held' AND lease_owner IS NOT NULL")
            .await;
        (n == 1).then_some(())
    })
    .await;
    assert!(
        in_redeem.is_some(),
        "instance A got as far as the redeem step"
    );
    assert_eq!(p.stock(&sku).await["reserved"], 1, "the stock is held");
    instance_a.kill();
    assert!(request.await.unwrap().is_err(), "the client saw no answer");

    // Instance B on the same database: its resumer takes the order once A's
    // lease lapses and drives it to the end.
    let (_b, _state) = start_order(p.order_settings.clone()).await;
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM orders")
        .fetch_one(&p.order_db.pool)
        .await
        .unwrap();
    let order = p
        .settled(&customer.token, &id.to_string(), Duration::from_secs(30))
        .await;
    assert_eq!(order["status"], "confirmed", "{order}");
    assert_eq!(order["discount_cents"], 150);
    let stock = p.stock(&sku).await;
    assert_eq!(
        (stock["on_hand"].as_i64(), stock["reserved"].as_i64()),
        (Some(4), Some(0)),
        "no stock leaked"
    );
    let open_authorisations = p
        .count("SELECT count(*) FROM payments WHERE status = 'authorized'")
        .await;
    assert_eq!(open_authorisations, 0);
    assert_eq!(
        p.count("SELECT count(*) FROM payments WHERE status = 'captured'")
            .await,
        1
    );
    assert_eq!(p.redemptions("CRASH10").await, 1);
}

#[tokio::test]
async fn an_order_stuck_past_its_deadline_is_compensated_with_nothing_left_held() {
    let p = spawn_platform_with(Options {
        proxy_campaign: true,
        ..Options::default()
    })
    .await;
    let (mug, sku) = p.product(1500, 5).await;
    p.promo("STUCK10", 10, None).await;
    let customer = p.customer();
    p.add_to_cart(&customer, mug, 2).await;
    p.campaign_proxy.as_ref().unwrap().cut();

    let response = p
        .place(&customer, "k", &cart_order("tok_visa", Some("STUCK10")))
        .await;
    assert_eq!(response.status().as_u16(), 202);
    let order: Value = response.json().await.unwrap();
    assert_eq!(
        p.stock(&sku).await["reserved"],
        2,
        "the stock is held while it waits"
    );

    // A second instance that gives up on orders older than a second.
    let mut impatient = p.order_settings.clone();
    impatient.saga.give_up_after = Duration::from_secs(1);
    let (_b, _state) = start_order(impatient).await;
    // Its compensation releases the promo code whether or not a redemption
    // was recorded (one may have been made and its reply lost), so it waits
    // for campaign-service to answer before the order ends.
    let order_id = uuid::Uuid::parse_str(order["id"].as_str().unwrap()).unwrap();
    let compensating = platform::testing::eventually(Duration::from_secs(20), || async {
        let step: String = sqlx::query_scalar("SELECT step FROM orders WHERE id = $1")
            .bind(order_id)
            .fetch_one(&p.order_db.pool)
            .await
            .unwrap();
        (step == "compensate").then_some(())
    })
    .await;
    assert!(
        compensating.is_some(),
        "the impatient instance gave up on it"
    );
    let waiting = p
        .order(&customer.token, order["id"].as_str().unwrap())
        .await;
    let waiting: Value = waiting.json().await.unwrap();
    p.campaign_proxy.as_ref().unwrap().restore();
    let order = p
        .settled(
            &customer.token,
            order["id"].as_str().unwrap(),
            Duration::from_secs(30),
        )
        .await;
    assert_eq!(waiting["status"], "pending", "{waiting}");
    assert_eq!(order["status"], "failed", "{order}");
    assert_eq!(p.redemptions("STUCK10").await, 0);
    assert!(
        order["reason"].as_str().unwrap().contains("unavailable"),
        "{order}"
    );
    let stock = p.stock(&sku).await;
    assert_eq!(
        (stock["available"].as_i64(), stock["reserved"].as_i64()),
        (Some(5), Some(0))
    );
    assert_eq!(p.count("SELECT count(*) FROM payments").await, 0);
}

#[tokio::test]
async fn a_redemption_whose_reply_was_lost_is_released_when_the_order_fails() {
    // campaign-service redeems the code but its answer never arrives: the
    // order gives up, and its compensation must release what was attempted,
    // not only what it had recorded (the code's one use was once lost).
    let mut options = Options {
        proxy_campaign: true,
        ..Options::default()
    };
    options.saga.give_up_after = Duration::from_secs(2);
    let p = spawn_platform_with(options).await;
    let (mug, _) = p.product(2000, 10).await;
    p.promo("ONCEONLY", 10, Some(1)).await;
    let proxy = p.campaign_proxy.as_ref().unwrap();
    proxy.lose_replies_to(Some("POST /promo-codes/"));
    let first = p.customer();
    p.add_to_cart(&first, mug, 1).await;

    let placed = p
        .place(
            &first,
            "lost-reply",
            &cart_order("tok_visa", Some("ONCEONLY")),
        )
        .await;
    let placed: Value = placed.json().await.unwrap();
    let redeemed_meanwhile = p.redemptions("ONCEONLY").await;
    // Every such reply stays lost until the order has given up.
    let failed = p
        .settled(
            &first.token,
            placed["id"].as_str().unwrap(),
            Duration::from_secs(30),
        )
        .await;
    proxy.restore();
    let second = p.customer();
    p.add_to_cart(&second, mug, 1).await;
    let next = p
        .place(&second, "next", &cart_order("tok_visa", Some("ONCEONLY")))
        .await;
    let next: Value = next.json().await.unwrap();

    assert_eq!(
        redeemed_meanwhile, 1,
        "the request reached campaign-service: {placed}"
    );
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(
        p.redemptions("ONCEONLY").await,
        1,
        "only the second order's use"
    );
    assert_eq!(next["status"], "confirmed", "{next}");
    assert!(next["discount_cents"].as_i64().unwrap() > 0, "{next}");
}
