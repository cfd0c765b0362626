//! SQL for this service's own database.

pub mod categories;
pub mod products;
