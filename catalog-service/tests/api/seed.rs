//! `catalog-service seed`: a realistic demo catalog, loaded once.

use catalog_service::{seed, startup::MIGRATOR};
use platform::testing::db::TestDatabase;

#[tokio::test]
async fn seeding_twice_loads_the_demo_catalog_once() {
    let db = TestDatabase::create(&MIGRATOR).await;

    let first = seed::run(&db.pool, 250, "USD").await.unwrap();
    let second = seed::run(&db.pool, 300, "USD").await.unwrap();

    assert_eq!((first.inserted, first.already_there), (250, 0));
    assert_eq!(
        (second.inserted, second.already_there),
        (50, 250),
        "idempotent on SKU"
    );
    let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(&db.pool);
    assert_eq!(count("SELECT count(*) FROM products").await.unwrap(), 300);
    assert_eq!(
        count("SELECT count(*) FROM outbox").await.unwrap(),
        300,
        "one product_created each"
    );
    assert_eq!(
        count("SELECT count(DISTINCT category_id) FROM products")
            .await
            .unwrap(),
        10
    );
    assert!(
        count("SELECT count(DISTINCT name) FROM products")
            .await
            .unwrap()
            > 250,
        "varied names"
    );
    assert!(
        count("SELECT count(*) FROM products WHERE search @@ websearch_to_tsquery('english', 'mug or tent')")
            .await
            .unwrap()
            > 0,
        "searchable"
    );
}
