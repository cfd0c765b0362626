//! Promo codes and their redemptions.

use sqlx::PgConnection;
use uuid::Uuid;

use super::campaigns::CampaignRow;

/// The code with its campaign, locked for the rest of the transaction so
/// concurrent redemptions of one code take turns.
#[tracing::instrument(skip_all)]
pub async fn find_for_update(
    conn: &mut PgConnection,
    code: &str,
    lock: bool,
) -> Result<Option<CampaignRow>, sqlx::Error> {
    let sql = if lock {
        "SELECT c.id, c.name, c.description, c.offer_kind, c.percent_off, c.amount_off_cents, c.currency,
                c.starts_at, c.ends_at, c.created_at, p.code, p.max_redemptions, p.per_customer_limit,
                p.min_order_cents, p.redeemed_count
         FROM promo_codes p JOIN campaigns c ON c.id = p.campaign_id
         WHERE p.code = $1 AND c.deleted_at IS NULL
         FOR UPDATE OF p"
    } else {
        "SELECT c.id, c.name, c.description, c.offer_kind, c.percent_off, c.amount_off_cents, c.currency,
                c.starts_at, c.ends_at, c.created_at, p.code, p.max_redemptions, p.per_customer_limit,
                p.min_order_cents, p.redeemed_count
         FROM promo_codes p JOIN campaigns c ON c.id = p.campaign_id
         WHERE p.code = $1 AND c.deleted_at IS NULL"
    };
    sqlx::query_as(sql).bind(code).fetch_optional(conn).await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RedemptionRow {
    pub order_id: Uuid,
    pub code: String,
    pub customer_id: Uuid,
    pub discount_cents: i64,
    pub currency: String,
    pub released: bool,
}

#[tracing::instrument(skip_all)]
pub async fn find_redemption(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> Result<Option<RedemptionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT order_id, code, customer_id, discount_cents, currency, released_at IS NOT NULL AS released
         FROM redemptions WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_optional(conn)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn active_redemptions_of(
    conn: &mut PgConnection,
    code: &str,
    customer_id: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM redemptions WHERE code = $1 AND customer_id = $2 AND released_at IS NULL")
        .bind(code)
        .bind(customer_id)
        .fetch_one(conn)
        .await
}

/// Takes one unit of the code's cap; false when the cap is reached.
#[tracing::instrument(skip_all)]
pub async fn take_one(conn: &mut PgConnection, code: &str) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE promo_codes SET redeemed_count = redeemed_count + 1
         WHERE code = $1 AND (max_redemptions IS NULL OR redeemed_count < max_redemptions)",
    )
    .bind(code)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

#[tracing::instrument(skip_all)]
pub async fn insert_redemption(
    conn: &mut PgConnection,
    order_id: Uuid,
    code: &str,
    customer_id: Uuid,
    subtotal_cents: i64,
    discount_cents: i64,
    currency: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO redemptions (order_id, code, customer_id, subtotal_cents, discount_cents, currency)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(order_id)
    .bind(code)
    .bind(customer_id)
    .bind(subtotal_cents)
    .bind(discount_cents)
    .bind(currency)
    .execute(conn)
    .await?;
    Ok(())
}

/// Releases the order's redemption of `code` and gives its unit back;
/// false when there was nothing to release.
#[tracing::instrument(skip_all)]
pub async fn release(
    conn: &mut PgConnection,
    code: &str,
    order_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let released = sqlx::query(
        "UPDATE redemptions SET released_at = now()
         WHERE order_id = $1 AND code = $2 AND released_at IS NULL",
    )
    .bind(order_id)
    .bind(code)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if released == 1 {
        sqlx::query("UPDATE promo_codes SET redeemed_count = redeemed_count - 1 WHERE code = $1")
            .bind(code)
            .execute(conn)
            .await?;
    }
    Ok(released == 1)
}
