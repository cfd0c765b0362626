//! The committed artefacts match the code.

use catalog_service::startup::Catalog;
use platform::testing::contract;

#[test]
fn the_committed_openapi_json_matches_the_code() {
    contract::check_openapi::<Catalog>(env!("CARGO_MANIFEST_DIR"));
}

#[test]
fn the_outbox_migrations_are_the_canonical_copies() {
    contract::check_shared_migrations(
        env!("CARGO_MANIFEST_DIR"),
        &["outbox_inbox.sql", "outbox_parking.sql"],
    );
}
