//! HTTP resources, one module each.

pub mod campaigns;
pub mod emails;
pub mod promo_codes;
pub mod unsubscribe;
