//! The catalog the read, search and checkout scenarios share, made once per
//! run through `POST /products` and remembered in the run directory.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::Ctx;
use crate::api::for_each_concurrent;
use crate::checks;
use crate::report::{read_json, write_json};

const ADJECTIVES: &[&str] = &[
    "Classic", "Modern", "Rustic", "Compact", "Deluxe", "Everyday", "Vintage", "Sturdy", "Slim",
    "Portable", "Handmade", "Premium", "Quiet", "Bright", "Soft", "Heavy",
];
const COLOURS: &[&str] = &[
    "red", "blue", "green", "black", "white", "grey", "amber", "teal", "olive", "navy",
];
const MATERIALS: &[&str] = &[
    "oak", "walnut", "steel", "cotton", "wool", "leather", "ceramic", "bamboo", "glass", "linen",
];
const THINGS: &[&str] = &[
    "lamp",
    "chair",
    "kettle",
    "backpack",
    "blanket",
    "mug",
    "desk",
    "speaker",
    "clock",
    "jacket",
    "shelf",
    "bowl",
    "headphones",
    "notebook",
    "bottle",
    "rug",
];

/// Words the search scenario asks for: each matches a share of the catalog.
pub fn search_words() -> Vec<&'static str> {
    THINGS
        .iter()
        .chain(MATERIALS)
        .chain(COLOURS)
        .copied()
        .collect()
}

const SETTLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Product {
    pub id: Uuid,
    pub sku: String,
    pub price_cents: i64,
}

fn product_body(i: usize) -> serde_json::Value {
    let pick = |items: &[&'static str], salt: usize| {
        items[(i * 7 + salt * (i / items.len() + 1)) % items.len()]
    };
    let (adjective, colour, material, thing) = (
        pick(ADJECTIVES, 1),
        pick(COLOURS, 2),
        pick(MATERIALS, 3),
        pick(THINGS, 4),
    );
    json!({
        "sku": format!("BENCH-{i:06}"),
        "name": format!("{adjective} {colour} {material} {thing}"),
        "description": format!("A {} {thing} in {colour}, made from {material}.", adjective.to_lowercase()),
        "price_cents": 499 + (i as i64 * 37) % 20_000,
        "currency": "USD",
        "attributes": {"colour": colour, "material": material},
        "active": true,
    })
}

/// The run's products, made on first use: `ctx.products` of them.
pub async fn products(ctx: &Ctx) -> anyhow::Result<Vec<Product>> {
    let path = ctx.dir.0.join("products.json");
    if let Ok(products) = read_json::<Vec<Product>>(&path) {
        if products.len() >= ctx.products {
            return Ok(products);
        }
    }
    eprintln!(
        "creating {} products through POST /products...",
        ctx.products
    );
    let url = format!("{}/products", ctx.env.url("catalog")?);
    let started = std::time::Instant::now();
    let products = for_each_concurrent((0..ctx.products).collect(), 16, |i| {
        let (api, url, admin) = (&ctx.api, &url, &ctx.admin);
        async move {
            let body = product_body(i);
            let created = api
                .expect(201, Method::POST, url, Some(admin), Some(&body))
                .await?;
            Ok(Product {
                id: serde_json::from_value(created["id"].clone())?,
                sku: body["sku"].as_str().unwrap_or_default().to_owned(),
                price_cents: body["price_cents"].as_i64().unwrap_or_default(),
            })
        }
    })
    .await?;
    eprintln!(
        "created {} products in {:.1} s",
        products.len(),
        started.elapsed().as_secs_f64()
    );
    settle(ctx, products.len()).await?;
    write_json(&path, &products)?;
    Ok(products)
}

/// Waits until inventory has consumed every `catalog.product_created` (a
/// stock record per product), so that no scenario is measured while the
/// emulator and the consumer are still busy with them.
async fn settle(ctx: &Ctx, count: usize) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut inventory = checks::connect(ctx.env.service("inventory")?.database()?).await?;
    loop {
        let stocked: i64 =
            sqlx::query_scalar("SELECT count(*) FROM stock WHERE sku LIKE 'BENCH-%'")
                .fetch_one(&mut inventory)
                .await?;
        if stocked as usize >= count {
            eprintln!(
                "inventory consumed {count} catalog.product_created events {:.1} s after the last product",
                started.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        if started.elapsed() > SETTLE_TIMEOUT {
            anyhow::bail!(
                "inventory has stock records for {stocked} of {count} products after {} s",
                SETTLE_TIMEOUT.as_secs()
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_names_vary_and_skus_are_unique() {
        let names: std::collections::BTreeSet<String> = (0..500)
            .map(|i| product_body(i)["name"].as_str().unwrap().to_owned())
            .collect();
        assert!(names.len() > 300, "only {} distinct names", names.len());
        assert_eq!(product_body(42)["sku"], "BENCH-000042");
    }
}
