//! `GET /products/{id}`: served from the cache, with `ETag` / `If-None-Match`.

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use platform::{auth::MaybeCaller, ApiError};
use uuid::Uuid;

use super::{cached, Product};
use crate::{cache::Cached, repo::products, state::AppState};

/// Get a product (active ones for anyone; any for admins)
#[utoipa::path(
    get, path = "/products/{id}", tag = "products",
    params(("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier read; 304 if unchanged")),
    responses(
        (status = 200, description = "The product", body = Product, headers(("ETag" = String, description = "`\"v<version>\"`"))),
        (status = 304, description = "Unchanged since the ETag sent"),
        (status = 404, description = "No such product (or not active)", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn get_one(
    State(state): State<AppState>,
    caller: MaybeCaller,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let pool = state.pool.clone();
    let entry = state
        .cache
        .read_through(id, || async move {
            let mut conn = pool.acquire().await?;
            let row = products::find(&mut conn, id).await?;
            Ok::<_, ApiError>(cached(row)?)
        })
        .await?;
    let Cached::Present {
        version,
        active,
        json,
    } = entry
    else {
        return Err(ApiError::NotFound);
    };
    if !active && !caller.is_admin() {
        return Err(ApiError::NotFound);
    }
    let etag = format!("\"v{version}\"");
    let etag_value = HeaderValue::from_str(&etag).map_err(anyhow::Error::from)?;
    if none_match(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::ETAG, etag_value),
        ],
        json,
    )
        .into_response())
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for GET).
fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_star() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(v).unwrap());
            h
        };
        assert!(none_match(&with("\"v3\""), "\"v3\""));
        assert!(none_match(&with("W/\"v3\""), "\"v3\""));
        assert!(none_match(&with("\"v1\", \"v3\""), "\"v3\""));
        assert!(none_match(&with("*"), "\"v3\""));
        assert!(!none_match(&with("\"v2\""), "\"v3\""));
        assert!(!none_match(&HeaderMap::new(), "\"v3\""));
    }
}
