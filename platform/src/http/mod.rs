//! HTTP plumbing: the middleware stack, health and metrics routes, client address.

mod client_ip;
mod health;
mod layers;

pub use client_ip::{ClientIp, TrustedProxyHops};
pub use health::{health_router, HealthState};
pub use layers::{apply_layers, apply_layers_for, fallback, Surface, REQUEST_ID_HEADER};

mod service;
pub use service::service_router;

/// A request id extracted from the `x-request-id` header set by the request-id layer.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(RequestId(
            parts
                .headers
                .get(REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
        ))
    }
}
