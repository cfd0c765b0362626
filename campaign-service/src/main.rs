use anyhow::Context;
use campaign_service::startup::Campaign;
use clap::Subcommand;

#[derive(Subcommand)]
enum Own {
    /// Move every message of the queue's dead-letter queue back to the queue.
    RedriveDlq,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::service::cli::run::<Campaign, Own, _, _>(
        "Storefront campaign-service",
        |own| async move {
            match own {
                Own::RedriveDlq => redrive_dlq().await,
            }
        },
    )
    .await
}

async fn redrive_dlq() -> anyhow::Result<()> {
    let settings = platform::service::cli::settings::<Campaign>()?;
    let queue_url = settings
        .events_queue_url
        .context("EVENTS_QUEUE_URL is required")?;
    let sdk = platform::aws::sdk_config(&settings.common.aws).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let moved = platform::consumer::redrive(
        &sqs,
        &platform::messaging::dlq_url_of(&queue_url),
        &queue_url,
    )
    .await?;
    tracing::info!(moved, "dead letters moved back to the queue");
    Ok(())
}
