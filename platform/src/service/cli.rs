//! A service's whole `main`: `serve` (the default), `openapi`,
//! `republish-parked-events`, and the service's own subcommands.

use clap::{FromArgMatches, Subcommand};

use super::{Application, Service, ServiceSettings};

/// The subcommands every service has.
#[derive(Debug, Subcommand)]
enum Shared {
    /// Serve the API and run the workers (the default).
    Serve,
    /// Print the OpenAPI document.
    Openapi,
    /// Put events SNS refused too often (parked, counted by
    /// `storefront_outbox_parked`) back in line, once their cause is fixed.
    RepublishParkedEvents,
}

/// A service with no subcommands of its own.
#[derive(Debug, Subcommand)]
pub enum NoCommands {}

/// Reads the service's settings and installs the log format they name: the
/// start of every subcommand that needs more than its arguments.
pub fn settings<S: Service>() -> anyhow::Result<S::Settings> {
    let settings = S::Settings::from_env()?;
    crate::telemetry::init(settings.common().log_format);
    Ok(settings)
}

/// Parses the command line and runs what it names; `own` runs the service's
/// own subcommands `C`.
pub async fn run<S, C, F, Fut>(about: &'static str, own: F) -> anyhow::Result<()>
where
    S: Service,
    C: Subcommand,
    F: FnOnce(C) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let command = C::augment_subcommands(Shared::augment_subcommands(
        clap::Command::new(S::NAME).about(about),
    ));
    let matches = command.get_matches();
    match matches.subcommand_name() {
        Some(name) if C::has_subcommand(name) => own(C::from_arg_matches(&matches)?).await,
        Some(_) => shared::<S>(Shared::from_arg_matches(&matches)?).await,
        None => shared::<S>(Shared::Serve).await,
    }
}

async fn shared<S: Service>(command: Shared) -> anyhow::Result<()> {
    match command {
        Shared::Openapi => {
            let json = super::document::<S>().to_pretty_json()?;
            std::io::Write::write_all(&mut std::io::stdout(), format!("{json}\n").as_bytes())?;
            Ok(())
        }
        Shared::RepublishParkedEvents => {
            let settings = settings::<S>()?;
            crate::outbox::republish_parked_command(&settings.common().database).await
        }
        Shared::Serve => {
            let app = Application::<S>::build(settings::<S>()?).await?;
            crate::server::cancel_on_signal(app.stop_token());
            app.run_until_stopped().await
        }
    }
}
