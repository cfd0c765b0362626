//! Product input: the bodies clients send and the checked values built from them.

use platform::FieldError;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Sku;

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 5000;
/// Ten million in major units: anything above is a typo, not a price.
pub const MAX_PRICE_CENTS: i64 = 1_000_000_000;
/// Serialised JSON size of `attributes`.
pub const MAX_ATTRIBUTES_BYTES: usize = 4096;
pub const MAX_IMAGE_URL_CHARS: usize = 2048;

/// The body of `POST /products`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"sku": "MUG-BLUE-350", "name": "Blue mug, 350 ml", "description": "A stoneware mug with a blue glaze.", "price_cents": 1250, "currency": "USD", "attributes": {"colour": "blue", "volume_ml": 350}, "image_url": "https://img.storefront.test/mug-blue.jpg", "active": true}))]
pub struct ProductRequest {
    /// 1 to 64 of A-Z, 0-9, `_`, `-` (stored upper case); unique.
    pub sku: String,
    /// 1 to 200 characters.
    pub name: String,
    /// Up to 5000 characters.
    #[serde(default)]
    pub description: String,
    /// Integer minor units, above zero.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub price_cents: i64,
    /// The shop's currency (ISO 4217).
    pub currency: String,
    pub category_id: Option<Uuid>,
    /// A JSON object of up to 4 KiB; numbers within ±9007199254740991.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Value>,
    /// An http(s) URL.
    pub image_url: Option<String>,
    /// Default true.
    pub active: Option<bool>,
}

/// The body of `PATCH /products/{id}`: only the fields to change (`null`
/// clears `category_id` and `image_url`). The SKU never changes.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"price_cents": 1100}))]
pub struct ProductPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub price_cents: Option<i64>,
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub category_id: Option<Option<Uuid>>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub image_url: Option<Option<String>>,
    pub active: Option<bool>,
}

/// A present field, possibly `null` (absent fields stay `None` by `default`).
fn nullable<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// Every product field but the SKU, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductFields {
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub category_id: Option<Uuid>,
    pub attributes: Value,
    pub image_url: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct NewProduct {
    pub sku: Sku,
    pub fields: ProductFields,
}

impl NewProduct {
    pub fn parse(body: ProductRequest, shop_currency: &str) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let sku = Sku::parse(&body.sku)
            .map_err(|m| errors.push(FieldError::new("sku", m)))
            .ok();
        let fields = ProductFields {
            name: check_name(&body.name, &mut errors),
            description: check_description(&body.description, &mut errors),
            price_cents: check_price(body.price_cents, &mut errors),
            currency: check_currency(&body.currency, shop_currency, &mut errors),
            category_id: body.category_id,
            attributes: check_attributes(
                body.attributes
                    .unwrap_or_else(|| Value::Object(Default::default())),
                &mut errors,
            ),
            image_url: check_image_url(body.image_url, &mut errors),
            active: body.active.unwrap_or(true),
        };
        match (sku, errors.is_empty()) {
            (Some(sku), true) => Ok(Self { sku, fields }),
            _ => Err(errors),
        }
    }
}

impl ProductPatch {
    /// `current` with this patch applied, checked as a whole.
    pub fn apply(
        self,
        current: ProductFields,
        shop_currency: &str,
    ) -> Result<ProductFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        let fields = ProductFields {
            name: match self.name {
                Some(name) => check_name(&name, &mut errors),
                None => current.name,
            },
            description: match self.description {
                Some(d) => check_description(&d, &mut errors),
                None => current.description,
            },
            price_cents: match self.price_cents {
                Some(p) => check_price(p, &mut errors),
                None => current.price_cents,
            },
            currency: match self.currency {
                Some(c) => check_currency(&c, shop_currency, &mut errors),
                None => current.currency,
            },
            category_id: self.category_id.unwrap_or(current.category_id),
            attributes: match self.attributes {
                Some(a) => check_attributes(a, &mut errors),
                None => current.attributes,
            },
            image_url: match self.image_url {
                Some(url) => check_image_url(url, &mut errors),
                None => current.image_url,
            },
            active: self.active.unwrap_or(current.active),
        };
        if errors.is_empty() {
            Ok(fields)
        } else {
            Err(errors)
        }
    }
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) -> String {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        errors.push(FieldError::new("name", "must be 1 to 200 characters"));
    }
    name.to_owned()
}

fn check_description(description: &str, errors: &mut Vec<FieldError>) -> String {
    let description = description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        errors.push(FieldError::new(
            "description",
            "must be at most 5000 characters",
        ));
    }
    description.to_owned()
}

fn check_price(price_cents: i64, errors: &mut Vec<FieldError>) -> i64 {
    if !(1..=MAX_PRICE_CENTS).contains(&price_cents) {
        errors.push(FieldError::new(
            "price_cents",
            "must be an integer from 1 to 1000000000 (minor units)",
        ));
    }
    price_cents
}

