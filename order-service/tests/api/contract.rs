//! The committed artefacts match the code.

use order_service::startup::Order;
use platform::testing::contract;

#[test]
fn the_committed_openapi_json_matches_the_code() {
    contract::check_openapi::<Order>(env!("CARGO_MANIFEST_DIR"));
}

#[test]
fn the_outbox_and_idempotency_migrations_are_the_canonical_copies() {
    contract::check_shared_migrations(
        env!("CARGO_MANIFEST_DIR"),
        &[
            "outbox_inbox.sql",
            "outbox_parking.sql",
            "idempotency_keys.sql",
        ],
    );
}
