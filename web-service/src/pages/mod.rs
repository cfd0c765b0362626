//! The pages, as maud templates: compile-time checked Rust, every value
//! escaped unless marked otherwise (none is). One layout, one stylesheet.

pub mod account;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod errors;
pub mod home;
pub mod orders;
pub mod sale;

use maud::{html, Markup, PreEscaped, DOCTYPE};
use time::OffsetDateTime;

use crate::{assets, csrf, session::Session};

/// What the header shows: who is signed in, the cart's size, the notice;
/// and the session, for the CSRF token of the page's forms.
#[derive(Clone, Default)]
pub struct Chrome {
    pub shopper_name: Option<String>,
    pub cart_count: i64,
    pub session: Option<Session>,
    pub notice: Option<String>,
    pub search: String,
}

impl Chrome {
    /// The CSRF token for a form of this page. Asking for it keeps a new
    /// visitor's session, so a page without forms (a guest's home page)
    /// stores nothing.
    pub fn csrf(&self) -> String {
        self.session.as_ref().map(Session::csrf).unwrap_or_default()
    }
}

pub fn layout(title: &str, chrome: &Chrome, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Storefront" }
                link rel="stylesheet" href=(assets::css_url());
                script src=(assets::js_url()) defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    div.bar {
                        a.brand href="/" { "Storefront" }
                        form.search role="search" action="/shop" method="get" {
                            label.visually-hidden for="q" { "Search products" }
                            input #q type="search" name="q" value=(chrome.search) placeholder="Search products";
                            button type="submit" { "Search" }
                        }
                        nav aria-label="Account" {
                            a href="/basket" data-cart-badge {
                                "Cart"
                                @if chrome.cart_count > 0 {
                                    " " span.badge aria-label=(format!("{} items", chrome.cart_count)) { (chrome.cart_count) }
                                }
                            }
                            @match &chrome.shopper_name {
                                Some(name) => {
                                    a href="/account/orders" { "Orders" }
                                    a href="/account" { (name) }
                                    form.inline action="/sign-out" method="post" {
                                        (csrf_field(&chrome.csrf()))
                                        button.link type="submit" { "Sign out" }
                                    }
                                }
                                None => {
                                    a href="/sign-in" { "Sign in" }
                                    a href="/sign-up" { "Create account" }
                                }
                            }
                        }
                    }
                }
                main #main {
                    @if let Some(notice) = &chrome.notice {
                        p.notice role="status" { (notice) }
                    }
                    (PreEscaped(body.into_string()))
                }
                footer.bottom {
                    p { "Storefront · an open e-commerce platform" }
                }
            }
        }
    }
}

/// The hidden CSRF field every state-changing form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name=(csrf::FIELD) value=(token); }
}

/// `$12.34`, `€12.34`, or `12.34 SEK` for other currencies.
pub fn money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let amount = format!("{}.{:02}", abs / 100, abs % 100);
    match currency {
        "USD" => format!("{sign}${amount}"),
        "EUR" => format!("{sign}€{amount}"),
        "GBP" => format!("{sign}£{amount}"),
        other => format!("{sign}{amount} {other}"),
    }
}

/// `2026-12-03 14:05 UTC`
pub fn utc(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// RFC 3339, for `<time datetime>` and the countdown script.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A field's error under its input, when the service named one.
pub fn field_error(message: Option<&str>, id: &str) -> Markup {
    html! {
        @if let Some(message) = message {
            p.field-error id=(format!("{id}-error")) { (message) }
        }
    }
}

/// A section a service could not fill.
pub fn unavailable_section(what: &str) -> Markup {
    html! { p.unavailable role="status" { (what) " is unavailable right now. Please try again in a moment." } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_shown_in_major_units_with_the_currency() {
        assert_eq!(money(1234, "USD"), "$12.34");
        assert_eq!(money(5, "EUR"), "€0.05");
        assert_eq!(money(-250, "USD"), "-$2.50");
        assert_eq!(money(100_000, "SEK"), "1000.00 SEK");
    }

    #[test]
    fn a_hostile_value_is_escaped_in_the_layout() {
        let chrome = Chrome {
            search: "\"><script>alert(1)</script>".to_owned(),
            ..Chrome::default()
        };
        let page = layout("<b>x</b>", &chrome, html! {}).into_string();
        assert!(!page.contains("<script>alert(1)"));
        assert!(page.contains("&lt;b&gt;x&lt;/b&gt;"));
    }
}
