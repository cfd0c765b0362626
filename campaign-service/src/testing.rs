//! campaign-service in a test (feature `testing`): its settings in a
//! [`TestEnv`] and one call to start it (docs/architecture.md, "Testing rules").
//! Its mail goes from the environment's own sender domain, so a test reads
//! back only the emails it caused.

use platform::testing::{db::TestDatabase, Running, TestEnv};
use secrecy::SecretString;

use crate::{
    config::{EmailSettings, Settings},
    startup::Campaign,
};

/// `<prefix>.storefront.test`: the domain this environment's mail is from.
pub fn sender_domain(env: &TestEnv) -> String {
    format!("{}.storefront.test", env.prefix)
}

pub fn settings(env: &TestEnv, db: &TestDatabase) -> Settings {
    let domain = sender_domain(env);
    Settings {
        common: env.common("campaign-service", &db.url),
        jwks: env.jwks(),
        consumer_enabled: true,
        events_queue_url: env
            .messaging
            .provisioned
            .queue_url("campaign")
            .map(str::to_owned),
        email: EmailSettings {
            sender: format!("noreply@{domain}"),
            admin_alert_address: format!("ops@{domain}"),
            unsubscribe_secret: SecretString::from(format!("secret-{}", env.prefix)),
            public_base_url: "http://campaign.test".to_owned(),
        },
    }
}

/// Makes the emulator's SES accept mail from [`sender_domain`].
pub async fn verify_sender(env: &TestEnv) {
    platform::aws::ensure_email_identity(&env.messaging.sdk, &sender_domain(env))
        .await
        .expect("verifying the sender");
}

/// campaign-service on a database of its own, its sender verified.
pub async fn spawn(env: &TestEnv) -> Running<Campaign> {
    verify_sender(env).await;
    platform::testing::spawn_with_database::<Campaign>(|db| settings(env, db)).await
}
