//! SQL for this service's own database.

pub mod customers;
pub mod refresh_tokens;
