//! The AWS SDK configuration: the real AWS in production, the emulator locally.

use std::time::Duration;

use aws_config::{timeout::TimeoutConfig, BehaviorVersion, Region};

use crate::config::AwsSettings;

/// Loads the SDK configuration. With an endpoint override (the local
/// emulator) and no credentials in the environment, dummy credentials are
/// used so no credential provider probes the network.
pub async fn sdk_config(settings: &AwsSettings) -> aws_config::SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(12))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .timeout_config(timeouts);
    if let Some(endpoint) = &settings.endpoint_url {
        loader = loader.endpoint_url(endpoint);
        let has_env_credentials = std::env::var_os("AWS_ACCESS_KEY_ID").is_some();
        if !has_env_credentials {
            loader = loader.credentials_provider(aws_sdk_sns::config::Credentials::new(
                "test",
                "test",
                None,
                None,
                "local-emulator",
            ));
        }
    }
    loader.load().await
}

/// Creates the SES identity (a domain or an address) if it does not exist;
/// the emulator then accepts mail from it. In AWS, Terraform owns identities.
pub async fn ensure_email_identity(
    sdk: &aws_config::SdkConfig,
    identity: &str,
) -> anyhow::Result<()> {
    let ses = aws_sdk_sesv2::Client::new(sdk);
    if ses
        .get_email_identity()
        .email_identity(identity)
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    ses.create_email_identity()
        .email_identity(identity)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("creating the SES identity {identity}: {e}"))?;
    Ok(())
}
