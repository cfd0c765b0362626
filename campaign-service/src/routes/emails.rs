//! `GET /emails` (admin): the log of emails sent.

use axum::extract::State;
use platform::{
    auth::AdminUser,
    pagination::{decode_cursor, page, page_size, Page},
    ApiError, Json, Query,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    repo::emails::{self, EmailRow},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EmailQuery {
    /// Only emails to this address.
    pub to: Option<String>,
    /// Only this kind: welcome, order_receipt, order_shipped, order_cancelled, stock_low, daily_sales.
    pub kind: Option<String>,
    /// Only emails about this: an order id, a SKU, a customer id (the
    /// `aggregate_id` of the event that caused the email).
    pub about: Option<String>,
    pub cursor: Option<String>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmailLogEntry {
    pub id: Uuid,
    pub kind: String,
    pub to: String,
    pub subject: String,
    /// `pending` (not yet accepted by SES; retried) or `sent`.
    pub status: String,
    pub event_id: Uuid,
    /// What the email is about (see `about`); absent on emails older than it.
    pub about: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
}

impl From<EmailRow> for EmailLogEntry {
    fn from(row: EmailRow) -> Self {
        Self {
            id: row.id,
            kind: row.kind,
            to: row.recipient,
            subject: row.subject,
            status: row.status,
            event_id: row.event_id,
            about: row.about,
            attempts: row.attempts,
            last_error: row.last_error,
            created_at: row.created_at,
            sent_at: row.sent_at,
        }
    }
}

/// The log of emails, newest first (admin)
#[utoipa::path(
    get, path = "/emails", tag = "emails", security(("bearer" = [])), params(EmailQuery),
    responses(
        (status = 200, description = "A page of emails", body = Page<EmailLogEntry>),
        (status = 401, description = "No valid token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<EmailQuery>,
) -> Result<Json<Page<EmailLogEntry>>, ApiError> {
    let limit = page_size(query.limit)?;
    let before = decode_cursor(query.cursor.as_deref())?;
    let to = query.to.map(|t| t.trim().to_lowercase());
    let mut conn = state.pool.acquire().await?;
    let filter = emails::ListFilter {
        to: to.as_deref(),
        kind: query.kind.as_deref(),
        about: query.about.as_deref().map(str::trim),
    };
    let rows = emails::list(&mut conn, &filter, before, limit + 1).await?;
    Ok(Json(page(rows, limit, |r| r.id, EmailLogEntry::from)))
}
