use platform::FieldError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::PromoCode;

/// An offer as clients send and read it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OfferRequest {
    /// A percentage off the order subtotal (1 to 100).
    Percent {
        #[schema(minimum = 1, maximum = 100)]
        percent_off: i64,
    },
    /// A fixed amount off, in the shop currency's minor units.
    Fixed {
        #[schema(minimum = 1)]
        amount_off_cents: i64,
    },
}

/// A valid offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    Percent { percent_off: i32 },
    Fixed { amount_off_cents: i64 },
}

impl Offer {
    pub fn parse(request: &OfferRequest) -> Result<Self, FieldError> {
        match *request {
            OfferRequest::Percent { percent_off } if (1..=100).contains(&percent_off) => {
                Ok(Self::Percent {
                    percent_off: percent_off as i32,
                })
            }
            OfferRequest::Percent { .. } => Err(FieldError::new(
                "offer.percent_off",
                "must be between 1 and 100",
            )),
            OfferRequest::Fixed { amount_off_cents } if amount_off_cents > 0 => {
                Ok(Self::Fixed { amount_off_cents })
            }
            OfferRequest::Fixed { .. } => Err(FieldError::new(
                "offer.amount_off_cents",
                "must be above zero",
            )),
        }
    }

    pub fn to_request(self) -> OfferRequest {
        match self {
            Self::Percent { percent_off } => OfferRequest::Percent {
                percent_off: i64::from(percent_off),
            },
            Self::Fixed { amount_off_cents } => OfferRequest::Fixed { amount_off_cents },
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromoCodeRequest {
    /// 3 to 32 of A-Z, 0-9, `_`, `-` (stored upper case).
    pub code: String,
    /// Total redemptions allowed; none means unlimited.
    pub max_redemptions: Option<i64>,
    /// Redemptions allowed per customer; none means unlimited.
    pub per_customer_limit: Option<i64>,
    /// Smallest order subtotal the code applies to.
    pub min_order_cents: Option<i64>,
}

/// The body of `POST /campaigns`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Black Friday", "description": "20% off everything", "offer": {"kind": "percent", "percent_off": 20}, "starts_at": "2026-11-27T00:00:00Z", "ends_at": "2026-11-30T23:59:59Z", "promo_code": {"code": "BLACKFRIDAY", "max_redemptions": 1000, "per_customer_limit": 1, "min_order_cents": 5000}}))]
pub struct CampaignRequest {
    pub name: String,
    pub description: String,
    pub offer: OfferRequest,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub promo_code: Option<PromoCodeRequest>,
}

/// The body of `PATCH /campaigns/{id}`: only the fields to change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub offer: Option<OfferRequest>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub starts_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub ends_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
pub struct PromoCodeRules {
    pub code: PromoCode,
    pub max_redemptions: Option<i32>,
    pub per_customer_limit: Option<i32>,
    pub min_order_cents: i64,
}

#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub name: String,
    pub description: String,
    pub offer: Offer,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub promo_code: Option<PromoCodeRules>,
}

pub fn check_name(name: &str, errors: &mut Vec<FieldError>) -> String {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new("name", "must be 1 to 200 characters"));
    }
    name.to_owned()
}

pub fn check_description(description: &str, errors: &mut Vec<FieldError>) -> String {
    let description = description.trim();
    if description.chars().count() > 2000 {
        errors.push(FieldError::new(
            "description",
            "must be at most 2000 characters",
        ));
    }
    description.to_owned()
}

pub fn check_window(
    starts_at: OffsetDateTime,
    ends_at: OffsetDateTime,
    errors: &mut Vec<FieldError>,
) {
    if ends_at <= starts_at {
        errors.push(FieldError::new("ends_at", "must be after starts_at"));
    }
}

fn positive_i32(value: Option<i64>, field: &str, errors: &mut Vec<FieldError>) -> Option<i32> {
    match value {
        None => None,
        Some(v) if (1..=i64::from(i32::MAX)).contains(&v) => Some(v as i32),
        Some(_) => {
            errors.push(FieldError::new(field, "must be a positive whole number"));
            None
        }
    }
}

impl PromoCodeRules {
    fn parse(request: &PromoCodeRequest, errors: &mut Vec<FieldError>) -> Option<Self> {
        let code = PromoCode::parse(&request.code)
            .map_err(|m| errors.push(FieldError::new("promo_code.code", m)))
            .ok();
        let max_redemptions = positive_i32(
            request.max_redemptions,
            "promo_code.max_redemptions",
            errors,
        );
        let per_customer_limit = positive_i32(
            request.per_customer_limit,
            "promo_code.per_customer_limit",
            errors,
        );
        let min_order_cents = request.min_order_cents.unwrap_or(0);
        if min_order_cents < 0 {
            errors.push(FieldError::new(
                "promo_code.min_order_cents",
                "must not be negative",
            ));
        }
        Some(Self {
            code: code?,
            max_redemptions,
            per_customer_limit,
            min_order_cents,
        })
    }
}

impl TryFrom<CampaignRequest> for NewCampaign {
    type Error = Vec<FieldError>;

    fn try_from(body: CampaignRequest) -> Result<Self, Self::Error> {
        let mut errors = Vec::new();
        let name = check_name(&body.name, &mut errors);
        let description = check_description(&body.description, &mut errors);
        let offer = Offer::parse(&body.offer).map_err(|e| errors.push(e)).ok();
        check_window(body.starts_at, body.ends_at, &mut errors);
        let promo_code = body
            .promo_code
            .as_ref()
            .map(|p| PromoCodeRules::parse(p, &mut errors));
        match (offer, errors.is_empty()) {
            (Some(offer), true) => Ok(Self {
                name,
                description,
                offer,
                starts_at: body.starts_at,
                ends_at: body.ends_at,
                promo_code: promo_code.flatten(),
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn request() -> CampaignRequest {
        CampaignRequest {
            name: "Spring".to_owned(),
            description: "Flowers".to_owned(),
            offer: OfferRequest::Percent { percent_off: 10 },
            starts_at: datetime!(2026-03-01 0:00 UTC),
            ends_at: datetime!(2026-03-31 0:00 UTC),
            promo_code: None,
        }
    }

    fn fields(result: Result<NewCampaign, Vec<FieldError>>) -> Vec<String> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_valid_campaign_parses() {
        assert!(NewCampaign::try_from(request()).is_ok());
    }

    #[test]
    fn invalid_fields_are_each_reported() {
        let mut body = request();
        body.ends_at = body.starts_at;
        body.offer = OfferRequest::Percent { percent_off: 101 };
        body.promo_code = Some(PromoCodeRequest {
            code: "x".to_owned(),
            max_redemptions: Some(0),
            per_customer_limit: None,
            min_order_cents: Some(-1),
        });
        assert_eq!(
            fields(NewCampaign::try_from(body)),
            [
                "offer.percent_off",
                "ends_at",
                "promo_code.code",
                "promo_code.max_redemptions",
                "promo_code.min_order_cents"
            ]
        );
    }

    #[test]
    fn a_negative_fixed_amount_is_rejected() {
        let mut body = request();
        body.offer = OfferRequest::Fixed {
            amount_off_cents: -5,
        };
        assert_eq!(
            fields(NewCampaign::try_from(body)),
            ["offer.amount_off_cents"]
        );
    }
}
