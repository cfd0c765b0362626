//! The notice that an order has shipped, with its carrier and tracking number.

use super::layout::{greeting, Body, RenderedEmail, SHOP};
use super::text::{format_date, single_line};
use platform::events::payloads::OrderShipped;

#[must_use]
pub fn order_shipped(order: &OrderShipped) -> RenderedEmail {
    let mut body = Body::default();
    body.paragraph(&greeting(&single_line(&order.name)));
    body.paragraph(&format!(
        "Good news: your order {} is on its way.",
        order.order_id
    ));
    body.facts(&[
        ("Carrier", single_line(&order.carrier)),
        ("Tracking number", single_line(&order.tracking_number)),
        ("Shipped", format_date(order.shipped_at)),
    ]);
    body.finish(&format!("Your {SHOP} order {} has shipped", order.order_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emails::templates::fixtures::{both_parts, shipped};

    #[test]
    fn order_shipped_shows_the_carrier_and_tracking_number() {
        let email = order_shipped(&shipped("Ada Lovelace"));

        assert!(email
            .subject
            .contains("01937a55-2f4c-7d2e-b8a1-3c9e4f6a7b10 has shipped"));
        for part in both_parts(&email) {
            for fact in [
                "UPS",
                "1Z999AA10123456784",
                "23 November 2026",
                "Hi Ada Lovelace,",
            ] {
                assert!(part.contains(fact), "{fact} missing from {part}");
            }
        }
    }
}
