//! HTTP resources, one module each.

pub mod categories;
pub mod products;
