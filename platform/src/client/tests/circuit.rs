//! The circuit breaker against a failing dependency and a cut connection.

use std::time::Duration;

use http::{Method, StatusCode};

use super::{fake::Reply, quick_settings, Harness, DEPENDENCY};
use crate::client::{BreakerState, ClientError, ClientSettings};

const DOWN: Reply = Reply::Status(StatusCode::SERVICE_UNAVAILABLE, "down");
const UP: Reply = Reply::Status(StatusCode::OK, "{}");

/// Fails `n` non-idempotent calls against a dependency answering 503.
async fn fail_calls(h: &Harness, n: u32) {
    for i in 0..n {
        let err = h.client.call(Method::POST, "/x").send().await.unwrap_err();
        assert!(
            matches!(err, ClientError::Unavailable { .. }),
            "call {i}: {err:?}"
        );
    }
}

#[tokio::test]
async fn the_breaker_opens_after_consecutive_failures_fails_fast_and_closes_when_the_dependency_is_back(
) {
    let h = Harness::start().await;
    let settings = quick_settings();
    h.dependency.set(|b| b.otherwise = DOWN);

    fail_calls(&h, settings.breaker_failure_threshold).await;
    assert_eq!(h.client.breaker_state(), BreakerState::Open);
    assert!(h
        .exposition()
        .contains(r#"storefront_client_breaker_state{dependency="inventory"} 1"#));

    let calls_before = h.dependency.calls();
    for _ in 0..3 {
        let err = h
            .client
            .call(Method::GET, "/x")
            .idempotent()
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                ClientError::CircuitOpen {
                    dependency: DEPENDENCY
                }
            ),
            "{err:?}"
        );
    }
    assert_eq!(
        h.dependency.calls(),
        calls_before,
        "an open breaker calls nobody"
    );
    assert_eq!(h.metrics.fast_failures(DEPENDENCY), 3);

    h.dependency.set(|b| b.otherwise = UP);
    tokio::time::sleep(settings.breaker_open_for + Duration::from_millis(50)).await;
    assert_eq!(h.client.breaker_state(), BreakerState::HalfOpen);
    let response = h.client.call(Method::GET, "/x").send().await.unwrap();

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(h.client.breaker_state(), BreakerState::Closed);
    assert_eq!(h.metrics.breaker_state(DEPENDENCY), 0);
    assert_eq!(h.dependency.calls(), calls_before + 1);
}

#[tokio::test]
async fn a_failed_trial_call_opens_the_breaker_again() {
    let h = Harness::start().await;
    let settings = quick_settings();
    h.dependency.set(|b| b.otherwise = DOWN);
    fail_calls(&h, settings.breaker_failure_threshold).await;

    tokio::time::sleep(settings.breaker_open_for + Duration::from_millis(50)).await;
    fail_calls(&h, 1).await;

    assert_eq!(h.client.breaker_state(), BreakerState::Open);
    let err = h.client.call(Method::GET, "/x").send().await.unwrap_err();
    assert!(matches!(err, ClientError::CircuitOpen { .. }), "{err:?}");
    assert_eq!(
        h.dependency.calls(),
        settings.breaker_failure_threshold as usize + 1
    );
}

#[tokio::test]
async fn a_call_that_succeeds_after_retries_does_not_count_as_a_failure() {
    let settings = ClientSettings {
        breaker_failure_threshold: 1,
        ..quick_settings()
    };
    let h = Harness::with(settings).await;
    h.dependency.script(&[DOWN, DOWN]);

    h.client
        .call(Method::GET, "/x")
        .idempotent()
        .send()
        .await
        .unwrap();

    assert_eq!(h.client.breaker_state(), BreakerState::Closed);
}

#[cfg(feature = "test-support")]
#[tokio::test]
async fn a_cut_connection_opens_the_breaker_and_calls_flow_again_once_it_is_restored() {
    use crate::{client::ServiceClient, testing::fault_proxy::FaultProxy};

    let h = Harness::start().await;
    let settings = quick_settings();
    let proxy = FaultProxy::for_url(&h.dependency.url).await;
    // Only the dependency is cut off; the token issuer stays reachable.
    let client = ServiceClient::new(
        DEPENDENCY,
        &proxy.proxied_url(&h.dependency.url),
        h.tokens.clone(),
        settings,
        h.metrics.clone(),
    );
    client.call(Method::GET, "/x").send().await.unwrap();

    proxy.cut();
    for i in 0..settings.breaker_failure_threshold {
        let err = client
            .call(Method::GET, "/x")
            .idempotent()
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                ClientError::Unavailable {
                    dependency: DEPENDENCY,
                    ..
                }
            ),
            "call {i}: {err:?}"
        );
    }
    assert_eq!(h.dependency.calls(), 1, "nothing got through the cut");
    assert!(
        h.metrics.requests(DEPENDENCY, "retry") > 0,
        "transport errors are retried"
    );
    assert_eq!(client.breaker_state(), BreakerState::Open);
    let err = client.call(Method::GET, "/x").send().await.unwrap_err();
    assert!(matches!(err, ClientError::CircuitOpen { .. }), "{err:?}");
    assert!(h.metrics.fast_failures(DEPENDENCY) > 0);

    proxy.restore();
    tokio::time::sleep(settings.breaker_open_for + Duration::from_millis(50)).await;
    client
        .call(Method::GET, "/x")
        .idempotent()
        .send()
        .await
        .unwrap();

    assert_eq!(client.breaker_state(), BreakerState::Closed);
    assert_eq!(h.dependency.calls(), 2);
}
