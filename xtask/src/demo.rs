//! `cargo xtask demo-data`: load a demo shop into a running platform through its HTTP APIs.
//!
//! It logs in as the admin, then makes categories and products (catalog),
//! their stock (inventory), a live campaign with the promo code `WELCOME10`
//! (campaign) and an upcoming flash sale (inventory). What already exists is
//! kept, so it can run again: a product or category that is there (409) is
//! looked up instead, stock is set back to the demo levels, an expired
//! campaign is reopened and a second flash sale is only made once the last
//! one has ended.

use anyhow::Context;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use crate::services::{services, ADMIN_EMAIL, ADMIN_PASSWORD};

mod api;
mod campaign;
mod catalog;
mod data;
mod inventory;

use api::Api;
use campaign::ensure_campaign;
use catalog::{ensure_categories, ensure_products};
use data::{PRODUCTS, PROMO_PERCENT_OFF};
use inventory::{ensure_flash_sale, set_stock};

pub use data::PROMO_CODE;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// One base URL for every service, e.g. the compose gateway `http://127.0.0.1:8080`.
    /// Without it each service is called on its own port on 127.0.0.1.
    #[arg(long)]
    base_url: Option<String>,
    /// registration-service (overrides --base-url).
    #[arg(long)]
    registration_url: Option<String>,
    /// catalog-service (overrides --base-url).
    #[arg(long)]
    catalog_url: Option<String>,
    /// inventory-service (overrides --base-url).
    #[arg(long)]
    inventory_url: Option<String>,
    /// campaign-service (overrides --base-url).
    #[arg(long)]
    campaign_url: Option<String>,
    #[arg(long, default_value = ADMIN_EMAIL)]
    admin_email: String,
    #[arg(long, default_value = ADMIN_PASSWORD)]
    admin_password: String,
}

impl DemoArgs {
    fn url(&self, service: &str, explicit: Option<&String>) -> String {
        let url = explicit
            .or(self.base_url.as_ref())
            .cloned()
            .unwrap_or_else(|| {
                services()
                    .iter()
                    .find(|s| s.name == service)
                    .map(crate::services::Service::url)
                    .unwrap_or_default()
            });
        url.trim_end_matches('/').to_owned()
    }
}

impl DemoArgs {
    /// The demo shop loaded into services at these addresses, as the local admin.
    pub fn for_services(
        registration: &str,
        catalog: &str,
        inventory: &str,
        campaign: &str,
    ) -> Self {
        Self {
            base_url: None,
            registration_url: Some(registration.to_owned()),
            catalog_url: Some(catalog.to_owned()),
            inventory_url: Some(inventory.to_owned()),
            campaign_url: Some(campaign.to_owned()),
            admin_email: ADMIN_EMAIL.to_owned(),
            admin_password: ADMIN_PASSWORD.to_owned(),
        }
    }
}

pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()
        .context("starting the tokio runtime")?
        .block_on(load(args))
}

pub async fn load(args: &DemoArgs) -> anyhow::Result<()> {
    let registration = args.url("registration", args.registration_url.as_ref());
    let catalog = args.url("catalog", args.catalog_url.as_ref());
    let inventory = args.url("inventory", args.inventory_url.as_ref());
    let campaign = args.url("campaign", args.campaign_url.as_ref());

    let mut api = Api::new()?;
    api.log_in(&registration, &args.admin_email, &args.admin_password)
        .await?;
    println!("Logged in as {}.", args.admin_email);

    let categories = ensure_categories(&api, &catalog).await?;
    let products = ensure_products(&api, &catalog, &categories).await?;
    set_stock(&api, &inventory).await?;
    ensure_campaign(&api, &campaign).await?;
    ensure_flash_sale(&api, &inventory).await?;

    println!();
    println!("Demo data is ready. Products ({catalog}/products):");
    println!("{:<18} {:<38} {:>9}  id", "sku", "name", "price");
    for product in PRODUCTS {
        let id = products.get(product.sku).map_or("?", String::as_str);
        println!(
            "{:<18} {:<38} {:>9}  {id}",
            product.sku,
            product.name,
            dollars(product.price_cents)
        );
    }
    println!("Promo code {PROMO_CODE}: {PROMO_PERCENT_OFF}% off, at checkout.");
    Ok(())
}

fn rfc3339(at: OffsetDateTime) -> anyhow::Result<String> {
    // Whole seconds: easier to read in the output.
    let at = at.replace_nanosecond(0).context("rounding a timestamp")?;
    at.format(&Rfc3339).context("formatting a timestamp")
}

fn dollars(cents: i64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}
