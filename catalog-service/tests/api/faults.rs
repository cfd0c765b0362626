//! Redis failing while the service keeps running (slow suite; skipped by `--quick`).

use std::time::Duration;

use platform::testing::eventually;
use serde_json::{json, Value};

use crate::helpers::{id_of, product, spawn_app_with, unique_sku, Options};

#[tokio::test]
async fn with_redis_cut_off_reads_and_writes_work_and_are_counted_then_caching_resumes() {
    let app = spawn_app_with(Options {
        proxy_redis: true,
        ..Options::default()
    })
    .await;
    let proxy = app.redis_proxy.as_ref().unwrap();
    let id = id_of(&app.created(&product(&unique_sku())).await);
    assert_eq!(app.get_product(&id).await.status().as_u16(), 200);
    assert!(app.hits() >= 1, "cached before the cut");

    proxy.cut();
    let read = app.get_product(&id).await;
    let patched = app.patch_product(&id, &json!({"price_cents": 800})).await;
    let after_write: Value = app.get_product(&id).await.json().await.unwrap();
    let another = app.create_product(&product(&unique_sku())).await;

    assert_eq!(read.status().as_u16(), 200, "reads fall back to Postgres");
    assert_eq!(patched.status().as_u16(), 200, "writes succeed");
    assert_eq!(another.status().as_u16(), 201);
    assert_eq!(after_write["price_cents"], 800, "and are read back");
    let metrics = &app.state.metrics;
    assert!(
        metrics.degraded_count("redis", "cache_bypass") > 0,
        "degraded reads are counted"
    );
    assert!(metrics.degraded_count("redis", "cache_write_retry") > 0);
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("storefront_degraded_total{dependency=\"redis\",action=\"cache_bypass\"}")
    );

    proxy.restore();
    // Redis still holds the pre-cut entry (version 1); it must never be served again.
    let resumed = eventually(Duration::from_secs(15), || async {
        let hits = app.hits();
        let body: Value = app.get_product(&id).await.json().await.unwrap();
        assert_eq!(body["price_cents"], 800, "never the old price");
        (app.hits() > hits).then_some(())
    })
    .await;
    assert!(resumed.is_some(), "caching resumes once Redis is back");
    assert!(
        app.cache_entry(&id).await.unwrap().starts_with("2:"),
        "the retry stored version 2"
    );
}
