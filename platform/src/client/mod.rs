//! The resilient client services call each other with (docs/architecture.md, "Checkout
//! saga"): a service token on every call, a timeout per attempt, retries with
//! full-jitter backoff for idempotent calls only, a circuit breaker per
//! dependency, and the caller's request id passed on.

mod breaker;
mod call;
mod metrics;
mod token;
mod transport;

#[cfg(test)]
mod tests;

use std::time::Duration;

use bytes::Bytes;
use serde::de::DeserializeOwned;

pub use breaker::BreakerState;
pub use call::{Call, ServiceClient};
pub use metrics::ClientMetrics;
pub use token::TokenSource;

use crate::error::ApiError;

/// How one client talks to one dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientSettings {
    /// The limit on one attempt, from connecting to the last byte of the body.
    pub timeout: Duration,
    /// Extra attempts an idempotent call may make after a transient failure.
    pub max_retries: u32,
    /// Retry `n` (from 0) waits a random time in `[0, backoff_base * 2^n]`.
    pub backoff_base: Duration,
    /// Consecutive failed calls that open the breaker.
    pub breaker_failure_threshold: u32,
    /// How long an open breaker refuses calls before it lets one trial through.
    pub breaker_open_for: Duration,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(3),
            max_retries: 2,
            backoff_base: Duration::from_millis(50),
            breaker_failure_threshold: 5,
            breaker_open_for: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Transport error, timeout, or a 5xx / 429 still failing after the
    /// retries: the dependency is down or overloaded.
    #[error("{dependency} is unavailable: {detail}")]
    Unavailable {
        dependency: &'static str,
        detail: String,
    },
    /// The breaker is open: failed fast without a network call.
    #[error("{dependency} is failing; not called while its circuit breaker is open")]
    CircuitOpen { dependency: &'static str },
    /// The response could not be decoded.
    #[error("the response of {dependency} could not be decoded: {detail}")]
    Decode {
        dependency: &'static str,
        detail: String,
    },
}

impl ClientError {
    pub fn dependency(&self) -> &'static str {
        match self {
            Self::Unavailable { dependency, .. }
            | Self::CircuitOpen { dependency }
            | Self::Decode { dependency, .. } => dependency,
        }
    }
}

/// A dependency that is down answers 503 naming it; an answer we cannot read
/// is our bug or theirs, so it is an opaque 500 logged with its cause.
impl From<ClientError> for ApiError {
    fn from(err: ClientError) -> Self {
        if matches!(err, ClientError::Decode { .. }) {
            return ApiError::Unexpected(anyhow::Error::new(err));
        }
        tracing::debug!(error = %err, "dependency unavailable");
        ApiError::Unavailable(format!("the {} service", err.dependency()))
    }
}

/// A response the caller interprets: 2xx, 3xx, and 4xx other than 401 and 429
/// (a 401 that persists after a fresh token is handed over too). A client
/// made with [`ServiceClient::for_callers`] hands over 401 and 429 as they come.
#[derive(Debug, Clone)]
pub struct ClientResponse {
    pub status: http::StatusCode,
    pub body: Bytes,
    /// Who answered, so a decoding error can name them.
    pub dependency: &'static str,
}

impl ClientResponse {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        let de = &mut serde_json::Deserializer::from_slice(&self.body);
        serde_path_to_error::deserialize(de).map_err(|e| ClientError::Decode {
            dependency: self.dependency,
            detail: format!("status {}: {e}", self.status),
        })
    }

    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// The body as text, lossily (for error details and logs).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}
