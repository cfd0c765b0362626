//! `GET /flash-sales/{id}/figures` (admin): how a sale is going, for the
//! back office's live view. Counted from the reservations the claims made
//! (the claim writer puts Redis-gated claims there within moments).

use axum::extract::{Path, State};
use platform::{auth::AdminUser, ApiError, Json};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{repo::sales, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(figures))
}

/// The window `claims_per_second` is averaged over.
const RATE_WINDOW_SECS: i64 = 10;

#[derive(Debug, Serialize, ToSchema)]
pub struct SaleFigures {
    pub sale_id: Uuid,
    pub quantity: i32,
    pub remaining: i32,
    /// Claims made (every reservation of the sale, whatever became of it).
    pub claims: i64,
    /// Reserved and not yet checked out.
    pub held: i64,
    /// Checked out: the order took the unit.
    pub checked_out: i64,
    /// Released, expired or returned: the unit went back to the sale.
    pub given_back: i64,
    /// Claims per second over the last 10 seconds.
    pub claims_per_second: f64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct Counts {
    claims: i64,
    held: i64,
    checked_out: i64,
    given_back: i64,
    recent: i64,
}

/// A flash sale's live figures (admin)
#[utoipa::path(
    get, path = "/flash-sales/{id}/figures", tag = "flash-sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The sale")),
    responses(
        (status = 200, description = "The sale's figures now", body = SaleFigures),
        (status = 401, description = "No valid token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such sale", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn figures(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<Json<SaleFigures>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let sale = sales::find(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let counts: Counts = sqlx::query_as(
        "SELECT count(*) AS claims,
                count(*) FILTER (WHERE status = 'held') AS held,
                count(*) FILTER (WHERE status = 'committed') AS checked_out,
                count(*) FILTER (WHERE status IN ('released', 'expired', 'returned')) AS given_back,
                count(*) FILTER (WHERE created_at > now() - make_interval(secs => $2)) AS recent
         FROM reservations WHERE flash_sale_id = $1",
    )
    .bind(id)
    .bind(RATE_WINDOW_SECS as f64)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Json(SaleFigures {
        sale_id: id,
        quantity: sale.quantity,
        remaining: sale.remaining,
        claims: counts.claims,
        held: counts.held,
        checked_out: counts.checked_out,
        given_back: counts.given_back,
        claims_per_second: counts.recent as f64 / RATE_WINDOW_SECS as f64,
        at: OffsetDateTime::now_utc(),
    }))
}
