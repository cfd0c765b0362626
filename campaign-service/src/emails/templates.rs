//! The emails the campaign service sends, each rendered from its event as a
//! subject, a plain-text part and an HTML part.
//!
//! Templates only hand plain text to `Body`, which escapes all of it for the
//! HTML part, so no value can inject markup; subjects are flattened to one
//! line so no value can add a mail header.

mod daily_sales;
#[cfg(test)]
mod fixtures;
mod layout;
mod order_cancelled;
mod order_receipt;
mod order_shipped;
mod stock_low;
mod text;
mod welcome;

pub use daily_sales::daily_sales;
pub use layout::RenderedEmail;
pub use order_cancelled::order_cancelled;
pub use order_receipt::order_receipt;
pub use order_shipped::order_shipped;
pub use stock_low::stock_low;
pub use text::{escape_html, format_money, single_line};
pub use welcome::{welcome, CampaignOffer, Offer};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emails::templates::fixtures::{
        campaign, cancelled, confirmed, report, shipped, stock,
    };
    use proptest::prelude::*;

    const SCRIPT: &str = "<script>alert(1)</script>";
    const ESCAPED_SCRIPT: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";

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

    proptest! {
        #[test]
        fn subjects_never_contain_control_characters(name in any::<String>()) {
            let email = welcome(&name, &[], None);
            prop_assert!(!email.subject.chars().any(char::is_control));
        }
    }
}
