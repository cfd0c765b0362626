//! `/reports/daily-sales` (admins).

use axum::extract::State;
use platform::{auth::AdminUser, ApiError, Json, Query};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    repo::reports::{self, DailySales, HourlySales},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(daily_sales))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DailySalesParams {
    /// The UTC day, `YYYY-MM-DD`.
    #[param(format = Date, example = "2026-11-27")]
    pub date: String,
}

/// The day's figures (as `report.daily_sales` carries them) and its hours.
#[derive(Debug, Serialize, ToSchema)]
pub struct DailySalesReport {
    #[serde(flatten)]
    pub day: DailySales,
    /// The 24 UTC hours of the day, from 0.
    pub hours: Vec<HourlySales>,
}

/// Sales of one UTC day: the orders confirmed that day and not cancelled
#[utoipa::path(
    get, path = "/reports/daily-sales", tag = "reports", security(("bearer" = [])),
    params(DailySalesParams),
    responses(
        (status = 200, description = "The day's figures, and each hour's", body = DailySalesReport),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad date", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn daily_sales(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(params): Query<DailySalesParams>,
) -> Result<Json<DailySalesReport>, ApiError> {
    let day =
        crate::reports::parse_day(&params.date).map_err(|m| ApiError::validation("date", &m))?;
    let mut conn = state.pool.acquire().await?;
    let totals = reports::daily_sales(&mut conn, day, &state.shop_currency).await?;
    let hours = reports::hourly_sales(&mut conn, day).await?;
    Ok(Json(DailySalesReport { day: totals, hours }))
}
