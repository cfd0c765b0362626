//! SQL for this service's own database.

pub mod reservations;
pub mod sales;
pub mod stock;
