//! What the demo shop holds: its categories, products and stock levels, the
//! welcome campaign and the flash sale.

pub const PROMO_CODE: &str = "WELCOME10";
pub(super) const PROMO_PERCENT_OFF: i64 = 10;
/// The campaign stays live this long from each run.
pub(super) const CAMPAIGN_DAYS: i64 = 90;
/// The flash sale opens this long after the run, for this long.
pub(super) const SALE_STARTS_IN: time::Duration = time::Duration::minutes(10);
pub(super) const SALE_LASTS: time::Duration = time::Duration::minutes(30);

pub(super) struct Category {
    pub(super) name: &'static str,
    pub(super) description: &'static str,
}

pub(super) const CATEGORIES: &[Category] = &[
    Category {
        name: "Kitchen",
        description: "Mugs, pans and everything for cooking",
    },
    Category {
        name: "Audio",
        description: "Headphones, earbuds and speakers",
    },
    Category {
        name: "Outdoors",
        description: "Gear for trails and campsites",
    },
];

pub(super) struct DemoProduct {
    pub(super) sku: &'static str,
    pub(super) name: &'static str,
    pub(super) description: &'static str,
    pub(super) price_cents: i64,
    pub(super) category: &'static str,
    pub(super) on_hand: i64,
    pub(super) low_stock_threshold: i64,
}

pub(super) const PRODUCTS: &[DemoProduct] = &[
    DemoProduct {
        sku: "MUG-CERAMIC-350",
        name: "Ceramic Mug 350 ml",
        description: "Stoneware mug with a matte glaze; dishwasher safe.",
        price_cents: 1200,
        category: "Kitchen",
        on_hand: 200,
        low_stock_threshold: 20,
    },
    DemoProduct {
        sku: "PAN-CASTIRON-26",
        name: "Cast-Iron Skillet 26 cm",
        description: "Pre-seasoned cast-iron skillet for stove, oven and campfire.",
        price_cents: 4500,
        category: "Kitchen",
        on_hand: 60,
        low_stock_threshold: 10,
    },
    DemoProduct {
        sku: "KETTLE-GOOSENECK",
        name: "Gooseneck Kettle",
        description: "Pour-over kettle with a thermometer in the lid, 1 litre.",
        price_cents: 5900,
        category: "Kitchen",
        on_hand: 40,
        low_stock_threshold: 5,
    },
    DemoProduct {
        sku: "HEADPHONES-NC700",
        name: "Noise-Cancelling Headphones",
        description: "Over-ear wireless headphones with active noise cancelling and 30 h battery.",
        price_cents: 19900,
        category: "Audio",
        on_hand: 80,
        low_stock_threshold: 10,
    },
    DemoProduct {
        sku: "SPEAKER-MINI-BT",
        name: "Mini Bluetooth Speaker",
        description: "Pocket-sized waterproof speaker with 12 h battery.",
        price_cents: 3900,
        category: "Audio",
        on_hand: 120,
        low_stock_threshold: 15,
    },
    DemoProduct {
        sku: "EARBUDS-SPORT",
        name: "Sport Earbuds",
        description: "Sweat-proof wireless earbuds with ear hooks.",
        price_cents: 5900,
        category: "Audio",
        on_hand: 100,
        low_stock_threshold: 10,
    },
    DemoProduct {
        sku: "BOTTLE-STEEL-750",
        name: "Steel Water Bottle 750 ml",
        description: "Insulated stainless-steel bottle; cold for 24 h, hot for 12 h.",
        price_cents: 2500,
        category: "Outdoors",
        on_hand: 150,
        low_stock_threshold: 20,
    },
    DemoProduct {
        sku: "TENT-TREK-2P",
        name: "Two-Person Trekking Tent",
        description: "Freestanding 1.6 kg tent for two, with a vestibule on each side.",
        price_cents: 24900,
        category: "Outdoors",
        on_hand: 15,
        low_stock_threshold: 5,
    },
];

/// The product on flash sale: its SKU, units, sale price and per-customer limit.
pub(super) const SALE_SKU: &str = "HEADPHONES-NC700";
pub(super) const SALE_QUANTITY: i64 = 20;
pub(super) const SALE_PRICE_CENTS: i64 = 9900;
pub(super) const SALE_PER_CUSTOMER: i64 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_data_is_consistent() {
        for product in PRODUCTS {
            assert!(
                CATEGORIES.iter().any(|c| c.name == product.category),
                "{} has an unknown category",
                product.sku
            );
            assert!(product.on_hand > product.low_stock_threshold);
        }
        let sale = PRODUCTS.iter().find(|p| p.sku == SALE_SKU).unwrap();
        assert!(sale.on_hand > SALE_QUANTITY);
        assert!(SALE_PRICE_CENTS < sale.price_cents);
    }
}
