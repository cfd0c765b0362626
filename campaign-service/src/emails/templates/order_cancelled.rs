//! The notice that an order was cancelled, with its refund if anything was
//! charged.

use super::layout::{greeting, Body, RenderedEmail, SHOP};
use super::text::{format_date, format_money, single_line};
use platform::events::payloads::OrderCancelled;

#[must_use]
pub fn order_cancelled(order: &OrderCancelled) -> RenderedEmail {
    let mut body = Body::default();
    body.paragraph(&greeting(&single_line(&order.name)));
    body.paragraph(&format!(
        "Your order {} was cancelled on {}.",
        order.order_id,
        format_date(order.cancelled_at)
    ));
    if order.refunded_cents > 0 {
        body.paragraph(&format!(
            "We have refunded {} to your payment method; it can take a few days to appear.",
            format_money(order.refunded_cents, &order.currency)
        ));
    } else {
        body.paragraph("Nothing was charged, so there is nothing to refund.");
    }
    body.finish(&format!(
        "Your {SHOP} order {} has been cancelled",
        order.order_id
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emails::templates::fixtures::{both_parts, cancelled};

    #[test]
    fn order_cancelled_shows_the_refund_or_that_nothing_was_charged() {
        let refunded = order_cancelled(&cancelled("Ada Lovelace", 2899));
        let free = order_cancelled(&cancelled("Ada Lovelace", 0));

        assert!(refunded
            .subject
            .contains("01937a55-2f4c-7d2e-b8a1-3c9e4f6a7b10 has been cancelled"));
        for part in both_parts(&refunded) {
            assert!(part.contains("refunded €28.99"), "{part}");
        }
        assert!(free.text.contains("nothing to refund"));
    }
}
