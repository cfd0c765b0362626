//! SQL for this service's own database.

pub mod campaigns;
pub mod emails;
pub mod promo_codes;
