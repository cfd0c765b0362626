//! A client with no identity of its own (the web shop's): each call carries
//! its caller's token, address and headers, and the caller's refusals come
//! back as they are.

use std::sync::Arc;

use http::{Method, StatusCode};
use prometheus_client::registry::Registry;

use super::{fake::FakeDependency, fake::Reply, quick_settings, DEPENDENCY};
use crate::client::{ClientMetrics, ServiceClient};

const WEB_AGENT: &str = "storefront-web/0.1.0";

async fn for_callers() -> (FakeDependency, ServiceClient) {
    let dependency = FakeDependency::start().await;
    let metrics = ClientMetrics::register(&mut Registry::default());
    let client = ServiceClient::for_callers(
        DEPENDENCY,
        &dependency.url,
        WEB_AGENT,
        quick_settings(),
        Arc::clone(&metrics),
    );
    (dependency, client)
}

#[tokio::test]
async fn a_call_carries_the_callers_token_address_and_headers_and_no_service_token() {
    let (dependency, client) = for_callers().await;
    client
        .call(Method::POST, "/orders")
        .on_behalf_of(Some("shopper-token"))
        .forwarded_for("203.0.113.9")
        .header("idempotency-key", "key-1")
        .send()
        .await
        .unwrap();
    client.call(Method::GET, "/products").send().await.unwrap();

    let seen = dependency.seen();
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some("Bearer shopper-token")
    );
    assert_eq!(seen[0].forwarded_for.as_deref(), Some("203.0.113.9"));
    assert_eq!(seen[0].idempotency_key.as_deref(), Some("key-1"));
    assert_eq!(seen[0].user_agent.as_deref(), Some(WEB_AGENT));
    assert_eq!(seen[1].authorization, None, "a guest's call has no token");
    assert_eq!(
        dependency.token_fetches(),
        0,
        "it never asks for a token of its own"
    );
}

#[tokio::test]
async fn the_callers_401_and_429_are_handed_over_without_retries() {
    let (dependency, client) = for_callers().await;
    dependency.script(&[
        Reply::Status(StatusCode::UNAUTHORIZED, r#"{"status":401}"#),
        Reply::Status(StatusCode::TOO_MANY_REQUESTS, r#"{"status":429}"#),
    ]);
    let unauthorised = client
        .call(Method::GET, "/customers/me")
        .on_behalf_of(Some("expired"))
        .idempotent()
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.status, StatusCode::UNAUTHORIZED);
    let limited = client
        .call(Method::POST, "/customers")
        .on_behalf_of(Some("shopper"))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(dependency.calls(), 2, "neither was retried");
}
