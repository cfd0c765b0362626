//! Shipping addresses.

use platform::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressRequest {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub province: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. `CA`.
    pub country: String,
}

/// A checked address, as kept on the order and sent in `order.confirmed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShippingAddress {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub province: Option<String>,
    pub postal_code: String,
    pub country: String,
}

fn text(raw: &str, field: &str, max: usize, errors: &mut Vec<FieldError>) -> Option<String> {
    let value = raw.trim();
    if value.is_empty() || value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("must be 1 to {max} characters"),
        ));
        return None;
    }
    if value.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            "must not contain control characters",
        ));
        return None;
    }
    Some(value.to_owned())
}

fn optional(
    raw: Option<&str>,
    field: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match raw.map(str::trim) {
        None | Some("") => None,
        Some(value) => text(value, field, max, errors),
    }
}

impl ShippingAddress {
    /// Field names in errors are prefixed with `prefix` (e.g. `shipping_address`).
    pub fn parse(
        request: &AddressRequest,
        prefix: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<Self> {
        let before = errors.len();
        let field = |name: &str| format!("{prefix}.{name}");
        let line1 = text(&request.line1, &field("line1"), 200, errors);
        let line2 = optional(request.line2.as_deref(), &field("line2"), 200, errors);
        let city = text(&request.city, &field("city"), 100, errors);
        let province = optional(request.province.as_deref(), &field("province"), 100, errors);
        let postal_code = text(&request.postal_code, &field("postal_code"), 20, errors);
        let country = request.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            errors.push(FieldError::new(
                field("country"),
                "must be an ISO 3166-1 alpha-2 code such as `CA`",
            ));
        }
        if errors.len() > before {
            return None;
        }
        Some(Self {
            line1: line1?,
            line2,
            city: city?,
            province,
            postal_code: postal_code?,
            country,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> AddressRequest {
        AddressRequest {
            line1: " 1 Main St ".to_owned(),
            line2: Some(String::new()),
            city: "Toronto".to_owned(),
            province: Some("ON".to_owned()),
            postal_code: "M5V 2T6".to_owned(),
            country: "ca".to_owned(),
        }
    }

    #[test]
    fn a_good_address_is_trimmed_and_its_country_upper_cased() {
        let mut errors = Vec::new();
        let address = ShippingAddress::parse(&request(), "shipping_address", &mut errors).unwrap();
        assert!(errors.is_empty());
        assert_eq!(address.line1, "1 Main St");
        assert_eq!(address.line2, None);
        assert_eq!(address.country, "CA");
    }

    #[test]
    fn each_bad_field_is_named() {
        let mut bad = request();
        bad.city = " ".to_owned();
        bad.country = "Canada".to_owned();
        bad.postal_code = "x".repeat(21);
        let mut errors = Vec::new();
        assert!(ShippingAddress::parse(&bad, "shipping_address", &mut errors).is_none());
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "shipping_address.city",
                "shipping_address.postal_code",
                "shipping_address.country"
            ]
        );
    }
}
