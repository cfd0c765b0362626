//! Campaign rows (with their promo code, if any).

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{NewCampaign, Offer};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub offer_kind: String,
    pub percent_off: Option<i32>,
    pub amount_off_cents: Option<i64>,
    pub currency: String,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub code: Option<String>,
    pub max_redemptions: Option<i32>,
    pub per_customer_limit: Option<i32>,
    pub min_order_cents: Option<i64>,
    pub redeemed_count: Option<i32>,
}

impl CampaignRow {
    pub fn offer(&self) -> Offer {
        match (
            self.offer_kind.as_str(),
            self.percent_off,
            self.amount_off_cents,
        ) {
            ("percent", Some(percent_off), _) => Offer::Percent { percent_off },
            (_, _, amount) => Offer::Fixed {
                amount_off_cents: amount.unwrap_or_default(),
            },
        }
    }

    pub fn is_active_at(&self, at: OffsetDateTime) -> bool {
        self.starts_at <= at && at < self.ends_at
    }
}

#[tracing::instrument(skip_all)]
pub async fn insert(
    conn: &mut PgConnection,
    campaign: &NewCampaign,
    currency: &str,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let (kind, percent, amount) = offer_columns(campaign.offer);
    sqlx::query(
        "INSERT INTO campaigns (id, name, description, offer_kind, percent_off, amount_off_cents, currency, starts_at, ends_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(&campaign.name)
    .bind(&campaign.description)
    .bind(kind)
    .bind(percent)
    .bind(amount)
    .bind(currency)
    .bind(campaign.starts_at)
    .bind(campaign.ends_at)
    .execute(&mut *conn)
    .await?;
    if let Some(rules) = &campaign.promo_code {
        sqlx::query(
            "INSERT INTO promo_codes (code, campaign_id, max_redemptions, per_customer_limit, min_order_cents)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(rules.code.as_ref())
        .bind(id)
        .bind(rules.max_redemptions)
        .bind(rules.per_customer_limit)
        .bind(rules.min_order_cents)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

pub fn offer_columns(offer: Offer) -> (&'static str, Option<i32>, Option<i64>) {
    match offer {
        Offer::Percent { percent_off } => ("percent", Some(percent_off), None),
        Offer::Fixed { amount_off_cents } => ("fixed", None, Some(amount_off_cents)),
    }
}

#[tracing::instrument(skip_all)]
pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<CampaignRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.id, c.name, c.description, c.offer_kind, c.percent_off, c.amount_off_cents, c.currency,
                c.starts_at, c.ends_at, c.created_at, p.code, p.max_redemptions, p.per_customer_limit,
                p.min_order_cents, p.redeemed_count
         FROM campaigns c LEFT JOIN promo_codes p ON p.campaign_id = c.id
         WHERE c.id = $1 AND c.deleted_at IS NULL",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A page of campaigns after `after` (ids are time-ordered), optionally only active ones.
#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &mut PgConnection,
    active_only: bool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<CampaignRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.id, c.name, c.description, c.offer_kind, c.percent_off, c.amount_off_cents, c.currency,
                c.starts_at, c.ends_at, c.created_at, p.code, p.max_redemptions, p.per_customer_limit,
                p.min_order_cents, p.redeemed_count
         FROM campaigns c LEFT JOIN promo_codes p ON p.campaign_id = c.id
         WHERE c.deleted_at IS NULL
           AND (NOT $1 OR (c.starts_at <= now() AND now() < c.ends_at))
           AND ($2::uuid IS NULL OR c.id > $2)
         ORDER BY c.id
         LIMIT $3",
    )
    .bind(active_only)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    name: &str,
    description: &str,
    offer: Offer,
    starts_at: OffsetDateTime,
    ends_at: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let (kind, percent, amount) = offer_columns(offer);
    let updated = sqlx::query(
        "UPDATE campaigns SET name = $2, description = $3, offer_kind = $4, percent_off = $5,
                amount_off_cents = $6, starts_at = $7, ends_at = $8, updated_at = now()
         WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(name)
    .bind(description)
    .bind(kind)
    .bind(percent)
    .bind(amount)
    .bind(starts_at)
    .bind(ends_at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

#[tracing::instrument(skip_all)]
pub async fn soft_delete(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    let deleted =
        sqlx::query("UPDATE campaigns SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL")
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected();
    Ok(deleted == 1)
}
