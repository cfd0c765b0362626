//! catalog-service: products, categories, search and the product cache.

pub mod cache;
pub mod config;
pub mod domain;
pub mod repo;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod state;

#[cfg(feature = "testing")]
pub mod testing;
