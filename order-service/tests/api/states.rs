//! The lifecycle enums and the migrations' CHECK lists name the same states.

use std::collections::BTreeSet;

use order_service::{
    domain::{OrderStatus, PaymentStatus, ShipmentStatus, Source, Step, StockStatus},
    startup::MIGRATOR,
};
use platform::testing::db::TestDatabase;

/// The quoted words in the current definition of `orders`' CHECK constraint
/// on `column` (`CHECK ((status = ANY (ARRAY['pending'::text, ...])))`).
async fn allowed(db: &TestDatabase, column: &str) -> BTreeSet<String> {
    let definition: String = sqlx::query_scalar(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint
         WHERE conrelid = 'orders'::regclass AND conname = $1",
    )
    .bind(format!("orders_{column}_check"))
    .fetch_one(&db.pool)
    .await
    .unwrap_or_else(|e| panic!("orders has no CHECK on {column}: {e}"));
    definition
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn words<T: Copy>(all: &[T], text: fn(T) -> &'static str) -> BTreeSet<String> {
    all.iter().map(|&s| text(s).to_owned()).collect()
}

#[tokio::test]
async fn every_state_column_allows_exactly_the_variants_of_its_enum() {
    let db = TestDatabase::create(&MIGRATOR).await;

    let columns = [
        ("status", words(OrderStatus::ALL, OrderStatus::as_str)),
        ("step", words(Step::ALL, Step::as_str)),
        ("source", words(Source::ALL, Source::as_str)),
        (
            "payment_status",
            words(PaymentStatus::ALL, PaymentStatus::as_str),
        ),
        ("stock_status", words(StockStatus::ALL, StockStatus::as_str)),
        (
            "shipment_status",
            words(ShipmentStatus::ALL, ShipmentStatus::as_str),
        ),
    ];

    for (column, variants) in columns {
        assert_eq!(allowed(&db, column).await, variants, "orders.{column}");
    }
}
