//! Text helpers shared by the templates: money and date formatting, HTML
//! escaping and flattening a value to one line.

use time::{OffsetDateTime, UtcOffset};

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

/// "31 December 2026", the day in UTC.
pub(super) fn format_date(at: OffsetDateTime) -> String {
    let date = at.checked_to_offset(UtcOffset::UTC).unwrap_or(at).date();
    format!("{} {} {}", date.day(), date.month(), date.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
    }
}
