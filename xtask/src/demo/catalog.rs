//! The demo categories and products in the catalog: created when missing,
//! looked up (and reactivated) when an earlier run made them.

use std::collections::HashMap;

use anyhow::{bail, Context};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::api::{query_escape, Api};
use super::data::{DemoProduct, CATEGORIES, PRODUCTS};

pub(super) async fn ensure_categories(
    api: &Api,
    catalog: &str,
) -> anyhow::Result<HashMap<String, String>> {
    for category in CATEGORIES {
        let body = json!({"name": category.name, "description": category.description});
        let reply = api
            .send(Method::POST, &format!("{catalog}/categories"), Some(&body))
            .await?;
        match reply.status {
            StatusCode::CREATED => println!("category {:<10} created", category.name),
            StatusCode::CONFLICT => println!("category {:<10} exists", category.name),
            _ => bail!(reply.failure(&format!("creating category {}", category.name))),
        }
    }
    // Ids by name, as the catalog has them now (new or from an earlier run).
    let mut ids = HashMap::new();
    for item in api
        .all_pages(&format!("{catalog}/categories?limit=100"))
        .await?
    {
        if let (Some(name), Some(id)) = (item["name"].as_str(), item["id"].as_str()) {
            ids.insert(name.to_ascii_lowercase(), id.to_owned());
        }
    }
    Ok(ids)
}

/// Creates the products that are missing; returns every demo product's id by SKU.
pub(super) async fn ensure_products(
    api: &Api,
    catalog: &str,
    categories: &HashMap<String, String>,
) -> anyhow::Result<HashMap<&'static str, String>> {
    let mut ids = HashMap::new();
    for product in PRODUCTS {
        let category_id = categories
            .get(&product.category.to_ascii_lowercase())
            .with_context(|| format!("the catalog has no category {}", product.category))?;
        let body = json!({
            "sku": product.sku,
            "name": product.name,
            "description": product.description,
            "price_cents": product.price_cents,
            "currency": "USD",
            "category_id": category_id,
            "active": true,
        });
        let reply = api
            .send(Method::POST, &format!("{catalog}/products"), Some(&body))
            .await?;
        match reply.status {
            StatusCode::CREATED => {
                println!("product  {:<18} created", product.sku);
                ids.insert(product.sku, reply.string("id")?);
            }
            StatusCode::CONFLICT => {
                let existing = find_product(api, catalog, product).await?;
                let id = existing["id"].as_str().unwrap_or_default().to_owned();
                if existing["active"] == json!(false) {
                    let reactivate = json!({"active": true});
                    api.send(
                        Method::PATCH,
                        &format!("{catalog}/products/{id}"),
                        Some(&reactivate),
                    )
                    .await?
                    .expect(&[StatusCode::OK], &format!("reactivating {}", product.sku))?;
                    println!("product  {:<18} exists; reactivated", product.sku);
                } else {
                    println!("product  {:<18} exists", product.sku);
                }
                ids.insert(product.sku, id);
            }
            _ => bail!(reply.failure(&format!("creating product {}", product.sku))),
        }
    }
    Ok(ids)
}

/// An existing product by SKU: searched by its name first, then by listing everything.
async fn find_product(api: &Api, catalog: &str, product: &DemoProduct) -> anyhow::Result<Value> {
    let by_name = format!(
        "{catalog}/products?limit=100&q={}",
        query_escape(&format!("\"{}\"", product.name))
    );
    let reply = api.send(Method::GET, &by_name, None).await?;
    let reply = reply.expect(&[StatusCode::OK], "searching the catalog")?;
    let has_sku = |item: &&Value| item["sku"].as_str() == Some(product.sku);
    if let Some(found) = reply.items().iter().find(has_sku) {
        return Ok(found.clone());
    }
    let everything = api
        .all_pages(&format!("{catalog}/products?limit=100"))
        .await?;
    everything
        .iter()
        .find(has_sku)
        .cloned()
        .with_context(|| format!("{} exists (409) but is not listed", product.sku))
}
