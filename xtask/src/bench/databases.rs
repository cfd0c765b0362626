//! The run's own `bench_<service>` databases: named, recreated empty before
//! the run and dropped after it.

use anyhow::Context;
use sqlx::{Connection, PgConnection};

use crate::services::Service;

/// The run's database for `service`; none for a service without one.
pub(super) fn database(service: &Service) -> Option<String> {
    service.database.as_ref().map(|db| format!("bench_{db}"))
}

pub(super) async fn recreate_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    drop_database(admin_url, name).await?;
    platform::db::ensure_database(admin_url, name).await
}

pub(super) async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(admin_url)
        .await
        .context("connecting to Postgres")?;
    // Names are `bench_` and a service's database name: nothing to escape.
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .with_context(|| format!("dropping {name}"))?;
    conn.close().await.ok();
    Ok(())
}
