//! `/reports/daily-sales` (admins).

use axum::extract::State;
use platform::{auth::AdminUser, ApiError, Json, Query};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    repo::reports::{self, DailySales},
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

/// Sales of one UTC day: the orders confirmed that day and not cancelled
#[utoipa::path(
    get, path = "/reports/daily-sales", tag = "reports", security(("bearer" = [])),
    params(DailySalesParams),
    responses(
        (status = 200, description = "The day's figures", body = DailySales),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad date", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn daily_sales(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(params): Query<DailySalesParams>,
) -> Result<Json<DailySales>, ApiError> {
    let day =
        crate::reports::parse_day(&params.date).map_err(|m| ApiError::validation("date", &m))?;
    let mut conn = state.pool.acquire().await?;
    Ok(Json(
        reports::daily_sales(&mut conn, day, &state.shop_currency).await?,
    ))
}
