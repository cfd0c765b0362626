use clap::{Parser, Subcommand};
use inventory_service::{config::Settings, openapi, startup::Application};

#[derive(Parser)]
#[command(about = "Storefront inventory-service")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and run the workers (the default).
    Serve,
    /// Print the OpenAPI document.
    Openapi,
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
