//! The checkout form.

use maud::{html, Markup};
use uuid::Uuid;

use super::{cart::promo_line, csrf_field, field_error, layout, money, Chrome};
use crate::api::{
    types::{Address, Cart, PromoCheck},
    Failure, Problem,
};

/// The simulator's test cards (docs/services.md, "order-service").
pub const TEST_CARDS: [(&str, &str); 5] = [
    ("tok_visa", "Visa ending 4242 (approves)"),
    ("tok_mastercard", "Mastercard ending 4444 (approves)"),
    ("tok_amex", "Amex ending 0005 (approves)"),
    ("tok_declined", "Card that is declined"),
    ("tok_insufficient_funds", "Card with insufficient funds"),
];

#[derive(Debug, Default, Clone)]
pub struct CheckoutValues {
    pub address: Address,
    pub card_token: String,
    pub promo_code: String,
    pub reservation_id: Option<Uuid>,
    pub idempotency_key: Uuid,
}

fn text_field(
    id: &str,
    label: &str,
    value: &str,
    autocomplete: &str,
    required: bool,
    problem: Option<&Problem>,
    field: &str,
) -> Markup {
    let error = problem.and_then(|p| p.field(field));
    html! {
        label for=(id) { (label) @if !required { " (optional)" } }
        input id=(id) name=(id) value=(value) autocomplete=(autocomplete) required[required]
            aria-invalid=(if error.is_some() { "true" } else { "false" })
            aria-describedby=[error.map(|_| format!("{id}-error"))];
        (field_error(error, id))
    }
}

pub fn page(
    chrome: &Chrome,
    values: &CheckoutValues,
    cart: Option<&Cart>,
    promo: Option<&Result<Option<PromoCheck>, Failure>>,
    problem: Option<&Problem>,
) -> Markup {
    let a = &values.address;
    let general = problem
        .filter(|p| p.errors.is_empty())
        .map(Problem::message);
    let card_error = problem.and_then(|p| p.field("payment.card_token"));
    layout(
        "Checkout",
        chrome,
        html! {
            h1 { "Checkout" }
            @if let Some(general) = general { p.form-error role="alert" { (general) } }
            @if problem.is_some_and(|p| !p.errors.is_empty()) {
                p.form-error role="alert" { "Please correct the fields marked below." }
            }
            div.checkout {
                form.stacked action="/checkout" method="post" novalidate {
                    (csrf_field(&chrome.csrf()))
                    input type="hidden" name="idempotency_key" value=(values.idempotency_key);
                    @if let Some(r) = values.reservation_id { input type="hidden" name="reservation_id" value=(r); }
                    fieldset {
                        legend { "Shipping address" }
                        (text_field("line1", "Street and number", &a.line1, "address-line1", true, problem, "shipping_address.line1"))
                        (text_field("line2", "Apartment, suite", a.line2.as_deref().unwrap_or_default(), "address-line2", false, problem, "shipping_address.line2"))
                        (text_field("city", "City", &a.city, "address-level2", true, problem, "shipping_address.city"))
                        (text_field("province", "State or province", a.province.as_deref().unwrap_or_default(), "address-level1", false, problem, "shipping_address.province"))
                        (text_field("postal_code", "Postal code", &a.postal_code, "postal-code", true, problem, "shipping_address.postal_code"))
                        (text_field("country", "Country (two letters, e.g. US)", &a.country, "country", true, problem, "shipping_address.country"))
                    }
                    fieldset {
                        legend { "Payment (test cards)" }
                        @for (token, label) in TEST_CARDS {
                            label.check {
                                input type="radio" name="card_token" value=(token) checked[values.card_token == token];
                                " " (label)
                            }
                        }
                        (field_error(card_error, "card_token"))
                    }
                    @if values.reservation_id.is_none() {
                        (text_field("promo_code", "Promo code", &values.promo_code, "off", false, problem, "promo_code"))
                    }
                    button.primary type="submit" { "Place order" }
                }
                aside.summary aria-label="Order summary" {
                    h2 { "Summary" }
                    @match cart {
                        Some(cart) => {
                            ul.lines {
                                @for line in &cart.items {
                                    li { (line.quantity) " × " (line.name.as_deref().unwrap_or("A product no longer sold"))
                                        @if let Some(t) = line.line_total_cents { span.amount { (money(t, &cart.currency)) } } }
                                }
                            }
                            @let (discount, promo_markup) = match (promo, values.promo_code.trim()) {
                                (Some(promo), code) if !code.is_empty() => promo_line(code, promo, cart.subtotal_cents, &cart.currency),
                                _ => (0, html! {}),
                            };
                            dl.totals {
                                div.total-line { dt { "Subtotal" } dd { (money(cart.subtotal_cents, &cart.currency)) } }
                                (promo_markup)
                                div.total-line.grand { dt { "Total" } dd { (money(cart.subtotal_cents - discount, &cart.currency)) } }
                            }
                        }
                        None => { p { "Your flash-sale reservation, at the sale price." } }
                    }
                }
            }
        },
    )
}
