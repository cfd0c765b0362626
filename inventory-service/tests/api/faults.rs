//! Redis cut off during a sale (slow suite; skipped by `--quick`).

use futures::{stream, StreamExt};

use crate::helpers::{spawn_app_with, Options};

#[tokio::test]
async fn with_redis_cut_off_claims_succeed_through_postgres_and_never_oversell() {
    let app = spawn_app_with(Options {
        proxy_redis: true,
        ..Options::default()
    })
    .await;
    app.set_stock("FAULT-1", 30, 0).await;
    let sale = app.open_sale("FAULT-1", 30, 1).await;
    app.redis_proxy.as_ref().unwrap().cut();
    let tokens: Vec<String> = (0..100).map(|_| app.tokens.customer().1).collect();

    let statuses: Vec<u16> = stream::iter(&tokens)
        .map(|t| {
            let app = &app;
            let sale = &sale;
            async move { app.claim(sale, t).await.status().as_u16() }
        })
        .buffer_unordered(32)
        .collect()
        .await;

    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        30,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        70,
        "{statuses:?}"
    );
    assert!(
        app.state
            .metrics
            .degraded_count("redis", "flash_sale_postgres_path")
            > 0,
        "the fault was seen"
    );
    assert_eq!(app.count("SELECT count(*) FROM reservations").await, 30);
    app.assert_balanced("FAULT-1").await;
    app.redis_proxy.as_ref().unwrap().restore();
}
