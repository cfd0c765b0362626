//! Which failures are retried, and how a call ends when they persist.

use std::time::{Duration, Instant};

use http::{Method, StatusCode};

use super::{fake::Reply, quick_settings, Harness, DEPENDENCY};
use crate::client::{BreakerState, ClientError, ClientSettings};

#[tokio::test]
async fn an_idempotent_call_is_retried_after_a_503_and_then_succeeds() {
    let h = Harness::start().await;
    h.dependency
        .script(&[Reply::Status(StatusCode::SERVICE_UNAVAILABLE, "busy")]);

    let response = h
        .client
        .call(Method::GET, "/inventory/SKU-1")
        .idempotent()
        .send()
        .await
        .expect("the retry succeeds");

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(h.dependency.calls(), 2, "one failure, one retry");
    assert_eq!(h.metrics.requests(DEPENDENCY, "retry"), 1);
    assert_eq!(h.metrics.requests(DEPENDENCY, "ok"), 1);
}

#[tokio::test]
async fn idempotent_calls_are_retried_after_502_503_504_and_429() {
    for status in [
        StatusCode::BAD_GATEWAY,
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::GATEWAY_TIMEOUT,
        StatusCode::TOO_MANY_REQUESTS,
    ] {
        let h = Harness::start().await;
        h.dependency.script(&[Reply::Status(status, "")]);

        let response = h.client.call(Method::GET, "/x").idempotent().send().await;

        assert!(response.is_ok(), "after a {status}: {response:?}");
        assert_eq!(h.dependency.calls(), 2, "after a {status}");
    }
}

#[tokio::test]
async fn a_non_idempotent_call_is_not_retried_after_a_503() {
    let h = Harness::start().await;
    h.dependency
        .script(&[Reply::Status(StatusCode::SERVICE_UNAVAILABLE, "busy")]);

    let result = h
        .client
        .call(Method::POST, "/reservations")
        .json(&serde_json::json!({}))
        .send()
        .await;

    assert!(
        matches!(&result, Err(ClientError::Unavailable { dependency: DEPENDENCY, detail }) if detail.contains("busy")),
        "{result:?}"
    );
    assert_eq!(h.dependency.calls(), 1);
    assert_eq!(h.metrics.requests(DEPENDENCY, "retry"), 0);
}

#[tokio::test]
async fn a_call_failing_after_all_its_retries_is_unavailable_with_the_last_body() {
    let h = Harness::start().await;
    h.dependency.script(&[
        Reply::Status(StatusCode::SERVICE_UNAVAILABLE, "first"),
        Reply::Status(StatusCode::SERVICE_UNAVAILABLE, "second"),
    ]);
    h.dependency.set(|b| {
        b.otherwise = Reply::Status(StatusCode::SERVICE_UNAVAILABLE, "still down");
    });

    let err = h
        .client
        .call(Method::GET, "/x")
        .idempotent()
        .send()
        .await
        .unwrap_err();

    let ClientError::Unavailable { dependency, detail } = &err else {
        panic!("expected Unavailable, got {err:?}");
    };
    assert_eq!(*dependency, DEPENDENCY);
    assert!(
        detail.contains("503") && detail.contains("still down"),
        "{detail}"
    );
    assert_eq!(
        h.dependency.calls(),
        3,
        "the first attempt and max_retries = 2"
    );
    assert_eq!(h.metrics.requests(DEPENDENCY, "retry"), 2);
    assert_eq!(h.metrics.requests(DEPENDENCY, "error"), 1);
}

#[tokio::test]
async fn a_500_is_unavailable_without_a_retry() {
    let h = Harness::start().await;
    h.dependency.set(|b| {
        b.otherwise = Reply::Status(StatusCode::INTERNAL_SERVER_ERROR, "boom");
    });

    let err = h
        .client
        .call(Method::GET, "/x")
        .idempotent()
        .send()
        .await
        .unwrap_err();

    assert!(
        matches!(&err, ClientError::Unavailable { detail, .. } if detail.contains("boom")),
        "{err:?}"
    );
    assert_eq!(h.dependency.calls(), 1);
}

#[tokio::test]
async fn client_errors_are_handed_to_the_caller_without_retries_or_tripping_the_breaker() {
    let h = Harness::start().await;
    h.dependency.set(|b| {
        b.otherwise = Reply::Status(StatusCode::CONFLICT, r#"{"title":"Conflict"}"#);
    });
    let threshold = quick_settings().breaker_failure_threshold as usize;

    for _ in 0..threshold + 2 {
        let response = h
            .client
            .call(Method::GET, "/x")
            .idempotent()
            .send()
            .await
            .unwrap();
        assert_eq!(response.status, StatusCode::CONFLICT);
        assert!(!response.is_success());
    }

    assert_eq!(h.dependency.calls(), threshold + 2, "no retries");
    assert_eq!(h.client.breaker_state(), BreakerState::Closed);
}

#[tokio::test]
async fn a_timeout_is_unavailable_and_a_non_idempotent_call_is_not_retried_after_it() {
    let settings = ClientSettings {
        timeout: Duration::from_millis(200),
        ..quick_settings()
    };
    let h = Harness::with(settings).await;
    h.dependency
        .set(|b| b.otherwise = Reply::Slow(Duration::from_secs(5)));
    h.tokens.token().await.unwrap();

    let started = Instant::now();
    let err = h
        .client
        .call(Method::POST, "/payments")
        .send()
        .await
        .unwrap_err();

    assert!(
        matches!(&err, ClientError::Unavailable { detail, .. } if detail.contains("timed out")),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(h.dependency.calls(), 1);
}

#[tokio::test]
async fn an_idempotent_call_that_times_out_is_retried() {
    let settings = ClientSettings {
        timeout: Duration::from_millis(200),
        ..quick_settings()
    };
    let h = Harness::with(settings).await;
    h.dependency.script(&[Reply::Slow(Duration::from_secs(5))]);

    let response = h.client.call(Method::GET, "/x").idempotent().send().await;

    assert!(response.is_ok(), "{response:?}");
    assert_eq!(h.dependency.calls(), 2);
}

#[tokio::test]
async fn an_unreachable_dependency_is_unavailable_after_the_retries() {
    let h = Harness::start().await;
    let url = super::closed_port_url();
    let client = crate::client::ServiceClient::new(
        DEPENDENCY,
        &url,
        h.tokens.clone(),
        quick_settings(),
        h.metrics.clone(),
    );

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
        "{err:?}"
    );
    assert_eq!(h.metrics.requests(DEPENDENCY, "retry"), 2);
}

#[tokio::test]
async fn a_call_given_a_longer_limit_waits_for_a_slow_answer_in_one_attempt() {
    let settings = ClientSettings {
        timeout: Duration::from_millis(200),
        ..quick_settings()
    };
    let h = Harness::with(settings).await;
    h.dependency
        .script(&[Reply::Slow(Duration::from_millis(600))]);

    let response = h
        .client
        .call(Method::POST, "/orders")
        .idempotent()
        .timeout(Duration::from_secs(3))
        .send()
        .await;

    assert!(response.is_ok(), "{response:?}");
    assert_eq!(h.dependency.calls(), 1, "not cut short and retried");
}
