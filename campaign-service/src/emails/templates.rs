//! The emails the campaign service sends, each rendered from its event as a
//! subject, a plain-text part and an HTML part.
//!
//! Templates only hand plain text to `Body`, which escapes all of it for the
//! HTML part, so no value can inject markup; subjects are flattened to one
//! line so no value can add a mail header.

use time::{OffsetDateTime, UtcOffset};

use super::payloads::{DailySales, OrderCancelled, OrderConfirmed, OrderShipped, StockLow};

const SHOP: &str = "Storefront";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A campaign running now, as the welcome email lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignOffer {
    pub name: String,
    pub description: String,
    pub offer: Offer,
    pub promo_code: Option<String>,
    pub ends_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer {
    Percent {
        percent_off: i32,
    },
    Fixed {
        amount_off_cents: i64,
        currency: String,
    },
}

impl Offer {
    /// "20% off", "$5.00 off".
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Percent { percent_off } => format!("{percent_off}% off"),
            Self::Fixed {
                amount_off_cents,
                currency,
            } => format!("{} off", format_money(*amount_off_cents, currency)),
        }
    }
}

/// The welcome email; lists `campaigns` when there are any (the caller passes
/// none to a customer who did not opt in to marketing).
#[must_use]
pub fn welcome(
    first_name: &str,
    campaigns: &[CampaignOffer],
    unsubscribe_url: Option<&str>,
) -> RenderedEmail {
    let name = single_line(first_name);
    let subject = if name.is_empty() {
        format!("Welcome to {SHOP}")
    } else {
        format!("Welcome to {SHOP}, {name}")
    };
    let mut body = Body::default();
    body.paragraph(&greeting(&name));
    body.paragraph(&format!("Thank you for creating your {SHOP} account."));
    if !campaigns.is_empty() {
        body.paragraph("Offers running now:");
        body.list(campaigns.iter().map(describe_campaign));
    }
    if let Some(url) = unsubscribe_url {
        body.link(
            "You receive our offers because you opted in to marketing emails.",
            "Unsubscribe",
            url,
        );
    }
    body.finish(&subject)
}

fn describe_campaign(campaign: &CampaignOffer) -> String {
    let mut line = format!(
        "{}: {}",
        single_line(&campaign.name),
        campaign.offer.describe()
    );
    if let Some(code) = &campaign.promo_code {
        append(&mut line, &[" with code ", &single_line(code)]);
    }
    append(
        &mut line,
        &[", until ", &format_date(campaign.ends_at), "."],
    );
    let description = single_line(&campaign.description);
    if !description.is_empty() {
        line.push(' ');
        line.push_str(&description);
    }
    line
}

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

/// "$12.34" for USD, "€12.34" for EUR, "£12.34" for GBP, "12.34 XYZ"
/// otherwise; a negative amount gets a leading minus.
#[must_use]
pub fn format_money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    // unsigned_abs: i64::MIN has no positive i64 counterpart.
    let magnitude = cents.unsigned_abs();
    let amount = format!("{}.{:02}", magnitude / 100, magnitude % 100);
    let code = single_line(currency);
    let symbol = [("USD", "$"), ("EUR", "€"), ("GBP", "£")]
        .into_iter()
        .find(|(iso, _)| iso.eq_ignore_ascii_case(&code))
        .map(|(_, symbol)| symbol);
    match symbol {
        Some(symbol) => format!("{sign}{symbol}{amount}"),
        None if code.is_empty() => format!("{sign}{amount}"),
        None => format!("{sign}{amount} {code}"),
    }
}

