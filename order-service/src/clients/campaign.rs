//! campaign-service: promo code redemptions and their release.

use http::{Method, StatusCode};
use platform::client::ServiceClient;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{detail, unexpected, CallError};

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
