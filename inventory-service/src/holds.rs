//! What happens to stock when a hold is made, committed, released or expires.
//! Each function runs inside the caller's transaction.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::repo::{
    reservations::{self, ItemRow, ReservationRow},
    sales, stock,
};

/// A flash-sale unit that went back to its still-open sale; the caller
/// returns it to the gate after commit.
#[derive(Debug, Clone, Copy)]
pub struct ReturnedToSale {
    pub sale_id: Uuid,
    pub owner_id: Uuid,
    pub units: i32,
}

/// Takes the held units out of stock for good.
pub async fn commit(
    conn: &mut PgConnection,
    reservation: &ReservationRow,
    items: &[ItemRow],
) -> Result<(), sqlx::Error> {
    for item in items {
        match reservation.flash_sale_id {
            Some(_) => stock::shift(conn, &item.sku, -item.quantity, 0, -item.quantity).await?,
            None => stock::shift(conn, &item.sku, -item.quantity, -item.quantity, 0).await?,
        }
        stock::record_movement(
            conn,
            &item.sku,
            -item.quantity,
            "sale",
            &format!("reservation {}", reservation.id),
        )
        .await?;
    }
    reservations::set_status(conn, reservation.id, "committed").await
}

/// Puts a committed reservation's units back into available stock (a
/// cancelled order). Flash-sale units return to ordinary stock: the sale
/// they came from may be over, and a sale's count never grows back.
pub async fn return_committed(
    conn: &mut PgConnection,
    reservation: &ReservationRow,
    items: &[ItemRow],
) -> Result<(), sqlx::Error> {
    for item in items {
        stock::shift(conn, &item.sku, item.quantity, 0, 0).await?;
        stock::record_movement(
            conn,
            &item.sku,
            item.quantity,
            "return",
            &format!("reservation {}", reservation.id),
        )
        .await?;
    }
    reservations::set_status(conn, reservation.id, "returned").await
}

/// Returns held units: ordinary holds to available stock, flash-sale holds to
/// their sale (or to available stock once the sale has closed).
pub async fn give_back(
    conn: &mut PgConnection,
    reservation: &ReservationRow,
    items: &[ItemRow],
    status: &str,
    correlation_id: Option<String>,
) -> Result<Option<ReturnedToSale>, sqlx::Error> {
    let mut returned = None;
    let back_to_sale = match reservation.flash_sale_id {
        Some(sale_id) => {
            sales::return_units(conn, sale_id, reservation.id, reservation.owner_id).await?
        }
        None => false,
    };
    for item in items {
        match reservation.flash_sale_id {
            Some(sale_id) if back_to_sale => {
                returned = Some(ReturnedToSale {
                    sale_id,
                    owner_id: reservation.owner_id,
                    units: item.quantity,
                });
            }
            // The sale has closed: the unit goes back to ordinary stock.
            Some(_) => stock::shift(conn, &item.sku, 0, 0, -item.quantity).await?,
            None => stock::shift(conn, &item.sku, 0, -item.quantity, 0).await?,
        }
        stock::check_low_stock(conn, &item.sku, correlation_id.clone()).await?;
    }
    reservations::set_status(conn, reservation.id, status).await?;
    Ok(returned)
}
