//! `/categories`: admins create; anyone lists.

use axum::{extract::State, http::StatusCode};
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
    domain::{CategoryRequest, NewCategory},
    repo::categories::{self, CategoryRow},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create, list))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Category {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<CategoryRow> for Category {
    fn from(row: CategoryRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            description: row.description,
            created_at: row.created_at,
        }
    }
}

/// Create a category (admin)
#[utoipa::path(
    post, path = "/categories", tag = "categories", security(("bearer" = [])),
    request_body = CategoryRequest,
    responses(
        (status = 201, description = "Created", body = Category),
        (status = 401, description = "No valid token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A category has this name", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn create(
    State(state): State<AppState>,
    _admin: AdminUser,
    Json(body): Json<CategoryRequest>,
) -> Result<(StatusCode, Json<Category>), ApiError> {
    let category = NewCategory::try_from(body).map_err(ApiError::Validation)?;
    let mut conn = state.pool.acquire().await?;
    let row = categories::insert(&mut conn, &category)
        .await
        .map_err(|e| ApiError::from_db(e, "a category with this name exists"))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub cursor: Option<String>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// List categories
#[utoipa::path(
    get, path = "/categories", tag = "categories", params(ListParams),
    responses(
        (status = 200, description = "A page of categories, oldest first", body = Page<Category>),
        (status = 400, description = "A tampered cursor", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn list(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<Category>>, ApiError> {
    let limit = page_size(params.limit)?;
    let after = decode_cursor(params.cursor.as_deref())?;
    let mut conn = state.pool.acquire().await?;
    let rows = categories::list(&mut conn, after, limit + 1).await?;
    Ok(Json(page(rows, limit, |r| r.id, Category::from)))
}
