use anyhow::Context;
use campaign_service::{config::Settings, openapi, startup::Application};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Storefront campaign-service")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and, unless CONSUMER_ENABLED=false, consume the queue (the default).
    Serve,
    /// Print the OpenAPI document.
    Openapi,
    /// Move every message of the queue's dead-letter queue back to the queue.
    RedriveDlq,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command.unwrap_or(Command::Serve) {
        Command::Openapi => {
            let json = openapi::document().to_pretty_json()?;
            std::io::Write::write_all(&mut std::io::stdout(), format!("{json}\n").as_bytes())?;
            Ok(())
        }
        Command::RedriveDlq => {
            let settings = Settings::from_env()?;
            platform::telemetry::init(settings.log_format);
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
        Command::Serve => {
            let settings = Settings::from_env()?;
            platform::telemetry::init(settings.log_format);
            let app = Application::build(settings).await?;
            platform::server::cancel_on_signal(app.stop_token());
            app.run_until_stopped().await
        }
    }
}
