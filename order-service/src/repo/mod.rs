//! SQL, in small functions taking a connection or transaction.

pub mod cart;
pub mod orders;
pub mod progress;
pub mod reports;
