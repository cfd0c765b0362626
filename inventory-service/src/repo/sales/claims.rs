//! The claim path's statements on a sale: per-customer slots, locking and
//! assigning its unit rows, the claim reservations, giving units back, and
//! reading back the held claims and slots.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{find_for_share, SaleRow};

/// Counts one more unit for each of `customers` (distinct) still under
/// `limit`, returning those counted. Rows are taken in customer order, so
/// two groups in flight never wait for each other in a cycle.
#[tracing::instrument(skip_all)]
pub async fn take_customer_slots(
    conn: &mut PgConnection,
    id: Uuid,
    customers: &[Uuid],
    limit: i32,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO flash_sale_customers (sale_id, customer_id, units)
         SELECT $1, c, 1 FROM unnest($2::uuid[]) AS c ORDER BY c
         ON CONFLICT (sale_id, customer_id) DO UPDATE SET units = flash_sale_customers.units + 1
         WHERE flash_sale_customers.units < $3
         RETURNING customer_id",
    )
    .bind(id)
    .bind(customers)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Takes back the unit counted for each of `customers` (distinct) in this transaction.
#[tracing::instrument(skip_all)]
pub async fn release_customer_slots(
    conn: &mut PgConnection,
    id: Uuid,
    customers: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE flash_sale_customers SET units = units - 1
         WHERE sale_id = $1 AND customer_id = ANY($2)",
    )
    .bind(id)
    .bind(customers)
    .execute(conn)
    .await?;
    Ok(())
}

/// Locks up to `limit` free units of the sale that no other transaction has
/// locked (`SKIP LOCKED`), besides the ones this transaction already holds.
#[tracing::instrument(skip_all)]
pub async fn lock_free_units(
    conn: &mut PgConnection,
    id: Uuid,
    limit: i64,
    held: &[i32],
) -> Result<Vec<i32>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT unit FROM flash_sale_units
         WHERE sale_id = $1 AND reservation_id IS NULL AND unit <> ALL($3)
         ORDER BY unit LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind(id)
    .bind(limit)
    .bind(held)
    .fetch_all(conn)
    .await
}

/// True when the sale has free units besides `held` (locked or not).
#[tracing::instrument(skip_all)]
pub async fn has_free_units(
    conn: &mut PgConnection,
    id: Uuid,
    held: &[i32],
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM flash_sale_units
                        WHERE sale_id = $1 AND reservation_id IS NULL AND unit <> ALL($2))",
    )
    .bind(id)
    .bind(held)
    .fetch_one(conn)
    .await
}

/// Gives each locked unit to the reservation at the same position.
#[tracing::instrument(skip_all)]
pub async fn assign_units(
    conn: &mut PgConnection,
    id: Uuid,
    units: &[i32],
    reservation_ids: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE flash_sale_units u SET reservation_id = t.reservation_id
         FROM unnest($2::int[], $3::uuid[]) AS t(unit, reservation_id)
         WHERE u.sale_id = $1 AND u.unit = t.unit AND u.reservation_id IS NULL",
    )
    .bind(id)
    .bind(units)
    .bind(reservation_ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// One held reservation of one unit at the sale price per (id, owner).
#[tracing::instrument(skip_all)]
pub async fn insert_claim_reservations(
    conn: &mut PgConnection,
    sale: &SaleRow,
    reservation_ids: &[Uuid],
    owners: &[Uuid],
    expires_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO reservations (id, reference, owner_id, flash_sale_id, status, expires_at)
         SELECT t.id, 'claim:' || t.id, t.owner, $3, 'held', $4
         FROM unnest($1::uuid[], $2::uuid[]) AS t(id, owner)",
    )
    .bind(reservation_ids)
    .bind(owners)
    .bind(sale.id)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO reservation_items (reservation_id, sku, quantity, unit_price_cents)
         SELECT id, $2, 1, $3 FROM unnest($1::uuid[]) AS id",
    )
    .bind(reservation_ids)
    .bind(&sale.sku)
    .bind(sale.price_cents)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes a reservation's units back from it; true when the sale is still
/// open (the units are free again), false when it has closed (the caller
/// returns them to the SKU's available stock).
#[tracing::instrument(skip_all)]
pub async fn return_units(
    conn: &mut PgConnection,
    id: Uuid,
    reservation_id: Uuid,
    customer: Uuid,
) -> Result<bool, sqlx::Error> {
    let open = find_for_share(conn, id)
        .await?
        .is_some_and(|s| s.closed_at.is_none());
    let freed =
        sqlx::query("UPDATE flash_sale_units SET reservation_id = NULL WHERE reservation_id = $1")
            .bind(reservation_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    sqlx::query(
        "UPDATE flash_sale_customers SET units = greatest(units - $3, 0) WHERE sale_id = $1 AND customer_id = $2",
    )
    .bind(id)
    .bind(customer)
    .bind(freed as i32)
    .execute(conn)
    .await?;
    Ok(open)
}

/// The held claims of `owner` in this sale (id, expires_at), oldest first.
#[tracing::instrument(skip_all)]
pub async fn held_claims(
    conn: &mut PgConnection,
    sale: Uuid,
    owner: Uuid,
) -> Result<Vec<(Uuid, time::OffsetDateTime)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, expires_at FROM reservations
         WHERE flash_sale_id = $1 AND owner_id = $2 AND status = 'held' AND expires_at > now()
         ORDER BY created_at, id",
    )
    .bind(sale)
    .bind(owner)
    .fetch_all(conn)
    .await
}

/// Every customer's units in this sale (to rebuild the gate).
#[tracing::instrument(skip_all)]
pub async fn units_by_customer(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Vec<(Uuid, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT customer_id, units::bigint FROM flash_sale_customers WHERE sale_id = $1 AND units > 0")
        .bind(id)
        .fetch_all(conn)
        .await
}
