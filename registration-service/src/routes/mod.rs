//! HTTP resources, one module each.

pub mod customers;
pub mod jwks;
pub mod token;
pub mod verification;
