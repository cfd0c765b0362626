//! The calls order-service makes to catalog, inventory and campaign, through
//! the resilient client in `platform` (timeouts, retries for idempotent
//! calls, circuit breaker, service token, request id).
//!
//! Every call here is idempotent: reservations on their reference (the order
//! id), redemptions on the order id, commit/release/return on the
//! reservation id. So each may be retried, and each saga step may be repeated.

mod campaign;
mod catalog;
mod inventory;

use platform::client::{ClientError, ClientResponse};

pub use campaign::Campaign;
pub use catalog::{Catalog, Product};
pub use inventory::{HoldAction, HoldStatus, Inventory, Reservation, ReservationItem};

/// Why a step could not go on.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The dependency is down, slow or refused for a reason that may pass:
    /// try again later.
    #[error("{0}")]
    Unavailable(String),
    /// The dependency answered no for good; the reason is for the customer.
    #[error("{0}")]
    Refused(String),
}

impl From<ClientError> for CallError {
    fn from(err: ClientError) -> Self {
        Self::Unavailable(err.to_string())
    }
}

/// The `detail` of a problem+json answer, or its status.
pub(crate) fn detail(response: &ClientResponse) -> String {
    serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|v| v["detail"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("status {}", response.status))
}

/// An answer no step expects (a 400, 403, 500...): logged and retried later,
/// since it means a fault on one side rather than a customer's mistake.
pub(crate) fn unexpected(dependency: &str, response: &ClientResponse) -> CallError {
    tracing::warn!(dependency, status = %response.status, detail = detail(response), "unexpected answer");
    CallError::Unavailable(format!(
        "{dependency} answered {}: {}",
        response.status,
        detail(response)
    ))
}

/// The three services order-service calls.
#[derive(Clone)]
pub struct Dependencies {
    pub catalog: Catalog,
    pub inventory: Inventory,
    pub campaign: Campaign,
}
