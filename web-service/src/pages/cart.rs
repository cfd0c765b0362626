//! The cart page: lines with their quantity, a promo code preview, totals.

use maud::{html, Markup};

use super::{csrf_field, layout, money, unavailable_section, Chrome};
use crate::api::{
    types::{Cart, PromoCheck},
    Failure,
};

pub fn promo_line(
    code: &str,
    promo: &Result<Option<PromoCheck>, Failure>,
    subtotal: i64,
    currency: &str,
) -> (i64, Markup) {
    match promo {
        Ok(Some(check)) if check.applies && check.discount_cents.unwrap_or(0) > 0 => {
            let discount = check.discount_cents.unwrap_or(0).min(subtotal);
            (
                discount,
                html! {
                    div.total-line.discount {
                        dt { "Discount (" (check.code) ", " (check.campaign_name) ")" }
                        dd { (money(-discount, currency)) }
                    }
                },
            )
        }
        Ok(Some(check)) if check.applies => (
            0,
            html! {
                p.field-error role="status" {
                    "The code " (check.code) " needs an order of at least " (money(check.min_order_cents, currency)) "."
                }
            },
        ),
        Ok(Some(check)) => (
            0,
            html! {
                p.field-error role="status" {
                    "The code " (check.code) " does not apply now"
                    @match check.reason.as_deref() {
                        Some("expired") => { ": it has expired." }
                        Some("not_started") => { ": its offer has not started yet." }
                        Some("exhausted") => { ": it has been used up." }
                        _ => { "." }
                    }
                }
            },
        ),
        Ok(None) => (
            0,
            html! { p.field-error role="status" { "There is no promo code " (code) "." } },
        ),
        Err(_) => (0, unavailable_section("Checking promo codes")),
    }
}

pub fn page(
    chrome: &Chrome,
    cart: Option<&Cart>,
    promo_code: Option<&str>,
    promo: Option<&Result<Option<PromoCheck>, Failure>>,
) -> Markup {
    layout(
        "Your cart",
        chrome,
        html! {
            h1 { "Your cart" }
            @match cart {
                None => { (unavailable_section("Your cart")) }
                Some(cart) if cart.items.is_empty() => {
                    p { "Your cart is empty." }
                    p { a.button href="/shop" { "Browse the catalog" } }
                }
                Some(cart) => {
                    table.cart {
                        thead { tr { th scope="col" { "Product" } th scope="col" { "Price" } th scope="col" { "Quantity" } th scope="col" { "Total" } th scope="col" { span.visually-hidden { "Actions" } } } }
                        tbody {
                            @for line in &cart.items {
                                tr {
                                    td {
                                        a href=(format!("/shop/{}", line.product_id)) { (line.name.as_deref().unwrap_or("A product no longer sold")) }
                                        @if !line.available { " " span.warning { "(no longer sold: remove it to check out)" } }
                                    }
                                    td { @if let Some(p) = line.unit_price_cents { (money(p, &cart.currency)) } }
                                    td {
                                        form.inline.quantity action=(format!("/basket/items/{}", line.product_id)) method="post" data-enhance="cart" {
                                            (csrf_field(&chrome.csrf()))
                                            label.visually-hidden for=(format!("q-{}", line.product_id)) { "Quantity of " (line.name.as_deref().unwrap_or("this product")) }
                                            input id=(format!("q-{}", line.product_id)) type="number" name="quantity" min="1" max="100" value=(line.quantity) required;
                                            button.small type="submit" { "Update" }
                                        }
                                    }
                                    td { @if let Some(t) = line.line_total_cents { (money(t, &cart.currency)) } }
                                    td {
                                        form.inline action=(format!("/basket/items/{}/remove", line.product_id)) method="post" data-enhance="cart" {
                                            (csrf_field(&chrome.csrf()))
                                            button.link type="submit" { "Remove" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    form.promo action="/basket" method="get" {
                        label for="promo" { "Promo code" }
                        input #promo name="promo" value=(promo_code.unwrap_or_default()) autocomplete="off";
                        button.small type="submit" { "Apply" }
                    }
                    @let (discount, promo_markup) = match (promo_code, &promo) {
                        (Some(code), Some(promo)) => promo_line(code, promo, cart.subtotal_cents, &cart.currency),
                        _ => (0, html! {}),
                    };
                    dl.totals {
                        div.total-line { dt { "Subtotal" } dd { (money(cart.subtotal_cents, &cart.currency)) } }
                        (promo_markup)
                        div.total-line.grand { dt { "Total" } dd { (money(cart.subtotal_cents - discount, &cart.currency)) } }
                    }
                    p {
                        @let href = match (promo_code, discount > 0) {
                            (Some(code), true) => format!("/checkout?promo={}", url::form_urlencoded::byte_serialize(code.as_bytes()).collect::<String>()),
                            _ => "/checkout".to_owned(),
                        };
                        a.button.primary href=(href) { "Check out" }
                    }
                }
            }
        },
    )
}
