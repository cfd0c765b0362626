//! Stock rows and their movements.

use platform::{
    events::{payloads::StockLow, NewEvent},
    outbox,
};
use serde::Serialize;
use sqlx::PgConnection;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct StockRow {
    pub sku: String,
    pub on_hand: i32,
    pub reserved: i32,
    pub allocated_to_sales: i32,
    /// on_hand − reserved − allocated_to_sales; never below zero.
    pub available: i32,
    pub low_stock_threshold: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

const SELECT: &str = "SELECT sku, on_hand, reserved, allocated_to_sales,
        on_hand - reserved - allocated_to_sales AS available, low_stock_threshold, updated_at
     FROM stock WHERE sku = $1";

/// One page of SKUs in SKU order, after `after`; `low` keeps those whose
/// available stock is under their threshold; `prefix` those whose SKU starts so.
#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &mut PgConnection,
    after: Option<&str>,
    prefix: Option<&str>,
    low: bool,
    limit: i64,
) -> Result<Vec<StockRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT sku, on_hand, reserved, allocated_to_sales,
                on_hand - reserved - allocated_to_sales AS available, low_stock_threshold, updated_at
         FROM stock
         WHERE ($1::text IS NULL OR sku > $1)
           AND ($2::text IS NULL OR starts_with(sku, $2))
           AND (NOT $3 OR on_hand - reserved - allocated_to_sales < low_stock_threshold)
         ORDER BY sku
         LIMIT $4",
    )
    .bind(after)
    .bind(prefix)
    .bind(low)
    .bind(limit)
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct MovementRow {
    pub id: Uuid,
    /// Units added (positive) or taken (negative).
    pub delta: i32,
    /// `set` (on-hand set by an admin), `adjustment` (with its reason) or `sale`.
    pub kind: String,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A SKU's movements, newest first, before the movement `before`.
#[tracing::instrument(skip_all)]
pub async fn movements(
    conn: &mut PgConnection,
    sku: &str,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<MovementRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, delta, kind, reason, created_at FROM stock_movements
         WHERE sku = $1 AND ($2::uuid IS NULL OR id < $2)
         ORDER BY id DESC
         LIMIT $3",
    )
    .bind(sku)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn find(conn: &mut PgConnection, sku: &str) -> Result<Option<StockRow>, sqlx::Error> {
    sqlx::query_as(SELECT).bind(sku).fetch_optional(conn).await
}

/// Sets on_hand and the threshold (creating the SKU if new); returns the old on_hand.
#[tracing::instrument(skip_all)]
pub async fn set_levels(
    conn: &mut PgConnection,
    sku: &str,
    on_hand: i32,
    threshold: i32,
) -> Result<i32, sqlx::Error> {
    let old: Option<i32> =
        sqlx::query_scalar("SELECT on_hand FROM stock WHERE sku = $1 FOR UPDATE")
            .bind(sku)
            .fetch_optional(&mut *conn)
            .await?;
    sqlx::query(
        "INSERT INTO stock (sku, on_hand, low_stock_threshold) VALUES ($1, $2, $3)
         ON CONFLICT (sku) DO UPDATE SET on_hand = $2, low_stock_threshold = $3,
             version = stock.version + 1, updated_at = now()",
    )
    .bind(sku)
    .bind(on_hand)
    .bind(threshold)
    .execute(&mut *conn)
    .await?;
    Ok(old.unwrap_or(0))
}

/// The most units a SKU may have on hand (half the column's range, so sums
/// of the stock columns never overflow either).
pub const MAX_ON_HAND: i32 = i32::MAX / 2;

#[derive(Debug, PartialEq, Eq)]
pub enum Adjusted {
    Done,
    /// on_hand would pass [`MAX_ON_HAND`]; nothing changed.
    OverMaximum,
    UnknownSku,
}

/// Adds `delta` to on_hand, never past [`MAX_ON_HAND`] (computed in bigint,
/// so the sum cannot overflow the column).
#[tracing::instrument(skip_all)]
pub async fn adjust(
    conn: &mut PgConnection,
    sku: &str,
    delta: i32,
) -> Result<Adjusted, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE stock SET on_hand = on_hand + $2, version = version + 1, updated_at = now() \
         WHERE sku = $1 AND on_hand::bigint + $2 <= $3",
    )
    .bind(sku)
    .bind(delta)
    .bind(MAX_ON_HAND)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated == 1 {
        return Ok(Adjusted::Done);
    }
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM stock WHERE sku = $1)")
        .bind(sku)
        .fetch_one(conn)
        .await?;
    Ok(if exists {
        Adjusted::OverMaximum
    } else {
        Adjusted::UnknownSku
    })
}

