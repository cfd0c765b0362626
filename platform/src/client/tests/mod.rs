//! The client against real HTTP servers started by each test.

mod callers;
mod calls;
mod circuit;
mod fake;
mod retries;
mod tokens;

use std::{sync::Arc, time::Duration};

use prometheus_client::{encoding::text::encode, registry::Registry};
use secrecy::SecretString;

use super::{ClientMetrics, ClientSettings, ServiceClient, TokenSource};
use fake::{FakeDependency, CLIENT_ID, CLIENT_SECRET};

/// The dependency every test calls.
const DEPENDENCY: &str = "inventory";

/// What the calling service calls itself.
const USER_AGENT: &str = "storefront-order/0.1.0";

/// Small numbers, so retries and open periods take milliseconds (the timeout
/// stays generous: tests that time out set their own).
fn quick_settings() -> ClientSettings {
    ClientSettings {
        timeout: Duration::from_secs(2),
        max_retries: 2,
        backoff_base: Duration::from_millis(5),
        breaker_failure_threshold: 3,
        breaker_open_for: Duration::from_millis(300),
    }
}

struct Harness {
    dependency: FakeDependency,
    client: ServiceClient,
    tokens: Arc<TokenSource>,
    metrics: Arc<ClientMetrics>,
    registry: Registry,
}

impl Harness {
    async fn start() -> Self {
        Self::with(quick_settings()).await
    }

    async fn with(settings: ClientSettings) -> Self {
        let dependency = FakeDependency::start().await;
        let tokens = Arc::new(token_source(&dependency.url, settings));
        let mut registry = Registry::with_prefix("storefront");
        let metrics = ClientMetrics::register(&mut registry);
        let client = ServiceClient::new(
            DEPENDENCY,
            &dependency.url,
            tokens.clone(),
            settings,
            metrics.clone(),
        );
        Self {
            dependency,
            client,
            tokens,
            metrics,
            registry,
        }
    }

    fn exposition(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).unwrap();
        out
    }
}

fn token_source(registration_url: &str, settings: ClientSettings) -> TokenSource {
    TokenSource::new(
        registration_url,
        CLIENT_ID.to_owned(),
        SecretString::from(CLIENT_SECRET),
        settings,
        USER_AGENT,
    )
}

/// A URL nothing listens on.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}
