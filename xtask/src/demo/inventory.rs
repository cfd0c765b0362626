//! The demo stock levels and the upcoming flash sale in inventory.

use anyhow::bail;
use reqwest::{Method, StatusCode};
use serde_json::json;
use time::OffsetDateTime;

use super::api::Api;
use super::data::{
    PRODUCTS, SALE_LASTS, SALE_PER_CUSTOMER, SALE_PRICE_CENTS, SALE_QUANTITY, SALE_SKU,
    SALE_STARTS_IN,
};
use super::{dollars, rfc3339};

/// `PUT /inventory/{sku}` upserts, so it works before or after inventory has
/// seen the product's `catalog.product_created` event.
pub(super) async fn set_stock(api: &Api, inventory: &str) -> anyhow::Result<()> {
    for product in PRODUCTS {
        let body = json!({
            "on_hand": product.on_hand,
            "low_stock_threshold": product.low_stock_threshold,
        });
        let url = format!("{inventory}/inventory/{}", product.sku);
        let reply = api.send(Method::PUT, &url, Some(&body)).await?;
        match reply.status {
            StatusCode::OK => println!(
                "stock    {:<18} on hand {:>3}, available {}",
                product.sku, product.on_hand, reply.body["available"]
            ),
            // More is held by reservations and sales than the demo level: leave it.
            StatusCode::CONFLICT => println!(
                "stock    {:<18} kept: {}",
                product.sku,
                reply.body["detail"].as_str().unwrap_or("more is held")
            ),
            _ => bail!(reply.failure(&format!("setting the stock of {}", product.sku))),
        }
    }
    Ok(())
}

pub(super) async fn ensure_flash_sale(api: &Api, inventory: &str) -> anyhow::Result<()> {
    let sales = api
        .all_pages(&format!("{inventory}/flash-sales?limit=100"))
        .await?;
    let open = sales.iter().find(|sale| {
        sale["sku"].as_str() == Some(SALE_SKU)
            && matches!(sale["status"].as_str(), Some("scheduled" | "active"))
    });
    if let Some(sale) = open {
        println!(
            "flash sale {SALE_SKU} exists: {} ({} of {} left, starts {})",
            sale["status"].as_str().unwrap_or("?"),
            sale["remaining"],
            sale["quantity"],
            sale["starts_at"].as_str().unwrap_or("?"),
        );
        println!(
            "           {inventory}/flash-sales/{}",
            sale["id"].as_str().unwrap_or("?")
        );
        return Ok(());
    }
    let now = OffsetDateTime::now_utc();
    let starts_at = rfc3339(now + SALE_STARTS_IN)?;
    let ends_at = rfc3339(now + SALE_STARTS_IN + SALE_LASTS)?;
    let body = json!({
        "sku": SALE_SKU,
        "quantity": SALE_QUANTITY,
        "price_cents": SALE_PRICE_CENTS,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "per_customer_limit": SALE_PER_CUSTOMER,
    });
    let reply = api
        .send(
            Method::POST,
            &format!("{inventory}/flash-sales"),
            Some(&body),
        )
        .await?
        .expect(&[StatusCode::CREATED], "creating the flash sale")?;
    println!(
        "flash sale {SALE_SKU} created: {SALE_QUANTITY} units at {} from {starts_at} to {ends_at}",
        dollars(SALE_PRICE_CENTS)
    );
    println!("           {inventory}/flash-sales/{}", reply.string("id")?);
    Ok(())
}
