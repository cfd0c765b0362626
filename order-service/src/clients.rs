//! The calls order-service makes to catalog, inventory and campaign, through
//! the resilient client in `platform` (timeouts, retries for idempotent
//! calls, circuit breaker, service token, request id).
//!
//! Every call here is idempotent: reservations on their reference (the order
//! id), redemptions on the order id, commit/release/return on the
//! reservation id. So each may be retried, and each saga step may be repeated.

use http::{Method, StatusCode};
use platform::client::{ClientError, ClientResponse, ServiceClient};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

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
fn detail(response: &ClientResponse) -> String {
    serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|v| v["detail"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("status {}", response.status))
}

/// An answer no step expects (a 400, 403, 500...): logged and retried later,
/// since it means a fault on one side rather than a customer's mistake.
fn unexpected(dependency: &str, response: &ClientResponse) -> CallError {
    tracing::warn!(dependency, status = %response.status, detail = detail(response), "unexpected answer");
    CallError::Unavailable(format!(
        "{dependency} answered {}: {}",
        response.status,
        detail(response)
    ))
}

#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub price_cents: i64,
    pub currency: String,
    pub active: bool,
}

#[derive(Debug, Deserialize)]
struct ProductPage {
    items: Vec<Product>,
}

#[derive(Clone)]
pub struct Catalog(pub ServiceClient);

impl Catalog {
    /// The product, or `None` when the catalog does not know it.
    pub async fn product(&self, id: Uuid, request_id: &str) -> Result<Option<Product>, CallError> {
        let response = self
            .0
            .call(Method::GET, &format!("/products/{id}"))
            .idempotent()
            .request_id(request_id)
            .send()
            .await?;
        match response.status {
            StatusCode::OK => Ok(Some(response.json()?)),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(unexpected("catalog", &response)),
        }
    }

    /// The active product with exactly this SKU, if any.
    pub async fn product_by_sku(
        &self,
        sku: &str,
        request_id: &str,
    ) -> Result<Option<Product>, CallError> {
        let query: String = url_query(&[("sku", sku), ("limit", "1")]);
        let response = self
            .0
            .call(Method::GET, &format!("/products?{query}"))
            .idempotent()
            .request_id(request_id)
            .send()
            .await?;
        if response.status != StatusCode::OK {
            return Err(unexpected("catalog", &response));
        }
        let page: ProductPage = response.json()?;
        Ok(page.items.into_iter().find(|p| p.sku == sku))
    }
}

fn url_query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let encoded: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={encoded}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

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

#[derive(Debug, Deserialize)]
struct Redemption {
    discount_cents: i64,
}

#[derive(Clone)]
pub struct Campaign(pub ServiceClient);

impl Campaign {
    /// Redeems `code` for the order; returns the discount.
    pub async fn redeem(
        &self,
        code: &str,
        order_id: Uuid,
        customer_id: Uuid,
        subtotal_cents: i64,
        currency: &str,
        request_id: &str,
    ) -> Result<i64, CallError> {
        let body = json!({
            "order_id": order_id,
            "customer_id": customer_id,
            "subtotal_cents": subtotal_cents,
            "currency": currency,
        });
        let response = self
            .0
            .call(Method::POST, &format!("/promo-codes/{code}/redemptions"))
            .json(&body)
            .idempotent()
            .request_id(request_id)
            .send()
            .await?;
        match response.status {
            StatusCode::OK | StatusCode::CREATED => {
                Ok(response.json::<Redemption>()?.discount_cents)
            }
            StatusCode::NOT_FOUND => Err(CallError::Refused(format!(
                "the promo code {code} does not exist"
            ))),
            StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY => {
                Err(CallError::Refused(format!(
                    "the promo code {code} cannot be used: {}",
                    detail(&response)
                )))
            }
            _ => Err(unexpected("campaign", &response)),
        }
    }

    /// Gives the redemption back (compensation; nothing to release is fine).
    pub async fn release(
        &self,
        code: &str,
        order_id: Uuid,
        request_id: &str,
    ) -> Result<(), CallError> {
        let response = self
            .0
            .call(
                Method::DELETE,
                &format!("/promo-codes/{code}/redemptions/{order_id}"),
            )
            .idempotent()
            .request_id(request_id)
            .send()
            .await?;
        match response.status {
            StatusCode::OK | StatusCode::NO_CONTENT | StatusCode::NOT_FOUND => Ok(()),
            _ => Err(unexpected("campaign", &response)),
        }
    }
}

/// The three services order-service calls.
#[derive(Clone)]
pub struct Dependencies {
    pub catalog: Catalog,
    pub inventory: Inventory,
    pub campaign: Campaign,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            url_query(&[("q", "MUG 1&x"), ("limit", "20")]),
            "q=MUG%201%26x&limit=20"
        );
    }
}
