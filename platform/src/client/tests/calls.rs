//! What a call sends and what the caller gets back.

use axum::response::IntoResponse;
use http::{Method, StatusCode};
use serde::Deserialize;

use super::{fake::Reply, Harness, DEPENDENCY, USER_AGENT};
use crate::{client::ClientError, error::ApiError};

#[derive(Debug, Deserialize, PartialEq)]
struct Reservation {
    id: String,
    status: String,
}

#[tokio::test]
async fn the_request_id_and_the_service_token_are_sent_with_every_call() {
    let h = Harness::start().await;

    h.client
        .call(Method::GET, "/inventory/SKU-1")
        .request_id("req-123")
        .send()
        .await
        .unwrap();
    h.client
        .call(Method::GET, "/inventory/SKU-2")
        .request_id("")
        .send()
        .await
        .unwrap();

    let seen = h.dependency.seen();
    assert_eq!(seen[0].path, "/inventory/SKU-1");
    assert_eq!(seen[0].request_id.as_deref(), Some("req-123"));
    assert_eq!(seen[1].request_id, None, "an empty request id is not sent");
    for call in &seen {
        assert_eq!(call.authorization.as_deref(), Some("Bearer token-1"));
    }
}

#[tokio::test]
async fn every_call_and_token_fetch_names_the_calling_service_in_its_user_agent() {
    let h = Harness::start().await;

    h.client
        .call(Method::GET, "/inventory/SKU-1")
        .send()
        .await
        .unwrap();

    let seen = h.dependency.seen();
    assert_eq!(seen[0].user_agent.as_deref(), Some(USER_AGENT));
    assert_eq!(
        h.dependency.token_user_agents(),
        [Some(USER_AGENT.to_owned())]
    );
}

#[tokio::test]
async fn a_json_body_is_sent_and_a_json_answer_decoded() {
    let h = Harness::start().await;
    h.dependency.script(&[Reply::Status(
        StatusCode::CREATED,
        r#"{"id":"r-1","status":"held","expires_at":"2030-01-01T00:00:00Z"}"#,
    )]);

    let response = h
        .client
        .call(Method::POST, "/reservations?dry_run=false")
        .json(&serde_json::json!({"reference": "o-1", "items": [{"sku": "A", "quantity": 2}]}))
        .send()
        .await
        .unwrap();

    assert!(response.is_success());
    assert_eq!(response.status, StatusCode::CREATED);
    assert_eq!(
        response.json::<Reservation>().unwrap(),
        Reservation {
            id: "r-1".to_owned(),
            status: "held".to_owned()
        }
    );
    let seen = h.dependency.seen().pop().unwrap();
    assert_eq!(seen.method, Method::POST);
    assert_eq!(seen.path, "/reservations?dry_run=false");
    assert_eq!(seen.content_type.as_deref(), Some("application/json"));
    let sent: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(sent["items"][0]["quantity"], 2);
}

#[tokio::test]
async fn an_answer_that_is_not_the_expected_json_is_a_decode_error_naming_the_field() {
    let h = Harness::start().await;
    h.dependency
        .script(&[Reply::Status(StatusCode::OK, r#"{"id":"r-1","status":7}"#)]);

    let response = h
        .client
        .call(Method::GET, "/reservations/r-1")
        .send()
        .await
        .unwrap();
    let err = response.json::<Reservation>().unwrap_err();

    let ClientError::Decode { dependency, detail } = &err else {
        panic!("expected Decode, got {err:?}");
    };
    assert_eq!(*dependency, DEPENDENCY);
    assert!(detail.contains("status"), "{detail}");
}

#[tokio::test]
async fn the_client_metrics_appear_in_the_applications_registry() {
    let h = Harness::start().await;

    h.client.call(Method::GET, "/x").send().await.unwrap();

    let text = h.exposition();
    assert!(
        text.contains(r#"storefront_client_requests_total{dependency="inventory",outcome="ok"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"storefront_client_breaker_state{dependency="inventory"} 0"#),
        "{text}"
    );
    assert!(
        text.contains("storefront_client_request_duration_seconds"),
        "{text}"
    );
}

#[test]
fn an_unavailable_dependency_becomes_a_503_naming_it_and_a_decode_error_a_500() {
    let cases = [
        (
            ClientError::CircuitOpen {
                dependency: "catalog",
            },
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        (
            ClientError::Unavailable {
                dependency: "catalog",
                detail: "connection refused".to_owned(),
            },
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        (
            ClientError::Decode {
                dependency: "catalog",
                detail: "missing field".to_owned(),
            },
            StatusCode::INTERNAL_SERVER_ERROR,
        ),
    ];
    for (err, status) in cases {
        let case = format!("{err:?}");
        let api = ApiError::from(err);
        if let ApiError::Unavailable(what) = &api {
            assert_eq!(what, "the catalog service", "{case}");
        }
        assert_eq!(api.into_response().status(), status, "{case}");
    }
}
