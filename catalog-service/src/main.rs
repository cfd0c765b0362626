use catalog_service::{config::Settings, openapi, startup::Application};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Storefront catalog-service")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and relay events (the default).
    Serve,
    /// Print the OpenAPI document.
    Openapi,
    /// Load a deterministic demo catalog (idempotent on SKU) for dev and benchmarks.
    Seed {
        /// How many products.
        #[arg(long, default_value_t = 3000)]
        count: usize,
    },
    /// Put events SNS refused too often (parked, counted by
    /// `storefront_outbox_parked`) back in line, once their cause is fixed.
    RepublishParkedEvents,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command.unwrap_or(Command::Serve) {
        Command::Openapi => {
            let json = openapi::document().to_pretty_json()?;
            std::io::Write::write_all(&mut std::io::stdout(), format!("{json}\n").as_bytes())?;
            Ok(())
        }
        Command::Seed { count } => {
            let settings = Settings::from_env()?;
            platform::telemetry::init(settings.log_format);
            let pool = platform::db::pool(&settings.common.database)?;
            catalog_service::startup::MIGRATOR.run(&pool).await?;
            let report = catalog_service::seed::run(&pool, count, &settings.shop_currency).await?;
            tracing::info!(
                inserted = report.inserted,
                already_there = report.already_there,
                categories = report.categories,
                "demo catalog loaded"
            );
            Ok(())
        }
        Command::RepublishParkedEvents => {
            let settings = Settings::from_env()?;
            platform::telemetry::init(settings.log_format);
            platform::outbox::republish_parked_command(&settings.common.database).await
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
