//! The `data` of every event (docs/events.md), one type per event, used by
//! the service that produces it and every service that consumes it.
//!
//! None of these types denies unknown fields: a producer may add a field to a
//! payload within its version, and a consumer that rejected it would send the
//! message to the dead-letter queue instead of doing its work.

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// An event's payload: its `type` and schema version go with it.
pub trait Payload: Serialize + DeserializeOwned {
    const TYPE: &'static str;
    const VERSION: i32 = 1;
}

macro_rules! payload {
    ($($ty:ty => $name:literal),+ $(,)?) => {
        $(impl Payload for $ty {
            const TYPE: &'static str = $name;
        })+
    };
}

payload! {
    CustomerRegistered => "customer.registered",
    ProductCreated => "catalog.product_created",
    ProductUpdated => "catalog.product_updated",
    ProductDeleted => "catalog.product_deleted",
    StockLow => "inventory.stock_low",
    OrderConfirmed => "order.confirmed",
    OrderFailed => "order.failed",
    OrderCancelled => "order.cancelled",
    OrderShipped => "order.shipped",
    DailySales => "report.daily_sales",
}

/// `customer.registered`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRegistered {
    pub customer_id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub marketing_opt_in: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
}

/// `order.confirmed`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderConfirmed {
    pub order_id: Uuid,
    pub customer_id: Uuid,
    pub email: String,
    pub name: String,
    pub items: Vec<OrderItem>,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub total_cents: i64,
    pub currency: String,
    pub shipping_address: ShippingAddress,
    #[serde(with = "time::serde::rfc3339")]
    pub confirmed_at: OffsetDateTime,
}

/// One line of an order, at the price the order was charged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingAddress {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub province: Option<String>,
    pub postal_code: String,
    pub country: String,
}

/// `order.failed`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFailed {
    pub order_id: Uuid,
    pub customer_id: Uuid,
    pub email: String,
    /// The sentence shown to the customer, never an internal error.
    pub reason: String,
}

/// `order.cancelled`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCancelled {
    pub order_id: Uuid,
    pub customer_id: Uuid,
    pub email: String,
    pub name: String,
    pub refunded_cents: i64,
    pub currency: String,
    #[serde(with = "time::serde::rfc3339")]
    pub cancelled_at: OffsetDateTime,
}

/// `order.shipped`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderShipped {
    pub order_id: Uuid,
    pub customer_id: Uuid,
    pub email: String,
    pub name: String,
    pub carrier: String,
    pub tracking_number: String,
    #[serde(with = "time::serde::rfc3339")]
    pub shipped_at: OffsetDateTime,
}

/// A product as the catalog's events carry it: every field, after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogProduct {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub price_cents: i64,
    pub currency: String,
    pub active: bool,
}

/// `catalog.product_created`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProductCreated(pub CatalogProduct);

/// `catalog.product_updated`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProductUpdated(pub CatalogProduct);

/// `catalog.product_deleted`: the product as it now stands, inactive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProductDeleted(pub CatalogProduct);

/// `inventory.stock_low`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLow {
    pub sku: String,
    pub available: i64,
    pub low_stock_threshold: i64,
}

