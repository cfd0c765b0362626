//! The daily sales report to the admin address: the day's totals and its top
//! products.

use super::layout::{Body, RenderedEmail};
use super::text::{format_money, single_line};
use platform::events::payloads::DailySales;

/// The report to the admin address.
#[must_use]
pub fn daily_sales(report: &DailySales) -> RenderedEmail {
    let date = single_line(&report.date);
    let currency = report.currency.as_str();
    let revenue = format_money(report.revenue_cents, currency);
    let mut body = Body::default();
    body.paragraph(&format!("Sales for the UTC day {date}."));
    body.facts(&[
        ("Orders", report.orders.to_string()),
        ("Units", report.units.to_string()),
        ("Revenue", revenue.clone()),
        ("Discounts", format_money(report.discount_cents, currency)),
    ]);
    if report.top_products.is_empty() {
        body.paragraph("No products were sold.");
    } else {
        body.paragraph("Top products:");
        let rows: Vec<Vec<String>> = report
            .top_products
            .iter()
            .map(|product| {
                vec![
                    single_line(&product.sku),
                    single_line(&product.name),
                    product.units.to_string(),
                    format_money(product.revenue_cents, currency),
                ]
            })
            .collect();
        body.table(&["SKU", "Product", "Units", "Revenue"], &rows);
    }
    body.finish(&format!(
        "Daily sales for {date}: {} orders, {revenue}",
        report.orders
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emails::templates::fixtures::{both_parts, report};

    #[test]
    fn daily_sales_shows_the_totals_and_a_table_of_top_products() {
        let email = daily_sales(&report("Blue mug, 350 ml", 2));

        assert_eq!(
            email.subject,
            "Daily sales for 2026-11-22: 42 orders, $1469.30"
        );
        for part in both_parts(&email) {
            for fact in [
                "42",
                "97",
                "$1469.30",
                "$43.00",
                "MUG-BLUE-350",
                "$387.50",
                "Earl Grey tea, 100 g",
            ] {
                assert!(part.contains(fact), "{fact} missing from {part}");
            }
        }
        assert!(email.html.contains("<th align=\"left\">Product</th>"));
        assert_eq!(email.html.matches("<tr><td>").count(), 2);
        assert!(email
            .text
            .contains("SKU               Product               Units  Revenue\n"));
        assert!(email
            .text
            .contains("MUG-BLUE-350      Blue mug, 350 ml      31     $387.50\n"));
    }

    #[test]
    fn daily_sales_without_sales_says_so() {
        let email = daily_sales(&report("unused", 0));

        assert!(email.text.contains("No products were sold."));
        assert!(!email.html.contains("<thead>"));
    }
}
