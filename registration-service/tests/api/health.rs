use serde_json::Value;

use crate::helpers::{registration, spawn_app, unique_email};

#[tokio::test]
async fn liveness_and_readiness_answer_ok_when_dependencies_are_up() {
    let app = spawn_app().await;

    let live = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();

    assert_eq!(live.status().as_u16(), 200);
    assert_eq!(ready.status().as_u16(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["checks"]["postgres"], "ok");
    assert_eq!(body["checks"]["redis"], "ok");
}

#[tokio::test]
async fn metrics_count_requests_per_route_and_expose_the_outbox_backlog() {
    let app = spawn_app().await;
    app.register(&registration(&unique_email())).await;

    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    assert!(
        text.contains(
            r#"storefront_http_requests_total{method="POST",route="/customers",status="201"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains("storefront_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("storefront_outbox_backlog"), "{text}");
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_the_callers() {
    let app = spawn_app().await;

    let generated = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    let propagated = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "caller-chosen-id")
        .send()
        .await
        .unwrap();

    assert!(!generated.headers()["x-request-id"].is_empty());
    assert_eq!(propagated.headers()["x-request-id"], "caller-chosen-id");
}

#[tokio::test]
async fn the_swagger_ui_and_its_spec_are_served() {
    let app = spawn_app().await;

    let ui = app
        .client
        .get(app.url("/docs/registration/"))
        .send()
        .await
        .unwrap();
    let spec: Value = app
        .client
        .get(app.url("/docs/registration/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(ui.status().as_u16(), 200);
    assert!(ui.text().await.unwrap().contains("swagger-ui"));
    assert!(spec["paths"]["/customers"]["post"].is_object());
}
