//! Test fixtures shared by the template tests: one event of each kind, with
//! a chosen value in the fields a customer or admin supplies.

use time::macros::datetime;
use uuid::Uuid;

use super::{CampaignOffer, Offer, RenderedEmail};
use platform::events::payloads::{
    DailySales, OrderCancelled, OrderConfirmed, OrderItem, OrderShipped, ShippingAddress, StockLow,
    TopProduct,
};

fn order_id() -> Uuid {
    Uuid::parse_str("01937a55-2f4c-7d2e-b8a1-3c9e4f6a7b10").expect("a uuid")
}

pub(super) fn campaign(name: &str, offer: Offer, promo_code: Option<&str>) -> CampaignOffer {
    CampaignOffer {
        name: name.to_owned(),
        description: "Warm things for cold days.".to_owned(),
        offer,
        promo_code: promo_code.map(str::to_owned),
        ends_at: datetime!(2026-12-31 23:59:59 UTC),
    }
}

pub(super) fn confirmed(name: &str) -> OrderConfirmed {
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

pub(super) fn shipped(name: &str) -> OrderShipped {
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

pub(super) fn cancelled(name: &str, refunded_cents: i64) -> OrderCancelled {
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

pub(super) fn stock(sku: &str) -> StockLow {
    StockLow {
        sku: sku.to_owned(),
        available: 3,
        low_stock_threshold: 5,
    }
}

pub(super) fn report(product_name: &str, top_products: usize) -> DailySales {
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

pub(super) fn both_parts(email: &RenderedEmail) -> [&str; 2] {
    [&email.text, &email.html]
}
