//! The event envelope every service publishes (DESIGN.md, "Events").

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// The SNS message body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T = serde_json::Value> {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub event_type: String,
    /// Version of the payload schema.
    pub version: i32,
    pub source: String,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub aggregate_id: String,
    /// Increases with every event of one aggregate.
    pub sequence: i64,
    pub correlation_id: Option<String>,
    pub data: T,
}

/// The SNS message attribute carrying the event type, for filter policies.
pub const EVENT_TYPE_ATTRIBUTE: &str = "event_type";

/// An event to be written to the outbox.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub event_type: &'static str,
    pub version: i32,
    pub aggregate_id: String,
    pub sequence: i64,
    pub correlation_id: Option<String>,
    pub data: serde_json::Value,
}
