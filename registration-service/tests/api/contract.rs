//! The committed artefacts match the code.

use platform::testing::contract;
use registration_service::startup::Registration;

#[test]
fn the_committed_openapi_json_matches_the_code() {
    contract::check_openapi::<Registration>(env!("CARGO_MANIFEST_DIR"));
}

#[test]
fn the_outbox_migrations_are_the_canonical_copies() {
    contract::check_shared_migrations(
        env!("CARGO_MANIFEST_DIR"),
        &["outbox_inbox.sql", "outbox_parking.sql"],
    );
}