#[tracing::instrument(skip_all)]
pub async fn record_movement(
    conn: &mut PgConnection,
    sku: &str,
    delta: i32,
    kind: &str,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO stock_movements (id, sku, delta, kind, reason) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(Uuid::now_v7())
    .bind(sku)
    .bind(delta)
    .bind(kind)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Holds `quantity` for an ordinary reservation if that many are available.
#[tracing::instrument(skip_all)]
pub async fn hold(conn: &mut PgConnection, sku: &str, quantity: i32) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE stock SET reserved = reserved + $2, version = version + 1, updated_at = now()
         WHERE sku = $1 AND on_hand - reserved - allocated_to_sales >= $2",
    )
    .bind(sku)
    .bind(quantity)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Moves units between the columns of one SKU (all deltas in one statement).
#[tracing::instrument(skip_all)]
pub async fn shift(
    conn: &mut PgConnection,
    sku: &str,
    on_hand: i32,
    reserved: i32,
    allocated_to_sales: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE stock SET on_hand = on_hand + $2, reserved = reserved + $3,
                allocated_to_sales = allocated_to_sales + $4, version = version + 1, updated_at = now()
         WHERE sku = $1",
    )
    .bind(sku)
    .bind(on_hand)
    .bind(reserved)
    .bind(allocated_to_sales)
    .execute(conn)
    .await?;
    Ok(())
}

/// Carves `quantity` out of available stock for a flash sale.
#[tracing::instrument(skip_all)]
pub async fn allocate(
    conn: &mut PgConnection,
    sku: &str,
    quantity: i32,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE stock SET allocated_to_sales = allocated_to_sales + $2, version = version + 1, updated_at = now()
         WHERE sku = $1 AND on_hand - reserved - allocated_to_sales >= $2",
    )
    .bind(sku)
    .bind(quantity)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Creates the SKU's stock record at zero if it has none.
#[tracing::instrument(skip_all)]
pub async fn ensure(conn: &mut PgConnection, sku: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO stock (sku) VALUES ($1) ON CONFLICT (sku) DO NOTHING")
        .bind(sku)
        .execute(conn)
        .await?;
    Ok(())
}

/// Emits `inventory.stock_low` when available stock has just crossed below
/// the threshold, and re-arms once it is back at or above it. Call after
/// every change, in the same transaction.
#[tracing::instrument(skip_all)]
pub async fn check_low_stock(
    conn: &mut PgConnection,
    sku: &str,
    correlation_id: Option<String>,
) -> Result<(), sqlx::Error> {
    let crossed: Option<(i32, i32, i64)> = sqlx::query_as(
        "UPDATE stock SET low_stock_alerted = (on_hand - reserved - allocated_to_sales) < low_stock_threshold
         WHERE sku = $1
           AND low_stock_alerted <> ((on_hand - reserved - allocated_to_sales) < low_stock_threshold)
         RETURNING CASE WHEN low_stock_alerted THEN on_hand - reserved - allocated_to_sales ELSE -1 END,
                   low_stock_threshold, version",
    )
    .bind(sku)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((available, threshold, version)) = crossed.filter(|c| c.0 >= 0) {
        let low = StockLow {
            sku: sku.to_owned(),
            available: available.into(),
            low_stock_threshold: threshold.into(),
        };
        outbox::enqueue(conn, NewEvent::new(&low, sku, version, correlation_id)).await?;
    }
    Ok(())
}
