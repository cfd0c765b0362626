//! Home, the catalog and a product's page: anyone may look.

use axum::{
    extract::{Path, Query, State},
    response::Response,
};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{html, Visit};
use crate::{
    api::{calls::ProductQuery, types::SaleStatus},
    pages::{self, catalog::Filters},
    state::AppState,
};

pub async fn home(State(state): State<AppState>, visit: Visit) -> Response {
    let ctx = &visit.ctx;
    let featured = ProductQuery {
        limit: 8,
        ..ProductQuery::default()
    };
    let (products, campaigns, sales) = tokio::join!(
        state.api.products(ctx, &featured),
        state.api.running_campaigns(ctx),
        state.api.flash_sales(ctx),
    );
    // The live sale, or else the next one to open.
    let sale = sales.map(|sales| {
        let mut open: Vec<_> = sales
            .into_iter()
            .filter(|s| {
                matches!(
                    s.status,
                    SaleStatus::Active | SaleStatus::Scheduled | SaleStatus::SoldOut
                )
            })
            .filter(|s| s.ends_at > OffsetDateTime::now_utc())
            .collect();
        open.sort_by_key(|s| (s.status != SaleStatus::Active, s.starts_at));
        open.into_iter().next()
    });
    let sale_product = match &sale {
        Ok(Some(sale)) => state
            .api
            .product_by_sku(ctx, &sale.sku)
            .await
            .ok()
            .flatten(),
        _ => None,
    };
    html(pages::home::page(
        &visit.chrome(),
        products.as_ref().ok().map(|p| p.items.as_slice()),
        campaigns.as_deref().ok(),
        sale.as_ref()
            .ok()
            .map(|s| s.as_ref().map(|s| (s, sale_product.as_ref()))),
        OffsetDateTime::now_utc(),
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct CatalogQuery {
    q: Option<String>,
    category: Option<String>,
    min_price: Option<String>,
    max_price: Option<String>,
    cursor: Option<String>,
}

/// A price typed in major units ("12.50") as minor units; nonsense is no filter.
fn price_cents(raw: Option<&str>) -> Option<i64> {
    let raw = raw?.trim();
    if raw.is_empty() {
        return None;
    }
    let value: f64 = raw.parse().ok()?;
    (0.0..1e12)
        .contains(&value)
        .then(|| (value * 100.0).round() as i64)
}

pub async fn catalog(
    State(state): State<AppState>,
    visit: Visit,
    query: Result<Query<CatalogQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let filters = Filters {
        q: q.unwrap_or_default().to_owned(),
        category: query
            .category
            .as_deref()
            .and_then(|c| Uuid::parse_str(c).ok()),
        min_price: query.min_price.clone().unwrap_or_default(),
        max_price: query.max_price.clone().unwrap_or_default(),
    };
    let product_query = ProductQuery {
        q: q.map(str::to_owned),
        category: filters.category,
        min_price_cents: price_cents(query.min_price.as_deref()),
        max_price_cents: price_cents(query.max_price.as_deref()),
        cursor: query.cursor.clone(),
        limit: 12,
    };
    let (products, categories) = tokio::join!(
        state.api.products(&visit.ctx, &product_query),
        state.api.categories(&visit.ctx),
    );
    let mut chrome = visit.chrome();
    chrome.search = filters.q.clone();
    html(pages::catalog::list(
        &chrome,
        &filters,
        products.as_ref().ok(),
        categories.as_deref().ok(),
        query.cursor.is_some(),
    ))
}

pub async fn product(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return pages::errors::status_page(axum::http::StatusCode::NOT_FOUND);
    };
    let product = match state.api.product(&visit.ctx, id).await {
        Ok(Some(product)) => product,
        Ok(None) => return pages::errors::status_page(axum::http::StatusCode::NOT_FOUND),
        Err(e) => return axum::response::IntoResponse::into_response(e),
    };
    let stock = state.api.stock(&visit.ctx, &product.sku).await;
    html(pages::catalog::product(&visit.chrome(), &product, &stock))
}

#[cfg(test)]
mod tests {
    use super::price_cents;

    #[test]
    fn a_typed_price_becomes_minor_units_and_nonsense_no_filter() {
        assert_eq!(price_cents(Some("12.5")), Some(1250));
        assert_eq!(price_cents(Some(" 3 ")), Some(300));
        assert_eq!(price_cents(Some("-1")), None);
        assert_eq!(price_cents(Some("abc")), None);
        assert_eq!(price_cents(Some("NaN")), None);
        assert_eq!(price_cents(Some("")), None);
    }
}
