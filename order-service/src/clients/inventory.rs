//! inventory-service: stock holds (reserve, commit, release, return) and
//! flash-sale reservations.

use http::{Method, StatusCode};
use platform::client::{ClientResponse, ServiceClient};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::{detail, unexpected, CallError};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReservationItem {
    pub sku: String,
    pub quantity: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price_cents: Option<i64>,
}

/// A stock hold's status, as inventory-service reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HoldStatus {
    Held,
    Committed,
    Released,
    Expired,
    Returned,
}

/// What the order asks inventory-service to do with a hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldAction {
    /// The hold becomes a sale.
    Commit,
    /// An uncommitted hold goes back to stock.
    Release,
    /// A committed hold's units go back to stock.
    Return,
}

impl HoldAction {
    fn path(self) -> &'static str {
        match self {
            Self::Commit => "commit",
            Self::Release => "release",
            Self::Return => "return",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Reservation {
    pub id: Uuid,
    pub status: HoldStatus,
    pub owner_id: Uuid,
    pub flash_sale_id: Option<Uuid>,
    pub items: Vec<ReservationItem>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: time::OffsetDateTime,
}

#[derive(Clone)]
pub struct Inventory(pub ServiceClient);

impl Inventory {
    /// Holds stock for the order (reference = the order id: a repeat gives the same hold).
    pub async fn reserve(
        &self,
        order_id: Uuid,
        owner_id: Uuid,
        items: &[ReservationItem],
        ttl_seconds: i64,
        request_id: &str,
    ) -> Result<Uuid, CallError> {
        let body = json!({
            "reference": format!("order-{order_id}"),
            "owner_id": owner_id,
            "items": items,
            "ttl_seconds": ttl_seconds,
        });
        let response = self
            .0
            .call(Method::POST, "/reservations")
            .json(&body)
            .idempotent()
            .request_id(request_id)
            .send()
            .await?;
        match response.status {
            StatusCode::OK | StatusCode::CREATED => Ok(response.json::<Reservation>()?.id),
            StatusCode::CONFLICT => Err(CallError::Refused(shortages(&response))),
            StatusCode::NOT_FOUND => Err(CallError::Refused(format!(
                "an item is not stocked: {}",
                detail(&response)
            ))),
            _ => Err(unexpected("inventory", &response)),
        }
    }

    pub async fn reservation(
        &self,
        id: Uuid,
        request_id: &str,
    ) -> Result<Option<Reservation>, CallError> {
        let response = self
            .0
            .call(Method::GET, &format!("/reservations/{id}"))
            .idempotent()
            .request_id(request_id)
            .send()
            .await?;
        match response.status {
            StatusCode::OK => Ok(Some(response.json()?)),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(unexpected("inventory", &response)),
        }
    }

    /// A 409 (expired, released, already committed) is refused with
    /// inventory's reason.
    pub async fn act(
        &self,
        id: Uuid,
        action: HoldAction,
        request_id: &str,
    ) -> Result<(), CallError> {
        let path = format!("/reservations/{id}/{}", action.path());
        let response = self
            .0
            .call(Method::POST, &path)
            .idempotent()
            .request_id(request_id)
            .send()
            .await?;
        match response.status {
            StatusCode::OK => Ok(()),
            StatusCode::CONFLICT => Err(CallError::Refused(detail(&response))),
            _ => Err(unexpected("inventory", &response)),
        }
    }
}

fn shortages(response: &ClientResponse) -> String {
    let value: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or_default();
    let lines: Vec<String> = value["shortages"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|s| {
                    format!(
                        "{} ({} wanted, {} available)",
                        s["sku"].as_str().unwrap_or("?"),
                        s["requested"],
                        s["available"]
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if lines.is_empty() {
        format!("not enough stock: {}", detail(response))
    } else {
        format!("not enough stock for {}", lines.join(", "))
    }
}
