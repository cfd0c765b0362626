use clap::{Parser, Subcommand};
use registration_service::{config::Settings, openapi, startup::Application};

#[derive(Parser)]
#[command(about = "Storefront registration-service")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Print the OpenAPI document.
    Openapi,
    /// Read a service client's secret on stdin and print its argon2id hash
    /// (for the `secret_hash` of an entry in `SERVICE_CLIENTS`).
    HashSecret,
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
        Command::HashSecret => {
            let mut secret = String::new();
            std::io::stdin().read_line(&mut secret)?;
            let secret = secret.trim_end_matches(['\r', '\n']);
            anyhow::ensure!(
                secret.len() >= 16,
                "a service secret needs at least 16 characters"
            );
            let hash = platform::auth::password::hash_blocking(secret)?;
            std::io::Write::write_all(&mut std::io::stdout(), format!("{hash}\n").as_bytes())?;
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
