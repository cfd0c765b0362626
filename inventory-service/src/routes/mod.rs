//! HTTP resources, one module each.

pub mod claims;
pub mod flash_sales;
pub mod reservations;
pub mod stock;
