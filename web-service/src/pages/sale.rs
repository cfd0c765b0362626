//! A flash sale's page.

use maud::{html, Markup};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{csrf_field, home::countdown, layout, money, utc, Chrome};
use crate::api::types::{Claim, FlashSale, Product, SaleStatus};

/// What a claim came to, shown once on the sale's page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ClaimOutcome {
    Reserved {
        reservation_id: Uuid,
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
    },
    SoldOut,
    LimitReached,
    Refused(String),
}

fn hh_mm(at: OffsetDateTime) -> String {
    format!("{:02}:{:02} UTC", at.hour(), at.minute())
}

pub fn page(
    chrome: &Chrome,
    sale: &FlashSale,
    product: Option<&Product>,
    signed_in: bool,
    claims: &[Claim],
    outcome: Option<&ClaimOutcome>,
    now: OffsetDateTime,
) -> Markup {
    let name = product.map_or(sale.sku.as_str(), |p| p.name.as_str());
    let open = sale.status == SaleStatus::Active && sale.starts_at <= now && now < sale.ends_at;
    let scheduled = now < sale.starts_at && sale.status != SaleStatus::Ended;
    layout(
        &format!("Flash sale: {name}"),
        chrome,
        html! {
            section.sale-page data-sale=(sale.id) {
                h1 { "Flash sale: " (name) }
                p.sale-price {
                    (money(sale.price_cents, &sale.currency))
                    @if let Some(p) = product { " " s.was { (money(p.price_cents, &p.currency)) } }
                }
                p { "Limit " (sale.per_customer_limit) " per customer · " span data-remaining { (sale.remaining) } " of " (sale.quantity) " left" }
                @match outcome {
                    Some(ClaimOutcome::Reserved { reservation_id, expires_at }) => {
                        p.notice.ok role="status" data-claim-result="reserved" {
                            "You got one! It is reserved for you until " (hh_mm(*expires_at)) ". Check out before then at the sale price."
                        }
                        p { a.button.primary href=(format!("/checkout?reservation={reservation_id}")) { "Check out at " (money(sale.price_cents, &sale.currency)) } }
                    }
                    Some(ClaimOutcome::SoldOut) => { p.form-error role="status" data-claim-result="sold-out" { "Sold out: every unit has been claimed." } }
                    Some(ClaimOutcome::LimitReached) => { p.form-error role="status" data-claim-result="limit" { "You already hold as many as this sale allows." } }
                    Some(ClaimOutcome::Refused(message)) => { p.form-error role="status" data-claim-result="refused" { (message) } }
                    None => {}
                }
                @if !claims.is_empty() && !matches!(outcome, Some(ClaimOutcome::Reserved { .. })) {
                    @for claim in claims {
                        p.notice { "You hold one, reserved until " (hh_mm(claim.expires_at)) ". "
                            a href=(format!("/checkout?reservation={}", claim.reservation_id)) { "Check out" } }
                    }
                }
                @if scheduled {
                    p { "Opens at " (utc(sale.starts_at)) ", in " (countdown(sale.starts_at, now)) }
                } @else if open {
                    p { "Ends in " (countdown(sale.ends_at, now)) }
                } @else if sale.status == SaleStatus::SoldOut || sale.remaining == 0 {
                    p.stock { "Sold out" }
                } @else {
                    p { "This sale has ended." }
                }
                @if open || scheduled {
                    @if signed_in {
                        form action=(format!("/sales/{}/claim", sale.id)) method="post" {
                            (csrf_field(&chrome.csrf()))
                            button.primary.claim type="submit" data-opens=(super::rfc3339(sale.starts_at)) disabled[!open] { "Claim one" }
                        }
                    } @else {
                        p { a.button.primary href=(format!("/sign-in?next=/sales/{}", sale.id)) { "Sign in to claim" } }
                    }
                }
            }
        },
    )
}
