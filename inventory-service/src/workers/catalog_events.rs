//! Consumes `catalog.product_created`: every new product gets a stock record at zero.

use anyhow::Context;
use platform::{
    consumer::{record_in_inbox, EventHandler, Handled},
    events::Envelope,
};
use sqlx::PgPool;

use crate::{domain::Sku, repo::stock};

pub const CONSUMER: &str = "inventory-catalog";

pub struct CatalogEvents {
    pub pool: PgPool,
}

impl EventHandler for CatalogEvents {
    async fn handle(&self, event: Envelope) -> anyhow::Result<Handled> {
        let mut tx = self.pool.begin().await?;
        if !record_in_inbox(&mut tx, CONSUMER, &event).await? {
            return Ok(Handled::Duplicate);
        }
        if event.event_type == "catalog.product_created" {
            let raw = event.data["sku"]
                .as_str()
                .context("product_created without a sku")?;
            let sku = Sku::parse(raw)
                .map_err(|m| anyhow::anyhow!("product_created with a bad sku {raw:?}: {m}"))?;
            stock::ensure(&mut tx, sku.as_ref()).await?;
        }
        tx.commit().await?;
        Ok(Handled::Processed)
    }
}
