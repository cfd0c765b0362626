use std::time::Duration;

use futures::{stream, StreamExt};
use serde_json::{json, Value};

use crate::helpers::{at, problem, spawn_app, spawn_app_with, sweeping_by_hand, Options, TestApp};

/// Fires one claim per token, at most 256 in flight; returns the statuses.
async fn stampede(app: &TestApp, sale: &str, tokens: &[String]) -> Vec<u16> {
    stream::iter(tokens)
        .map(|t| async move { app.claim(sale, t).await.status().as_u16() })
        .buffer_unordered(256)
        .collect()
        .await
}

fn customers(app: &TestApp, n: usize) -> Vec<String> {
    (0..n).map(|_| app.tokens.customer().1).collect()
}

async fn sale_view(app: &TestApp, sale: &str) -> Value {
    app.client
        .get(app.url(&format!("/flash-sales/{sale}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_thousand_customers_racing_for_a_hundred_units_get_exactly_a_hundred() {
    let app = spawn_app().await;
    app.set_stock("FLASH-1", 150, 0).await;
    let sale = app.open_sale("FLASH-1", 100, 1).await;
    let tokens = customers(&app, 1000);

    let statuses = stampede(&app, &sale, &tokens).await;

    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        100,
        "exactly the sale's units are claimed"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        900,
        "the rest hear sold out"
    );
    assert_eq!(app.count("SELECT count(*) FROM reservations").await, 100);
    let view = sale_view(&app, &sale).await;
    assert_eq!(view["remaining"], 0);
    assert_eq!(view["status"], "sold_out");
    app.assert_balanced("FLASH-1").await;
    assert_eq!(
        app.stock("FLASH-1").await["available"],
        50,
        "the sale's units stay out of ordinary stock"
    );
}

#[tokio::test]
async fn one_customer_firing_twenty_concurrent_claims_with_a_limit_of_one_gets_one() {
    let app = spawn_app().await;
    app.set_stock("FLASH-2", 50, 0).await;
    let sale = app.open_sale("FLASH-2", 50, 1).await;
    let (_, token) = app.tokens.customer();
    let tokens = vec![token; 20];

    let statuses = stampede(&app, &sale, &tokens).await;

    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(app.count("SELECT count(*) FROM reservations").await, 1);
    assert_eq!(sale_view(&app, &sale).await["remaining"], 49);
}

#[tokio::test]
async fn a_claim_is_a_reservation_owned_by_the_customer_at_the_sale_price() {
    let app = spawn_app().await;
    app.set_stock("FLASH-3", 10, 0).await;
    let sale = app.open_sale("FLASH-3", 5, 2).await;
    let (customer, token) = app.tokens.customer();

    let response = app.claim(&sale, &token).await;
    assert_eq!(response.status().as_u16(), 201);
    let claim: Value = response.json().await.unwrap();
    let id = claim["reservation_id"].as_str().unwrap();

    let mine: Value = app
        .client
        .get(app.url(&format!("/reservations/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["owner_id"], customer.to_string());
    assert_eq!(mine["status"], "held");
    assert_eq!(mine["flash_sale_id"], sale.as_str());
    assert_eq!(
        mine["items"],
        json!([{"sku": "FLASH-3", "quantity": 1, "unit_price_cents": 999}])
    );
    let (_, stranger) = app.tokens.customer();
    let theirs = app
        .client
        .get(app.url(&format!("/reservations/{id}")))
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap();
    problem(theirs, 404).await;
}

#[tokio::test]
async fn the_gate_rebuilds_after_redis_loses_the_sale_and_never_oversells() {
    let app = spawn_app().await;
    app.set_stock("FLASH-4", 60, 0).await;
    let sale = app.open_sale("FLASH-4", 60, 1).await;
    let first = stampede(&app, &sale, &customers(&app, 30)).await;
    assert_eq!(first.iter().filter(|s| **s == 201).count(), 30);

    let (keys, mut conn) = gate_keys(&app, &sale).await;
    // The units left and the window make the gate; the per-customer counts
    // exist only once a claim went through the gate (a claim that met a
    // Redis error on this busy machine went through Postgres instead).
    let gate: i64 = redis::cmd("EXISTS")
        .arg(&keys[0])
        .arg(&keys[2])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(gate, 2, "the sale's gate was there");
    let _: i64 = redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut conn)
        .await
        .unwrap();

    let second = stampede(&app, &sale, &customers(&app, 100)).await;

    assert_eq!(
        second.iter().filter(|s| **s == 201).count(),
        30,
        "claims go on after the rebuild"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM reservations").await,
        60,
        "never more than the sale holds"
    );
    assert_eq!(sale_view(&app, &sale).await["remaining"], 0);
    let exists: i64 = redis::cmd("EXISTS")
        .arg(&keys[2])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(exists, 1, "the gate was rebuilt");
    app.assert_balanced("FLASH-4").await;
}

#[tokio::test]
async fn an_expired_claim_returns_its_unit_to_the_sale_and_a_committed_one_never_does() {
    let app = spawn_app_with(sweeping_by_hand()).await;
    app.set_stock("FLASH-5", 2, 0).await;
    let sale = app.open_sale("FLASH-5", 2, 1).await;
    let (_, a) = app.tokens.customer();
    let (_, b) = app.tokens.customer();
    let (_, c) = app.tokens.customer();
    let kept: Value = app.claim(&sale, &a).await.json().await.unwrap();
    assert_eq!(
        app.act(kept["reservation_id"].as_str().unwrap(), "commit")
            .await
            .status()
            .as_u16(),
        200
    );
    let lapsed = app.claim(&sale, &b).await;
    assert_eq!(lapsed.status().as_u16(), 201);
    problem(app.claim(&sale, &c).await, 409).await;
    expire_held_claims(&app).await;

    assert_eq!(app.sweep().await, 1, "one hold expired");

    assert_eq!(
        app.claim(&sale, &c).await.status().as_u16(),
        201,
        "the expired unit can be claimed again"
    );
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT status FROM reservations ORDER BY created_at")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(statuses, ["committed", "expired", "held"]);
    let stock = app.stock("FLASH-5").await;
    assert_eq!(stock["on_hand"], 1, "the committed unit left for good");
    app.assert_balanced("FLASH-5").await;
}

#[tokio::test]
async fn claims_outside_the_window_get_422_and_unknown_sales_404() {
    let app = spawn_app().await;
    app.set_stock("FLASH-6", 10, 0).await;
    let future = app
        .create_sale(&json!({"sku": "FLASH-6", "quantity": 5, "price_cents": 500, "starts_at": at(30), "ends_at": at(60), "per_customer_limit": 1}))
        .await;
    let future: Value = future.json().await.unwrap();
    let (_, token) = app.tokens.customer();

    let body = problem(app.claim(future["id"].as_str().unwrap(), &token).await, 422).await;
    assert!(
        body["detail"].as_str().unwrap().contains("not started"),
        "{body}"
    );
    assert_eq!(future["status"], "scheduled");
    problem(
        app.claim(&uuid::Uuid::new_v4().to_string(), &token).await,
        404,
    )
    .await;
    problem(
        app.claim(future["id"].as_str().unwrap(), &app.tokens.admin())
            .await,
        403,
    )
    .await;
    assert_eq!(app.count("SELECT count(*) FROM reservations").await, 0);
}

#[tokio::test]
async fn without_the_gate_every_claim_goes_to_postgres_and_still_never_oversells() {
    let app = spawn_app_with(Options {
        gate: false,
        ..Options::default()
    })
    .await;
    app.set_stock("FLASH-7", 40, 0).await;
    let sale = app.open_sale("FLASH-7", 40, 1).await;

    let statuses = stampede(&app, &sale, &customers(&app, 200)).await;

    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 40);
    assert_eq!(app.count("SELECT count(*) FROM reservations").await, 40);
    app.assert_balanced("FLASH-7").await;
}

#[tokio::test]
async fn claims_past_the_rate_limit_get_429_and_take_nothing() {
    let app = spawn_app_with(Options {
        claim_rate_limit: "3/60".parse().unwrap(),
        ..Options::default()
    })
    .await;
    app.set_stock("RATE", 50, 0).await;
    // A limit of 10 per customer: only the rate limit can stop the fourth claim.
    let response = app
        .create_sale(&json!({
            "sku": "RATE", "quantity": 20, "price_cents": 500,
            "starts_at": at(-1), "ends_at": at(30), "per_customer_limit": 10,
        }))
        .await;
    let sale: Value = response.json().await.unwrap();
    let sale = sale["id"].as_str().unwrap();
    let (_, token) = app.tokens.customer();
    for _ in 0..3 {
        assert_eq!(app.claim(sale, &token).await.status().as_u16(), 201);
    }
    let limited = app.claim(sale, &token).await;
    assert!(limited.headers().contains_key("retry-after"));
    problem(limited, 429).await;
    assert_eq!(
        app.count("SELECT count(*) FROM reservations").await,
        3,
        "the refused claim took nothing"
    );
}

/// The sale's gate keys, and a connection to the Redis that holds them.
async fn gate_keys(app: &TestApp, sale: &str) -> ([String; 3], redis::aio::MultiplexedConnection) {
    let keys = app.state.gate.as_ref().unwrap().keys(sale.parse().unwrap());
    let client = redis::Client::open(crate::helpers::redis_url()).unwrap();
    let conn = client.get_multiplexed_async_connection().await.unwrap();
    (keys, conn)
}

/// Makes every held claim due to expire, for the next `sweep`.
async fn expire_held_claims(app: &TestApp) {
    sqlx::query(
        "UPDATE reservations SET expires_at = now() - interval '1 second' WHERE status = 'held'",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
}

/// A counter from the service's own `/metrics`.
async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} is not in /metrics:\n{text}"))
}

#[tokio::test]
async fn admitted_claims_are_written_many_to_a_transaction() {
    let app = spawn_app().await;
    app.set_stock("FLASH-G", 400, 0).await;
    let sale = app.open_sale("FLASH-G", 400, 1).await;

    let statuses = stampede(&app, &sale, &customers(&app, 400)).await;

    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let written = metric(&app, "storefront_flash_sale_claims_written_total").await;
    let transactions = metric(&app, "storefront_flash_sale_claim_transactions_total").await;
    assert_eq!(written, 400, "every admitted claim went through the writer");
    assert!(
        transactions < written / 2,
        "{written} claims took {transactions} transactions: they were not grouped"
    );
    assert_eq!(app.count("SELECT count(*) FROM reservations").await, 400);
    assert_eq!(
        app.count("SELECT count(DISTINCT owner_id) FROM reservations")
            .await,
        400
    );
    assert_eq!(
        app.count("SELECT count(*) FROM flash_sale_units WHERE reservation_id IS NULL")
            .await,
        0
    );
    app.assert_balanced("FLASH-G").await;
}

#[tokio::test]
async fn a_customer_firing_ten_claims_at_once_with_a_limit_of_three_gets_three() {
    let app = spawn_app().await;
    app.set_stock("FLASH-L", 20, 0).await;
    let sale = app.open_sale("FLASH-L", 20, 3).await;
    let (customer, token) = app.tokens.customer();

    let statuses = stampede(&app, &sale, &vec![token; 10]).await;

    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM reservations WHERE owner_id = '{customer}'"
        ))
        .await,
        3
    );
    assert_eq!(
        app.count("SELECT sum(units) FROM flash_sale_customers")
            .await,
        3
    );
    assert_eq!(sale_view(&app, &sale).await["remaining"], 17);
}

