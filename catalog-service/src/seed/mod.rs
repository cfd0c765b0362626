//! `catalog-service seed`: a deterministic demo catalog for dev and benchmarks.
//! Product `n` is always the same product, so running it again inserts nothing.

mod words;

use anyhow::Context;
use platform::{events::payloads::ProductCreated, outbox};
use serde_json::json;
use sqlx::PgPool;

use self::words::{ADJECTIVES, CATEGORIES, COLOURS, MATERIALS, PRAISE};
use crate::{
    domain::{NewCategory, NewProduct, ProductFields, Sku},
    repo::{categories, products},
    routes::products::product_event,
};

/// A cheap deterministic mixer (splitmix64), so product `n` never changes.
fn mix(n: u64, salt: u64) -> u64 {
    let mut z = n.wrapping_add(salt.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<'a>(items: &[&'a str], n: u64, salt: u64) -> &'a str {
    items[(mix(n, salt) % items.len() as u64) as usize]
}

/// The `n`th demo product, in category `CATEGORIES[n % len]`.
pub fn demo_product(
    n: usize,
    category_id: uuid::Uuid,
    currency: &str,
) -> anyhow::Result<NewProduct> {
    let (category, prefix, things) = CATEGORIES[n % CATEGORIES.len()];
    let k = n as u64;
    let (adjective, material, colour) = (
        pick(ADJECTIVES, k, 1),
        pick(MATERIALS, k, 2),
        pick(COLOURS, k, 3),
    );
    let thing = pick(things, k, 4);
    let name = format!("{adjective} {colour} {material} {thing}");
    let description = format!(
        "A {} {thing} in {colour}, made from {material}. Part of our {} range. {}",
        adjective.to_lowercase(),
        category.to_lowercase(),
        pick(PRAISE, k, 5),
    );
    // Prices from 2.99 to ~300 in steps of whole units minus one cent.
    let price_cents = (mix(k, 6) % 300 + 3) as i64 * 100 - 1;
    let sku = format!("{prefix}-{n:06}");
    Ok(NewProduct {
        sku: Sku::parse(&sku).map_err(|e| anyhow::anyhow!("seed SKU {sku}: {e}"))?,
        fields: ProductFields {
            name,
            description,
            price_cents,
            currency: currency.to_owned(),
            category_id: Some(category_id),
            attributes: json!({"colour": colour, "material": material}),
            image_url: Some(format!(
                "https://img.storefront.test/products/{}.jpg",
                sku.to_lowercase()
            )),
            active: true,
        },
    })
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub inserted: usize,
    pub already_there: usize,
    pub categories: usize,
}

const BATCH: usize = 500;

/// Loads `count` demo products (SKUs that exist are left alone), with a
/// `catalog.product_created` event for each new one so other services learn of them.
pub async fn run(pool: &PgPool, count: usize, currency: &str) -> anyhow::Result<SeedReport> {
    let mut conn = pool.acquire().await.context("connecting to the database")?;
    let mut category_ids = Vec::with_capacity(CATEGORIES.len());
    for (name, _, things) in CATEGORIES {
        let category = NewCategory {
            name: (*name).to_owned(),
            description: format!("{}, and more", things[..3].join(", ")),
        };
        category_ids.push(categories::ensure(&mut conn, &category).await?);
    }
    drop(conn);
    let mut report = SeedReport {
        categories: category_ids.len(),
        ..SeedReport::default()
    };
    let mut start = 0;
    while start < count {
        let end = (start + BATCH).min(count);
        let batch = (start..end)
            .map(|n| demo_product(n, category_ids[n % category_ids.len()], currency))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut tx = pool.begin().await?;
        let inserted = products::insert_new(&mut tx, &batch).await?;
        for row in &inserted {
            outbox::enqueue(&mut tx, product_event(ProductCreated, row, None)).await?;
        }
        tx.commit().await?;
        report.inserted += inserted.len();
        report.already_there += batch.len() - inserted.len();
        start = end;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_products_are_deterministic_and_valid() {
        let id = uuid::Uuid::nil();
        let a = demo_product(42, id, "USD").unwrap();
        let b = demo_product(42, id, "USD").unwrap();
        assert_eq!(a.sku, b.sku);
        assert_eq!(a.fields, b.fields);
        for n in 0..2000 {
            let p = demo_product(n, id, "USD").unwrap();
            assert!(p.fields.price_cents > 0);
            assert!(p.fields.name.len() <= 200);
        }
    }
}
