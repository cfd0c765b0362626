//! The committed artefacts match the code.

use std::path::Path;

#[test]
fn the_committed_openapi_json_matches_the_code() {
    let generated = campaign_service::openapi::document()
        .to_pretty_json()
        .unwrap()
        + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p campaign-service --test api contract` and commit it"
    );
}

#[test]
fn the_outbox_and_inbox_migration_is_the_canonical_copy() {
    let copy = include_str!("../../migrations/20261121000001_outbox_inbox.sql");
    assert_eq!(
        copy,
        platform::outbox::CANONICAL_SQL,
        "the outbox/inbox migration drifted from platform/sql"
    );
}

#[test]
fn the_outbox_parking_migration_is_the_canonical_copy() {
    let copy = include_str!("../../migrations/20261202000001_outbox_parking.sql");
    assert_eq!(
        copy,
        platform::outbox::CANONICAL_PARKING_SQL,
        "the outbox parking migration drifted from platform/sql"
    );
}
