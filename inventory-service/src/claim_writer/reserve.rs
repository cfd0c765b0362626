//! The set-based statements that turn claims of one sale into reservations
//! inside a transaction: the per-customer slots, the unit rows taken with
//! `SKIP LOCKED` and the reservations. Shared by the writer's groups and the
//! one-claim path without the gate.

use std::{collections::HashSet, time::Duration};

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::ClaimOutcome;
use crate::repo::sales::{self, SaleStatus};

/// How often a group looks again when the free units left are locked by
/// another group in flight (which may still roll back).
const BUSY_RETRIES: u32 = 20;

/// One claim in the caller's transaction: the path without the gate.
pub async fn reserve_one(
    conn: &mut PgConnection,
    reservation_ttl: Duration,
    sale_id: Uuid,
    customer: Uuid,
) -> Result<ClaimOutcome, sqlx::Error> {
    let outcomes = reserve(conn, reservation_ttl, sale_id, &[customer]).await?;
    Ok(outcomes
        .first()
        .copied()
        .unwrap_or(ClaimOutcome::NoSuchSale))
}

/// The claims of distinct `customers` of one sale, in the caller's
/// transaction; the outcomes are in the customers' order.
pub(super) async fn reserve(
    conn: &mut PgConnection,
    reservation_ttl: Duration,
    sale_id: Uuid,
    customers: &[Uuid],
) -> Result<Vec<ClaimOutcome>, sqlx::Error> {
    let Some(sale) = sales::find_for_share(conn, sale_id).await? else {
        return Ok(vec![ClaimOutcome::NoSuchSale; customers.len()]);
    };
    match sale.status_at(OffsetDateTime::now_utc()) {
        SaleStatus::Active => {}
        SaleStatus::SoldOut => return Ok(vec![ClaimOutcome::SoldOut; customers.len()]),
        status => return Ok(vec![ClaimOutcome::NotOpen(status); customers.len()]),
    }
    let with_slot: HashSet<Uuid> =
        sales::take_customer_slots(conn, sale_id, customers, sale.per_customer_limit)
            .await?
            .into_iter()
            .collect();
    let winners: Vec<Uuid> = customers
        .iter()
        .copied()
        .filter(|c| with_slot.contains(c))
        .collect();
    let units = take_units(conn, sale_id, winners.len()).await?;
    // Winners without a unit (sold out meanwhile) give their slot back.
    let (served, unserved) = winners.split_at(units.len());
    if !unserved.is_empty() {
        sales::release_customer_slots(conn, sale_id, unserved).await?;
    }
    let reservation_ids: Vec<Uuid> = served.iter().map(|_| Uuid::now_v7()).collect();
    let expires_at = OffsetDateTime::now_utc() + reservation_ttl;
    if !served.is_empty() {
        sales::assign_units(conn, sale_id, &units, &reservation_ids).await?;
        sales::insert_claim_reservations(conn, &sale, &reservation_ids, served, expires_at).await?;
    }
    let reserved: std::collections::HashMap<Uuid, Uuid> = served
        .iter()
        .copied()
        .zip(reservation_ids.iter().copied())
        .collect();
    Ok(customers
        .iter()
        .map(|customer| match reserved.get(customer) {
            Some(&reservation_id) => ClaimOutcome::Reserved {
                reservation_id,
                expires_at,
            },
            None if with_slot.contains(customer) => ClaimOutcome::SoldOut,
            None => ClaimOutcome::LimitReached,
        })
        .collect())
}

/// Up to `wanted` free units of the sale, locked; waits briefly while the
/// free units left are locked by another group that may still roll back.
async fn take_units(
    conn: &mut PgConnection,
    sale_id: Uuid,
    wanted: usize,
) -> Result<Vec<i32>, sqlx::Error> {
    let mut units = Vec::with_capacity(wanted);
    let mut attempt = 0;
    while units.len() < wanted {
        let more =
            sales::lock_free_units(conn, sale_id, (wanted - units.len()) as i64, &units).await?;
        units.extend(more);
        if units.len() == wanted || !sales::has_free_units(conn, sale_id, &units).await? {
            break;
        }
        if attempt == BUSY_RETRIES {
            break;
        }
        attempt += 1;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(units)
}
