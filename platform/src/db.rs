//! Postgres pool, migrations and database creation.

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    ConnectOptions, Connection, PgConnection, PgPool,
};
use std::str::FromStr;

use crate::config::DatabaseSettings;

/// A lazily connecting pool: the service starts (and reports not-ready) even
/// when Postgres is down, and recovers without a restart.
/// TLS follows the URL's `sslmode` and `sslrootcert` (docs/deploy.md):
/// `verify-full` in AWS.
pub fn pool(settings: &DatabaseSettings) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(settings.url.expose_secret())
        .context("DATABASE_URL is not a valid Postgres URL")?
        .log_statements(tracing::log::LevelFilter::Debug)
        .log_slow_statements(
            tracing::log::LevelFilter::Warn,
            std::time::Duration::from_secs(1),
        );
    Ok(PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .connect_lazy_with(options))
}

/// Creates database `name` on the server behind `admin_url` if it does not exist.
pub async fn ensure_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "database names are letters, digits and underscores: {name:?}"
    );
    let mut conn = PgConnection::connect(admin_url)
        .await
        .with_context(|| "connecting to Postgres to create a database".to_owned())?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        // Identifiers cannot be bound; the name was checked above.
        let sql = format!("CREATE DATABASE \"{name}\"");
        if let Err(err) = sqlx::query(&sql).execute(&mut conn).await {
            // Another process may have created it meanwhile.
            if !matches!(&err, sqlx::Error::Database(db) if db.code().as_deref() == Some("42P04")) {
                return Err(err).context("creating the database");
            }
        }
    }
    conn.close().await.ok();
    Ok(())
}

/// Replaces the database name in a Postgres URL.
pub fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    PgConnectOptions::from_str(url).context("not a valid Postgres URL")?;
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    Ok(match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    })
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres?sslmode=disable", "x").unwrap(),
            "postgres://u@h:5432/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h", "x").unwrap(),
            "postgres://u@h/x"
        );
    }
}
