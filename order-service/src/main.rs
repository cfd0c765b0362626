use clap::Subcommand;
use order_service::{reports, startup::Order};

#[derive(Subcommand)]
enum Own {
    /// Publish `report.daily_sales` for a UTC day (default: yesterday), once
    /// per day however often it runs.
    PublishDailyReport {
        /// The day, `YYYY-MM-DD`.
        #[arg(long)]
        date: Option<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::service::cli::run::<Order, Own, _, _>("Storefront order-service", |own| async move {
        match own {
            Own::PublishDailyReport { date } => publish_daily_report(date).await,
        }
    })
    .await
}

async fn publish_daily_report(date: Option<String>) -> anyhow::Result<()> {
    let settings = platform::service::cli::settings::<Order>()?;
    let day = match date {
        Some(raw) => reports::parse_day(&raw).map_err(anyhow::Error::msg)?,
        None => reports::yesterday(),
    };
    let published = reports::publish(&settings, day).await?;
    tracing::info!(%day, published, "daily sales report");
    Ok(())
}
