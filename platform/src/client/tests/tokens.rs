//! The service token: fetched once, shared, refreshed on a 401 and before expiry.

use std::{sync::Arc, time::Duration};

use futures::future::join_all;
use http::{Method, StatusCode};

use super::{closed_port_url, quick_settings, token_source, Harness, DEPENDENCY};
use crate::client::{BreakerState, ClientError, ServiceClient};

#[tokio::test]
async fn one_token_is_fetched_for_20_concurrent_calls_and_then_reused() {
    let h = Harness::start().await;
    h.dependency
        .set(|b| b.token_delay = Duration::from_millis(100));

    // Spawned, as handlers are: the call's future is Send.
    let results = join_all((0..20).map(|i| {
        let client = h.client.clone();
        tokio::spawn(async move { client.call(Method::GET, &format!("/x/{i}")).send().await })
    }))
    .await;
    let results: Vec<_> = results.into_iter().map(Result::unwrap).collect();
    for _ in 0..5 {
        h.client.call(Method::GET, "/x").send().await.unwrap();
    }

    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(h.dependency.token_fetches(), 1);
    assert_eq!(h.dependency.calls(), 25);
    assert!(h
        .dependency
        .seen()
        .iter()
        .all(|seen| seen.authorization.as_deref() == Some("Bearer token-1")));
}

#[tokio::test]
async fn concurrent_callers_share_one_failed_token_fetch_and_the_dependency_is_not_called() {
    let h = Harness::start().await;
    h.dependency.set(|b| {
        b.token_delay = Duration::from_millis(100);
        b.token_failure = Some(StatusCode::UNAUTHORIZED);
    });

    let results = join_all((0..10).map(|_| h.client.call(Method::GET, "/x").send())).await;

    for result in &results {
        assert!(
            matches!(result, Err(ClientError::Unavailable { dependency: "registration", detail }) if detail.contains("401")),
            "{result:?}"
        );
    }
    assert_eq!(h.dependency.token_fetches(), 1);
    assert_eq!(h.dependency.calls(), 0);
    assert_eq!(h.metrics.requests(DEPENDENCY, "no_token"), 10);
}

#[tokio::test]
async fn an_unreachable_token_issuer_is_unavailable_as_registration_and_does_not_trip_the_breaker()
{
    let h = Harness::start().await;
    let tokens = Arc::new(token_source(&closed_port_url(), quick_settings()));
    let client = ServiceClient::new(
        DEPENDENCY,
        &h.dependency.url,
        tokens,
        quick_settings(),
        h.metrics.clone(),
    );

    for _ in 0..quick_settings().breaker_failure_threshold + 1 {
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
                    dependency: "registration",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.dependency(), "registration");
    }

    assert_eq!(h.dependency.calls(), 0);
    assert_eq!(client.breaker_state(), BreakerState::Closed);
}

#[tokio::test]
async fn a_401_refreshes_the_token_and_the_call_is_made_again_even_when_not_idempotent() {
    let h = Harness::start().await;
    h.dependency.set(|b| {
        b.revoked.insert("token-1".to_owned());
    });

    let response = h
        .client
        .call(Method::POST, "/reservations")
        .json(&serde_json::json!({"reference": "o-1"}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(h.dependency.token_fetches(), 2);
    let seen = h.dependency.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer token-1"));
    assert_eq!(seen[1].authorization.as_deref(), Some("Bearer token-2"));
    assert_eq!(seen[1].body, seen[0].body, "the same body is sent again");
    assert_eq!(h.metrics.requests(DEPENDENCY, "reauth"), 1);
}

#[tokio::test]
async fn a_401_with_the_fresh_token_too_is_handed_to_the_caller_after_one_refresh() {
    let h = Harness::start().await;
    h.dependency.set(|b| b.revoke_all = true);

    let response = h
        .client
        .call(Method::GET, "/x")
        .idempotent()
        .send()
        .await
        .unwrap();

    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.dependency.token_fetches(), 2);
    assert_eq!(h.dependency.calls(), 2);
}

#[tokio::test]
async fn a_token_is_fetched_again_as_it_nears_its_expiry() {
    let h = Harness::start().await;
    // A 2 s token is used for half its life.
    h.dependency.set(|b| b.token_expires_in = 2);

    h.client.call(Method::GET, "/x").send().await.unwrap();
    h.client.call(Method::GET, "/x").send().await.unwrap();
    assert_eq!(h.dependency.token_fetches(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    h.client.call(Method::GET, "/x").send().await.unwrap();

    assert_eq!(h.dependency.token_fetches(), 2);
    let last = h.dependency.seen().pop().unwrap();
    assert_eq!(last.authorization.as_deref(), Some("Bearer token-2"));
}

#[tokio::test]
async fn invalidating_the_token_makes_the_next_call_fetch_a_new_one() {
    let h = Harness::start().await;
    assert_eq!(h.tokens.token().await.unwrap(), "token-1");
    assert_eq!(h.tokens.token().await.unwrap(), "token-1");

    h.tokens.invalidate();

    assert_eq!(h.tokens.token().await.unwrap(), "token-2");
    assert_eq!(h.dependency.token_fetches(), 2);
}

#[tokio::test]
async fn the_secret_never_shows_in_debug_output() {
    let h = Harness::start().await;
    let debug = format!("{:?}", h.tokens);
    assert!(debug.contains(super::CLIENT_ID));
    assert!(!debug.contains(super::CLIENT_SECRET));
}
