//! The low-stock alert to the admin address.

use super::layout::{Body, RenderedEmail};
use super::text::single_line;
use platform::events::payloads::StockLow;

/// The alert to the admin address.
#[must_use]
pub fn stock_low(stock: &StockLow) -> RenderedEmail {
    let sku = single_line(&stock.sku);
    let mut body = Body::default();
    body.paragraph(&format!(
        "Available stock of {sku} fell below its low-stock threshold. Consider restocking it."
    ));
    body.facts(&[
        ("SKU", sku.clone()),
        ("Available", stock.available.to_string()),
        ("Low-stock threshold", stock.low_stock_threshold.to_string()),
    ]);
    body.finish(&format!("Low stock: {sku} has {} left", stock.available))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emails::templates::fixtures::stock;

    #[test]
    fn stock_low_names_the_sku_its_stock_and_threshold() {
        let email = stock_low(&stock("MUG-BLUE-350"));

        assert_eq!(email.subject, "Low stock: MUG-BLUE-350 has 3 left");
        assert!(email.text.contains("Available: 3\n"));
        assert!(email.text.contains("Low-stock threshold: 5\n"));
        assert!(email.html.contains("<td>MUG-BLUE-350</td>"));
    }
}
