//! `cargo xtask bootstrap-aws`: creates the messaging topology of
//! `infra/messaging.yaml` (topics, queues, dead-letter queues, subscriptions)
//! and the SES sender identity on the AWS emulator, then prints what it made.
//! Safe to run again. docker/compose.yaml runs it once (as `xtask
//! bootstrap-aws` in its `bootstrap` container) before the services start;
//! `cargo xtask dev` does the same in-process. In AWS, Terraform owns these.

use std::time::{Duration, Instant};

use anyhow::Context;
use platform::messaging::{Provisioned, Topology};

use crate::local::AWS_REGION;
use crate::services::SENDER_DOMAIN;

/// How long to keep trying while the emulator is still starting.
const RETRY_FOR: Duration = Duration::from_secs(30);

#[derive(clap::Args)]
pub struct BootstrapArgs {
    /// The AWS emulator's endpoint.
    #[arg(
        long,
        env = "AWS_ENDPOINT_URL",
        default_value = "http://127.0.0.1:4566"
    )]
    endpoint_url: String,
    #[arg(long, env = "AWS_REGION", default_value = AWS_REGION)]
    region: String,
    /// Names are `<prefix>-<service>-events` (`local` is what `cargo xtask dev` uses).
    #[arg(long, default_value = "local")]
    prefix: String,
    /// The SES identity (a domain or an address) local emails are sent from.
    #[arg(long, default_value = SENDER_DOMAIN)]
    email_identity: String,
}

pub fn run(args: &BootstrapArgs) -> anyhow::Result<()> {
    // Embedded at build time, so the command also works from a container
    // image that holds only the binary.
    let topology = Topology::repository().context("reading infra/messaging.yaml")?;
    let provisioned = tokio::runtime::Runtime::new()
        .context("starting the tokio runtime")?
        .block_on(bootstrap(args, &topology))?;
    print_provisioned(&provisioned, &args.email_identity);
    Ok(())
}

async fn bootstrap(args: &BootstrapArgs, topology: &Topology) -> anyhow::Result<Provisioned> {
    let aws = platform::config::AwsSettings {
        region: args.region.clone(),
        endpoint_url: Some(args.endpoint_url.clone()),
    };
    let sdk = platform::aws::sdk_config(&aws).await;
    let deadline = Instant::now() + RETRY_FOR;
    loop {
        let attempt = async {
            let provisioned = platform::messaging::bootstrap(&sdk, topology, &args.prefix)
                .await
                .context("creating topics and queues")?;
            platform::aws::ensure_email_identity(&sdk, &args.email_identity)
                .await
                .context("creating the SES sender identity")?;
            anyhow::Ok(provisioned)
        };
        match attempt.await {
            Ok(provisioned) => return Ok(provisioned),
            Err(e) if Instant::now() < deadline => {
                println!("{} not ready ({e:#}); retrying...", args.endpoint_url);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => {
                return Err(e).with_context(|| format!("bootstrapping {}", args.endpoint_url))
            }
        }
    }
}

fn print_provisioned(provisioned: &Provisioned, email_identity: &str) {
    for (service, arn) in &provisioned.topics {
        println!("topic {service:<14} {arn}");
    }
    for (service, url) in &provisioned.queues {
        println!("queue {service:<14} {url}");
    }
    for (service, url) in &provisioned.dead_letter_queues {
        println!("dlq   {service:<14} {url}");
    }
    println!("SES identity {email_identity}");
}
