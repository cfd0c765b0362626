//! The daily sales report.

use sqlx::PgConnection;
use time::{Date, Time};

pub use platform::events::payloads::{DailySales, TopProduct};

use crate::domain::OrderStatus;

/// The figures for the orders confirmed during `day` (UTC) and not cancelled.
pub async fn daily_sales(
    conn: &mut PgConnection,
    day: Date,
    currency: &str,
) -> Result<DailySales, sqlx::Error> {
    let from = day.with_time(Time::MIDNIGHT).assume_utc();
    let to = from + time::Duration::days(1);
    let (orders, revenue, discount): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), coalesce(sum(total_cents), 0)::bigint, coalesce(sum(discount_cents), 0)::bigint
         FROM orders WHERE confirmed_at >= $1 AND confirmed_at < $2 AND status = $3",
    )
    .bind(from)
    .bind(to)
    .bind(OrderStatus::Confirmed)
    .fetch_one(&mut *conn)
    .await?;
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT i.sku, max(i.name), sum(i.quantity)::bigint, sum(i.quantity * i.unit_price_cents)::bigint
         FROM order_items i JOIN orders o ON o.id = i.order_id
         WHERE o.confirmed_at >= $1 AND o.confirmed_at < $2 AND o.status = $3
         GROUP BY i.sku ORDER BY 3 DESC, 1",
    )
    .bind(from)
    .bind(to)
    .bind(OrderStatus::Confirmed)
    .fetch_all(&mut *conn)
    .await?;
    let units = rows.iter().map(|r| r.2).sum();
    Ok(DailySales {
        date: day.to_string(),
        orders,
        units,
        revenue_cents: revenue,
        discount_cents: discount,
        currency: currency.to_owned(),
        top_products: rows
            .into_iter()
            .take(5)
            .map(|(sku, name, units, revenue_cents)| TopProduct {
                sku,
                name,
                units,
                revenue_cents,
            })
            .collect(),
    })
}

/// One UTC hour of a day's sales.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct HourlySales {
    /// 0 to 23, UTC.
    pub hour: i32,
    pub orders: i64,
    pub revenue_cents: i64,
}

/// Each of the day's 24 UTC hours, counted as [`daily_sales`] counts the day.
pub async fn hourly_sales(
    conn: &mut PgConnection,
    day: Date,
) -> Result<Vec<HourlySales>, sqlx::Error> {
    let from = day.with_time(Time::MIDNIGHT).assume_utc();
    let to = from + time::Duration::days(1);
    let rows: Vec<(i32, i64, i64)> = sqlx::query_as(
        "SELECT extract(hour FROM confirmed_at AT TIME ZONE 'UTC')::int, count(*),
                coalesce(sum(total_cents), 0)::bigint
         FROM orders WHERE confirmed_at >= $1 AND confirmed_at < $2 AND status = $3
         GROUP BY 1",
    )
    .bind(from)
    .bind(to)
    .bind(OrderStatus::Confirmed)
    .fetch_all(conn)
    .await?;
    Ok((0..24)
        .map(|hour| {
            let (orders, revenue_cents) = rows
                .iter()
                .find(|r| r.0 == hour)
                .map_or((0, 0), |r| (r.1, r.2));
            HourlySales {
                hour,
                orders,
                revenue_cents,
            }
        })
        .collect())
}

/// Marks `day` as published; false when it already was.
pub async fn mark_published(conn: &mut PgConnection, day: Date) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("INSERT INTO daily_reports (day) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(day)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}
