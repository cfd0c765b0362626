//! `GET /products`: full-text search and browsing, with keyset pagination.

use axum::extract::State;
use platform::{
    auth::MaybeCaller,
    pagination::{page_size, Page},
    ApiError, FieldError, Json, Query,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{Product, SearchCursor};
use crate::{domain::Sku, repo::products, state::AppState};

const MAX_QUERY_CHARS: usize = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find in names (ranked higher) and descriptions; web-search
    /// syntax (`"exact phrase"`, `or`, `-exclude`). Without it, products come by name.
    pub q: Option<String>,
    /// Exactly this SKU (any case): at most one product.
    pub sku: Option<String>,
    /// A category id.
    pub category: Option<Uuid>,
    /// Lowest price, in minor units.
    pub min_price: Option<i64>,
    /// Highest price, in minor units.
    pub max_price: Option<i64>,
    /// `false` lists inactive products (admins only); default: active only
    /// for everyone else, all for admins.
    pub active: Option<bool>,
    pub cursor: Option<String>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// Search and list products
#[utoipa::path(
    get, path = "/products", tag = "products", params(SearchParams),
    responses(
        (status = 200, description = "A page of products: best match first with `q`, by name without", body = Page<Product>),
        (status = 400, description = "A tampered cursor", body = platform::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Inactive products need an admin token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    caller: MaybeCaller,
    Query(params): Query<SearchParams>,
) -> Result<Json<Page<Product>>, ApiError> {
    let limit = page_size(params.limit)?;
    let filter = filter_of(&params, &caller)?;
    let query = params.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if query.is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS) {
        return Err(ApiError::validation("q", "must be at most 200 characters"));
    }
    let cursor = params
        .cursor
        .as_deref()
        .map(SearchCursor::decode)
        .transpose()?;
    let mismatched =
        || ApiError::BadRequest("the cursor belongs to another kind of listing".to_owned());
    let mut conn = state.pool.acquire().await?;
    let page = match query {
        Some(q) => {
            let after = match cursor {
                None => None,
                Some(SearchCursor::Ranked { rank, id }) => Some((rank, id)),
                Some(SearchCursor::Named { .. }) => return Err(mismatched()),
            };
            let rows = products::search(&mut conn, q, &filter, after, limit + 1).await?;
            page_of(
                rows,
                limit,
                |r| SearchCursor::Ranked {
                    rank: r.rank,
                    id: r.product.id,
                },
                |r| r.product.into(),
            )
        }
        None => {
            let after = match cursor {
                None => None,
                Some(SearchCursor::Named { name, id }) => Some((name, id)),
                Some(SearchCursor::Ranked { .. }) => return Err(mismatched()),
            };
            let rows = products::browse(&mut conn, &filter, after, limit + 1).await?;
            page_of(
                rows,
                limit,
                |r| SearchCursor::Named {
                    name: r.name.clone(),
                    id: r.id,
                },
                Product::from,
            )
        }
    };
    Ok(Json(page))
}

fn filter_of(params: &SearchParams, caller: &MaybeCaller) -> Result<products::Filter, ApiError> {
    let mut errors = Vec::new();
    for (field, value) in [
        ("min_price", params.min_price),
        ("max_price", params.max_price),
    ] {
        if value.is_some_and(|v| v < 0) {
            errors.push(FieldError::new(field, "must not be negative"));
        }
    }
    if let (Some(min), Some(max)) = (params.min_price, params.max_price) {
        if min > max {
            errors.push(FieldError::new("max_price", "must not be below min_price"));
        }
    }
    let sku = match params.sku.as_deref().map(Sku::parse).transpose() {
        Ok(sku) => sku,
        Err(message) => {
            errors.push(FieldError::new("sku", message));
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let active = match (caller.is_admin(), params.active) {
        (true, active) => active,
        (false, None | Some(true)) => Some(true),
        (false, Some(false)) => {
            return Err(match caller.0 {
                None => {
                    ApiError::Unauthorized("inactive products are listed to admins only".to_owned())
                }
                Some(_) => ApiError::Forbidden,
            })
        }
    };
    Ok(products::Filter {
        sku: sku.map(|s| s.to_string()),
        category_id: params.category,
        min_price: params.min_price,
        max_price: params.max_price,
        active,
    })
}

/// A page from up to `limit + 1` rows (the extra one says there is more).
fn page_of<R>(
    mut rows: Vec<R>,
    limit: i64,
    cursor_of: impl Fn(&R) -> SearchCursor,
    map: impl Fn(R) -> Product,
) -> Page<Product> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| rows.last().map(|r| cursor_of(r).encode()))
        .flatten();
    Page {
        items: rows.into_iter().map(map).collect(),
        next_cursor,
    }
}
