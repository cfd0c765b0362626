//! Consumes `catalog.product_created`: every new product gets a stock record at zero.

use platform::{
    consumer::{record_in_inbox, EventHandler, Handled},
    events::{payloads::ProductCreated, Envelope},
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
        if event.is::<ProductCreated>() {
            let ProductCreated(product) = event.payload()?;
            let raw = &product.sku;
            let sku = Sku::parse(raw)
                .map_err(|m| anyhow::anyhow!("product_created with a bad sku {raw:?}: {m}"))?;
            stock::ensure(&mut tx, sku.as_ref()).await?;
        }
        tx.commit().await?;
        Ok(Handled::Processed)
    }
}
