//! Order history and an order's page.

use maud::{html, Markup};

use super::{csrf_field, layout, money, utc, Chrome};
use crate::api::types::{Order, OrderStatus, Page};

pub fn status_badge(status: OrderStatus) -> Markup {
    let class = match status {
        OrderStatus::Confirmed | OrderStatus::Shipped | OrderStatus::Delivered => "status ok",
        OrderStatus::Pending => "status wait",
        OrderStatus::Failed | OrderStatus::Cancelled => "status off",
    };
    html! { span class=(class) { (status.label()) } }
}

pub fn list(chrome: &Chrome, page: &Page<Order>) -> Markup {
    layout(
        "Your orders",
        chrome,
        html! {
            h1 { "Your orders" }
            @if page.items.is_empty() {
                p { "No orders yet." }
                p { a.button href="/shop" { "Browse the catalog" } }
            } @else {
                table.orders {
                    thead { tr { th scope="col" { "Placed" } th scope="col" { "Order" } th scope="col" { "Status" } th scope="col" { "Total" } } }
                    tbody {
                        @for order in &page.items {
                            tr {
                                td { (utc(order.created_at)) }
                                td { a href=(format!("/account/orders/{}", order.id)) { "Order " (short(order)) } }
                                td { (status_badge(order.status)) }
                                td { (money(order.total_cents, &order.currency)) }
                            }
                        }
                    }
                }
                @if let Some(cursor) = &page.next_cursor {
                    nav.pager aria-label="Pages" {
                        a.button rel="next" href=(format!("/account/orders?cursor={}", url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>())) { "Older orders" }
                    }
                }
            }
        },
    )
}

/// The first eight characters of the id, as the shop names an order.
pub fn short(order: &Order) -> String {
    order.id.simple().to_string()[..8].to_uppercase()
}

pub fn detail(chrome: &Chrome, order: &Order) -> Markup {
    layout(
        &format!("Order {}", short(order)),
        chrome,
        html! {
            h1 { "Order " (short(order)) " " (status_badge(order.status)) }
            @match order.status {
                OrderStatus::Confirmed => { p.notice.ok { "Thank you! Your order is confirmed. A receipt is on its way to your inbox." } }
                OrderStatus::Pending => { p.notice { "Your order is being placed. " a href=(format!("/account/orders/{}", order.id)) { "Refresh" } " to see it confirmed." } }
                OrderStatus::Failed => {
                    p.form-error role="alert" {
                        "Your order was not placed: " (order.reason.as_deref().unwrap_or("it could not be completed")) ". "
                        "Nothing was charged and your cart is as it was."
                    }
                    p { a.button.primary href="/checkout" { "Try again" } }
                }
                _ => {}
            }
            p { "Placed " (utc(order.created_at)) }
            (summary(order))
            @if order.cancellable() {
                form.inline action=(format!("/account/orders/{}/cancel", order.id)) method="post" {
                    (csrf_field(&chrome.csrf()))
                    button.danger type="submit" { "Cancel this order" }
                }
            }
            p { a href="/account/orders" { "All your orders" } }
        },
    )
}

/// An order's lines, totals and shipping, as its customer and the back
/// office see them.
pub fn summary(order: &Order) -> Markup {
    let a = &order.shipping_address;
    html! {
        table.cart {
            thead { tr { th scope="col" { "Product" } th scope="col" { "Price" } th scope="col" { "Quantity" } th scope="col" { "Total" } } }
            tbody {
                @for item in &order.items {
                    tr {
                        td { (item.name) }
                        td { (money(item.unit_price_cents, &order.currency)) }
                        td { (item.quantity) }
                        td { (money(item.unit_price_cents.saturating_mul(item.quantity), &order.currency)) }
                    }
                }
            }
        }
        dl.totals {
            div.total-line { dt { "Subtotal" } dd { (money(order.subtotal_cents, &order.currency)) } }
            @if order.discount_cents > 0 {
                div.total-line.discount {
                    dt { "Discount" @if let Some(code) = &order.promo_code { " (" (code) ")" } }
                    dd { (money(-order.discount_cents, &order.currency)) }
                }
            }
            div.total-line.grand { dt { "Total" } dd data-order-total { (money(order.total_cents, &order.currency)) } }
            @if order.refunded_cents > 0 {
                div.total-line { dt { "Refunded" } dd { (money(order.refunded_cents, &order.currency)) } }
            }
        }
        section {
            h2 { "Shipping" }
            address {
                (a.line1) br;
                @if let Some(l2) = &a.line2 { (l2) br; }
                (a.postal_code) " " (a.city) @if let Some(p) = &a.province { ", " (p) } br;
                (a.country)
            }
            @if let Some(s) = &order.shipment {
                p { "Shipment: " (s.status) " with " (s.carrier) ", tracking number " strong { (s.tracking_number) } }
            }
        }
    }
}
