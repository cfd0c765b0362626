use std::time::Duration;

use platform::{events::Envelope, testing::eventually};
use serde_json::json;

use crate::helpers::spawn_app;

async fn stock_low_events(app: &crate::helpers::TestApp) -> i64 {
    app.count("SELECT count(*) FROM outbox WHERE event_type = 'inventory.stock_low'")
        .await
}

#[tokio::test]
async fn crossing_below_the_threshold_emits_stock_low_once_and_again_after_a_restock() {
    let app = spawn_app().await;
    app.set_stock("LOW-1", 10, 5).await;
    let adjust = |delta: i64| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/inventory/LOW-1/adjustments"))
                .bearer_auth(app.tokens.admin())
                .json(&json!({"delta": delta, "reason": "test"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };

    assert_eq!(adjust(-4).await, 200); // 6: above
    assert_eq!(stock_low_events(&app).await, 0);
    assert_eq!(adjust(-2).await, 200); // 4: crossed
    assert_eq!(adjust(-1).await, 200); // 3: still below
    assert_eq!(stock_low_events(&app).await, 1, "once per crossing");
    assert_eq!(adjust(10).await, 200); // 13: re-armed
    assert_eq!(adjust(-10).await, 200); // 3: crossed again
    assert_eq!(stock_low_events(&app).await, 2);

    let data: serde_json::Value = sqlx::query_scalar(
        "SELECT data FROM outbox WHERE event_type = 'inventory.stock_low' ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        data,
        json!({"sku": "LOW-1", "available": 4, "low_stock_threshold": 5})
    );
    let published = eventually(Duration::from_secs(10), || async {
        (app.count("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .await
            == 0)
            .then_some(())
    })
    .await;
    assert!(published.is_some(), "the relay publishes the events");
}

#[tokio::test]
async fn a_product_created_in_the_catalog_gets_a_stock_record_at_zero_once() {
    let app = spawn_app().await;
    let event = Envelope {
        id: uuid::Uuid::now_v7(),
        event_type: "catalog.product_created".to_owned(),
        version: 1,
        source: "catalog-service".to_owned(),
        occurred_at: time::OffsetDateTime::now_utc(),
        aggregate_id: uuid::Uuid::new_v4().to_string(),
        sequence: 1,
        correlation_id: None,
        data: json!({"product_id": uuid::Uuid::new_v4(), "sku": "new-mug", "name": "Mug", "price_cents": 1200, "currency": "USD", "active": true}),
    };

    app.messaging.publish("catalog", &event).await;
    app.messaging.publish("catalog", &event).await;

    let created = eventually(Duration::from_secs(10), || async {
        let r = app
            .client
            .get(app.url("/inventory/NEW-MUG"))
            .send()
            .await
            .ok()?;
        (r.status().as_u16() == 200).then_some(())
    })
    .await;
    assert!(created.is_some(), "the SKU has a stock record");
    let stock = app.stock("NEW-MUG").await;
    assert_eq!(
        (stock["on_hand"].as_i64(), stock["available"].as_i64()),
        (Some(0), Some(0))
    );
    tokio::time::sleep(platform::testing::aws::VISIBILITY_TIMEOUT + Duration::from_secs(2)).await;
    assert_eq!(
        app.count("SELECT count(*) FROM inbox").await,
        1,
        "the redelivery was a duplicate"
    );
}
