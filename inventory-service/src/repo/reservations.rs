//! Reservations and their lines.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReservationRow {
    pub id: Uuid,
    pub reference: String,
    pub owner_id: Uuid,
    pub flash_sale_id: Option<Uuid>,
    pub status: String,
    pub expires_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub sku: String,
    pub quantity: i32,
    pub unit_price_cents: Option<i64>,
}

/// Inserts the header; `None` when the reference is already taken (the
/// insert waits for a concurrent transaction holding the same reference).
#[tracing::instrument(skip_all)]
pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    reference: &str,
    owner_id: Uuid,
    flash_sale_id: Option<Uuid>,
    expires_at: OffsetDateTime,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO reservations (id, reference, owner_id, flash_sale_id, status, expires_at)
         VALUES ($1, $2, $3, $4, 'held', $5)
         ON CONFLICT (reference) DO NOTHING
         RETURNING id",
    )
    .bind(id)
    .bind(reference)
    .bind(owner_id)
    .bind(flash_sale_id)
    .bind(expires_at)
    .fetch_optional(conn)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn insert_item(
    conn: &mut PgConnection,
    reservation_id: Uuid,
    sku: &str,
    quantity: i32,
    unit_price_cents: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO reservation_items (reservation_id, sku, quantity, unit_price_cents) VALUES ($1, $2, $3, $4)")
        .bind(reservation_id)
        .bind(sku)
        .bind(quantity)
        .bind(unit_price_cents)
        .execute(conn)
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn find(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<ReservationRow>, sqlx::Error> {
    let sql = if lock {
        "SELECT id, reference, owner_id, flash_sale_id, status, expires_at, created_at FROM reservations WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT id, reference, owner_id, flash_sale_id, status, expires_at, created_at FROM reservations WHERE id = $1"
    };
    sqlx::query_as(sql).bind(id).fetch_optional(conn).await
}

#[tracing::instrument(skip_all)]
pub async fn find_by_reference(
    conn: &mut PgConnection,
    reference: &str,
) -> Result<Option<ReservationRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, reference, owner_id, flash_sale_id, status, expires_at, created_at FROM reservations WHERE reference = $1",
    )
    .bind(reference)
    .fetch_optional(conn)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn items(conn: &mut PgConnection, id: Uuid) -> Result<Vec<ItemRow>, sqlx::Error> {
    sqlx::query_as("SELECT sku, quantity, unit_price_cents FROM reservation_items WHERE reservation_id = $1 ORDER BY sku")
        .bind(id)
        .fetch_all(conn)
        .await
}

#[tracing::instrument(skip_all)]
pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE reservations SET status = $2, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(status)
        .execute(conn)
        .await?;
    Ok(())
}

/// Held reservations past their expiry, locked for the sweeper (skipping
/// ones another sweeper or a commit holds).
#[tracing::instrument(skip_all)]
pub async fn expired_holds(conn: &mut PgConnection, limit: i64) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM reservations WHERE status = 'held' AND expires_at <= now()
         ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}