/// Escapes the characters that are special in HTML text and attribute values.
#[must_use]
pub fn escape_html(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// One line of text: control characters (line breaks included) and runs of
/// whitespace become single spaces, so a value cannot start a mail header.
#[must_use]
pub fn single_line(value: &str) -> String {
    value
        .split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn greeting(name: &str) -> String {
    if name.is_empty() {
        "Hello,".to_owned()
    } else {
        format!("Hi {name},")
    }
}

/// "31 December 2026", the day in UTC.
fn format_date(at: OffsetDateTime) -> String {
    let date = at.checked_to_offset(UtcOffset::UTC).unwrap_or(at).date();
    format!("{} {} {}", date.day(), date.month(), date.year())
}

/// Both parts of an email, built side by side from plain text only.
#[derive(Default)]
struct Body {
    text: String,
    html: String,
}

impl Body {
    fn paragraph(&mut self, text: &str) {
        append(&mut self.text, &[text, "\n\n"]);
        append(&mut self.html, &["<p>", &escape_html(text), "</p>\n"]);
    }

    /// Lines kept together, such as an address.
    fn lines(&mut self, lines: &[String]) {
        append(&mut self.text, &[&lines.join("\n"), "\n\n"]);
        let escaped: Vec<String> = lines.iter().map(|line| escape_html(line)).collect();
        append(&mut self.html, &["<p>", &escaped.join("<br>\n"), "</p>\n"]);
    }

    fn list(&mut self, items: impl IntoIterator<Item = String>) {
        self.html.push_str("<ul>\n");
        for item in items {
            append(&mut self.text, &["- ", &item, "\n"]);
            append(&mut self.html, &["<li>", &escape_html(&item), "</li>\n"]);
        }
        self.text.push('\n');
        self.html.push_str("</ul>\n");
    }

    /// Labelled values, one a line.
    fn facts(&mut self, facts: &[(&str, String)]) {
        self.html.push_str("<table role=\"presentation\">\n");
        for (label, value) in facts {
            append(&mut self.text, &[label, ": ", value, "\n"]);
            append(
                &mut self.html,
                &[
                    "<tr><th align=\"left\">",
                    &escape_html(label),
                    "</th><td>",
                    &escape_html(value),
                    "</td></tr>\n",
                ],
            );
        }
        self.text.push('\n');
        self.html.push_str("</table>\n");
    }

    /// A table; the text part aligns its columns with spaces.
    fn table(&mut self, headers: &[&str], rows: &[Vec<String>]) {
        let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let text_row = |cells: &mut dyn Iterator<Item = &str>| -> String {
            let padded: Vec<String> = cells
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            format!("{}\n", padded.join("  ").trim_end())
        };
        self.text.push_str(&text_row(&mut headers.iter().copied()));
        for row in rows {
            self.text
                .push_str(&text_row(&mut row.iter().map(String::as_str)));
        }
        self.text.push('\n');

        self.html.push_str("<table>\n<thead><tr>");
        for header in headers {
            append(
                &mut self.html,
                &["<th align=\"left\">", &escape_html(header), "</th>"],
            );
        }
        self.html.push_str("</tr></thead>\n<tbody>\n");
        for row in rows {
            self.html.push_str("<tr>");
            for cell in row {
                append(&mut self.html, &["<td>", &escape_html(cell), "</td>"]);
            }
            self.html.push_str("</tr>\n");
        }
        self.html.push_str("</tbody>\n</table>\n");
    }

    fn link(&mut self, intro: &str, label: &str, url: &str) {
        append(&mut self.text, &[intro, "\n", label, ": ", url, "\n\n"]);
        append(
            &mut self.html,
            &[
                "<p>",
                &escape_html(intro),
                " <a href=\"",
                &escape_html(url),
                "\">",
                &escape_html(label),
                "</a></p>\n",
            ],
        );
    }

    fn finish(self, subject: &str) -> RenderedEmail {
        let subject = single_line(subject);
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>{}</title>\n</head>\n<body style=\"font-family: sans-serif; color: #222;\">\n\
             {}<p>{SHOP}</p>\n</body>\n</html>\n",
            escape_html(&subject),
            self.html
        );
        let text = format!("{}-- \n{SHOP}\n", self.text);
        RenderedEmail {
            subject,
            text,
            html,
        }
    }
}

fn append(out: &mut String, parts: &[&str]) {
    for part in parts {
        out.push_str(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emails::payloads::{OrderItem, ShippingAddress, TopProduct};
    use proptest::prelude::*;
    use time::macros::datetime;
    use uuid::Uuid;

    const SCRIPT: &str = "<script>alert(1)</script>";
    const ESCAPED_SCRIPT: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";

    fn order_id() -> Uuid {
        Uuid::parse_str("01937a55-2f4c-7d2e-b8a1-3c9e4f6a7b10").expect("a uuid")
    }

    fn campaign(name: &str, offer: Offer, promo_code: Option<&str>) -> CampaignOffer {
        CampaignOffer {
            name: name.to_owned(),
            description: "Warm things for cold days.".to_owned(),
            offer,
            promo_code: promo_code.map(str::to_owned),
            ends_at: datetime!(2026-12-31 23:59:59 UTC),
        }
    }

    fn confirmed(name: &str) -> OrderConfirmed {
        OrderConfirmed {
            order_id: order_id(),
            customer_id: Uuid::nil(),
            email: "ada@example.com".to_owned(),
            name: name.to_owned(),
            items: vec![
                OrderItem {
                    sku: "MUG-BLUE-350".to_owned(),
                    name: "Blue mug, 350 ml".to_owned(),
                    quantity: 2,
                    unit_price_cents: 1250,
                },
                OrderItem {
                    sku: "TEA-EARLGREY-100".to_owned(),
                    name: name.to_owned(),
                    quantity: 1,
                    unit_price_cents: 899,
                },
            ],
            subtotal_cents: 3399,
            discount_cents: 500,
            total_cents: 2899,
            currency: "USD".to_owned(),
            shipping_address: ShippingAddress {
                line1: "350 Fifth Avenue".to_owned(),
                line2: None,
                city: "New York".to_owned(),
                province: Some("NY".to_owned()),
                postal_code: "10118".to_owned(),
                country: "US".to_owned(),
            },
            confirmed_at: datetime!(2026-11-22 09:14:27 UTC),
        }
    }

    fn shipped(name: &str) -> OrderShipped {
        OrderShipped {
            order_id: order_id(),
            customer_id: Uuid::nil(),
            email: "ada@example.com".to_owned(),
            name: name.to_owned(),
            carrier: "UPS".to_owned(),
            tracking_number: "1Z999AA10123456784".to_owned(),
            shipped_at: datetime!(2026-11-23 15:40:09 UTC),
        }
    }

    fn cancelled(name: &str, refunded_cents: i64) -> OrderCancelled {
        OrderCancelled {
            order_id: order_id(),
            customer_id: Uuid::nil(),
            email: "ada@example.com".to_owned(),
            name: name.to_owned(),
            refunded_cents,
            currency: "EUR".to_owned(),
            cancelled_at: datetime!(2026-11-22 10:02:45 UTC),
        }
    }

    fn stock(sku: &str) -> StockLow {
        StockLow {
            sku: sku.to_owned(),
            available: 3,
            low_stock_threshold: 5,
        }
    }

    fn report(product_name: &str, top_products: usize) -> DailySales {
        DailySales {
            date: "2026-11-22".to_owned(),
            orders: 42,
            units: 97,
            revenue_cents: 146_930,
            discount_cents: 4300,
            currency: "USD".to_owned(),
            top_products: [
                ("MUG-BLUE-350", product_name, 31, 38_750),
                ("TEA-EARLGREY-100", "Earl Grey tea, 100 g", 24, 21_576),
            ]
            .into_iter()
            .take(top_products)
            .map(|(sku, name, units, revenue_cents)| TopProduct {
                sku: sku.to_owned(),
                name: name.to_owned(),
                units,
                revenue_cents,
            })
            .collect(),
        }
    }

    /// Every kind of email, with `value` in each user-supplied field it shows.
    fn every_kind_with(value: &str) -> Vec<(&'static str, RenderedEmail)> {
        let offer = Offer::Percent { percent_off: 20 };
        vec![
            (
                "welcome",
                welcome(
                    value,
                    &[campaign(value, offer, Some(value))],
                    Some("https://x.test/u?a=1&b=2"),
                ),
            ),
            ("receipt", order_receipt(&confirmed(value))),
            ("shipped", order_shipped(&shipped(value))),
            ("cancelled", order_cancelled(&cancelled(value, 100))),
            ("stock low", stock_low(&stock(value))),
            ("daily sales", daily_sales(&report(value, 2))),
        ]
    }

    fn both_parts(email: &RenderedEmail) -> [&str; 2] {
        [&email.text, &email.html]
    }

    #[test]
    fn welcome_greets_the_customer_by_first_name() {
        let email = welcome("Ada", &[], None);

        assert_eq!(email.subject, "Welcome to Storefront, Ada");
        assert!(email.text.starts_with("Hi Ada,"));
        assert!(email.html.contains("<p>Hi Ada,</p>"));
    }

    #[test]
    fn welcome_with_campaigns_lists_each_offer_with_its_code_and_end_date() {
        let campaigns = [
            campaign(
                "Winter sale",
                Offer::Percent { percent_off: 20 },
                Some("WINTER20"),
            ),
            campaign(
                "Welcome gift",
                Offer::Fixed {
                    amount_off_cents: 500,
                    currency: "USD".to_owned(),
                },
                None,
            ),
        ];

        let email = welcome("Ada", &campaigns, None);

        for part in both_parts(&email) {
            assert!(part.contains("Offers running now"), "{part}");
            assert!(
                part.contains("Winter sale: 20% off with code WINTER20, until 31 December 2026."),
                "{part}"
            );
            assert!(
                part.contains("Welcome gift: $5.00 off, until 31 December 2026."),
                "{part}"
            );
            assert!(part.contains("Warm things for cold days."), "{part}");
        }
        assert_eq!(email.html.matches("<li>").count(), 2);
    }

    #[test]
    fn welcome_without_campaigns_lists_no_offers() {
        let email = welcome("Ada", &[], None);

        for part in both_parts(&email) {
            assert!(!part.contains("Offers running now"), "{part}");
            assert!(!part.contains(" off"), "{part}");
        }
        assert!(!email.html.contains("<li>"));
    }

    #[test]
    fn unsubscribe_link_is_present_only_when_given() {
        let url = "https://shop.test/unsubscribe?token=abc&x=1";

        let with = welcome("Ada", &[], Some(url));
        let without = welcome("Ada", &[], None);

        assert!(with.text.contains(&format!("Unsubscribe: {url}")));
        assert!(with.html.contains(
            "<a href=\"https://shop.test/unsubscribe?token=abc&amp;x=1\">Unsubscribe</a>"
        ));
        for part in both_parts(&without) {
            assert!(!part.to_lowercase().contains("unsubscribe"), "{part}");
        }
    }

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

    #[test]
    fn stock_low_names_the_sku_its_stock_and_threshold() {
        let email = stock_low(&stock("MUG-BLUE-350"));

        assert_eq!(email.subject, "Low stock: MUG-BLUE-350 has 3 left");
        assert!(email.text.contains("Available: 3\n"));
        assert!(email.text.contains("Low-stock threshold: 5\n"));
        assert!(email.html.contains("<td>MUG-BLUE-350</td>"));
    }

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

    #[test]
    fn a_name_with_html_is_escaped_in_the_html_part_of_every_email() {
        for (kind, email) in every_kind_with(SCRIPT) {
            assert!(
                !email.html.contains("<script"),
                "{kind}: raw markup in {}",
                email.html
            );
            assert!(
                email.html.contains(ESCAPED_SCRIPT),
                "{kind}: value missing from {}",
                email.html
            );
        }
    }

    #[test]
    fn the_text_part_and_subject_carry_values_unescaped() {
        let email = welcome("Tom & \"Jerry\"", &[], None);

        assert!(email.subject.ends_with("Tom & \"Jerry\""));
        assert!(email.text.contains("Hi Tom & \"Jerry\","));
        assert!(!email.text.contains("<p>"));
        assert!(email.html.contains("Hi Tom &amp; &quot;Jerry&quot;,"));
    }

    #[test]
    fn subject_has_no_line_break_even_when_a_value_contains_crlf() {
        let injected = "Ada\r\nBcc: victim@example.com";

        for (kind, email) in every_kind_with(injected) {
            assert!(
                !email.subject.chars().any(char::is_control),
                "{kind}: {:?}",
                email.subject
            );
        }
        let mut report = report("x", 1);
        report.date = "2026-11-22\nBcc: victim@example.com".to_owned();
        assert!(!daily_sales(&report).subject.contains('\n'));
        assert_eq!(
            welcome(injected, &[], None).subject,
            "Welcome to Storefront, Ada Bcc: victim@example.com"
        );
    }

    #[test]
    fn a_blank_name_gets_a_generic_greeting() {
        let email = welcome(" \r\n ", &[], None);

        assert_eq!(email.subject, "Welcome to Storefront");
        assert!(email.text.starts_with("Hello,"));
    }

    #[test]
    fn format_money_covers_symbols_codes_signs_and_extremes() {
        let cases = [
            (1234, "USD", "$12.34", "dollars"),
            (1234, "EUR", "€12.34", "euros"),
            (1234, "GBP", "£12.34", "pounds"),
            (1234, "usd", "$12.34", "lower-case code"),
            (1234, "CAD", "12.34 CAD", "other currency"),
            (5, "USD", "$0.05", "cents only"),
            (0, "USD", "$0.00", "zero"),
            (-1234, "USD", "-$12.34", "negative"),
            (-5, "JPY", "-0.05 JPY", "negative other currency"),
            (1234, "", "12.34", "no currency"),
            (i64::MAX, "USD", "$92233720368547758.07", "largest"),
            (i64::MIN, "USD", "-$92233720368547758.08", "smallest"),
        ];
        for (cents, currency, expected, case) in cases {
            assert_eq!(format_money(cents, currency), expected, "{case}");
        }
    }

    #[test]
    fn escape_html_escapes_the_five_special_characters() {
        assert_eq!(
            escape_html(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }

    proptest! {
        #[test]
        fn escaped_html_never_contains_angle_brackets_or_quotes(value in any::<String>()) {
            let escaped = escape_html(&value);
            prop_assert!(!escaped.contains(['<', '>', '"', '\'']));
        }

        #[test]
        fn subjects_never_contain_control_characters(name in any::<String>()) {
            let email = welcome(&name, &[], None);
            prop_assert!(!email.subject.chars().any(char::is_control));
        }
    }
}