#[tokio::test]
async fn a_gate_that_counts_more_units_than_postgres_holds_makes_claims_fail_never_oversell() {
    let app = spawn_app().await;
    app.set_stock("FLASH-W", 10, 0).await;
    let sale = app.open_sale("FLASH-W", 10, 1).await;
    // Build the gate, then make it believe in 50 units.
    let first = app.claim(&sale, &app.tokens.customer().1).await;
    assert_eq!(first.status().as_u16(), 201);
    let (keys, mut conn) = gate_keys(&app, &sale).await;
    let _: () = redis::cmd("SET")
        .arg(&keys[0])
        .arg(50)
        .query_async(&mut conn)
        .await
        .unwrap();

    let statuses = stampede(&app, &sale, &customers(&app, 60)).await;

    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        9,
        "only the units Postgres holds: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(app.count("SELECT count(*) FROM reservations").await, 10);
    assert_eq!(
        app.count("SELECT sum(units) FROM flash_sale_customers")
            .await,
        10,
        "a refused claim does not count against its customer"
    );
    app.assert_balanced("FLASH-W").await;
}

#[tokio::test]
async fn claims_before_the_start_and_after_the_end_are_answered_by_the_gate_without_postgres() {
    // A crowd pressing "claim" a second early once ran a Postgres count per
    // claim: with Postgres cut off, the gate alone must answer.
    let app = spawn_app_with(Options {
        proxy_postgres: true,
        ..Options::default()
    })
    .await;
    app.set_stock("FLASH-E1", 10, 0).await;
    let early = app
        .create_sale(&json!({"sku": "FLASH-E1", "quantity": 5, "price_cents": 500, "starts_at": at(30), "ends_at": at(60), "per_customer_limit": 1}))
        .await;
    assert_eq!(early.status().as_u16(), 201);
    let early: Value = early.json().await.unwrap();
    let early = early["id"].as_str().unwrap().to_owned();
    let warm = app.claim(&early, &app.tokens.customer().1).await;
    assert_eq!(warm.status().as_u16(), 422, "the gate is built and answers");
    app.postgres_proxy.as_ref().unwrap().cut();

    let statuses = stampede(&app, &early, &customers(&app, 200)).await;

    assert!(
        statuses.iter().all(|s| *s == 422),
        "every early claim is refused by the gate: {:?}",
        statuses.iter().filter(|s| **s != 422).collect::<Vec<_>>()
    );
    let body = problem(app.claim(&early, &app.tokens.customer().1).await, 422).await;
    assert!(
        body["detail"].as_str().unwrap().contains("not started"),
        "{body}"
    );
    app.postgres_proxy.as_ref().unwrap().restore();
}

