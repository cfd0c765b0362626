//! catalog-service: products by id or SKU, for pricing.

use http::{Method, StatusCode};
use platform::client::ServiceClient;
use serde::Deserialize;
use uuid::Uuid;

use super::{unexpected, CallError};

#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub price_cents: i64,
    pub currency: String,
    pub active: bool,
}

#[derive(Debug, Deserialize)]
struct ProductPage {
    items: Vec<Product>,
}

#[derive(Clone)]
pub struct Catalog(pub ServiceClient);

impl Catalog {
    /// The product, or `None` when the catalog does not know it.
    pub async fn product(&self, id: Uuid, request_id: &str) -> Result<Option<Product>, CallError> {
        let response = self
            .0
            .call(Method::GET, &format!("/products/{id}"))
            .idempotent()
            .request_id(request_id)
            .send()
            .await?;
        match response.status {
            StatusCode::OK => Ok(Some(response.json()?)),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(unexpected("catalog", &response)),
        }
    }

    /// The active product with exactly this SKU, if any.
    pub async fn product_by_sku(
        &self,
        sku: &str,
        request_id: &str,
    ) -> Result<Option<Product>, CallError> {
        let query: String = url_query(&[("sku", sku), ("limit", "1")]);
        let response = self
            .0
            .call(Method::GET, &format!("/products?{query}"))
            .idempotent()
            .request_id(request_id)
            .send()
            .await?;
        if response.status != StatusCode::OK {
            return Err(unexpected("catalog", &response));
        }
        let page: ProductPage = response.json()?;
        Ok(page.items.into_iter().find(|p| p.sku == sku))
    }
}

fn url_query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let encoded: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={encoded}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            url_query(&[("q", "MUG 1&x"), ("limit", "20")]),
            "q=MUG%201%26x&limit=20"
        );
    }
}
