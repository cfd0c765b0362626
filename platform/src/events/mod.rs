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
            "{} {} is not {}",
            self.event_type,
            self.id,
            P::TYPE
        );
        // Read from the borrowed value: no copy of the payload per message.
        P::deserialize(&self.data)
            .map_err(|e| anyhow::anyhow!("{} {} has an unexpected payload: {e}", P::TYPE, self.id))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use payloads::{OrderFailed, StockLow};

    fn envelope(event: &NewEvent) -> Envelope {
        Envelope {
            id: Uuid::now_v7(),
            event_type: event.event_type.to_owned(),
            version: event.version,
            source: "inventory-service".to_owned(),
            occurred_at: OffsetDateTime::now_utc(),
            aggregate_id: event.aggregate_id.clone(),
            sequence: event.sequence,
            correlation_id: event.correlation_id.clone(),
            data: event.data.clone(),
        }
    }

    #[test]
    fn a_payload_travels_as_its_type_and_version_and_reads_back_as_itself() {
        let low = StockLow {
            sku: "MUG-BLUE-350".to_owned(),
            available: 3,
            low_stock_threshold: 5,
        };

        let event = NewEvent::new(&low, "MUG-BLUE-350", 7, Some(String::new()));

        assert_eq!(event.event_type, "inventory.stock_low");
        assert_eq!(event.version, 1);
        assert_eq!(event.correlation_id, None, "an empty request id is none");
        assert_eq!(
            event.data,
            json!({"sku": "MUG-BLUE-350", "available": 3, "low_stock_threshold": 5})
        );
        assert_eq!(envelope(&event).payload::<StockLow>().unwrap(), low);
    }

    #[test]
    fn reading_an_event_as_another_type_or_a_broken_payload_is_an_error() {
        let low = StockLow {
            sku: "MUG-BLUE-350".to_owned(),
            available: 3,
            low_stock_threshold: 5,
        };
        let mut stock_low = envelope(&NewEvent::new(&low, "MUG-BLUE-350", 1, None));

        assert!(!stock_low.is::<OrderFailed>());
        let wrong_type = stock_low.payload::<OrderFailed>().unwrap_err();
        assert!(
            wrong_type.to_string().contains("is not order.failed"),
            "{wrong_type}"
        );
        stock_low.data = json!({"sku": "MUG-BLUE-350"});
        let broken = stock_low.payload::<StockLow>().unwrap_err();
        assert!(
            broken.to_string().contains("unexpected payload"),
            "{broken}"
        );
    }
}
