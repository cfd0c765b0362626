//! A database per test: created, migrated, and dropped when the test ends.

use sqlx::{migrate::Migrator, Connection, PgConnection, PgPool};

/// The server tests create their databases on (`DATABASE_URL`).
pub fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

pub struct TestDatabase {
    pub name: String,
    pub url: String,
    pub pool: PgPool,
}

impl TestDatabase {
    /// Creates a fresh database and runs `migrator` on it.
    pub async fn create(migrator: &Migrator) -> Self {
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        crate::db::ensure_database(&admin_url(), &name)
            .await
            .expect("tests need Postgres at DATABASE_URL; run `cargo xtask test`");
        let url = crate::db::with_database(&admin_url(), &name).expect("valid DATABASE_URL");
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(3)
            .connect(&url)
            .await
            .expect("connecting to the test database");
        migrator
            .run(&pool)
            .await
            .expect("migrating the test database");
        Self { name, url, pool }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime; a plain thread with its own
        // runtime can block on the clean-up.
        let handle = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin_url()).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = sqlx::query(&sql).execute(&mut conn).await;
                }
            });
        });
        let _ = handle.join();
    }
}
