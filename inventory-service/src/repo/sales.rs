//! Flash sales.

use serde::Serialize;
use sqlx::PgConnection;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::NewFlashSale;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SaleRow {
    pub id: Uuid,
    pub sku: String,
    pub quantity: i32,
    pub remaining: i32,
    pub price_cents: i64,
    pub currency: String,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub per_customer_limit: i32,
    pub closed_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SaleStatus {
    Scheduled,
    Active,
    SoldOut,
    Ended,
}

impl SaleRow {
    pub fn status_at(&self, now: OffsetDateTime) -> SaleStatus {
        if now >= self.ends_at || self.closed_at.is_some() {
            SaleStatus::Ended
        } else if now < self.starts_at {
            SaleStatus::Scheduled
        } else if self.remaining == 0 {
            SaleStatus::SoldOut
        } else {
            SaleStatus::Active
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn insert(
    conn: &mut PgConnection,
    sale: &NewFlashSale,
    currency: &str,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO flash_sales (id, sku, quantity, remaining, price_cents, currency, starts_at, ends_at, per_customer_limit)
         VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(sale.sku.as_ref())
    .bind(sale.quantity.get())
    .bind(sale.price_cents)
    .bind(currency)
    .bind(sale.starts_at)
    .bind(sale.ends_at)
    .bind(sale.per_customer_limit)
    .execute(conn)
    .await?;
    Ok(id)
}

#[tracing::instrument(skip_all)]
pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<SaleRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, sku, quantity, remaining, price_cents, currency, starts_at, ends_at, per_customer_limit, closed_at
         FROM flash_sales WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &mut PgConnection,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<SaleRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, sku, quantity, remaining, price_cents, currency, starts_at, ends_at, per_customer_limit, closed_at
         FROM flash_sales WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Takes one unit if the sale is open and has one left; the row lock it
/// takes makes concurrent claims of one sale take turns until commit.
#[tracing::instrument(skip_all)]
pub async fn take_unit(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE flash_sales SET remaining = remaining - 1
         WHERE id = $1 AND remaining > 0 AND closed_at IS NULL AND starts_at <= now() AND now() < ends_at",
    )
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Gives a unit back to an open sale; false when the sale is closed (the
/// caller then returns it to the SKU's available stock).
#[tracing::instrument(skip_all)]
pub async fn give_back(
    conn: &mut PgConnection,
    id: Uuid,
    quantity: i32,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE flash_sales SET remaining = remaining + $2 WHERE id = $1 AND closed_at IS NULL",
    )
    .bind(id)
    .bind(quantity)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Units the customer holds or bought in this sale.
#[tracing::instrument(skip_all)]
pub async fn units_of(
    conn: &mut PgConnection,
    id: Uuid,
    owner_id: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM reservations WHERE flash_sale_id = $1 AND owner_id = $2 AND status IN ('held', 'committed')",
    )
    .bind(id)
    .bind(owner_id)
    .fetch_one(conn)
    .await
}

/// Every customer's units in this sale (to rebuild the gate).
#[tracing::instrument(skip_all)]
pub async fn units_by_customer(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Vec<(Uuid, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT owner_id, count(*) FROM reservations
         WHERE flash_sale_id = $1 AND status IN ('held', 'committed') GROUP BY owner_id",
    )
    .bind(id)
    .fetch_all(conn)
    .await
}

/// Closes ended sales, returning (sku, unsold units) for each.
#[tracing::instrument(skip_all)]
pub async fn close_ended(conn: &mut PgConnection) -> Result<Vec<(Uuid, String, i32)>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE flash_sales s SET closed_at = now(), remaining = 0
         FROM (SELECT id, remaining FROM flash_sales WHERE closed_at IS NULL AND ends_at <= now() FOR UPDATE SKIP LOCKED) old
         WHERE s.id = old.id
         RETURNING s.id, s.sku, old.remaining",
    )
    .fetch_all(conn)
    .await
}