/// `report.daily_sales`, also served by `GET /reports/daily-sales`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DailySales {
    /// The UTC day reported on, `YYYY-MM-DD`.
    pub date: String,
    pub orders: i64,
    pub units: i64,
    /// Totals charged (after discounts).
    pub revenue_cents: i64,
    pub discount_cents: i64,
    pub currency: String,
    pub top_products: Vec<TopProduct>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TopProduct {
    pub sku: String,
    pub name: String,
    pub units: i64,
    /// quantity × unit price, before order discounts.
    pub revenue_cents: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use std::collections::BTreeSet;
    use time::macros::datetime;

    const EVENTS_DOC: &str = include_str!("../../../docs/events.md");

    /// The JSON example in the section of docs/events.md headed by `event_type`.
    fn documented_example(event_type: &str) -> Value {
        let heading = format!("### `{event_type}`");
        let section = EVENTS_DOC
            .split_once(&heading)
            .unwrap_or_else(|| panic!("docs/events.md has no section for {event_type}"))
            .1;
        let block = section
            .split_once("```json")
            .and_then(|(_, rest)| rest.split_once("```"))
            .unwrap_or_else(|| panic!("the {event_type} section has no JSON example"))
            .0;
        serde_json::from_str(block)
            .unwrap_or_else(|e| panic!("the {event_type} example is not JSON: {e}"))
    }

    /// Parses the documented example, and checks that serialising it back
    /// loses none of its fields.
    fn parses_documented_example<T: DeserializeOwned + Serialize>(event_type: &str) -> T {
        let example = documented_example(event_type);
        let parsed: T = serde_json::from_value(example.clone())
            .unwrap_or_else(|e| panic!("the {event_type} example does not parse: {e}"));
        let round_trip = serde_json::to_value(&parsed).expect("serialises");
        let keys = |value: &Value| -> BTreeSet<String> {
            value
                .as_object()
                .expect("an object")
                .keys()
                .cloned()
                .collect()
        };
        let (example_keys, round_trip_keys) = (keys(&example), keys(&round_trip));
        assert_eq!(example_keys, round_trip_keys, "{event_type}: fields differ");
        parsed
    }

    #[test]
    fn every_event_parses_from_its_documented_example_and_back() {
        let registered: CustomerRegistered = parses_documented_example("customer.registered");
        assert_eq!(
            registered.registered_at,
            datetime!(2026-11-21 23:58:01.120031 UTC)
        );
        let created: ProductCreated = parses_documented_example("catalog.product_created");
        assert_eq!(created.0.sku, "MUG-BLUE-350");
        let updated: ProductUpdated = parses_documented_example("catalog.product_updated");
        assert_eq!(updated.0.price_cents, 1100);
        let deleted: ProductDeleted = parses_documented_example("catalog.product_deleted");
        assert!(!deleted.0.active);
        parses_documented_example::<StockLow>("inventory.stock_low");
        let confirmed: OrderConfirmed = parses_documented_example("order.confirmed");
        assert_eq!(confirmed.items.len(), 2);
        assert_eq!(confirmed.shipping_address.province.as_deref(), Some("NY"));
        let failed: OrderFailed = parses_documented_example("order.failed");
        assert!(failed.reason.contains("declined"));
        parses_documented_example::<OrderCancelled>("order.cancelled");
        parses_documented_example::<OrderShipped>("order.shipped");
        let report: DailySales = parses_documented_example("report.daily_sales");
        assert_eq!(report.top_products[0].sku, "MUG-BLUE-350");
    }

    #[test]
    fn every_payload_type_has_a_documented_section_of_its_version() {
        fn section<P: Payload>() {
            let heading = format!("### `{}` (", P::TYPE);
            let line = EVENTS_DOC
                .lines()
                .find(|l| l.starts_with(&heading))
                .unwrap_or_else(|| panic!("docs/events.md has no section for {}", P::TYPE));
            assert!(
                line.ends_with(&format!("version {})", P::VERSION)),
                "{line}"
            );
        }
        section::<CustomerRegistered>();
        section::<ProductCreated>();
        section::<ProductUpdated>();
        section::<ProductDeleted>();
        section::<StockLow>();
        section::<OrderConfirmed>();
        section::<OrderFailed>();
        section::<OrderCancelled>();
        section::<OrderShipped>();
        section::<DailySales>();
    }

    #[test]
    fn an_added_field_is_ignored() {
        let data = json!({
            "sku": "MUG-BLUE-350",
            "available": 3,
            "low_stock_threshold": 5,
            "warehouse": "east"
        });

        let parsed: StockLow = serde_json::from_value(data).expect("tolerates new fields");

        assert_eq!(parsed.available, 3);
    }

    #[test]
    fn an_address_without_line2_or_province_parses() {
        let data = json!({
            "line1": "12 St James's Square",
            "city": "London",
            "postal_code": "SW1Y 4JH",
            "country": "GB"
        });

        let parsed: ShippingAddress = serde_json::from_value(data).expect("optional fields");

        assert_eq!(parsed.line2, None);
        assert_eq!(parsed.province, None);
    }

    #[test]
    fn a_timestamp_that_is_not_rfc3339_is_rejected() {
        let mut data = documented_example("order.shipped");
        data["shipped_at"] = json!("23/11/2026 15:40");

        let parsed = serde_json::from_value::<OrderShipped>(data);

        assert!(parsed.is_err());
    }

    #[test]
    fn a_registration_serialises_with_an_rfc3339_timestamp() {
        let event = CustomerRegistered {
            customer_id: Uuid::nil(),
            email: "ada@example.com".to_owned(),
            first_name: "Ada".to_owned(),
            last_name: "Lovelace".to_owned(),
            marketing_opt_in: false,
            registered_at: datetime!(2026-11-21 23:58:01 UTC),
        };

        let data = serde_json::to_value(&event).expect("serialises");

        assert_eq!(data["registered_at"], "2026-11-21T23:58:01Z");
    }
}
