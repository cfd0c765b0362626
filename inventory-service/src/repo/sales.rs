//! Flash sales.
//!
//! The sale rows, their status and their lifecycle (created, listed, closed
//! once ended) are here; the claim path's statements are in `claims`.

use serde::Serialize;
use sqlx::PgConnection;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::NewFlashSale;

mod claims;

pub use claims::{
    assign_units, has_free_units, held_claims, insert_claim_reservations, lock_free_units,
    release_customer_slots, return_units, take_customer_slots, units_by_customer,
};

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

/// The sale's columns, with `remaining` counted from its free units (none
/// once closed); a macro so queries are composed at compile time.
macro_rules! select_sale {
    () => {
        "SELECT s.id, s.sku, s.quantity,
        CASE WHEN s.closed_at IS NULL
             THEN (SELECT count(*) FROM flash_sale_units u WHERE u.sale_id = s.id AND u.reservation_id IS NULL)
             ELSE 0 END::int AS remaining,
        s.price_cents, s.currency, s.starts_at, s.ends_at, s.per_customer_limit, s.closed_at
     FROM flash_sales s"
    };
}

#[tracing::instrument(skip_all)]
pub async fn insert(
    conn: &mut PgConnection,
    sale: &NewFlashSale,
    currency: &str,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO flash_sales (id, sku, quantity, price_cents, currency, starts_at, ends_at, per_customer_limit)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(sale.sku.as_ref())
    .bind(sale.quantity.get())
    .bind(sale.price_cents)
    .bind(currency)
    .bind(sale.starts_at)
    .bind(sale.ends_at)
    .bind(sale.per_customer_limit)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO flash_sale_units (sale_id, unit) SELECT $1, g FROM generate_series(1, $2) g",
    )
    .bind(id)
    .bind(sale.quantity.get())
    .execute(conn)
    .await?;
    Ok(id)
}

#[tracing::instrument(skip_all)]
pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<SaleRow>, sqlx::Error> {
    sqlx::query_as(concat!(select_sale!(), " WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The sale, share-locked: returns of units proceed side by side, while
/// closing the sale waits for them (and they for it). Claims do not lock the
/// sale row (many lockers of one row are costly); a sale closes only a grace
/// period after its end, when no claim can still be in flight.
#[tracing::instrument(skip_all)]
pub async fn find_for_share(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<SaleRow>, sqlx::Error> {
    sqlx::query_as(concat!(select_sale!(), " WHERE s.id = $1 FOR SHARE OF s"))
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
    sqlx::query_as(concat!(
        select_sale!(),
        " WHERE ($1::uuid IS NULL OR s.id > $1) ORDER BY s.id LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Sales open now or opening within a minute (their gates are resynced).
#[tracing::instrument(skip_all)]
pub async fn open_ids(conn: &mut PgConnection) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM flash_sales
         WHERE closed_at IS NULL AND ends_at > now() AND starts_at < now() + interval '1 minute'",
    )
    .fetch_all(conn)
    .await
}

/// Closes sales that ended more than `grace` ago, returning (id, sku, unsold
/// units) for each. Sales with returns in flight are left for the next pass.
#[tracing::instrument(skip_all)]
pub async fn close_ended(
    conn: &mut PgConnection,
    grace: std::time::Duration,
) -> Result<Vec<(Uuid, String, i32)>, sqlx::Error> {
    let ended: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT id, sku FROM flash_sales
         WHERE closed_at IS NULL AND ends_at <= now() - make_interval(secs => $1)
         FOR UPDATE SKIP LOCKED",
    )
    .bind(grace.as_secs_f64())
    .fetch_all(&mut *conn)
    .await?;
    let mut closed = Vec::with_capacity(ended.len());
    for (id, sku) in ended {
        let unsold: i32 = sqlx::query_scalar(
            "SELECT count(*)::int FROM flash_sale_units WHERE sale_id = $1 AND reservation_id IS NULL",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        sqlx::query("UPDATE flash_sales SET closed_at = now() WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        closed.push((id, sku, unsold));
    }
    Ok(closed)
}
