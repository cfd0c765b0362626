//! web-service in a test (feature `testing`): its settings in a [`TestEnv`],
//! calling the services at `upstreams` (docs/architecture.md, "Testing rules").

use std::time::Duration;

use platform::testing::{Running, TestEnv};

use crate::{
    config::{Settings, Upstreams},
    startup::Web,
};

pub fn settings(env: &TestEnv, upstreams: Upstreams) -> Settings {
    let mut common = env.common("web-service", "");
    // As behind the load balancer: the shopper's address is the last hop.
    common.http.trusted_proxy_hops = 1;
    Settings {
        common,
        upstreams,
        client: platform::client::ClientSettings {
            timeout: Duration::from_secs(5),
            max_retries: 1,
            backoff_base: Duration::from_millis(20),
            breaker_failure_threshold: 5,
            breaker_open_for: Duration::from_secs(1),
        },
        session_ttl: Duration::from_secs(3600),
        secure_cookies: false,
    }
}

pub async fn spawn(env: &TestEnv, upstreams: Upstreams) -> Running<Web> {
    platform::testing::spawn::<Web>(settings(env, upstreams)).await
}
