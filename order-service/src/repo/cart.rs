//! The cart: one row per customer and product.

use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CartLine {
    pub product_id: Uuid,
    pub quantity: i32,
}

pub async fn lines(
    conn: &mut PgConnection,
    customer_id: Uuid,
) -> Result<Vec<CartLine>, sqlx::Error> {
    sqlx::query_as(
        "SELECT product_id, quantity FROM cart_items WHERE customer_id = $1 ORDER BY added_at, product_id",
    )
    .bind(customer_id)
    .fetch_all(conn)
    .await
}

/// Sets a line's quantity, unless that would make the cart hold more than
/// `max_lines` products; returns whether it was set.
pub async fn put(
    conn: &mut PgConnection,
    customer_id: Uuid,
    product_id: Uuid,
    quantity: i32,
    max_lines: i64,
) -> Result<bool, sqlx::Error> {
    let affected = sqlx::query(
        "INSERT INTO cart_items (customer_id, product_id, quantity)
         SELECT $1, $2, $3
         WHERE EXISTS (SELECT 1 FROM cart_items WHERE customer_id = $1 AND product_id = $2)
            OR (SELECT count(*) FROM cart_items WHERE customer_id = $1) < $4
         ON CONFLICT (customer_id, product_id)
         DO UPDATE SET quantity = EXCLUDED.quantity, updated_at = now()",
    )
    .bind(customer_id)
    .bind(product_id)
    .bind(quantity)
    .bind(max_lines)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(affected == 1)
}

pub async fn remove(
    conn: &mut PgConnection,
    customer_id: Uuid,
    product_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM cart_items WHERE customer_id = $1 AND product_id = $2")
        .bind(customer_id)
        .bind(product_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn clear(conn: &mut PgConnection, customer_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM cart_items WHERE customer_id = $1")
        .bind(customer_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// After an order from the cart is confirmed: the ordered lines leave the cart.
pub async fn remove_ordered(conn: &mut PgConnection, order_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM cart_items c USING orders o, order_items i
         WHERE o.id = $1 AND i.order_id = o.id AND c.customer_id = o.customer_id
           AND c.product_id = i.product_id",
    )
    .bind(order_id)
    .execute(conn)
    .await?;
    Ok(())
}
