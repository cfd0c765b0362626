//! Category rows.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::NewCategory;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CategoryRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub created_at: OffsetDateTime,
}

#[tracing::instrument(skip_all)]
pub async fn insert(
    conn: &mut PgConnection,
    category: &NewCategory,
) -> Result<CategoryRow, sqlx::Error> {
    sqlx::query_as(
        "INSERT INTO categories (id, name, description) VALUES ($1, $2, $3)
         RETURNING id, name, description, created_at",
    )
    .bind(Uuid::now_v7())
    .bind(&category.name)
    .bind(&category.description)
    .fetch_one(conn)
    .await
}

/// The id of the category called `name` (ignoring case), created if missing.
#[tracing::instrument(skip_all)]
pub async fn ensure(conn: &mut PgConnection, category: &NewCategory) -> Result<Uuid, sqlx::Error> {
    sqlx::query(
        "INSERT INTO categories (id, name, description) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(&category.name)
    .bind(&category.description)
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar("SELECT id FROM categories WHERE lower(name) = lower($1)")
        .bind(&category.name)
        .fetch_one(conn)
        .await
}

#[tracing::instrument(skip_all)]
pub async fn exists(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM categories WHERE id = $1)")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// A page of categories after `after` (ids are time-ordered).
#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &mut PgConnection,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<CategoryRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, description, created_at FROM categories
         WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}
