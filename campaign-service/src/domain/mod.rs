//! Types that can only hold valid values.

pub mod campaign;
mod discount;
mod promo_code;

pub use campaign::{
    CampaignPatch, CampaignRequest, NewCampaign, Offer, OfferRequest, PromoCodeRequest,
    PromoCodeRules,
};
pub use discount::discount_cents;
pub use promo_code::PromoCode;
