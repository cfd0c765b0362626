//! Parse, don't validate: request bodies become these types or a list of
//! field errors; and the order's lifecycle states (`lifecycle`).

mod address;
mod card;
mod lifecycle;
mod order_request;

pub use address::{AddressRequest, ShippingAddress};
pub use card::CardToken;
pub use lifecycle::{OrderStatus, PaymentStatus, ShipmentStatus, Source, Step, StockStatus};
pub use order_request::{NewOrder, OrderRequest, OrderSource, PaymentRequest};

/// A cart line's quantity: 1 to 100.
pub fn cart_quantity(raw: i64) -> Result<i32, &'static str> {
    match i32::try_from(raw) {
        Ok(q) if (1..=MAX_LINE_QUANTITY).contains(&q) => Ok(q),
        _ => Err("must be between 1 and 100"),
    }
}

pub const MAX_LINE_QUANTITY: i32 = 100;
/// Distinct products a cart can hold.
pub const MAX_CART_LINES: i64 = 50;

/// A promo code as the campaign service spells it: 3 to 32 of A-Z, 0-9, `_`, `-`.
pub fn promo_code(raw: &str) -> Result<String, &'static str> {
    let code = raw.trim().to_ascii_uppercase();
    if !(3..=32).contains(&code.len()) {
        return Err("must be 3 to 32 characters");
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        return Err("may contain only letters, digits, `_` and `-`");
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cart_quantities_are_between_one_and_a_hundred() {
        assert_eq!(cart_quantity(1), Ok(1));
        assert_eq!(cart_quantity(100), Ok(100));
        assert!(cart_quantity(0).is_err());
        assert!(cart_quantity(-1).is_err());
        assert!(cart_quantity(101).is_err());
        assert!(cart_quantity(i64::MAX).is_err());
    }

    #[test]
    fn promo_codes_are_normalised_like_the_campaign_service_does() {
        assert_eq!(promo_code(" welcome10 ").unwrap(), "WELCOME10");
        assert!(promo_code("ab").is_err());
        assert!(promo_code("DROP TABLE").is_err());
    }
}
