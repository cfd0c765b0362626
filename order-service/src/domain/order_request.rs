//! `POST /orders`.

use platform::FieldError;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{promo_code, AddressRequest, CardToken, ShippingAddress};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// `tok_visa` approves; `tok_declined` and `tok_insufficient_funds`
    /// decline; `tok_timeout` times out once, then approves.
    pub card_token: String,
}

/// Exactly one of `from: "cart"` or `reservation_id` (a flash-sale claim).
/// Prices, totals, statuses and the customer come from the platform, never
/// from this body: unknown fields are refused.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "from": "cart", "promo_code": "WELCOME10",
    "payment": {"card_token": "tok_visa"},
    "shipping_address": {"line1": "1 Main St", "city": "Toronto", "province": "ON", "postal_code": "M5V 2T6", "country": "CA"}
}))]
pub struct OrderRequest {
    /// `"cart"` to order the cart's contents; omit it with `reservation_id`.
    #[schema(pattern = "^cart$")]
    pub from: Option<String>,
    pub reservation_id: Option<Uuid>,
    pub promo_code: Option<String>,
    pub payment: PaymentRequest,
    pub shipping_address: AddressRequest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderSource {
    Cart,
    Reservation(Uuid),
}

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub source: OrderSource,
    pub promo_code: Option<String>,
    pub card: CardToken,
    pub address: ShippingAddress,
}

impl TryFrom<&OrderRequest> for NewOrder {
    type Error = Vec<FieldError>;

    fn try_from(body: &OrderRequest) -> Result<Self, Self::Error> {
        let mut errors = Vec::new();
        let source = match (body.from.as_deref(), body.reservation_id) {
            (Some("cart"), None) => Some(OrderSource::Cart),
            (None, Some(id)) => Some(OrderSource::Reservation(id)),
            (Some(_), Some(_)) => {
                errors.push(FieldError::new(
                    "from",
                    "give either `from: \"cart\"` or `reservation_id`, not both",
                ));
                None
            }
            (Some(_), None) => {
                errors.push(FieldError::new("from", "must be \"cart\""));
                None
            }
            (None, None) => {
                errors.push(FieldError::new(
                    "from",
                    "give `from: \"cart\"` or a `reservation_id`",
                ));
                None
            }
        };
        let promo_code = match body.promo_code.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => promo_code(raw)
                .map_err(|m| errors.push(FieldError::new("promo_code", m)))
                .ok(),
        };
        let card = CardToken::parse(body.payment.card_token.trim())
            .map_err(|m| errors.push(FieldError::new("payment.card_token", m)))
            .ok();
        let address =
            ShippingAddress::parse(&body.shipping_address, "shipping_address", &mut errors);
        match (source, card, address) {
            (Some(source), Some(card), Some(address)) if errors.is_empty() => Ok(Self {
                source,
                promo_code,
                card,
                address,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: serde_json::Value) -> OrderRequest {
        serde_json::from_value(json).unwrap()
    }

    fn base() -> serde_json::Value {
        serde_json::json!({
            "from": "cart",
            "payment": {"card_token": "tok_visa"},
            "shipping_address": {"line1": "1 Main St", "city": "Toronto", "postal_code": "M5V", "country": "CA"}
        })
    }

    #[test]
    fn a_cart_order_parses() {
        let order = NewOrder::try_from(&body(base())).unwrap();
        assert_eq!(order.source, OrderSource::Cart);
        assert_eq!(order.card.as_str(), "tok_visa");
    }

    #[test]
    fn both_sources_or_neither_is_refused() {
        let mut both = base();
        both["reservation_id"] = serde_json::json!(Uuid::nil());
        let errors = NewOrder::try_from(&body(both)).unwrap_err();
        assert_eq!(errors[0].field, "from");
        let mut neither = base();
        neither.as_object_mut().unwrap().remove("from");
        assert_eq!(
            NewOrder::try_from(&body(neither)).unwrap_err()[0].field,
            "from"
        );
    }

    #[test]
    fn a_client_supplied_price_or_status_is_an_unknown_field() {
        for field in ["total_cents", "status", "customer_id", "unit_price_cents"] {
            let mut json = base();
            json[field] = serde_json::json!(1);
            assert!(
                serde_json::from_value::<OrderRequest>(json).is_err(),
                "{field}"
            );
        }
    }

    #[test]
    fn a_malformed_card_token_is_named() {
        let mut json = base();
        json["payment"]["card_token"] = serde_json::json!("4242 4242 4242 4242");
        let errors = NewOrder::try_from(&body(json)).unwrap_err();
        assert_eq!(errors[0].field, "payment.card_token");
    }
}