#[tokio::test]
async fn a_crowd_after_redis_lost_the_sale_costs_one_rebuild_and_every_claim_gets_an_answer() {
    // The resync timer would also restore the gate; off, so the crowd must.
    let app = spawn_app_with(Options {
        gate_resync_interval: Duration::from_secs(3600),
        ..Options::default()
    })
    .await;
    app.set_stock("FLASH-R1", 50, 0).await;
    let sale = app.open_sale("FLASH-R1", 50, 1).await;
    let (keys, mut conn) = gate_keys(&app, &sale).await;
    let _: i64 = redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut conn)
        .await
        .unwrap();

    let statuses = stampede(&app, &sale, &customers(&app, 300)).await;

    let rebuilds = metric(
        &app,
        "storefront_degraded_total{dependency=\"redis\",action=\"flash_sale_gate_rebuilt\"}",
    )
    .await;
    assert_eq!(rebuilds, 1, "one request rebuilt the gate for all");
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 50);
    assert!(
        statuses.iter().all(|s| [201, 409].contains(s)),
        "{:?}",
        statuses
            .iter()
            .filter(|s| ![201, 409].contains(*s))
            .collect::<Vec<_>>()
    );
    app.assert_balanced("FLASH-R1").await;
}

#[tokio::test]
async fn a_buyer_at_the_limit_finds_the_claims_they_hold() {
    // A claim answered after its buyer hung up still holds a unit; the buyer
    // must be able to find it rather than meet "limit reached" for 10 minutes.
    let app = spawn_app().await;
    app.set_stock("FLASH-M1", 10, 0).await;
    let sale = app.open_sale("FLASH-M1", 5, 1).await;
    let (_, token) = app.tokens.customer();
    let first = app.claim(&sale, &token).await;
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.unwrap();

    let again = problem(app.claim(&sale, &token).await, 409).await;
    let mine: Value = app
        .client
        .get(app.url(&format!("/flash-sales/{sale}/claims/mine")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let someone_else: Value = app
        .client
        .get(app.url(&format!("/flash-sales/{sale}/claims/mine")))
        .bearer_auth(app.tokens.customer().1)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert!(
        again["detail"].as_str().unwrap().contains("claims/mine"),
        "{again}"
    );
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine["items"][0]["reservation_id"], first["reservation_id"]);
    assert_eq!(someone_else["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_unit_the_gate_lost_while_redis_was_away_comes_back_so_the_sale_never_undersells() {
    // A claims and does not pay; Redis is away while the sweeper expires
    // A's hold, so the gate never hears of the returned unit. It used to
    // answer A "limit reached" and the last buyer "sold out" for good.
    let app = spawn_app_with(Options {
        proxy_redis: true,
        gate_resync_interval: Duration::from_millis(500),
        ..sweeping_by_hand()
    })
    .await;
    app.set_stock("FLASH-D1", 10, 0).await;
    let sale = app.open_sale("FLASH-D1", 10, 1).await;
    let (_, a) = app.tokens.customer();
    assert_eq!(app.claim(&sale, &a).await.status().as_u16(), 201);
    let proxy = app.redis_proxy.as_ref().unwrap();
    proxy.cut();
    expire_held_claims(&app).await;
    assert_eq!(
        app.sweep().await,
        1,
        "the sweeper expired A's hold while Redis was away"
    );
    proxy.restore();

    let a_again = platform::testing::eventually(Duration::from_secs(10), || async {
        let status = app.claim(&sale, &a).await.status().as_u16();
        (status == 201).then_some(status)
    })
    .await;
    let others = stampede(&app, &sale, &customers(&app, 9)).await;

    assert_eq!(a_again, Some(201), "A may claim the unit that came back");
    assert_eq!(others, [201; 9], "every other unit goes to a buyer");
    app.assert_balanced("FLASH-D1").await;
}

#[tokio::test]
async fn only_customers_may_list_their_claims_and_an_unknown_sale_is_a_404() {
    let app = spawn_app().await;
    let mine = |sale: String, token: Option<String>| {
        let request = app
            .client
            .get(app.url(&format!("/flash-sales/{sale}/claims/mine")));
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        async move { request.send().await.unwrap() }
    };
    app.set_stock("FLASH-M2", 5, 0).await;
    let sale = app.open_sale("FLASH-M2", 2, 1).await;

    problem(mine(sale.clone(), None).await, 401).await;
    problem(mine(sale, Some(app.tokens.admin())).await, 403).await;
    problem(
        mine(
            uuid::Uuid::new_v4().to_string(),
            Some(app.tokens.customer().1),
        )
        .await,
        404,
    )
    .await;
    let not_an_id = mine("not-an-id".to_owned(), Some(app.tokens.customer().1)).await;
    assert!(
        not_an_id.status().is_client_error(),
        "{}",
        not_an_id.status()
    );
}

#[tokio::test]
async fn a_sales_figures_count_its_claims_holds_and_checkouts_for_admins_only() {
    let app = spawn_app().await;
    app.set_stock("MUG-1", 10, 0).await;
    let sale = app.open_sale("MUG-1", 5, 1).await;
    let mut reservations = Vec::new();
    for _ in 0..3 {
        let (_, token) = app.tokens.customer();
        let claimed = app.claim(&sale, &token).await;
        assert_eq!(claimed.status().as_u16(), 201);
        let body: Value = claimed.json().await.unwrap();
        reservations.push(body["reservation_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        app.act(&reservations[0], "commit").await.status().as_u16(),
        200
    );
    assert_eq!(
        app.act(&reservations[1], "release").await.status().as_u16(),
        200
    );
    let figures_of = || async {
        let response = app
            .client
            .get(app.url(&format!("/flash-sales/{sale}/figures")))
            .bearer_auth(app.tokens.admin())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        response.json::<Value>().await.unwrap()
    };

    // Claims reach Postgres through the claim writer within moments.
    let mut figures = figures_of().await;
    for _ in 0..40 {
        if figures["claims"] == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        figures = figures_of().await;
    }
    assert_eq!(figures["quantity"], 5);
    assert_eq!(figures["claims"], 3, "{figures}");
    assert_eq!(figures["held"], 1);
    assert_eq!(figures["checked_out"], 1);
    assert_eq!(figures["given_back"], 1);
    assert_eq!(figures["remaining"], 3, "two taken, one given back");
    assert_eq!(figures["claims_per_second"], 0.3, "3 in the last 10 s");

    let (_, customer) = app.tokens.customer();
    let forbidden = app
        .client
        .get(app.url(&format!("/flash-sales/{sale}/figures")))
        .bearer_auth(customer)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status().as_u16(), 403);
    let unknown = app
        .client
        .get(app.url(&format!("/flash-sales/{}/figures", uuid::Uuid::new_v4())))
        .bearer_auth(app.tokens.admin())
        .send()
        .await
        .unwrap();
    problem(unknown, 404).await;
}
