use catalog_service::startup::{Catalog, MIGRATOR};
use clap::Subcommand;

#[derive(Subcommand)]
enum Own {
    /// Load a deterministic demo catalog (idempotent on SKU) for dev and benchmarks.
    Seed {
        /// How many products.
        #[arg(long, default_value_t = 3000)]
        count: usize,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::service::cli::run::<Catalog, Own, _, _>(
        "Storefront catalog-service",
        |own| async move {
            match own {
                Own::Seed { count } => seed(count).await,
            }
        },
    )
    .await
}

async fn seed(count: usize) -> anyhow::Result<()> {
    let settings = platform::service::cli::settings::<Catalog>()?;
    let pool = platform::db::pool(&settings.common.database)?;
    MIGRATOR.run(&pool).await?;
    let report = catalog_service::seed::run(&pool, count, &settings.common.shop_currency).await?;
    tracing::info!(
        inserted = report.inserted,
        already_there = report.already_there,
        categories = report.categories,
        "demo catalog loaded"
    );
    Ok(())
}
