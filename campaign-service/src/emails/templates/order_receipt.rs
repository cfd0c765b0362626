//! The receipt for a confirmed order: its items, totals and shipping address.

use super::layout::{greeting, Body, RenderedEmail, SHOP};
use super::text::{format_date, format_money, single_line};
use platform::events::payloads::OrderConfirmed;

#[must_use]
pub fn order_receipt(order: &OrderConfirmed) -> RenderedEmail {
    let currency = order.currency.as_str();
    let mut body = Body::default();
    body.paragraph(&greeting(&single_line(&order.name)));
    body.paragraph("Thank you for your order. We will email you again when it ships.");
    body.facts(&[
        ("Order", order.order_id.to_string()),
        ("Placed", format_date(order.confirmed_at)),
    ]);
    let rows: Vec<Vec<String>> = order
        .items
        .iter()
        .map(|item| {
            vec![
                single_line(&item.name),
                single_line(&item.sku),
                item.quantity.to_string(),
                format_money(item.unit_price_cents, currency),
                format_money(
                    item.quantity.saturating_mul(item.unit_price_cents),
                    currency,
                ),
            ]
        })
        .collect();
    body.table(&["Item", "SKU", "Quantity", "Unit price", "Amount"], &rows);
    let mut totals = vec![("Subtotal", format_money(order.subtotal_cents, currency))];
    if order.discount_cents != 0 {
        let discount = format_money(order.discount_cents.saturating_neg(), currency);
        totals.push(("Discount", discount));
    }
    totals.push(("Total", format_money(order.total_cents, currency)));
    body.facts(&totals);
    body.paragraph("Shipping to:");
    let address = &order.shipping_address;
    let city_line = [
        Some(address.city.as_str()),
        address.province.as_deref(),
        Some(address.postal_code.as_str()),
    ]
    .into_iter()
    .flatten()
    .map(single_line)
    .filter(|part| !part.is_empty())
    .collect::<Vec<_>>()
    .join(", ");
    let lines: Vec<String> = [
        Some(address.line1.as_str()),
        address.line2.as_deref(),
        Some(city_line.as_str()),
        Some(address.country.as_str()),
    ]
    .into_iter()
    .flatten()
    .map(single_line)
    .filter(|line| !line.is_empty())
    .collect();
    body.lines(&lines);
    body.finish(&format!(
        "Your {SHOP} order {} is confirmed",
        order.order_id
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emails::templates::fixtures::{both_parts, confirmed};

    #[test]
    fn order_receipt_shows_the_order_items_totals_and_address() {
        let email = order_receipt(&confirmed("Ada Lovelace"));

        assert_eq!(
            email.subject,
            "Your Storefront order 01937a55-2f4c-7d2e-b8a1-3c9e4f6a7b10 is confirmed"
        );
        for part in both_parts(&email) {
            for fact in [
                "01937a55-2f4c-7d2e-b8a1-3c9e4f6a7b10",
                "Blue mug, 350 ml",
                "MUG-BLUE-350",
                "$12.50",
                "$25.00",
                "$33.99",
                "-$5.00",
                "$28.99",
                "350 Fifth Avenue",
                "New York, NY, 10118",
                "22 November 2026",
            ] {
                assert!(part.contains(fact), "{fact} missing from {part}");
            }
        }
        assert!(email.text.contains("Total: $28.99"));
    }

    #[test]
    fn order_receipt_without_a_discount_has_no_discount_line() {
        let mut order = confirmed("Ada Lovelace");
        order.discount_cents = 0;

        let email = order_receipt(&order);

        assert!(!email.text.contains("Discount"));
    }
}
