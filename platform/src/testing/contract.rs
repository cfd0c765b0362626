//! The checks every service's `contract` test runs: the committed
//! `openapi.json` is the code's, and the migrations the services share are
//! links to the canonical files in platform/sql (one text, so no copy can
//! drift; sqlx embeds what the link points to).

use std::path::Path;

use crate::service::{document, Service};

/// The shared migrations: a service's migration whose file name ends with
/// `_<name>` must equal the canonical text.
pub const SHARED_MIGRATIONS: &[(&str, &str)] = &[
    ("outbox_inbox.sql", crate::outbox::CANONICAL_SQL),
    ("outbox_parking.sql", crate::outbox::CANONICAL_PARKING_SQL),
    ("idempotency_keys.sql", crate::idempotency::CANONICAL_SQL),
];

/// Compares `S`'s document with `<manifest_dir>/openapi.json`; with
/// `UPDATE_OPENAPI` set it writes the file first.
pub fn check_openapi<S: Service>(manifest_dir: &str) {
    let generated = document::<S>()
        .to_pretty_json()
        .expect("the document serialises")
        + "\n";
    let path = Path::new(manifest_dir).join("openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("writing openapi.json");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p {} --test api contract` and commit it",
        S::NAME
    );
}

/// Checks that every shared migration in `<manifest_dir>/migrations` is a
/// link to its canonical file with the canonical text, and that each of
/// `required` is there.
pub fn check_shared_migrations(manifest_dir: &str, required: &[&str]) {
    let dir = Path::new(manifest_dir).join("migrations");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("reading migrations/") {
        let path = entry.expect("a directory entry").path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        for (name, canonical) in SHARED_MIGRATIONS {
            if file.ends_with(&format!("_{name}")) {
                let link = std::fs::read_link(&path).unwrap_or_else(|_| {
                    panic!("{file} must be a link to ../../platform/sql/{name}, not a copy")
                });
                assert_eq!(
                    link,
                    Path::new("../../platform/sql").join(name),
                    "{file} links elsewhere"
                );
                let text = std::fs::read_to_string(&path).expect("reading a migration");
                assert!(text == *canonical, "{file} is not the canonical text");
                found.push(*name);
            }
        }
    }
    for name in required {
        assert!(found.contains(name), "no migration ending in _{name}");
    }
}