fn check_currency(currency: &str, shop_currency: &str, errors: &mut Vec<FieldError>) -> String {
    let currency = currency.trim().to_ascii_uppercase();
    if currency != shop_currency {
        errors.push(FieldError::new(
            "currency",
            format!("the shop sells in {shop_currency} only"),
        ));
    }
    currency
}

fn check_attributes(attributes: Value, errors: &mut Vec<FieldError>) -> Value {
    if !attributes.is_object() {
        errors.push(FieldError::new("attributes", "must be a JSON object"));
    } else if attributes.to_string().len() > MAX_ATTRIBUTES_BYTES {
        errors.push(FieldError::new(
            "attributes",
            "must be at most 4096 bytes of JSON",
        ));
    } else if !numbers_are_safe(&attributes) {
        errors.push(FieldError::new(
            "attributes",
            "numbers must be within ±9007199254740991",
        ));
    }
    attributes
}

/// Every number within ±(2^53 − 1): what any JSON client reads back exactly,
/// and what Postgres' `jsonb` hands back in a form serde can read (it
/// prints a huge float such as -1.7976931348623157e308 as 309 digits,
/// which no longer parses as a finite f64).
fn numbers_are_safe(value: &Value) -> bool {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    match value {
        Value::Number(n) => n.as_f64().is_some_and(|f| f.abs() <= MAX_SAFE),
        Value::Array(items) => items.iter().all(numbers_are_safe),
        Value::Object(fields) => fields.values().all(numbers_are_safe),
        _ => true,
    }
}

fn check_image_url(url: Option<String>, errors: &mut Vec<FieldError>) -> Option<String> {
    let url = url?.trim().to_owned();
    let valid = url.chars().count() <= MAX_IMAGE_URL_CHARS
        && url::Url::parse(&url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !valid {
        errors.push(FieldError::new(
            "image_url",
            "must be an http(s) URL of at most 2048 characters",
        ));
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(overrides: &Value) -> ProductRequest {
        let mut body =
            json!({"sku": "mug-1", "name": "Mug", "price_cents": 100, "currency": "usd"});
        for (k, v) in overrides.as_object().unwrap() {
            body[k] = v.clone();
        }
        serde_json::from_value(body).unwrap()
    }

    fn invalid_fields(overrides: &Value) -> Vec<String> {
        NewProduct::parse(request(overrides), "USD")
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_valid_request_is_normalised() {
        let product = NewProduct::parse(request(&json!({})), "USD").unwrap();
        assert_eq!(product.sku.as_ref(), "MUG-1");
        assert_eq!(product.fields.currency, "USD");
        assert!(product.fields.active);
        assert_eq!(product.fields.attributes, json!({}));
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            (json!({"price_cents": 0}), "price_cents", "zero price"),
            (json!({"price_cents": -5}), "price_cents", "negative price"),
            (json!({"currency": "EUR"}), "currency", "another currency"),
            (json!({"name": "  "}), "name", "blank name"),
            (json!({"name": "n".repeat(201)}), "name", "overlong name"),
            (
                json!({"description": "d".repeat(5001)}),
                "description",
                "overlong description",
            ),
            (json!({"sku": "a b"}), "sku", "sku with a space"),
            (
                json!({"attributes": [1]}),
                "attributes",
                "attributes not an object",
            ),
            (
                json!({"attributes": {"k": "v".repeat(5000)}}),
                "attributes",
                "huge attributes",
            ),
            (
                json!({"attributes": {"weight": -1.797_693_134_862_315_7e308}}),
                "attributes",
                "a number jsonb would not give back",
            ),
            (
                json!({"attributes": {"ids": [9_007_199_254_740_992_u64]}}),
                "attributes",
                "an integer past 2^53 - 1",
            ),
            (
                json!({"image_url": "ftp://x.test/a.png"}),
                "image_url",
                "not http",
            ),
            (json!({"image_url": "not a url"}), "image_url", "not a URL"),
        ];
        for (overrides, field, case) in cases {
            assert_eq!(invalid_fields(&overrides), vec![field.to_owned()], "{case}");
        }
    }

    #[test]
    fn a_patch_can_clear_nullable_fields_and_keeps_the_rest() {
        let current = NewProduct::parse(
            request(&json!({"image_url": "https://img.test/a.png"})),
            "USD",
        )
        .unwrap()
        .fields;
        let patch: ProductPatch =
            serde_json::from_value(json!({"image_url": null, "price_cents": 90})).unwrap();
        let next = patch.apply(current.clone(), "USD").unwrap();
        assert_eq!(next.image_url, None);
        assert_eq!(next.price_cents, 90);
        assert_eq!(next.name, current.name);
        let untouched: ProductPatch = serde_json::from_value(json!({})).unwrap();
        assert_eq!(untouched.apply(current.clone(), "USD").unwrap(), current);
    }
}
