//! The event envelope every service publishes, and the payloads it carries
//! (`payloads`; docs/events.md).

pub mod payloads;

use serde::{Deserialize, Serialize};

use payloads::Payload;
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

impl NewEvent {
    /// `payload` as the event of its type, `sequence` within `aggregate_id`.
    pub fn new<P: Payload>(
        payload: &P,
        aggregate_id: impl Into<String>,
        sequence: i64,
        correlation_id: Option<String>,
    ) -> Self {
        Self {
            event_type: P::TYPE,
            version: P::VERSION,
            aggregate_id: aggregate_id.into(),
            sequence,
            correlation_id: correlation_id.filter(|id| !id.is_empty()),
            // A payload is plain data: serialising it cannot fail.
            data: serde_json::to_value(payload).unwrap_or_default(),
        }
    }
}

impl<T> Envelope<T> {
    /// True when this envelope carries a `P`.
    pub fn is<P: Payload>(&self) -> bool {
        self.event_type == P::TYPE
    }
}

impl Envelope {
    /// The payload as a `P`, or why it is not one.
    pub fn payload<P: Payload>(&self) -> anyhow::Result<P> {
        anyhow::ensure!(
            self.is::<P>(),
            "a {} event is not a {}",
            self.event_type,
            P::TYPE
        );
        serde_json::from_value(self.data.clone())
            .map_err(|e| anyhow::anyhow!("{} {} has an unexpected payload: {e}", P::TYPE, self.id))
    }
}
