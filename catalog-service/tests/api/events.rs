//! `catalog.product_*` events reach the catalog topic through the outbox.

use std::time::Duration;

use platform::{
    events::Envelope,
    messaging::{bootstrap_with, BootstrapOptions, Topology},
};
use serde_json::json;

use crate::helpers::{id_of, product, spawn_app, unique_sku};

/// A queue subscribed to every catalog event (the repository's topology
/// subscribes only the inventory queue, to `catalog.product_created`).
const PROBE: &str = "
topics:
  - service: catalog
queues:
  - service: catalogprobe
    visibility_timeout_seconds: 2
    max_receive_count: 5
    subscriptions:
      - topic: catalog
        event_types: [catalog.product_created, catalog.product_updated, catalog.product_deleted]
";

#[tokio::test]
async fn created_updated_and_deleted_events_reach_the_topic_in_sequence() {
    let app = spawn_app().await;
    let probe = bootstrap_with(
        &app.messaging.sdk,
        &Topology::parse(PROBE).unwrap(),
        &app.messaging.prefix,
        &BootstrapOptions::default(),
    )
    .await
    .unwrap();
    let probe_queue = probe.queue_url("catalogprobe").unwrap().to_owned();
    let sku = unique_sku();
    let id = id_of(&app.created(&product(&sku)).await);
    app.patch_product(&id, &json!({"price_cents": 1100})).await;
    app.delete_product(&id).await;

    let mut received = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while received.len() < 3 && tokio::time::Instant::now() < deadline {
        received.extend(
            app.messaging
                .drain(&probe_queue, Duration::from_secs(1))
                .await,
        );
    }
    let mut events: Vec<Envelope> = received
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
        .collect();
    events.sort_by_key(|e| e.sequence);

    let kinds: Vec<(&str, i64)> = events
        .iter()
        .map(|e| (e.event_type.as_str(), e.sequence))
        .collect();
    assert_eq!(
        kinds,
        [
            ("catalog.product_created", 1),
            ("catalog.product_updated", 2),
            ("catalog.product_deleted", 3)
        ]
    );
    for event in &events {
        assert_eq!(event.source, "catalog-service");
        assert_eq!(event.aggregate_id, id);
        assert!(event.correlation_id.is_some(), "the request id is carried");
    }
    assert_eq!(
        events[1].data,
        json!({"product_id": id, "sku": sku, "name": "Blue mug, 350 ml", "price_cents": 1100, "currency": "USD", "active": true}),
        "the payload of docs/events.md"
    );
    assert_eq!(events[2].data["active"], false);

    let inventory = app
        .messaging
        .drain(
            &app.messaging.queue_url("inventory"),
            Duration::from_secs(2),
        )
        .await;
    let types: Vec<String> = inventory
        .iter()
        .map(|m| {
            serde_json::from_str::<Envelope>(m.body().unwrap())
                .unwrap()
                .event_type
        })
        .collect();
    assert_eq!(
        types,
        ["catalog.product_created"],
        "inventory hears only of new products"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .await,
        0
    );
}
