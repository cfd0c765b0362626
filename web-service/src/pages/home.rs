//! The home page: featured products, the running campaign's offer, and the
//! live or next flash sale with its countdown.

use maud::{html, Markup};
use time::OffsetDateTime;

use super::{catalog::product_card, layout, money, rfc3339, unavailable_section, utc, Chrome};
use crate::api::types::{Campaign, FlashSale, Offer, Product, SaleStatus};

pub fn page(
    chrome: &Chrome,
    featured: Option<&[Product]>,
    campaigns: Option<&[Campaign]>,
    sale: Option<Option<(&FlashSale, Option<&Product>)>>,
    now: OffsetDateTime,
) -> Markup {
    layout(
        "Welcome",
        chrome,
        html! {
            @if let Some(campaigns) = campaigns {
                @for campaign in campaigns.iter().take(1) {
                    section.offer aria-label="Offer" {
                        h2 { (campaign.name) }
                        p { (campaign.description) }
                        p.offer-terms {
                            (offer_text(&campaign.offer, &campaign.currency))
                            @if let Some(code) = &campaign.promo_code {
                                " with code " strong.code { (code.code) }
                            }
                            " · until " (utc(campaign.ends_at))
                        }
                    }
                }
            }
            @match &sale {
                Some(Some((sale, product))) => { (sale_banner(sale, *product, now)) }
                Some(None) => {}
                None => { (unavailable_section("The flash sale")) }
            }
            section aria-labelledby="featured" {
                h1 #featured { "Featured products" }
                @match featured {
                    Some(products) if products.is_empty() => { p { "Nothing for sale yet." } }
                    Some(products) => {
                        ul.grid { @for p in products { li { (product_card(p)) } } }
                        p { a.button href="/shop" { "See the whole catalog" } }
                    }
                    None => { (unavailable_section("The catalog")) }
                }
            }
        },
    )
}

pub fn offer_text(offer: &Offer, currency: &str) -> String {
    match offer {
        Offer::Percent { percent_off } => format!("{percent_off}% off your order"),
        Offer::Fixed { amount_off_cents } => {
            format!("{} off your order", money(*amount_off_cents, currency))
        }
    }
}

fn sale_banner(sale: &FlashSale, product: Option<&Product>, now: OffsetDateTime) -> Markup {
    let name = product.map_or(sale.sku.as_str(), |p| p.name.as_str());
    html! {
        section.sale aria-label="Flash sale" {
            h2 {
                @if sale.status == SaleStatus::Active { "Flash sale now: " } @else { "Next flash sale: " }
                (name)
            }
            p.sale-price {
                (money(sale.price_cents, &sale.currency))
                @if let Some(p) = product { " " s.was { (money(p.price_cents, &p.currency)) } }
                " · " (sale.remaining) " of " (sale.quantity) " left"
            }
            @if sale.starts_at > now {
                p { "Opens in " (countdown(sale.starts_at, now)) }
            } @else {
                p { "Ends in " (countdown(sale.ends_at, now)) }
            }
            p { a.button href=(format!("/sales/{}", sale.id)) { "Go to the sale" } }
        }
    }
}

/// A countdown the script keeps live; without JavaScript, the time left
/// when the page was made. The server's clock is the reference.
pub fn countdown(at: OffsetDateTime, now: OffsetDateTime) -> Markup {
    let left = (at - now).whole_seconds().max(0);
    let text = format!("{}:{:02}:{:02}", left / 3600, (left / 60) % 60, left % 60);
    html! {
        time.countdown datetime=(rfc3339(at)) data-countdown=(rfc3339(at)) data-now=(rfc3339(now)) { (text) }
    }
}
